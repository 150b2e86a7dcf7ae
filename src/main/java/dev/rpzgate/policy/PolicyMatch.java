package dev.rpzgate.policy;

import java.util.Objects;

/**
 * A rule that matched a query, with the zone that contains it and the kind of trigger that
 * matched.
 *
 * @param zone zone of the rule; its settings bound the TTL of the rewritten answer
 * @param rule the rule that matched
 * @param trigger kind of trigger that matched, always {@code rule.triggerType()}
 */
public record PolicyMatch(PolicyZone zone, PolicyRule rule, TriggerType trigger) {

    /**
     * @throws IllegalArgumentException if {@code trigger} is not the trigger type of {@code rule}
     */
    public PolicyMatch {
        Objects.requireNonNull(zone, "zone");
        Objects.requireNonNull(rule, "rule");
        Objects.requireNonNull(trigger, "trigger");
        if (trigger != rule.triggerType()) {
            throw new IllegalArgumentException("trigger " + trigger.label() + " does not match rule "
                    + rule.trigger() + ", whose trigger type is " + rule.triggerType().label());
        }
    }

    /**
     * Creates the match of a QNAME rule.
     *
     * @throws IllegalArgumentException if {@code rule} is not a QNAME rule
     */
    public PolicyMatch(PolicyZone zone, PolicyRule rule) {
        this(zone, rule, TriggerType.QNAME);
    }
}
