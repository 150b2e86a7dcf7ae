package dev.rpzgate.config;

import dev.rpzgate.source.ConfiguredZones;
import io.quarkus.runtime.configuration.ConfigurationException;
import io.smallrye.config.SmallRyeConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Start-up lines for invalid settings of {@code rpzgate.policy.zones[N]}. */
class ZoneSettingProblemsTest {

    private static final String FROM_PROPERTIES = " (from PropertiesConfigSource[source=test application.properties])";

    private static List<String> problems(Map<String, String> properties, Map<String, String> environment) {
        SmallRyeConfig config = TestConfigs.build(properties, environment);
        RpzgateConfig mapping = TestConfigs.mapping(config);
        return SettingRanges.problems(mapping, config::getConfigValue, ConfiguredZones.problems(mapping.policy()));
    }

    /** Parses {@code key=value;key=value}, where a value may contain {@code =}. */
    private static Map<String, String> properties(String text) {
        Map<String, String> properties = new HashMap<>();
        for (String entry : text.split(";")) {
            int equals = entry.indexOf('=');
            properties.put(entry.substring(0, equals).strip(), entry.substring(equals + 1).strip());
        }
        return properties;
    }

    @Test
    void validZonesHaveNoProblems() {
        assertThat(problems(properties("rpzgate.policy.zones[0].file=/srv/a.rpz;"
                + "rpzgate.policy.zones[1].url=https://feeds.example/b.txt;rpzgate.policy.zones[1].format=domains;"
                + "rpzgate.policy.zones[1].refresh=10m;rpzgate.policy.zones[2].transfer=192.0.2.53;"
                + "rpzgate.policy.zones[2].origin=xfr;rpzgate.policy.zones[2].retry=1m"), Map.of())).isEmpty();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        // zone settings | property at fault | value | reason
        "file=/srv/a.rpz;refresh=-5s | refresh | -5s | it must be above 0s and at most 2147483647s, such as 10m or 1h",
        "url=https://feeds.example/a.rpz;refresh=0s | refresh | 0s | it must be above 0s and at most 2147483647s, such as 10m or 1h",
        "file=/srv/a.rpz;timeout=-1s | timeout | -1s | it must be above 0s and at most 2147483647s, such as 30s",
        "url=https://feeds.example/a.rpz;max-size=0 | max-size | 0 | it must be 1 byte or more, such as 256M",
        "transfer=192.0.2.53;origin=xfr;retry=-1m | retry | -1m | it must be above 0s and at most 2147483647s, such as 1m or 10m",
        "transfer=192.0.2.53;origin=xfr;expire=0s | expire | 0s | it must be above 0s and at most 2147483647s, such as 7d or 28d",
        "transfer=192.0.2.53;origin=xfr;transfer-timeout=-2h | transfer-timeout | -2h | it must be above 0s and at most 2147483647s, such as 2h",
        "transfer=192.0.2.53;origin=xfr;transfer-max-records=0 | transfer-max-records | 0 | it must be 1 or more; leave it unset for no limit",
        "file=/srv/a.rpz;removal-guard=true;max-removal=1.5 | max-removal | 1.5 | it must be a share above 0 and below 1, such as 0.5 for half of the rules",
        "file=/srv/a.rpz;max-policy-ttl=-5s | max-policy-ttl | -5s | it must be from 0s to 2147483647s",
        "file=/srv/a.txt;format=adblock | format | adblock | unknown format 'adblock'; use rpz, hosts or domains",
        "file=/srv/a.txt;format=domains;action=block | action | block | unknown action 'block'; use nxdomain, nodata, drop, passthru or tcp-only",
        "file=/srv/a.rpz;action=drop | action | drop | applies to the hosts and domains formats only; use policy to replace the actions of an RPZ zone",
        "file=/srv/a.rpz;url=https://feeds.example/a.rpz | url | https://feeds.example/a.rpz | cannot be set together with rpzgate.policy.zones[0].file; set exactly one of file, url, rules or transfer",
        "rules=bad.example CNAME .;transfer=192.0.2.53;origin=xfr | transfer | 192.0.2.53 | cannot be set together with rpzgate.policy.zones[0].rules; set exactly one of file, url, rules or transfer",
        "file=/srv/a.rpz;url=https://feeds.example/a.rpz;rules=bad.example CNAME . | url | https://feeds.example/a.rpz | cannot be set together with rpzgate.policy.zones[0].file and rpzgate.policy.zones[0].rules; set exactly one of file, url, rules or transfer",
        "url=ftp://feeds.example/a.rpz | url | ftp://feeds.example/a.rpz | 'ftp://feeds.example/a.rpz' is not an http or https URL",
        "file=/srv/a.rpz;policy=block | policy | block | invalid policy 'block': expected given, disabled, passthru, drop, nxdomain, nodata, tcp-only, cname NAME, local-data-or-passthru or local-data-or-disabled",
        "file=/srv/a.rpz;ede=loud | ede | loud | invalid ede 'loud': expected none, blocked, censored or filtered",
        "file=/srv/a.rpz;client-cidrs=10.0.0.0/40 | client-cidrs | 10.0.0.0/40 | invalid CIDR '10.0.0.0/40': prefix length must be 0 to 32",
        "file=/srv/a.rpz;retry=1m | retry | 1m | applies to zone transfers only, and this zone is read from file; remove it or set transfer in place of file",
        "transfer=192.0.2.53:0;origin=xfr | transfer | 192.0.2.53:0 | invalid primary '192.0.2.53:0': port 0; give the port the primary listens on, or none for 53",
    })
    void invalidZoneSettingIsOneLine(String settings, String property, String value, String reason) {
        Map<String, String> properties = new HashMap<>();
        properties("rpzgate.policy.zones[0]." + settings.replace(";", ";rpzgate.policy.zones[0].")).forEach(properties::put);

        List<String> problems = problems(properties, Map.of());

        assertThat(problems).containsExactly("invalid value '" + value + "' for rpzgate.policy.zones[0]." + property
                + FROM_PROPERTIES + ": " + reason);
    }

    @Test
    void zoneSettingFromEnvironmentNamesVariable() {
        List<String> problems = problems(properties("rpzgate.policy.zones[0].file=/srv/a.rpz;"
                + "rpzgate.policy.zones[1].url=https://feeds.example/b.rpz"), Map.of("RPZGATE_POLICY_ZONES_1__TIMEOUT", "-3s"));

        assertThat(problems).containsExactly("invalid value '-3s' for rpzgate.policy.zones[1].timeout"
                + " (environment variable RPZGATE_POLICY_ZONES_1__TIMEOUT): it must be above 0s and at most 2147483647s,"
                + " such as 30s");
    }

    @Test
    void zoneWithoutSourceNamesTheZone() {
        List<String> problems = problems(properties("rpzgate.policy.zones[0].file=/srv/a.rpz;"
                + "rpzgate.policy.zones[1].origin=b"), Map.of());

        assertThat(problems).containsExactly("invalid setting rpzgate.policy.zones[1]: no source; set one of file,"
                + " url, rules or transfer");
    }

    @Test
    void everyZoneGetsItsOwnLines() {
        List<String> problems = problems(properties("rpzgate.policy.zones[0].file=/srv/a.rpz;"
                + "rpzgate.policy.zones[0].refresh=-1s;rpzgate.policy.zones[0].timeout=0s;"
                + "rpzgate.policy.zones[1].file=/srv/b.txt;rpzgate.policy.zones[1].format=adblock;"
                + "rpzgate.policy.zones[2].file=/srv/c.rpz"), Map.of());

        assertThat(problems).containsExactly(
                "invalid value '-1s' for rpzgate.policy.zones[0].refresh" + FROM_PROPERTIES
                        + ": it must be above 0s and at most 2147483647s, such as 10m or 1h",
                "invalid value '0s' for rpzgate.policy.zones[0].timeout" + FROM_PROPERTIES
                        + ": it must be above 0s and at most 2147483647s, such as 30s",
                "invalid value 'adblock' for rpzgate.policy.zones[1].format" + FROM_PROPERTIES
                        + ": unknown format 'adblock'; use rpz, hosts or domains");
    }

    @Test
    void everyInvalidValueOfOneZoneGetsALine() {
        List<String> problems = problems(properties("rpzgate.policy.zones[0].file=/srv/a.txt;"
                + "rpzgate.policy.zones[0].url=https://feeds.example/a.txt;rpzgate.policy.zones[0].format=adblock;"
                + "rpzgate.policy.zones[0].policy=block;rpzgate.policy.zones[0].ede=loud;"
                + "rpzgate.policy.zones[0].timeout=0s"), Map.of());

        assertThat(problems).containsExactly(
                "invalid value '0s' for rpzgate.policy.zones[0].timeout" + FROM_PROPERTIES
                        + ": it must be above 0s and at most 2147483647s, such as 30s",
                "invalid value 'https://feeds.example/a.txt' for rpzgate.policy.zones[0].url" + FROM_PROPERTIES
                        + ": cannot be set together with rpzgate.policy.zones[0].file; set exactly one of file, url,"
                        + " rules or transfer",
                "invalid value 'adblock' for rpzgate.policy.zones[0].format" + FROM_PROPERTIES
                        + ": unknown format 'adblock'; use rpz, hosts or domains",
                "invalid value 'block' for rpzgate.policy.zones[0].policy" + FROM_PROPERTIES
                        + ": invalid policy 'block': expected given, disabled, passthru, drop, nxdomain, nodata,"
                        + " tcp-only, cname NAME, local-data-or-passthru or local-data-or-disabled",
                "invalid value 'loud' for rpzgate.policy.zones[0].ede" + FROM_PROPERTIES
                        + ": invalid ede 'loud': expected none, blocked, censored or filtered");
    }

    @Test
    void rangeProblemIsReportedOnce() {
        List<String> problems = problems(properties("rpzgate.policy.zones[0].url=https://feeds.example/a.rpz;"
                + "rpzgate.policy.zones[0].timeout=-1s"), Map.of());

        assertThat(problems).hasSize(1);
        assertThat(problems.get(0)).startsWith("invalid value '-1s' for rpzgate.policy.zones[0].timeout");
    }

    @Test
    void duplicateZoneNameIsReported() {
        List<String> problems = problems(properties("rpzgate.policy.zones[0].file=/srv/a.rpz;"
                + "rpzgate.policy.zones[1].url=https://feeds.example/a.txt"), Map.of());

        assertThat(problems).containsExactly("invalid setting rpzgate.policy.zones[1]: zone name a. is already used by"
                + " rpzgate.policy.zones[0]; give one of them another origin");
    }

    @Test
    void filesAndZonesTogetherIsReported() {
        List<String> problems = problems(properties("rpzgate.policy.files=/srv/a.rpz;"
                + "rpzgate.policy.zones[0].file=/srv/b.rpz"), Map.of());

        assertThat(problems).containsExactly("invalid value '/srv/a.rpz' for rpzgate.policy.files" + FROM_PROPERTIES
                + ": cannot be set together with rpzgate.policy.zones; list every zone in rpzgate.policy.zones instead");
    }

    @Test
    void negativeDefaultPolicyTtlIsReportedOnce() {
        String line = "invalid value '-1s' for rpzgate.policy.max-policy-ttl" + FROM_PROPERTIES
                + ": it must be from 0s to 2147483647s";

        assertThat(problems(properties("rpzgate.policy.max-policy-ttl=-1s;rpzgate.policy.files=/srv/a.rpz"), Map.of()))
                .containsExactly(line);
        assertThat(problems(properties("rpzgate.policy.max-policy-ttl=-1s;rpzgate.policy.zones[0].file=/srv/a.rpz"),
                Map.of())).containsExactly(line);
    }

    @Test
    void invalidFilesEntryIsReported() {
        List<String> problems = problems(properties("rpzgate.policy.files=/srv/.rpz"), Map.of());

        assertThat(problems).containsExactly("invalid value '/srv/.rpz' for rpzgate.policy.files" + FROM_PROPERTIES
                + ": cannot name policy zone file /srv/.rpz after its file name; set the origin with an origin=path"
                + " entry");
    }

    @Test
    void everyInvalidFilesEntryIsReported() {
        List<String> problems = problems(properties("rpzgate.policy.files=/srv/.rpz,/srv/.hosts"), Map.of());

        String value = "invalid value '/srv/.rpz,/srv/.hosts' for rpzgate.policy.files" + FROM_PROPERTIES;
        assertThat(problems).containsExactly(
                value + ": cannot name policy zone file /srv/.rpz after its file name; set the origin with an"
                        + " origin=path entry",
                value + ": cannot name policy zone file /srv/.hosts after its file name; set the origin with an"
                        + " origin=path entry");
    }

    @Test
    void zoneFileWithoutUsableNameAsksForOrigin() {
        List<String> problems = problems(properties("rpzgate.policy.zones[0].file=/srv/.rpz"), Map.of());

        assertThat(problems).containsExactly("invalid setting rpzgate.policy.zones[0].origin: cannot name the zone"
                + " after the file name of /srv/.rpz; set rpzgate.policy.zones[0].origin");
    }

    @Test
    void startupStopsWithoutStackTrace() {
        SmallRyeConfig config = TestConfigs.build(properties("rpzgate.policy.zones[0].file=/srv/a.rpz;"
                + "rpzgate.policy.zones[0].url=https://feeds.example/a.rpz"), Map.of("RPZGATE_POLICY_ZONES_0__REFRESH", "-5s"));

        assertThatThrownBy(() -> StartupConfigCheck.check(TestConfigs.mapping(config), config, Map.of()))
                .isInstanceOf(ConfigurationException.class)
                .hasNoCause()
                .hasMessage("rpzgate cannot start: invalid value '-5s' for rpzgate.policy.zones[0].refresh"
                        + " (environment variable RPZGATE_POLICY_ZONES_0__REFRESH): it must be above 0s and at most"
                        + " 2147483647s, such as 10m or 1h\n"
                        + "rpzgate cannot start: invalid value 'https://feeds.example/a.rpz' for rpzgate.policy.zones[0].url"
                        + FROM_PROPERTIES + ": cannot be set together with rpzgate.policy.zones[0].file; set exactly one"
                        + " of file, url, rules or transfer");
    }
}
