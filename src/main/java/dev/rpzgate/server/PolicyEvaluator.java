package dev.rpzgate.server;

import dev.rpzgate.observability.DnsMetrics;
import dev.rpzgate.observability.PolicyHitLog;
import dev.rpzgate.policy.PolicyAction;
import dev.rpzgate.policy.PolicyRule;
import dev.rpzgate.policy.PolicySet;
import dev.rpzgate.policy.PolicyZone;
import dev.rpzgate.wire.ClientQuery;
import org.xbill.DNS.Message;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.util.List;

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
            return new PolicyDecision(zone, rule, action, query.qname(), List.of());
        }
        return null;
    }

    /**
     * Returns the decision that the upstream's {@code answer} triggers, or null when none does.
     * The stages of the answer are checked in order, as the RPZ draft ranks them: the query name,
     * then each CNAME target, so a blocked name cannot hide behind a CNAME from an allowed one.
     * At the query name only triggers that need the answer apply, because its QNAME rules were
     * checked before the query was forwarded. Only the first {@code zoneLimit} zones take part: a
     * PASSTHRU in zone {@code zoneLimit} stops the later ones. A signed answer to a client that set
     * DO is left alone by zones without {@code break-dnssec}.
     */
    PolicyDecision matchAnswer(ClientQuery query, Message answer, PolicySet policy, int zoneLimit) {
        boolean signedForValidator = query.dnssecOk() && isSigned(answer);
        List<AnswerStage> stages = AnswerStage.of(query.qname(), answer);
        List<PolicyZone> zones = policy.zones().subList(0, Math.min(zoneLimit, policy.zones().size()));
        for (int index = 0; index < stages.size(); index++) {
            AnswerStage stage = stages.get(index);
            for (PolicyZone zone : zones) {
                if (zone.settings().recursiveOnly() && !query.recursionDesired()) {
                    continue;
                }
                if (signedForValidator && !zone.settings().breakDnssec()) {
                    continue;
                }
                PolicyRule rule = index > 0 ? zone.matchQname(stage.name()) : null;
                if (rule == null) {
                    continue;
                }
                PolicyAction action = zone.settings().override().actionFor(rule);
                if (action == null) {
                    recordWouldHit(query, zone, rule);
                    continue;
                }
                return new PolicyDecision(zone, rule, action, stage.name(), stage.chain());
            }
        }
        return null;
    }

    /** Whether the answer section carries signatures, so a validating client would notice a rewrite. */
    static boolean isSigned(Message answer) {
        for (Record record : answer.getSection(Section.ANSWER)) {
            if (record.getType() == Type.RRSIG) {
                return true;
            }
        }
        return false;
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
        String action = new PolicyDecision(zone, rule, rule.action(), query.qname(), List.of()).actionLabel();
        metrics.wouldHit(zoneLabel, action);
        if (zone.settings().log()) {
            hitLog.hit(query.client().getAddress().getHostAddress(), query.qname().toString(),
                    Type.string(query.qtype()), zoneLabel, rule.owner().toString(), action, false);
        }
    }
}
