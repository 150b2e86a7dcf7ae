package dev.rpzgate.bind;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the scenario table and the known differences from the test class path.
 *
 * <p>The scenario table has one {@link Scenario} a line; blank lines and lines starting with
 * {@code #} are skipped. The known differences file holds, for each scenario marked
 * {@code expect-differs:}, the exact lines that {@link AnswerDiff} prints for it, under a header
 * line {@code [scenario key]}.
 */
public final class ScenarioTable {

    /** Class-path location of the scenario table. */
    public static final String SCENARIOS = "/bind/scenarios.txt";

    /** Class-path location of the expected differences of the deviating scenarios. */
    public static final String KNOWN_DIFFERENCES = "/bind/known-differences.txt";

    private ScenarioTable() {
    }

    /**
     * Returns the scenarios of the table at {@code resource}, in file order.
     *
     * @throws IllegalArgumentException if a line is invalid or two lines have the same key
     */
    public static List<Scenario> loadScenarios(String resource) {
        List<Scenario> scenarios = new ArrayList<>();
        Set<String> keys = new HashSet<>();
        List<String> lines = readLines(resource);
        for (int index = 0; index < lines.size(); index++) {
            String line = lines.get(index).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            Scenario scenario = Scenario.parse(line, index + 1);
            if (!keys.add(scenario.key())) {
                throw new IllegalArgumentException(resource + " line " + (index + 1)
                        + " repeats the scenario \"" + scenario.key() + "\"; give each question once");
            }
            scenarios.add(scenario);
        }
        return scenarios;
    }

    /**
     * Returns the expected difference lines by scenario key, in file order.
     *
     * @throws IllegalArgumentException if a difference line comes before the first header or a
     *     header repeats
     */
    public static Map<String, List<String>> loadKnownDifferences(String resource) {
        Map<String, List<String>> differences = new LinkedHashMap<>();
        List<String> current = null;
        List<String> lines = readLines(resource);
        for (int index = 0; index < lines.size(); index++) {
            String line = lines.get(index).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            if (line.startsWith("[") && line.endsWith("]")) {
                String key = line.substring(1, line.length() - 1).strip();
                current = new ArrayList<>();
                if (differences.put(key, current) != null) {
                    throw new IllegalArgumentException(resource + " line " + (index + 1) + " repeats [" + key + "]");
                }
                continue;
            }
            if (current == null) {
                throw new IllegalArgumentException(resource + " line " + (index + 1)
                        + " comes before the first [scenario key] header: " + line);
            }
            current.add(line);
        }
        return differences;
    }

    private static List<String> readLines(String resource) {
        InputStream stream = ScenarioTable.class.getResourceAsStream(resource);
        if (stream == null) {
            throw new IllegalArgumentException(resource + " was not found on the test class path");
        }
        List<String> lines = new ArrayList<>();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                lines.add(line);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resource, e);
        }
        return lines;
    }
}
