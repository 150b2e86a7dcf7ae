package dev.rpzgate.source;

import dev.rpzgate.policy.ZoneSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.xbill.DNS.Name;

/** Fixtures shared by the loader tests. */
final class TestZones {

    static final Name RPZ_LOCAL = Name.fromConstantString("rpz.local.");
    static final ZoneSettings SETTINGS = new ZoneSettings(Duration.ofSeconds(5));

    private TestZones() {}

    /** Returns the path of a file under src/test/resources/zones. */
    static Path zoneFile(String name) {
        URL url = TestZones.class.getResource("/zones/" + name);
        if (url == null) {
            throw new IllegalArgumentException("test resource zones/" + name + " not found");
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** Returns the 1-based number of the first line of {@code file} that starts with {@code prefix}. */
    static int lineOf(Path file, String prefix) {
        List<String> lines = readLines(file);
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith(prefix)) {
                return i + 1;
            }
        }
        throw new IllegalArgumentException("no line of " + file + " starts with " + prefix);
    }

    /** Returns the 1-based numbers of all lines of {@code file} that start with {@code prefix}. */
    static List<Integer> linesOf(Path file, String prefix) {
        List<String> lines = readLines(file);
        List<Integer> numbers = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith(prefix)) {
                numbers.add(i + 1);
            }
        }
        return numbers;
    }

    static List<String> readLines(Path file) {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
