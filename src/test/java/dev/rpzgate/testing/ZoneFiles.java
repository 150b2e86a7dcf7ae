package dev.rpzgate.testing;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Helpers for end-to-end tests that keep a policy zone file in a temporary directory and edit it. */
public final class ZoneFiles {

    /** Text that a test streams into a zone file, so large zones need not be built as one string. */
    @FunctionalInterface
    public interface Content {
        void writeTo(Writer out) throws IOException;
    }

    private ZoneFiles() {
    }

    /** Creates a new temporary directory without a checked exception, so a static initializer can call it. */
    public static Path createDirectory(String prefix) {
        try {
            return Files.createTempDirectory(prefix);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Builds an RPZ zone with the given SOA serial and one NXDOMAIN rule ({@code CNAME .}) per name. */
    public static String rpzZone(long serial, String... names) {
        StringBuilder text = new StringBuilder("$TTL 60\n@ SOA localhost. root.localhost. " + serial
                + " 3600 600 86400 60\n");
        for (String name : names) {
            text.append(name).append(" CNAME .\n");
        }
        return text.toString();
    }

    /** Writes {@code text} to {@code file} in place, for the first version written before rpzgate starts. */
    public static void write(Path file, String text) {
        try {
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Replaces {@code file} with {@code text} by rename, as editors and ConfigMap updates do. */
    public static void replace(Path file, String text) {
        replace(file, out -> out.write(text));
    }

    /**
     * Replaces {@code file} by writing a sibling and renaming it over the file, so a watcher never reads a
     * half-written version.
     */
    public static void replace(Path file, Content content) {
        Path temporary = file.resolveSibling(file.getFileName() + ".new");
        try {
            try (BufferedWriter out = Files.newBufferedWriter(temporary)) {
                content.writeTo(out);
            }
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
