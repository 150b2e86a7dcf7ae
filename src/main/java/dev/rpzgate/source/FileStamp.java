package dev.rpzgate.source;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.TimeUnit;

/**
 * Identity of one version of a zone file: the file that its path resolves to through
 * symlinks, its inode (where the file system has one), size and modification time. A rename over
 * the file changes the inode, an edit in place the time or size, and a Kubernetes ConfigMap update
 * the resolved path.
 *
 * @param realPath the path with every symlink resolved, or null when the file is missing
 * @param fileKey the file system's identity of the file, or null where it has none
 * @param size size in bytes
 * @param modifiedNanos modification time in nanoseconds since the epoch
 */
record FileStamp(Path realPath, Object fileKey, long size, long modifiedNanos) {

    /** Stamp of a missing or unreadable file. */
    static final FileStamp MISSING = new FileStamp(null, null, -1, -1);

    /** Returns the stamp of {@code file} now, or {@link #MISSING}. */
    static FileStamp of(Path file) {
        try {
            Path real = file.toRealPath();
            BasicFileAttributes attributes = Files.readAttributes(real, BasicFileAttributes.class);
            long modified = attributes.lastModifiedTime().to(TimeUnit.NANOSECONDS);
            return new FileStamp(real, attributes.fileKey(), attributes.size(), modified);
        } catch (IOException e) {
            return MISSING;
        }
    }
}
