package dev.rpzgate.config;

import dev.rpzgate.observability.HitLogConfig;
import io.smallrye.config.ConfigMappings;
import io.smallrye.config.ConfigMappingInterface.Property;
import io.smallrye.config.ConfigValue;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Checks that the numeric settings of {@link RpzgateConfig} are in range, so that start-up can
 * reject a bad value with one line naming the property, its value and the range, before any
 * component is built from it. SmallRye Config converts {@code -5s} to a negative duration without
 * complaint, and a component that checked its settings itself failed deep inside bean creation.
 *
 * <p>The numeric settings of each zone, {@code rpzgate.policy.zones[N].refresh} and the like, are
 * checked here too, whatever the zone's source. The other per-zone settings are checked where the
 * zone is read, which throws {@link InvalidSettingException}; {@link #problems(RpzgateConfig, Function, List)}
 * words those problems the same way.
 */
public final class SettingRanges {

    /** Largest TTL a DNS record may carry (RFC 2181 section 8), also the bound of every duration here. */
    static final long MAX_SECONDS = Integer.MAX_VALUE;

    /** The words SmallRye Config's boolean converter reads as true, and their opposites. */
    private static final Set<String> BOOLEAN_WORDS = Set.of("true", "false", "yes", "no", "on", "off", "y", "n",
            "1", "0");

    private final Function<String, ConfigValue> rawValues;
    private final List<String> problems = new ArrayList<>();
    private final Set<String> reported = new HashSet<>();

    private SettingRanges(Function<String, ConfigValue> rawValues) {
        this.rawValues = rawValues;
    }

    /**
     * Returns one line per setting out of range, empty when every setting is valid.
     *
     * @param rawValues the value of a property as written and where it came from, such as
     *                  {@code SmallRyeConfig::getConfigValue}, for the message
     */
    public static List<String> problems(RpzgateConfig config, Function<String, ConfigValue> rawValues) {
        return problems(config, rawValues, List.of());
    }

    /**
     * Returns one line per setting out of range and one per {@code invalidSettings}, empty when
     * there are none. An invalid setting whose property is already reported as out of range is left
     * out, because the zone reader checks some of the same ranges.
     *
     * @param rawValues       the value of a property as written and where it came from, such as
     *                        {@code SmallRyeConfig::getConfigValue}, for the message
     * @param invalidSettings problems found by reading the settings, such as an unknown zone format
     */
    public static List<String> problems(RpzgateConfig config, Function<String, ConfigValue> rawValues,
                                        List<InvalidSettingException> invalidSettings) {
        SettingRanges check = new SettingRanges(rawValues);
        check.cache(config.cache());
        check.upstream(config.upstream());
        check.positive("rpzgate.tcp.idle-timeout", config.tcp().idleTimeout());
        check.notNegative("rpzgate.policy.max-policy-ttl", config.policy().maxPolicyTtl());
        List<RpzgateConfig.Zone> zones = config.policy().zones().orElse(List.of());
        for (int i = 0; i < zones.size(); i++) {
            check.zone("rpzgate.policy.zones[" + i + "]", zones.get(i));
        }
        // Only the range problems mask a reader's problem: two reader problems of one property, such
        // as two invalid entries of rpzgate.policy.files, are both reported.
        Set<String> outOfRange = Set.copyOf(check.reported);
        for (InvalidSettingException invalid : invalidSettings) {
            if (!outOfRange.contains(invalid.property())) {
                check.report(invalid);
            }
        }
        return List.copyOf(check.problems);
    }

    /** Returns one line per policy-hit log setting out of range, empty when every setting is valid. */
    public static List<String> problems(HitLogConfig hitLog, Function<String, ConfigValue> rawValues) {
        SettingRanges check = new SettingRanges(rawValues);
        check.atLeast("rpzgate.hit-log.queue-size", hitLog.queueSize(), 1);
        if (hitLog.enabled()) {
            hitLog.file().ifPresent(file -> check.writableFile("rpzgate.hit-log.file", file));
        }
        return List.copyOf(check.problems);
    }

    /**
     * Returns one line per boolean setting of {@code mappings} whose value is not a boolean word.
     * SmallRye Config reads every word other than true, yes, on, y and 1 as false, so a typo such as
     * {@code ture} would silently turn a feature like the policy-hit log off.
     *
     * @param indexes the indexes in use of an indexed property such as {@code rpzgate.policy.zones},
     *                such as {@code SmallRyeConfig::getIndexedPropertiesIndexes}
     */
    public static List<String> booleanProblems(List<ConfigMappings.ConfigClass> mappings,
                                               Function<String, List<Integer>> indexes,
                                               Function<String, ConfigValue> rawValues) {
        SettingRanges check = new SettingRanges(rawValues);
        for (ConfigMappings.ConfigClass mapping : mappings) {
            for (Map.Entry<String, Property> property : ConfigMappings.getProperties(mapping).entrySet()) {
                if (isBoolean(property.getValue())) {
                    for (String name : expandIndexes(property.getKey(), indexes)) {
                        check.booleanWord(name);
                    }
                }
            }
        }
        return List.copyOf(check.problems);
    }

    private static boolean isBoolean(Property property) {
        Property value = property.isOptional() ? property.asOptional().getNestedProperty() : property;
        if (value.isPrimitive()) {
            return value.asPrimitive().getPrimitiveType() == boolean.class;
        }
        if (!value.isLeaf()) {
            return false;
        }
        Class<?> type = value.asLeaf().getValueRawType();
        return type == boolean.class || type == Boolean.class;
    }

    /** Returns {@code name} with each {@code [*]} replaced by every index in use, in order. */
    private static List<String> expandIndexes(String name, Function<String, List<Integer>> indexes) {
        int star = name.indexOf("[*]");
        if (star < 0) {
            return List.of(name);
        }
        List<String> names = new ArrayList<>();
        String list = name.substring(0, star);
        for (int index : indexes.apply(list)) {
            names.addAll(expandIndexes(list + "[" + index + "]" + name.substring(star + 3), indexes));
        }
        return names;
    }

    /** Checks that {@code path} can be appended to or created, without creating it. */
    private void writableFile(String property, String path) {
        Path file;
        try {
            file = Path.of(path);
        } catch (InvalidPathException e) {
            report(property, "a valid file path; " + e.getReason());
            return;
        }
        Path directory = file.toAbsolutePath().getParent();
        if (Files.isDirectory(file)) {
            report(property, "a file, not a directory");
        } else if (Files.exists(file)) {
            if (!Files.isWritable(file)) {
                report(property, "a file rpzgate may write; " + file + " is not writable");
            }
        } else if (!Files.isDirectory(directory)) {
            report(property, "a file in an existing directory; create " + directory + " first");
        } else if (!Files.isWritable(directory)) {
            report(property, "a file in a directory rpzgate may write; " + directory + " is not writable");
        }
    }

    private void booleanWord(String property) {
        ConfigValue value = rawValues.apply(property);
        if (value == null || value.getRawValue() == null) {
            return;
        }
        if (!BOOLEAN_WORDS.contains(value.getRawValue().trim().toLowerCase(Locale.ROOT))) {
            report(property, "true or false");
        }
    }

    private void cache(RpzgateConfig.Cache cache) {
        if (cache.maxSize().asLongValue() < 1) {
            report("rpzgate.cache.max-size", "1 byte or more, such as 64M");
        }
        notNegative("rpzgate.cache.min-ttl", cache.minTtl());
        notNegative("rpzgate.cache.max-ttl", cache.maxTtl());
        notNegative("rpzgate.cache.max-negative-ttl", cache.maxNegativeTtl());
        if (!cache.maxTtl().isNegative() && cache.minTtl().compareTo(cache.maxTtl()) > 0) {
            report("rpzgate.cache.min-ttl", "at most rpzgate.cache.max-ttl (" + raw("rpzgate.cache.max-ttl") + ")");
        }
        if (cache.prefetch().minHits() < 1) {
            report("rpzgate.cache.prefetch.min-hits", "1 or more; rpzgate.cache.prefetch.enabled=false turns"
                    + " prefetch off");
        }
        notNegative("rpzgate.cache.serve-stale.max-staleness", cache.serveStale().maxStaleness());
        notNegative("rpzgate.cache.serve-stale.answer-ttl", cache.serveStale().answerTtl());
        notNegative("rpzgate.cache.serve-stale.failure-recheck", cache.serveStale().failureRecheck());
    }

    /** Checks the numeric settings of the zone that {@code setting}, such as {@code rpzgate.policy.zones[2]}, names. */
    private void zone(String setting, RpzgateConfig.Zone zone) {
        zone.maxPolicyTtl().ifPresent(ttl -> notNegative(setting + ".max-policy-ttl", ttl));
        zone.refresh().ifPresent(refresh -> positive(setting + ".refresh", refresh, "10m or 1h"));
        zone.retry().ifPresent(retry -> positive(setting + ".retry", retry, "1m or 10m"));
        zone.expire().ifPresent(expire -> positive(setting + ".expire", expire, "7d or 28d"));
        positive(setting + ".timeout", zone.timeout(), "30s");
        positive(setting + ".transfer-timeout", zone.transferTimeout(), "2h");
        if (zone.maxSize().asLongValue() < 1) {
            report(setting + ".max-size", "1 byte or more, such as 256M");
        }
        zone.transferMaxRecords().filter(records -> records < 1)
                .ifPresent(records -> report(setting + ".transfer-max-records", "1 or more; leave it unset for no limit"));
        if (zone.removalGuard() && (zone.maxRemoval() <= 0 || zone.maxRemoval() >= 1)) {
            report(setting + ".max-removal", "a share above 0 and below 1, such as 0.5 for half of the rules");
        }
    }

    private void upstream(RpzgateConfig.Upstream upstream) {
        positive("rpzgate.upstream.timeout", upstream.timeout());
        positive("rpzgate.upstream.query-timeout", upstream.queryTimeout());
        notNegative("rpzgate.upstream.queue-timeout", upstream.queueTimeout());
        atLeast("rpzgate.upstream.max-in-flight", upstream.maxInFlight(), 1);
        atLeast("rpzgate.upstream.max-queued", upstream.maxQueued(), 0);
        atLeast("rpzgate.upstream.health.max-failures", upstream.health().maxFailures(), 1);
        positive("rpzgate.upstream.health.probe-interval", upstream.health().probeInterval());
        positive("rpzgate.upstream.tls.idle-timeout", upstream.tls().idleTimeout());
    }

    private void notNegative(String property, Duration value) {
        if (value.isNegative() || value.getSeconds() > MAX_SECONDS) {
            report(property, "from 0s to " + MAX_SECONDS + "s");
        }
    }

    private void positive(String property, Duration value) {
        positive(property, value, "500ms or 2s");
    }

    private void positive(String property, Duration value, String examples) {
        if (value.isNegative() || value.isZero() || value.getSeconds() > MAX_SECONDS) {
            report(property, "above 0s and at most " + MAX_SECONDS + "s, such as " + examples);
        }
    }

    private void atLeast(String property, int value, int minimum) {
        if (value < minimum) {
            report(property, minimum + " or more");
        }
    }

    private void report(String property, String allowed) {
        reported.add(property);
        problems.add("invalid value " + raw(property) + " for " + property + source(property) + ": it must be "
                + allowed);
    }

    /** Words a problem of the zone reader, whose property may be a group such as {@code rpzgate.policy.zones[1]}. */
    private void report(InvalidSettingException invalid) {
        String property = invalid.property();
        reported.add(property);
        ConfigValue value = rawValues.apply(property);
        if (value == null || value.getRawValue() == null) {
            problems.add("invalid setting " + property + ": " + invalid.reason());
        } else {
            problems.add("invalid value " + raw(property) + " for " + property + source(property) + ": "
                    + invalid.reason());
        }
    }

    private String raw(String property) {
        ConfigValue value = rawValues.apply(property);
        return value == null || value.getRawValue() == null ? "(unset)" : "'" + value.getRawValue() + "'";
    }

    /** Names the environment variable or the file that set {@code property}. */
    private String source(String property) {
        ConfigValue value = rawValues.apply(property);
        if (value == null || value.getSourceName() == null) {
            return "";
        }
        if (value.getSourceName().startsWith("EnvConfigSource")) {
            return " (environment variable " + environmentName(property) + ")";
        }
        return " (from " + value.getSourceName() + ")";
    }

    /** Returns the environment variable of {@code property}, such as {@code RPZGATE_CACHE_MIN_TTL}. */
    static String environmentName(String property) {
        return property.replaceAll("[^A-Za-z0-9]", "_").toUpperCase(Locale.ROOT);
    }
}
