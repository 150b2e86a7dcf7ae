package dev.rpzgate.source;

import dev.rpzgate.policy.PolicyZone;
import java.util.Objects;

/**
 * A zone read from its source.
 *
 * @param zone the zone
 * @param bytes size of the text it was read from, for log lines
 */
public record LoadedZone(PolicyZone zone, long bytes) {

    public LoadedZone {
        Objects.requireNonNull(zone, "zone");
    }
}
