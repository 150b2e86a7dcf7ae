package dev.rpzgate.policy;

import java.net.InetAddress;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.xbill.DNS.Name;

/**
 * Immutable, ordered list of policy zones. As in BIND's {@code response-policy} statement, the
 * first zone with a matching rule decides, even when its action is PASSTHRU.
 *
 * <p>The match methods apply the precedence rules of the BIND 9 ARM for response policy zones
 * in this order:
 *
 * <ol>
 *   <li>The earliest zone with any matching rule wins, whatever the trigger type, so a QNAME
 *       rule of the first zone wins over a client-IP rule of the second.
 *   <li>Within that zone, the trigger types rank client IP, QNAME, response IP, NSDNAME, NSIP.
 *   <li>Among IP rules of one type, the longest prefix wins, counted in IPv6 bits with IPv4 as
 *       ::ffff:0:0/96 as BIND counts it, so an IPv4 /24 (120 bits) wins over an IPv6 /64. Equal
 *       prefixes go to the smaller block address, IPv4 before IPv6 and otherwise compared as
 *       unsigned bytes.
 *   <li>Among NSDNAME rules, an exact trigger wins over a wildcard and a longer wildcard over a
 *       shorter one, as for a single name. The ARM then prefers the smallest name, so equal
 *       triggers go to the name server name that sorts first in DNSSEC canonical order.
 * </ol>
 *
 * <p>A PASSTHRU rule that wins is returned like any other, so the caller stops there and later
 * zones never apply.
 *
 * <p>NOTE: BIND 9.12's code breaks two of these ties differently from its ARM. It compares the
 * owner names of equally long IP rules label by label from the left, which starts at the last
 * octet of the address. Among NSDNAME hits it keeps the one whose name server name sorts last,
 * whether its trigger is exact or a wildcard ({@code rpz_rewrite_ip} and
 * {@code rpz_rewrite_name} in {@code lib/ns/query.c}). Here the rules above apply.
 */
public final class PolicySet {

    /** A set without zones, which matches nothing. */
    public static final PolicySet EMPTY = new PolicySet(List.of());

    private final List<PolicyZone> zones;
    private final PolicyZone[] zoneArray;

    /**
     * Creates a set that consults {@code zones} in list order.
     *
     * @throws IllegalArgumentException if two zones have the same name, because log lines and
     *     metrics tell zones apart by name
     */
    public PolicySet(List<PolicyZone> zones) {
        this.zones = List.copyOf(zones);
        this.zoneArray = this.zones.toArray(new PolicyZone[0]);
        Set<Name> names = new HashSet<>();
        for (PolicyZone zone : zoneArray) {
            if (!names.add(zone.name())) {
                throw new IllegalArgumentException(
                        "duplicate policy zone name " + zone.name() + " (from " + zone.source() + ")");
            }
        }
    }

    /** Returns the zones in precedence order. */
    public List<PolicyZone> zones() {
        return zones;
    }

    /** Returns the number of rules in all zones. */
    public int ruleCount() {
        int count = 0;
        for (PolicyZone zone : zoneArray) {
            count += zone.ruleCount();
        }
        return count;
    }

    /**
     * Finds the QNAME rule of the first zone that has one for {@code qname}.
     *
     * @param qname query name, absolute
     * @return the zone and rule, or null if no zone matches
     */
    public PolicyMatch matchQname(Name qname) {
        for (PolicyZone zone : zoneArray) {
            PolicyRule rule = zone.matchQname(qname);
            if (rule != null) {
                return new PolicyMatch(zone, rule);
            }
        }
        return null;
    }

    /**
     * Finds the {@code rpz-client-ip} rule of the first zone that has one for {@code client}.
     *
     * @param client address the query came from
     * @return the zone and rule, or null if no zone matches
     */
    public PolicyMatch matchClientIp(InetAddress client) {
        Objects.requireNonNull(client, "client");
        return matchStage(null, client, null, null, null);
    }

    /**
     * Finds the {@code rpz-ip} rule that wins for the addresses of one answer.
     *
     * @param addresses the addresses of the A and AAAA records that the answer would contain
     * @return the zone and rule, or null if no zone matches
     */
    public PolicyMatch matchResponseIps(List<InetAddress> addresses) {
        Objects.requireNonNull(addresses, "addresses");
        return matchStage(null, null, addresses, null, null);
    }

    /**
     * Finds the {@code rpz-nsdname} rule that wins for the name servers of a query name.
     *
     * @param nameServers names from the NS records of the query name and its ancestors, absolute
     * @return the zone and rule, or null if no zone matches
     */
    public PolicyMatch matchNsdnames(List<Name> nameServers) {
        Objects.requireNonNull(nameServers, "nameServers");
        return matchStage(null, null, null, nameServers, null);
    }

    /**
     * Finds the {@code rpz-nsip} rule that wins for the addresses of the name servers of a query
     * name.
     *
     * @param addresses the A and AAAA addresses of those name servers
     * @return the zone and rule, or null if no zone matches
     */
    public PolicyMatch matchNsips(List<InetAddress> addresses) {
        Objects.requireNonNull(addresses, "addresses");
        return matchStage(null, null, null, null, addresses);
    }

    /**
     * Finds the rule that wins for one stage of a query, which is one name of a CNAME chain with
     * what is known about it. Zones are tried in order, and in each zone the trigger types are
     * checked in RPZ order. The first zone with any match returns it, including a PASSTHRU
     * match.
     *
     * <p>Any argument may be null, meaning that this trigger type is not known or not evaluated
     * yet. An empty list means it was evaluated and found nothing. The client-IP result is the
     * same for every stage of one query, so the caller may pass the client only for the first.
     *
     * @param qname the name of this stage, absolute
     * @param client address the query came from
     * @param responseAddresses the addresses of the A and AAAA records of the answer for
     *     {@code qname}
     * @param nameServers names from the NS records of {@code qname} and its ancestors, absolute
     * @param nameServerAddresses the A and AAAA addresses of those name servers
     * @return the zone, rule and trigger type, or null if no zone matches
     */
    public PolicyMatch matchStage(
            Name qname,
            InetAddress client,
            List<InetAddress> responseAddresses,
            List<Name> nameServers,
            List<InetAddress> nameServerAddresses) {
        // Keys are made once here and shared by all zones, so each zone only searches.
        IpAddressKey clientKey = client == null ? null : IpAddressKey.of(client);
        IpAddressKey[] responseKeys = keysOf(responseAddresses);
        IpAddressKey[] nameServerKeys = keysOf(nameServerAddresses);
        for (PolicyZone zone : zoneArray) {
            PolicyMatch match = zone.matchStage(qname, clientKey, responseKeys, nameServers, nameServerKeys);
            if (match != null) {
                return match;
            }
        }
        return null;
    }

    private static IpAddressKey[] keysOf(List<InetAddress> addresses) {
        if (addresses == null) {
            return null;
        }
        IpAddressKey[] keys = new IpAddressKey[addresses.size()];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = IpAddressKey.of(addresses.get(i));
        }
        return keys;
    }

    @Override
    public String toString() {
        return "PolicySet" + zones;
    }
}
