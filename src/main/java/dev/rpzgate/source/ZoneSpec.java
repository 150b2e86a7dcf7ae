package dev.rpzgate.source;

import dev.rpzgate.policy.PolicyAction;
import dev.rpzgate.policy.ZoneSettings;
import java.util.Objects;
import org.xbill.DNS.Name;

/**
 * The checked configuration of one policy zone.
 *
 * @param setting the setting that configures the zone, such as {@code rpzgate.policy.zones[2]},
 *     for error messages
 * @param origin zone name, absolute
 * @param source where the zone's text comes from
 * @param format format of that text
 * @param subdomains for the list formats: whether each name also covers the names below it
 * @param listAction for the list formats: the action of every rule
 * @param settings the zone's BIND settings
 */
public record ZoneSpec(String setting, Name origin, ZoneSource source, ZoneFormat format, boolean subdomains,
                       PolicyAction listAction, ZoneSettings settings) {

    public ZoneSpec {
        Objects.requireNonNull(setting, "setting");
        Objects.requireNonNull(origin, "origin");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(listAction, "listAction");
        Objects.requireNonNull(settings, "settings");
        if (!origin.isAbsolute()) {
            throw new IllegalArgumentException("zone origin must be absolute: " + origin);
        }
    }

    /** Returns the zone name without the final dot, as log lines and metric tags write it. */
    public String zoneName() {
        return origin.toString(true);
    }
}
