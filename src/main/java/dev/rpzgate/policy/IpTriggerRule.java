package dev.rpzgate.policy;

import java.net.InetAddress;

/**
 * A rule with an {@code rpz-ip}, {@code rpz-client-ip} or {@code rpz-nsip} trigger and the address
 * block decoded from its owner name.
 *
 * @param rule the rule; {@link PolicyRule#trigger()} is the encoded owner, for example
 *     {@code 24.0.2.0.192.rpz-ip.}
 * @param address first address of the block: an {@link java.net.Inet4Address} for the 4-label
 *     IPv4 form and an {@link java.net.Inet6Address} otherwise, even for an IPv4-mapped address
 * @param prefixLength prefix length in bits, 1 to 32 for IPv4 and 1 to 128 for IPv6
 */
public record IpTriggerRule(PolicyRule rule, InetAddress address, int prefixLength) {}
