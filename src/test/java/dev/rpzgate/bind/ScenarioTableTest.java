package dev.rpzgate.bind;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.xbill.DNS.Name;
import org.xbill.DNS.Type;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Checks the scenario syntax and that the scenario table and the known differences agree. */
class ScenarioTableTest {

    @Test
    void lineWithoutOptionsUsesDigDefaults() {
        Scenario scenario = Scenario.parse("nx-exact.test A   # exact rule", 7);

        assertThat(scenario.key()).isEqualTo("nx-exact.test A");
        assertThat(scenario.line()).isEqualTo(7);
        assertThat(scenario.qname()).isEqualTo(Name.fromConstantString("nx-exact.test."));
        assertThat(scenario.qtype()).isEqualTo(Type.A);
        assertThat(scenario.tcp()).isFalse();
        assertThat(scenario.source().getHostAddress()).isEqualTo("127.0.0.1");
        assertThat(scenario.edns()).isTrue();
        assertThat(scenario.dnssecOk()).isFalse();
        assertThat(scenario.recursionDesired()).isTrue();
        assertThat(scenario.expectsDifference()).isFalse();
        assertThat(scenario.description()).isEqualTo("exact rule");
    }

    @Test
    void optionsAndExpectedDifferenceAreRead() {
        Scenario scenario = Scenario.parse(
                "Local.Test  aaaa tcp src=127.0.0.2 do nord expect-differs: BIND does X  # what it checks", 3);

        assertThat(scenario.key()).isEqualTo("Local.Test aaaa tcp src=127.0.0.2 do nord");
        assertThat(scenario.qname().toString()).isEqualTo("Local.Test.");
        assertThat(scenario.qtype()).isEqualTo(Type.AAAA);
        assertThat(scenario.tcp()).isTrue();
        assertThat(scenario.source().getHostAddress()).isEqualTo("127.0.0.2");
        assertThat(scenario.dnssecOk()).isTrue();
        assertThat(scenario.recursionDesired()).isFalse();
        assertThat(scenario.expectedDifference()).isEqualTo("BIND does X");
        assertThat(scenario.description()).isEqualTo("what it checks");
    }

    @Test
    void noednsLeavesOptOut() {
        Scenario scenario = Scenario.parse("a.test TXT noedns", 1);

        assertThat(scenario.edns()).isFalse();
    }

    @Test
    void invalidLinesAreRejectedWithTheirNumber() {
        assertThatThrownBy(() -> Scenario.parse("a.test", 4)).hasMessageContaining("line 4");
        assertThatThrownBy(() -> Scenario.parse("a.test NOTATYPE", 5)).hasMessageContaining("unknown type");
        assertThatThrownBy(() -> Scenario.parse("a.test A udp", 6)).hasMessageContaining("unknown option udp");
        assertThatThrownBy(() -> Scenario.parse("a.test A do noedns", 7)).hasMessageContaining("exclude");
        assertThatThrownBy(() -> Scenario.parse("a.test A expect-differs:   # x", 8)).hasMessageContaining("reason");
    }

    @Test
    void sourceMustBeLoopbackLiteral() {
        assertThatThrownBy(() -> Scenario.parse("a.test A src=192.0.2.1", 1)).hasMessageContaining("127.0.0.0/8");
        assertThatThrownBy(() -> Scenario.parse("a.test A src=localhost", 1)).hasMessageContaining("127.0.0.0/8");
        assertThatThrownBy(() -> Scenario.parse("a.test A src=127.0.0.256", 1)).hasMessageContaining("127.0.0.0/8");
    }

    @Test
    void tableHasAtLeastOneHundredScenarios() {
        List<Scenario> scenarios = ScenarioTable.loadScenarios(ScenarioTable.SCENARIOS);

        assertThat(scenarios).hasSizeGreaterThanOrEqualTo(100);
    }

    @Test
    void everyExpectedDifferenceIsRecorded() {
        Set<String> deviating = ScenarioTable.loadScenarios(ScenarioTable.SCENARIOS).stream()
                .filter(Scenario::expectsDifference)
                .map(Scenario::key)
                .collect(Collectors.toSet());
        Map<String, List<String>> known = ScenarioTable.loadKnownDifferences(ScenarioTable.KNOWN_DIFFERENCES);

        assertThat(known.keySet())
                .as("blocks in known-differences.txt must match the scenarios marked expect-differs:")
                .containsExactlyInAnyOrderElementsOf(deviating);
        assertThat(known.values()).as("a block lists at least one difference").allSatisfy(
                lines -> assertThat(lines).isNotEmpty());
    }
}
