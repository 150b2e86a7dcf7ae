package dev.rpzgate.server;

import dev.rpzgate.policy.PolicyAction;
import dev.rpzgate.policy.PolicyOverride;
import dev.rpzgate.policy.PolicyRule;
import dev.rpzgate.policy.PolicyZone;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;

import java.util.List;

/**
 * The rule that decides a query's answer and the action it takes once the zone's {@code policy}
 * override is applied.
 *
 * @param name  the name the rule rewrites: the query name, or a later name of the CNAME chain
 * @param chain the upstream's CNAME records that lead from the query name to {@code name}; they
 *              stay at the head of the rewritten answer
 */
record PolicyDecision(PolicyZone zone, PolicyRule rule, PolicyAction action, Name name, List<Record> chain) {

    /** Returns whether the zone's {@code policy cname NAME} setting replaces the rule's action. */
    boolean cnameOverride() {
        return zone.settings().override().kind() == PolicyOverride.Kind.CNAME;
    }

    /** Returns the action name used in metrics and the hit log; a CNAME rewrite is {@code cname}. */
    String actionLabel() {
        if (action == PolicyAction.LOCAL_DATA && (cnameOverride() || rule.cname() != null)) {
            return "cname";
        }
        return action.label();
    }

    /** Returns the zone name without the final dot, as metrics and the hit log show it. */
    String zoneLabel() {
        return zone.label();
    }
}
