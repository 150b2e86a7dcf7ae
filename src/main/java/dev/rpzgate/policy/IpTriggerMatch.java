package dev.rpzgate.policy;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Objects;

/**
 * An {@code rpz-ip}, {@code rpz-client-ip} or {@code rpz-nsip} rule that matched an address.
 *
 * @param trigger the rule with the longest prefix that contains {@code address}
 * @param address the address that matched, as the caller passed it
 */
public record IpTriggerMatch(IpTriggerRule trigger, InetAddress address) {

    public IpTriggerMatch {
        Objects.requireNonNull(trigger, "trigger");
        Objects.requireNonNull(address, "address");
    }

    /** Returns the rule that matched. */
    public PolicyRule rule() {
        return trigger.rule();
    }

    /** Returns the prefix length of the rule as written in the zone: 1 to 32 for IPv4, 1 to 128 for IPv6. */
    public int prefixLength() {
        return trigger.prefixLength();
    }

    /**
     * Returns the prefix length counted in IPv6 bits, where the IPv4 space is ::ffff:0:0/96 as
     * in BIND 9. An IPv4 /24 is therefore 120 and ranks above an IPv6 /64, and an IPv4 /32 ties
     * with an IPv6 /128.
     */
    public int ipv6PrefixLength() {
        return trigger.address() instanceof Inet4Address ? trigger.prefixLength() + 96 : trigger.prefixLength();
    }

    /**
     * Returns whether this match wins over {@code other} when both come from one zone and one
     * trigger type: the longer {@link #ipv6PrefixLength()} wins, then the smaller block address,
     * IPv4 before IPv6 and otherwise compared as unsigned bytes. Returns false for a tie, so the
     * match found first stays.
     */
    public boolean precedes(IpTriggerMatch other) {
        int bits = ipv6PrefixLength();
        int otherBits = other.ipv6PrefixLength();
        if (bits != otherBits) {
            return bits > otherBits;
        }
        return IpAddressKey.ofBlock(trigger).compareTo(IpAddressKey.ofBlock(other.trigger)) < 0;
    }
}
