package dev.rpzgate.policy;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings that apply to one policy zone, named as BIND's {@code response-policy} options.
 *
 * @param maxPolicyTtl  upper bound on the TTL of every record a rule supplies ({@code max-policy-ttl})
 * @param override      the {@code policy} setting; {@link PolicyOverride#GIVEN} keeps each rule's action
 * @param addSoa        whether rewritten answers carry the zone's SOA in the additional section
 * @param log           whether hits of this zone are written to the policy-hit log
 * @param breakDnssec   whether an answer is rewritten even when the client set DO and the upstream's
 *                      answer is signed
 * @param recursiveOnly whether the zone applies only to queries with RD set
 * @param nsdnameEnable whether NSDNAME rules of this zone are evaluated (each costs upstream queries)
 * @param nsipEnable    whether NSIP rules of this zone are evaluated (each costs upstream queries)
 * @param ede           the Extended DNS Error added to rewritten answers for clients that sent EDNS
 * @param clientCidrs   the client networks the zone applies to; {@link ClientCidrs#ANY} for every client
 */
public record ZoneSettings(Duration maxPolicyTtl, PolicyOverride override, boolean addSoa, boolean log,
                           boolean breakDnssec, boolean recursiveOnly, boolean nsdnameEnable, boolean nsipEnable,
                           ExtendedError ede, ClientCidrs clientCidrs) {

    /** BIND 9's default {@code max-policy-ttl}. */
    public static final Duration DEFAULT_MAX_POLICY_TTL = Duration.ofSeconds(5);

    public ZoneSettings {
        Objects.requireNonNull(maxPolicyTtl, "maxPolicyTtl");
        Objects.requireNonNull(override, "override");
        Objects.requireNonNull(ede, "ede");
        Objects.requireNonNull(clientCidrs, "clientCidrs");
        if (maxPolicyTtl.isNegative()) {
            throw new IllegalArgumentException("maxPolicyTtl must not be negative: " + maxPolicyTtl);
        }
    }

    /** Settings of a zone that applies to every client. */
    public ZoneSettings(Duration maxPolicyTtl, PolicyOverride override, boolean addSoa, boolean log,
                        boolean breakDnssec, boolean recursiveOnly, boolean nsdnameEnable, boolean nsipEnable,
                        ExtendedError ede) {
        this(maxPolicyTtl, override, addSoa, log, breakDnssec, recursiveOnly, nsdnameEnable, nsipEnable, ede,
                ClientCidrs.ANY);
    }

    /** Settings with BIND's defaults and the given {@code max-policy-ttl}. */
    public ZoneSettings(Duration maxPolicyTtl) {
        this(maxPolicyTtl, PolicyOverride.GIVEN, true, true, false, true, true, true, ExtendedError.NONE);
    }

    /** Returns {@link #maxPolicyTtl()} in whole seconds, the unit of DNS TTLs. */
    public long maxPolicyTtlSeconds() {
        return maxPolicyTtl.toSeconds();
    }
}
