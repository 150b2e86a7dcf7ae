package dev.rpzgate.bind;

import dev.rpzgate.server.DnsServer;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Asks rpzgate and BIND 9 every question of {@code bind/scenarios.txt} and requires the same
 * answer, or, for a scenario marked {@code expect-differs:}, exactly the differences that
 * {@code bind/known-differences.txt} lists for it. Both servers load the same policy zones and
 * forward to the same upstream; {@link BindComparisonResource} starts named and the upstream.
 *
 * <p>The scenarios run in table order against one rpzgate and one named for the whole class.
 * named caches what the upstream sends, so a scenario can see answers that an earlier one
 * fetched. The comparison ignores the TTLs of such records.
 */
@QuarkusTest
@TestProfile(BindComparisonTest.SameZonesAsBind.class)
class BindComparisonTest {

    /** Time that each server gets to answer. A DROP scenario waits this long once. */
    private static final Duration ANSWER_TIMEOUT = Duration.ofMillis(1500);

    /** Both answers to every scenario, for reading after a run. named's log is beside it. */
    private static final Path ANSWERS = BindComparisonResource.WORK_DIRECTORY.resolve("answers.txt");

    /** Starts the upstream and named before rpzgate, so rpzgate gets their settings. */
    public static class SameZonesAsBind implements QuarkusTestProfile {
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(BindComparisonResource.class));
        }
    }

    @Inject
    DnsServer server;

    static List<Scenario> scenarios() {
        return ScenarioTable.loadScenarios(ScenarioTable.SCENARIOS);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void answersLikeBind(Scenario scenario) throws Exception {
        AnswerComparison comparison = new AnswerComparison(
                new InetSocketAddress("127.0.0.1", server.port()),
                BindComparisonResource.bind().address(),
                new AnswerDiff(BindComparisonResource.ZONES.stream().map(BindComparisonResource.ComparedZone::origin)
                        .toList(), BindComparisonResource.largestMaxPolicyTtlSeconds()),
                ANSWER_TIMEOUT);

        AnswerComparison.Result result = comparison.compare(scenario);
        Files.writeString(ANSWERS, result.report() + "\n", StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);

        if (!scenario.expectsDifference()) {
            assertThat(result.differences()).as(result.report()).isEmpty();
            return;
        }
        Map<String, List<String>> known = ScenarioTable.loadKnownDifferences(ScenarioTable.KNOWN_DIFFERENCES);
        assertThat(known).as("known-differences.txt has no [%s] block for a scenario marked expect-differs:\n%s",
                scenario.key(), result.report()).containsKey(scenario.key());
        assertThat(result.differences())
                .as("the answers differ from BIND in another way than known-differences.txt records "
                        + "(expected because: %s)\n%s", scenario.expectedDifference(), result.report())
                .containsExactlyElementsOf(known.get(scenario.key()));
    }
}
