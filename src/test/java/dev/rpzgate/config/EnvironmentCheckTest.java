package dev.rpzgate.config;

import dev.rpzgate.testing.LogCapture;
import dev.rpzgate.upstream.Selection;
import io.smallrye.config.ConfigMappings;
import io.smallrye.config.SmallRyeConfig;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class EnvironmentCheckTest {

    private static final EnvironmentCheck CHECK = EnvironmentCheck.of(StartupConfigCheck.MAPPINGS);

    private static List<String> warnings(Map<String, String> environment) {
        return CHECK.warnings(environment);
    }

    @Test
    void misspeltVariableGetsSuggestion() {
        assertThat(warnings(Map.of("RPZGATE_UPSTREAM", "10.0.0.2"))).containsExactly(
                "environment variable RPZGATE_UPSTREAM sets no rpzgate setting and is ignored;"
                        + " did you mean RPZGATE_UPSTREAMS?");
    }

    @Test
    void misspeltNestedVariableGetsSuggestion() {
        assertThat(warnings(Map.of("RPZGATE_CACHE_MAX_NEGATIV_TTL", "5m"))).containsExactly(
                "environment variable RPZGATE_CACHE_MAX_NEGATIV_TTL sets no rpzgate setting and is ignored;"
                        + " did you mean RPZGATE_CACHE_MAX_NEGATIVE_TTL?");
    }

    @Test
    void unrelatedVariableGetsNoSuggestion() {
        assertThat(warnings(Map.of("RPZGATE_HOME", "/opt/rpzgate"))).containsExactly(
                "environment variable RPZGATE_HOME sets no rpzgate setting and is ignored;"
                        + " docs/configuration.md lists the variables");
    }

    @Test
    void singleUnderscoreAfterIndexGetsSuggestion() {
        // SmallRye Config reads forward-zones[3].name only from _3__NAME, with two underscores.
        assertThat(warnings(Map.of("RPZGATE_FORWARD_ZONES_3_NAME", "cluster.local"))).containsExactly(
                "environment variable RPZGATE_FORWARD_ZONES_3_NAME sets no rpzgate setting and is ignored;"
                        + " did you mean RPZGATE_FORWARD_ZONES_3__NAME?");
    }

    @Test
    void misspeltIndexedVariableKeepsItsIndex() {
        assertThat(warnings(Map.of("RPZGATE_POLICY_ZONES_12__ORIGN", "blocklist"))).containsExactly(
                "environment variable RPZGATE_POLICY_ZONES_12__ORIGN sets no rpzgate setting and is ignored;"
                        + " did you mean RPZGATE_POLICY_ZONES_12__ORIGIN?");
    }

    @Test
    void knownVariablesDoNotWarn() {
        Map<String, String> environment = new HashMap<>();
        for (String variable : List.of("RPZGATE_UPSTREAMS", "RPZGATE_UPSTREAMS_0_", "RPZGATE_LISTEN",
                "RPZGATE_CACHE_SERVE_STALE_MAX_STALENESS", "RPZGATE_OPERATOR_ENABLED", "RPZGATE_HIT_LOG_FILE",
                "RPZGATE_FORWARD_ZONES_0__NAME", "RPZGATE_FORWARD_ZONES_0__UPSTREAMS",
                "RPZGATE_FORWARD_ZONES_0__UPSTREAMS_1_", "RPZGATE_FORWARD_ZONES_11__SELECTION",
                "RPZGATE_POLICY_ZONES_0__FILE", "RPZGATE_POLICY_ZONES_2__TSIG_SECRET",
                "RPZGATE_POLICY_ZONES_0__CLIENT_CIDRS", "RPZGATE_POLICY_ZONES_0__CLIENT_CIDRS_3_",
                "rpzgate_forward_zones_1__name", "PATH", "QUARKUS_LOG_LEVEL")) {
            environment.put(variable, "x");
        }

        assertThat(warnings(environment)).isEmpty();
    }

    @Test
    void mapKeyMatchesAnyName() {
        EnvironmentCheck check = EnvironmentCheck.of(List.of(new ConfigMappings.ConfigClass(WithMap.class, "rpzgate")));

        assertThat(check.warnings(Map.of("RPZGATE_LABELS_TEAM", "dns", "RPZGATE_LABELS__COST_CENTER_", "7",
                "RPZGATE_GROUPS_EDGE_TIMEOUT", "1s"))).isEmpty();
        assertThat(check.warnings(Map.of("RPZGATE_LABEL_TEAM", "dns"))).hasSize(1);
    }

    /** A mapping with map properties, which rpzgate's own mappings do not have yet. */
    @io.smallrye.config.ConfigMapping(prefix = "rpzgate")
    interface WithMap {
        Map<String, String> labels();

        Map<String, Group> groups();

        interface Group {
            Duration timeout();
        }
    }

    /** Misspelt variables that docs/configuration.md shows as examples of what warns. */
    private static final List<String> WRONG_ON_PURPOSE = List.of("RPZGATE_UPSTREAM", "RPZGATE_FORWARD_ZONES_0_NAME");

    @Test
    void everyVariableInDocsAndChartIsKnown() throws IOException {
        Pattern variable = Pattern.compile("\\bRPZGATE_[A-Z0-9_]+");
        Map<String, String> found = new HashMap<>();
        List<Path> roots = List.of(Path.of("README.md"), Path.of("docs"), Path.of("helm"), Path.of("k8s"),
                Path.of("examples"), Path.of("rpzgate"));
        for (Path root : roots) {
            if (!Files.exists(root)) {
                continue;
            }
            try (Stream<Path> files = Files.walk(root)) {
                for (Path file : files.filter(Files::isRegularFile).toList()) {
                    Matcher matcher = variable.matcher(Files.readString(file));
                    while (matcher.find()) {
                        // The index placeholder N of docs/configuration.md stands for a number.
                        String name = matcher.group().replace("_N_", "_0_");
                        if (!name.endsWith("__") && !WRONG_ON_PURPOSE.contains(name)) {
                            found.put(name, file.toString());
                        }
                    }
                }
            }
        }

        assertThat(found).containsKeys("RPZGATE_UPSTREAMS", "RPZGATE_CACHE_MAX_NEGATIVE_TTL",
                "RPZGATE_FORWARD_ZONES_0__NAME", "RPZGATE_POLICY_ZONES_1__URL");
        assertThat(warnings(found)).isEmpty();
    }

    @Test
    void warningsAreLoggedAtStartup() {
        SmallRyeConfig config = TestConfigs.build(Map.of(), Map.of());
        List<String> lines;
        try (LogCapture log = LogCapture.start(StartupConfigCheck.class.getName())) {
            StartupConfigCheck.check(TestConfigs.mapping(config), config,
                    Map.of("RPZGATE_UPSTREAM", "10.0.0.2", "RPZGATE_LISTEN", "127.0.0.1:53"));
            lines = log.lines();
        }

        assertThat(lines).containsExactly("environment variable RPZGATE_UPSTREAM sets no rpzgate setting and is"
                + " ignored; did you mean RPZGATE_UPSTREAMS?");
    }

    @Test
    void indexedPropertiesReadFromEnvironment() {
        Map<String, String> environment = Map.of(
                "RPZGATE_FORWARD_ZONES_0__NAME", "cluster.local",
                "RPZGATE_FORWARD_ZONES_0__UPSTREAMS", "10.96.0.10,10.96.0.11",
                "RPZGATE_FORWARD_ZONES_1__NAME", "corp.example",
                "RPZGATE_FORWARD_ZONES_1__UPSTREAMS", "10.1.0.53",
                "RPZGATE_FORWARD_ZONES_1__SELECTION", "random",
                "RPZGATE_POLICY_ZONES_0__FILE", "/etc/rpzgate/local.rpz",
                "RPZGATE_POLICY_ZONES_0__MAX_POLICY_TTL", "10s",
                "RPZGATE_POLICY_ZONES_1__URL", "https://feeds.example/urlhaus.rpz",
                "RPZGATE_POLICY_ZONES_1__CLIENT_CIDRS", "10.0.0.0/8,192.168.0.0/16");

        RpzgateConfig config = TestConfigs.mapping(TestConfigs.build(Map.of(), environment));

        List<RpzgateConfig.ForwardZone> forwardZones = config.forwardZones().orElseThrow();
        assertThat(forwardZones).hasSize(2);
        assertThat(forwardZones.get(0).name()).isEqualTo("cluster.local");
        assertThat(forwardZones.get(0).upstreams()).containsExactly("10.96.0.10", "10.96.0.11");
        assertThat(forwardZones.get(0).selection()).isEmpty();
        assertThat(forwardZones.get(1).name()).isEqualTo("corp.example");
        assertThat(forwardZones.get(1).selection()).contains(Selection.RANDOM);
        List<RpzgateConfig.Zone> zones = config.policy().zones().orElseThrow();
        assertThat(zones).hasSize(2);
        assertThat(zones.get(0).file()).contains("/etc/rpzgate/local.rpz");
        assertThat(zones.get(0).maxPolicyTtl()).contains(Duration.ofSeconds(10));
        assertThat(zones.get(1).url()).contains("https://feeds.example/urlhaus.rpz");
        assertThat(zones.get(1).clientCidrs().orElseThrow()).containsExactly("10.0.0.0/8", "192.168.0.0/16");
        assertThat(warnings(environment)).isEmpty();
    }

    @Test
    void singleUnderscoreAfterIndexIsNotRead() {
        Map<String, String> environment = Map.of(
                "RPZGATE_FORWARD_ZONES_0_NAME", "cluster.local",
                "RPZGATE_FORWARD_ZONES_0_UPSTREAMS", "10.96.0.10");

        RpzgateConfig config = TestConfigs.mapping(TestConfigs.build(Map.of(), environment));

        assertThat(config.forwardZones()).isEmpty();
        assertThat(warnings(environment)).hasSize(2);
    }

    @Test
    void indexedListEntriesReplaceCommaList() {
        Map<String, String> environment = Map.of(
                "RPZGATE_UPSTREAMS", "10.0.0.1",
                "RPZGATE_UPSTREAMS_0_", "10.0.0.2",
                "RPZGATE_UPSTREAMS_1_", "10.0.0.3");

        RpzgateConfig config = TestConfigs.mapping(TestConfigs.build(Map.of(), environment));

        assertThat(config.upstreams().orElseThrow()).containsExactly("10.0.0.2", "10.0.0.3");
    }

    @Test
    void everyPropertyHasAVariablePattern() {
        TreeSet<String> names = new TreeSet<>();
        for (ConfigMappings.ConfigClass mapping : StartupConfigCheck.MAPPINGS) {
            names.addAll(ConfigMappings.getProperties(mapping).keySet());
        }

        assertThat(names).contains("rpzgate.forward-zones[*].name", "rpzgate.policy.zones[*].file",
                "rpzgate.operator.enabled");
        assertThat(EnvironmentCheck.variablePattern("rpzgate.forward-zones[*].upstreams[*]"))
                .isEqualTo("RPZGATE_FORWARD_ZONES_[0-9]+__UPSTREAMS_[0-9]+_");
    }
}
