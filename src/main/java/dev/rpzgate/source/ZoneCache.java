package dev.rpzgate.source;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;

/**
 * The last good copy of each remote zone, kept in {@code rpzgate.policy.cache-dir} so that a
 * restart enforces the zone before its source answers.
 *
 * <p>Each zone has two files named after it: {@code NAME.zone}, the text exactly as downloaded
 * or, for a transferred zone, the records that {@link TransferCopies} writes, and
 * {@code NAME.meta}, a properties file with the source it came from and the HTTP validators
 * ({@code ETag}, {@code Last-Modified}) of that download. Both are written to a temporary file in
 * the same directory and renamed into place, so a crash leaves either the old or the new file,
 * never half of one. The text is renamed first: a crash between the two renames leaves new text
 * with old validators, which costs one full download, while the other order could pair new
 * validators with old text and make the server's 304 keep the old text for good.
 */
public final class ZoneCache {

    private static final String SOURCE = "source";
    private static final String ETAG = "etag";
    private static final String LAST_MODIFIED = "last-modified";

    private final Path directory;

    /** Creates a cache in {@code directory}, which is created on the first write. */
    public ZoneCache(Path directory) {
        this.directory = Objects.requireNonNull(directory, "directory");
    }

    /** Returns the cache directory. */
    public Path directory() {
        return directory;
    }

    /**
     * HTTP validators of a download, each null when the server sent none.
     *
     * @param etag the {@code ETag} header, sent back as {@code If-None-Match}
     * @param lastModified the {@code Last-Modified} header, sent back as {@code If-Modified-Since}
     */
    public record Validators(String etag, String lastModified) {

        /** Validators of a download whose server sent neither header. */
        public static final Validators NONE = new Validators(null, null);

        /** Whether there is something to send in a conditional request. */
        public boolean present() {
            return etag != null || lastModified != null;
        }
    }

    /**
     * A stored copy.
     *
     * @param text path of the zone text
     * @param validators validators of the download it came from
     */
    public record Copy(Path text, Validators validators) {}

    /**
     * Finds the copy of zone {@code zoneName} downloaded from {@code source}. A copy from another
     * source is ignored, because the configuration has moved the zone elsewhere since.
     *
     * @throws IOException if the files exist but cannot be read
     */
    public Optional<Copy> find(String zoneName, String source) throws IOException {
        Path text = textFile(zoneName);
        Properties meta = new Properties();
        try (InputStream in = Files.newInputStream(metaFile(zoneName))) {
            meta.load(in);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        if (!source.equals(meta.getProperty(SOURCE)) || !Files.isRegularFile(text)) {
            return Optional.empty();
        }
        return Optional.of(new Copy(text, new Validators(meta.getProperty(ETAG), meta.getProperty(LAST_MODIFIED))));
    }

    /**
     * Creates an empty temporary file in the cache directory for a download of {@code zoneName},
     * so that {@link #store} can rename it into place.
     */
    public Path newTempFile(String zoneName) throws IOException {
        Files.createDirectories(directory);
        return Files.createTempFile(directory, fileBase(zoneName) + ".", ".download");
    }

    /**
     * Makes {@code downloaded}, a file from {@link #newTempFile}, the stored copy of the zone.
     *
     * @throws IOException if a file cannot be written or renamed; the old copy then stays
     */
    public void store(String zoneName, Path downloaded, String source, Validators validators) throws IOException {
        Files.createDirectories(directory);
        moveIntoPlace(downloaded, textFile(zoneName));

        Properties meta = new Properties();
        meta.setProperty(SOURCE, source);
        if (validators.etag() != null) {
            meta.setProperty(ETAG, validators.etag());
        }
        if (validators.lastModified() != null) {
            meta.setProperty(LAST_MODIFIED, validators.lastModified());
        }
        Path temp = Files.createTempFile(directory, fileBase(zoneName) + ".", ".meta-new");
        try {
            try (OutputStream out = Files.newOutputStream(temp)) {
                meta.store(out, "rpzgate: where " + zoneName + ".zone was downloaded from");
            }
            moveIntoPlace(temp, metaFile(zoneName));
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** Returns the path of the stored text of {@code zoneName}, which may not exist. */
    public Path textFile(String zoneName) {
        return directory.resolve(fileBase(zoneName) + ".zone");
    }

    private Path metaFile(String zoneName) {
        return directory.resolve(fileBase(zoneName) + ".meta");
    }

    private static void moveIntoPlace(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            // Within one directory this happens only on file systems without rename, where the
            // plain move is the best there is.
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /**
     * Returns a file name for a zone: its name in lowercase with every character other than a
     * letter, digit, dot, hyphen or underscore replaced by {@code _}, and {@code root} for the root.
     */
    private static String fileBase(String zoneName) {
        String lower = zoneName.toLowerCase(Locale.ROOT);
        if (lower.isEmpty() || lower.equals(".")) {
            return "root";
        }
        StringBuilder base = new StringBuilder(lower.length());
        for (int i = 0; i < lower.length(); i++) {
            char c = lower.charAt(i);
            boolean safe = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
            base.append(safe ? c : '_');
        }
        // A name such as ".." must not walk out of the directory.
        return base.charAt(0) == '.' ? "_" + base : base.toString();
    }
}
