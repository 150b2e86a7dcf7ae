package dev.rpzgate.server;

import dev.rpzgate.observability.DnsMetrics;
import dev.rpzgate.observability.PolicyHitLog;
import dev.rpzgate.policy.PolicyAction;
import dev.rpzgate.policy.PolicyRule;
import dev.rpzgate.policy.PolicySet;
import dev.rpzgate.policy.PolicyZone;
import dev.rpzgate.wire.ClientQuery;
import org.xbill.DNS.Type;

/**
 * Finds the rule that decides a query, zone by zone in precedence order, and records every hit.
 * A rule that its zone's settings disable (a {@code disabled} zone, or a rule without local data in
 * a {@code local-data-or-disabled} zone) is logged and counted as a "would" hit and the search goes
 * on in later zones, as BIND does for {@code policy disabled}.
 */
final class PolicyEvaluator {

    private final DnsMetrics metrics;
    private final PolicyHitLog hitLog;

    PolicyEvaluator(DnsMetrics metrics, PolicyHitLog hitLog) {
        this.metrics = metrics;
        this.hitLog = hitLog;
    }

    /** Returns the decision of the first zone whose QNAME rule applies, or null when none does. */
    PolicyDecision matchQname(ClientQuery query, PolicySet policy) {
        for (PolicyZone zone : policy.zones()) {
            if (zone.settings().recursiveOnly() && !query.recursionDesired()) {
                continue;
            }
            PolicyRule rule = zone.matchQname(query.qname());
            if (rule == null) {
                continue;
            }
            PolicyAction action = zone.settings().override().actionFor(rule);
            if (action == null) {
                recordWouldHit(query, zone, rule);
                continue;
            }
            return new PolicyDecision(zone, rule, action);
        }
        return null;
    }

    /** Counts an enforced hit and writes it to the hit log unless the zone's {@code log} is off. */
    void recordHit(ClientQuery query, PolicyDecision decision) {
        metrics.policyHit(decision.zoneLabel(), decision.actionLabel());
        if (decision.zone().settings().log()) {
            hitLog.hit(query.client().getAddress().getHostAddress(), query.qname().toString(),
                    Type.string(query.qtype()), decision.zoneLabel(), decision.rule().owner().toString(),
                    decision.actionLabel(), true);
        }
    }

    private void recordWouldHit(ClientQuery query, PolicyZone zone, PolicyRule rule) {
        String zoneLabel = zone.name().toString(true);
        String action = new PolicyDecision(zone, rule, rule.action()).actionLabel();
        metrics.wouldHit(zoneLabel, action);
        if (zone.settings().log()) {
            hitLog.hit(query.client().getAddress().getHostAddress(), query.qname().toString(),
                    Type.string(query.qtype()), zoneLabel, rule.owner().toString(), action, false);
        }
    }
}
