package dev.rpzgate.policy;

import org.xbill.DNS.Name;

/**
 * A rule with an {@code rpz-nsdname} trigger and the name server name taken from its owner.
 *
 * @param rule the rule; {@link PolicyRule#trigger()} is the owner without the zone origin, for
 *     example {@code *.ns.example.rpz-nsdname.}
 * @param nameServer the trigger without its last label {@code rpz-nsdname}, absolute, for example
 *     {@code *.ns.example.}; a wildcard matches name servers below {@code ns.example.} only
 */
public record NsdnameRule(PolicyRule rule, Name nameServer) {}
