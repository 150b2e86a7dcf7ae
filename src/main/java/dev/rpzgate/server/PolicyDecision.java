package dev.rpzgate.server;

import dev.rpzgate.policy.PolicyAction;
import dev.rpzgate.policy.PolicyOverride;
import dev.rpzgate.policy.PolicyRule;
import dev.rpzgate.policy.PolicyZone;

/**
 * The rule that decides a query's answer and the action it takes once the zone's {@code policy}
 * override is applied.
 */
record PolicyDecision(PolicyZone zone, PolicyRule rule, PolicyAction action) {

    /** Whether the zone's {@code policy cname NAME} setting replaces the rule's action. */
    boolean cnameOverride() {
        return zone.settings().override().kind() == PolicyOverride.Kind.CNAME;
    }

    /** The action name used in metrics and the hit log; a CNAME rewrite is {@code cname}. */
    String actionLabel() {
        if (action == PolicyAction.LOCAL_DATA && (cnameOverride() || rule.cname() != null)) {
            return "cname";
        }
        return action.label();
    }

    /** The zone name without the final dot, as metrics and the hit log show it. */
    String zoneLabel() {
        return zone.name().toString(true);
    }
}
