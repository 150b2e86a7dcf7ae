package dev.rpzgate.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates the published feeds and query lists kept beside the repository, outside it. The
 * directory is the system property {@code shared.data}, else the first {@code shared/data}
 * found walking up from the working directory.
 */
public final class SharedData {

    private SharedData() {
    }

    /** Returns the data directory, or null when there is none. */
    public static Path find() {
        String property = System.getProperty("shared.data");
        if (property != null && !property.isBlank()) {
            Path data = Path.of(property);
            return Files.isDirectory(data.resolve("feeds")) ? data : null;
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path data = dir.resolve("shared").resolve("data");
            if (Files.isDirectory(data.resolve("feeds"))) {
                return data;
            }
        }
        return null;
    }
}
