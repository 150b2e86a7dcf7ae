package dev.rpzgate.config;

import dev.rpzgate.observability.HitLogConfig;
import io.quarkus.runtime.configuration.ConfigurationException;
import io.smallrye.config.SmallRyeConfig;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SettingRangesTest {

    private static List<String> problems(Map<String, String> properties, Map<String, String> environment) {
        SmallRyeConfig config = TestConfigs.build(properties, environment);
        return SettingRanges.problems(TestConfigs.mapping(config), config::getConfigValue);
    }

    @Test
    void defaultsAreValid() {
        assertThat(problems(Map.of(), Map.of())).isEmpty();
    }

    @Test
    void negativeCacheTtlFromEnvironmentNamesVariable() {
        List<String> problems = problems(Map.of(), Map.of("RPZGATE_CACHE_MAX_NEGATIVE_TTL", "-5s"));

        assertThat(problems).containsExactly("invalid value '-5s' for rpzgate.cache.max-negative-ttl"
                + " (environment variable RPZGATE_CACHE_MAX_NEGATIVE_TTL): it must be from 0s to 2147483647s");
    }

    @Test
    void invalidPropertyNamesItsSource() {
        List<String> problems = problems(Map.of("rpzgate.upstream.max-in-flight", "0"), Map.of());

        assertThat(problems).containsExactly("invalid value '0' for rpzgate.upstream.max-in-flight"
                + " (from PropertiesConfigSource[source=test application.properties]): it must be 1 or more");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "rpzgate.cache.max-size                    | 0      | 1 byte or more, such as 64M",
        "rpzgate.cache.min-ttl                     | -1s    | from 0s to 2147483647s",
        "rpzgate.cache.max-ttl                     | -1s    | from 0s to 2147483647s",
        "rpzgate.cache.max-negative-ttl            | -PT1H  | from 0s to 2147483647s",
        "rpzgate.cache.max-negative-ttl            | 2147483648s | from 0s to 2147483647s",
        "rpzgate.cache.prefetch.min-hits           | 0      | 1 or more; rpzgate.cache.prefetch.enabled=false turns prefetch off",
        "rpzgate.cache.serve-stale.max-staleness   | -1s    | from 0s to 2147483647s",
        "rpzgate.cache.serve-stale.answer-ttl      | -1s    | from 0s to 2147483647s",
        "rpzgate.cache.serve-stale.failure-recheck | -1s    | from 0s to 2147483647s",
        "rpzgate.upstream.timeout                  | 0s     | above 0s and at most 2147483647s, such as 500ms or 2s",
        "rpzgate.upstream.query-timeout            | -2s    | above 0s and at most 2147483647s, such as 500ms or 2s",
        "rpzgate.upstream.queue-timeout            | -1ms   | from 0s to 2147483647s",
        "rpzgate.upstream.max-in-flight            | -3     | 1 or more",
        "rpzgate.upstream.max-queued               | -1     | 0 or more",
        "rpzgate.upstream.health.max-failures      | 0      | 1 or more",
        "rpzgate.upstream.health.probe-interval    | 0s     | above 0s and at most 2147483647s, such as 500ms or 2s",
        "rpzgate.upstream.tls.idle-timeout         | 0s     | above 0s and at most 2147483647s, such as 500ms or 2s",
        "rpzgate.tcp.idle-timeout                  | -10s   | above 0s and at most 2147483647s, such as 500ms or 2s",
        "rpzgate.policy.max-policy-ttl             | -5s    | from 0s to 2147483647s",
        "rpzgate.policy.zones[0].max-policy-ttl    | -5s    | from 0s to 2147483647s",
    })
    void outOfRangeSettingIsReported(String property, String value, String allowed) {
        List<String> problems = problems(Map.of(property, value), Map.of());

        assertThat(problems).containsExactly("invalid value '" + value + "' for " + property
                + " (from PropertiesConfigSource[source=test application.properties]): it must be " + allowed);
    }

    @Test
    void boundaryValuesAreValid() {
        assertThat(problems(Map.of(
                "rpzgate.cache.min-ttl", "0s",
                "rpzgate.cache.max-ttl", "2147483647s",
                "rpzgate.cache.max-negative-ttl", "0s",
                "rpzgate.cache.prefetch.min-hits", "1",
                "rpzgate.cache.serve-stale.max-staleness", "0s",
                "rpzgate.upstream.queue-timeout", "0s",
                "rpzgate.upstream.max-queued", "0",
                "rpzgate.upstream.max-in-flight", "1",
                "rpzgate.upstream.timeout", "1ms",
                "rpzgate.policy.max-policy-ttl", "0s"), Map.of())).isEmpty();
    }

    @Test
    void minTtlAboveMaxTtlIsReported() {
        List<String> problems = problems(Map.of("rpzgate.cache.min-ttl", "2h", "rpzgate.cache.max-ttl", "1h"), Map.of());

        assertThat(problems).containsExactly("invalid value '2h' for rpzgate.cache.min-ttl"
                + " (from PropertiesConfigSource[source=test application.properties]): it must be at most rpzgate.cache.max-ttl ('1h')");
    }

    @Test
    void hitLogQueueSizeMustBePositive() {
        SmallRyeConfig config = TestConfigs.build(Map.of(), Map.of("RPZGATE_HIT_LOG_QUEUE_SIZE", "0"));

        assertThatThrownBy(() -> StartupConfigCheck.check(TestConfigs.mapping(config), config, Map.of()))
                .isInstanceOf(ConfigurationException.class)
                .hasMessage("rpzgate cannot start: invalid value '0' for rpzgate.hit-log.queue-size"
                        + " (environment variable RPZGATE_HIT_LOG_QUEUE_SIZE): it must be 1 or more");
    }

    @Test
    void hitLogFileInMissingDirectoryIsRejected(@TempDir Path directory) {
        Path file = directory.resolve("missing/hits.jsonl");
        SmallRyeConfig config = TestConfigs.build(Map.of(), Map.of("RPZGATE_HIT_LOG_FILE", file.toString()));

        assertThatThrownBy(() -> StartupConfigCheck.check(TestConfigs.mapping(config), config, Map.of()))
                .isInstanceOf(ConfigurationException.class)
                .hasMessage("rpzgate cannot start: invalid value '" + file + "' for rpzgate.hit-log.file"
                        + " (environment variable RPZGATE_HIT_LOG_FILE): it must be a file in an existing directory;"
                        + " create " + directory.resolve("missing") + " first");
    }

    @Test
    void hitLogFileThatIsDirectoryIsRejected(@TempDir Path directory) {
        SmallRyeConfig config = TestConfigs.build(Map.of("rpzgate.hit-log.file", directory.toString()), Map.of());

        assertThat(SettingRanges.problems(config.getConfigMapping(HitLogConfig.class), config::getConfigValue))
                .containsExactly("invalid value '" + directory + "' for rpzgate.hit-log.file"
                        + " (from PropertiesConfigSource[source=test application.properties]): it must be a file,"
                        + " not a directory");
    }

    @Test
    void hitLogFileWithInvalidPathIsReported() {
        SmallRyeConfig config = TestConfigs.build(Map.of("rpzgate.hit-log.file", "hits\u0000.jsonl"), Map.of());

        assertThat(SettingRanges.problems(config.getConfigMapping(HitLogConfig.class), config::getConfigValue))
                .containsExactly("invalid value 'hits\u0000.jsonl' for rpzgate.hit-log.file"
                        + " (from PropertiesConfigSource[source=test application.properties]): it must be a valid"
                        + " file path; Nul character not allowed");
    }

    @Test
    void hitLogFileSkippedWhenOff(@TempDir Path directory) {
        SmallRyeConfig config = TestConfigs.build(Map.of("rpzgate.hit-log.file", directory.toString(),
                "rpzgate.hit-log.enabled", "false"), Map.of());

        assertThat(SettingRanges.problems(config.getConfigMapping(HitLogConfig.class), config::getConfigValue))
                .isEmpty();
    }

    @Test
    void newHitLogFileIsValid(@TempDir Path directory) {
        SmallRyeConfig config = TestConfigs.build(
                Map.of("rpzgate.hit-log.file", directory.resolve("hits.jsonl").toString()), Map.of());

        assertThat(SettingRanges.problems(config.getConfigMapping(HitLogConfig.class), config::getConfigValue))
                .isEmpty();
        assertThat(directory.resolve("hits.jsonl")).as("the check creates nothing").doesNotExist();
    }

    @ParameterizedTest
    @CsvSource({
            "RPZGATE_HIT_LOG_ENABLED, ture, rpzgate.hit-log.enabled",
            "RPZGATE_CACHE_ENABLED, maybe, rpzgate.cache.enabled",
            "RPZGATE_CACHE_SERVE_STALE_ENABLED, flase, rpzgate.cache.serve-stale.enabled",
            "RPZGATE_OPERATOR_ENABLED, auto, rpzgate.operator.enabled",
            "RPZGATE_POLICY_ZONES_1__LOG, maybe, rpzgate.policy.zones[1].log",
            "RPZGATE_POLICY_ZONES_1__SUBDOMAINS, yes please, rpzgate.policy.zones[1].subdomains",
    })
    void booleanTypoIsRejected(String variable, String value, String property) {
        SmallRyeConfig config = TestConfigs.build(Map.of("rpzgate.policy.zones[0].file", "a.zone",
                "rpzgate.policy.zones[1].file", "b.zone"), Map.of(variable, value));

        assertThat(booleanProblems(config)).containsExactly("invalid value '" + value + "' for " + property
                + " (environment variable " + variable + "): it must be true or false");
    }

    @ParameterizedTest
    @CsvSource({"true", "FALSE", "yes", "No", "on", "off", "1", "0", "y", "N"})
    void booleanWordsAreValid(String value) {
        SmallRyeConfig config = TestConfigs.build(Map.of("rpzgate.policy.zones[0].file", "a.zone",
                "rpzgate.policy.zones[0].log", value, "rpzgate.hit-log.enabled", value), Map.of());

        assertThat(booleanProblems(config)).isEmpty();
    }

    private static List<String> booleanProblems(SmallRyeConfig config) {
        return SettingRanges.booleanProblems(StartupConfigCheck.MAPPINGS, config::getIndexedPropertiesIndexes,
                config::getConfigValue);
    }

    @Test
    void everyInvalidSettingGetsItsOwnLine() {
        SmallRyeConfig config = TestConfigs.build(Map.of("rpzgate.cache.min-ttl", "-1s"),
                Map.of("RPZGATE_UPSTREAM_TIMEOUT", "0s"));

        assertThatThrownBy(() -> StartupConfigCheck.check(TestConfigs.mapping(config), config, Map.of()))
                .isInstanceOf(ConfigurationException.class)
                .hasNoCause()
                .hasMessage("rpzgate cannot start: invalid value '-1s' for rpzgate.cache.min-ttl"
                        + " (from PropertiesConfigSource[source=test application.properties]): it must be from 0s to 2147483647s\n"
                        + "rpzgate cannot start: invalid value '0s' for rpzgate.upstream.timeout"
                        + " (environment variable RPZGATE_UPSTREAM_TIMEOUT): it must be above 0s and at most"
                        + " 2147483647s, such as 500ms or 2s");
    }
}
