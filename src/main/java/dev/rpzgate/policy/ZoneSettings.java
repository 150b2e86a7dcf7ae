package dev.rpzgate.policy;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings that apply to one policy zone.
 *
 * @param maxPolicyTtl upper bound on the TTL of every rewritten answer, as BIND's
 *     {@code max-policy-ttl}
 */
public record ZoneSettings(Duration maxPolicyTtl) {

    public ZoneSettings {
        Objects.requireNonNull(maxPolicyTtl, "maxPolicyTtl");
        if (maxPolicyTtl.isNegative()) {
            throw new IllegalArgumentException("maxPolicyTtl must not be negative: " + maxPolicyTtl);
        }
    }

    /** Returns {@link #maxPolicyTtl()} in whole seconds, the unit of DNS TTLs. */
    public long maxPolicyTtlSeconds() {
        return maxPolicyTtl.toSeconds();
    }
}
