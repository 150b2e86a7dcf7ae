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
 * @param maxRemoval share of the rules, above 0 and below 1, that one update may remove before it
 *     is held back for confirmation; 0 turns the guard off
 */
public record ZoneSpec(String setting, Name origin, ZoneSource source, ZoneFormat format, boolean subdomains,
                       PolicyAction listAction, ZoneSettings settings, double maxRemoval) {

    /** A zone without the removal guard. */
    public ZoneSpec(String setting, Name origin, ZoneSource source, ZoneFormat format, boolean subdomains,
                    PolicyAction listAction, ZoneSettings settings) {
        this(setting, origin, source, format, subdomains, listAction, settings, 0);
    }

    public ZoneSpec {
        Objects.requireNonNull(setting, "setting");
        Objects.requireNonNull(origin, "origin");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(listAction, "listAction");
        Objects.requireNonNull(settings, "settings");
        if (maxRemoval < 0 || maxRemoval >= 1) {
            throw new IllegalArgumentException("maxRemoval must be from 0 (off) to below 1: " + maxRemoval);
        }
        if (!origin.isAbsolute()) {
            throw new IllegalArgumentException("zone origin must be absolute: " + origin);
        }
    }

    /** Returns whether an update that removes more than {@link #maxRemoval()} of the rules is held back. */
    public boolean guardsRemoval() {
        return maxRemoval > 0;
    }

    /** Returns the zone name without the final dot, as log lines and metric tags write it. */
    public String zoneName() {
        return origin.toString(true);
    }
}
