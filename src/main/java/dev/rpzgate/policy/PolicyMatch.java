package dev.rpzgate.policy;

/**
 * A rule that matched a query, with the zone that contains it.
 *
 * @param zone zone of the rule; its settings bound the TTL of the rewritten answer
 * @param rule the rule that matched
 */
public record PolicyMatch(PolicyZone zone, PolicyRule rule) {}
