package dev.rpzgate.policy;

import static dev.rpzgate.policy.IpPrefixTableTest.ip;
import static dev.rpzgate.policy.IpPrefixTableTest.mapped;
import static dev.rpzgate.policy.ZoneBuilding.name;
import static dev.rpzgate.policy.ZoneBuilding.zone;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Name;

class PolicySetPrecedenceTest {

    private static PolicySet set(PolicyZone... zones) {
        return new PolicySet(List.of(zones));
    }

    private static List<InetAddress> ips(String... literals) {
        return Arrays.stream(literals).map(IpPrefixTableTest::ip).toList();
    }

    private static List<Name> names(String... texts) {
        return Arrays.stream(texts).map(ZoneBuilding::name).toList();
    }

    /** Returns the trigger of the winning rule, or "none". */
    private static String winner(PolicyMatch match) {
        return match == null ? "none" : match.rule().trigger().toString();
    }

    // Client IP

    @Test
    void clientIpFirstZoneWins() {
        PolicyZone allow = zone("allow.rpz.").add("32.7.2.0.192.rpz-client-ip", "CNAME", "rpz-passthru.").build();
        PolicyZone block = zone("block.rpz.").add("24.0.2.0.192.rpz-client-ip", "CNAME", "rpz-drop.").build();

        PolicyMatch match = set(allow, block).matchClientIp(ip("192.0.2.7"));
        assertThat(match.zone()).isSameAs(allow);
        assertThat(match.trigger()).isEqualTo(TriggerType.CLIENT_IP);
        assertThat(match.rule().action()).isEqualTo(PolicyAction.PASSTHRU);

        // The first zone wins even though the second has the same or a longer prefix.
        PolicyMatch reversed = set(block, allow).matchClientIp(ip("192.0.2.7"));
        assertThat(reversed.zone()).isSameAs(block);
        assertThat(reversed.rule().action()).isEqualTo(PolicyAction.DROP);

        assertThat(set(allow, block).matchClientIp(ip("192.0.2.8")).zone()).isSameAs(block);
        assertThat(set(allow, block).matchClientIp(ip("192.0.3.1"))).isNull();
    }

    // Response IP

    private static final PolicyZone RESPONSE = zone("response.rpz.")
            .add("8.0.0.0.10.rpz-ip", "CNAME", ".")
            .add("24.0.113.0.203.rpz-ip", "CNAME", ".")
            .add("24.0.100.51.198.rpz-ip", "CNAME", "*.")
            .add("32.1.2.0.192.rpz-ip", "CNAME", "rpz-drop.")
            .add("128.1.zz.db8.2001.rpz-ip", "CNAME", "rpz-tcp-only.")
            .add("64.zz.5.db8.2001.rpz-ip", "CNAME", ".")
            .add("32.zz.db8.2001.rpz-ip", "CNAME", ".")
            .build();

    @Test
    void responseIpsLongestPrefixWinsAcrossAddresses() {
        PolicySet set = set(RESPONSE);

        PolicyMatch match = set.matchResponseIps(ips("10.1.1.1", "203.0.113.5", "198.51.100.1"));
        assertThat(match.trigger()).isEqualTo(TriggerType.RESPONSE_IP);
        // Both /24 rules beat the /8, and 198.51.100.0 is the smaller of the two /24 blocks.
        assertThat(winner(match)).isEqualTo("24.0.100.51.198.rpz-ip.");

        assertThat(winner(set.matchResponseIps(ips("10.1.1.1", "192.0.2.1", "203.0.113.5"))))
                .isEqualTo("32.1.2.0.192.rpz-ip.");
        assertThat(winner(set.matchResponseIps(ips("10.1.1.1")))).isEqualTo("8.0.0.0.10.rpz-ip.");
    }

    @Test
    void responseIpsEqualPrefixSmallestAddressWins() {
        PolicySet set = set(RESPONSE);

        assertThat(winner(set.matchResponseIps(ips("203.0.113.5", "198.51.100.1"))))
                .isEqualTo("24.0.100.51.198.rpz-ip.");
        assertThat(winner(set.matchResponseIps(ips("198.51.100.1", "203.0.113.5"))))
                .isEqualTo("24.0.100.51.198.rpz-ip.");
    }

    @Test
    void responseIpsIpv4BeforeIpv6AtEqualPrefix() {
        PolicySet set = set(RESPONSE);

        // 192.0.2.1/32 and 2001:db8::1/128 are both 128 bits on BIND's scale.
        assertThat(winner(set.matchResponseIps(ips("2001:db8::1", "192.0.2.1")))).isEqualTo("32.1.2.0.192.rpz-ip.");
        assertThat(winner(set.matchResponseIps(ips("192.0.2.1", "2001:db8::1")))).isEqualTo("32.1.2.0.192.rpz-ip.");
    }

    @Test
    void responseIpsIpv4PrefixCountsIn128Bits() {
        PolicySet set = set(RESPONSE);

        // An IPv4 /24 is 120 bits and beats the IPv6 /64, which beats the IPv6 /32.
        assertThat(winner(set.matchResponseIps(ips("2001:db8:5::1", "203.0.113.5")))).isEqualTo("24.0.113.0.203.rpz-ip.");
        assertThat(winner(set.matchResponseIps(ips("2001:db8:6::1", "2001:db8:5::1")))).isEqualTo("64.zz.5.db8.2001.rpz-ip.");
        // An IPv4 /8 is 104 bits and beats the IPv6 /64 too.
        assertThat(winner(set.matchResponseIps(ips("2001:db8:5::1", "10.0.0.1")))).isEqualTo("8.0.0.0.10.rpz-ip.");
    }

    @Test
    void responseIpsEarlierZoneBeatsLongerPrefix() {
        PolicyZone broad = zone("broad.rpz.").add("8.0.0.0.10.rpz-ip", "CNAME", "rpz-passthru.").build();
        PolicyZone narrow = zone("narrow.rpz.").add("32.1.2.0.192.rpz-ip", "CNAME", ".").build();

        PolicyMatch match = set(broad, narrow).matchResponseIps(ips("192.0.2.1", "10.9.9.9"));

        assertThat(match.zone()).isSameAs(broad);
        assertThat(match.rule().action()).isEqualTo(PolicyAction.PASSTHRU);
        assertThat(set(narrow, broad).matchResponseIps(ips("192.0.2.1", "10.9.9.9")).zone()).isSameAs(narrow);
    }

    @Test
    void responseIpsMappedAddressMatchesIpv4Rule() {
        assertThat(winner(set(RESPONSE).matchResponseIps(List.of(mapped("192.0.2.1"))))).isEqualTo("32.1.2.0.192.rpz-ip.");
    }

    @Test
    void responseIpsWithoutHit() {
        assertThat(set(RESPONSE).matchResponseIps(List.of())).isNull();
        assertThat(set(RESPONSE).matchResponseIps(ips("192.0.3.1", "2001:db9::1"))).isNull();
        assertThat(PolicySet.EMPTY.matchResponseIps(ips("192.0.2.1"))).isNull();
    }

    // NSDNAME

    private static final PolicyZone NSDNAME = zone("nsdname.rpz.")
            .add("*.hoster.example.rpz-nsdname", "CNAME", ".")
            .add("*.deep.hoster.example.rpz-nsdname", "CNAME", "*.")
            .add("ns.bad.example.rpz-nsdname", "CNAME", "rpz-drop.")
            .add("ns.worse.example.rpz-nsdname", "CNAME", "rpz-tcp-only.")
            .add("*.a-hoster.example.rpz-nsdname", "CNAME", ".")
            .build();

    @Test
    void nsdnamesExactBeatsWildcard() {
        PolicyMatch match = set(NSDNAME).matchNsdnames(names("a.hoster.example.", "ns.worse.example."));

        assertThat(match.trigger()).isEqualTo(TriggerType.NSDNAME);
        assertThat(winner(match)).isEqualTo("ns.worse.example.rpz-nsdname.");
    }

    @Test
    void nsdnamesLongerWildcardBeatsShorter() {
        assertThat(winner(set(NSDNAME).matchNsdnames(names("ns1.hoster.example.", "ns1.x.deep.hoster.example."))))
                .isEqualTo("*.deep.hoster.example.rpz-nsdname.");
    }

    @Test
    void nsdnamesTieGoesToCanonicalFirst() {
        // Both exact: bad.example sorts before worse.example.
        assertThat(winner(set(NSDNAME).matchNsdnames(names("ns.worse.example.", "ns.bad.example."))))
                .isEqualTo("ns.bad.example.rpz-nsdname.");
        // Both wildcards of three labels: canonical order compares from the right, so
        // ns.a-hoster.example. sorts before aa.hoster.example. although "aa" < "ns".
        assertThat(winner(set(NSDNAME).matchNsdnames(names("aa.hoster.example.", "ns.a-hoster.example."))))
                .isEqualTo("*.a-hoster.example.rpz-nsdname.");
    }

    @Test
    void nsdnamesEarlierZoneWins() {
        PolicyZone allow = zone("allow.rpz.").add("*.example.rpz-nsdname", "CNAME", "rpz-passthru.").build();

        PolicyMatch match = set(allow, NSDNAME).matchNsdnames(names("ns.bad.example."));

        assertThat(match.zone()).isSameAs(allow);
        assertThat(match.rule().action()).isEqualTo(PolicyAction.PASSTHRU);
        assertThat(set(NSDNAME, allow).matchNsdnames(names("ns.bad.example.")).zone()).isSameAs(NSDNAME);
        assertThat(set(NSDNAME, allow).matchNsdnames(names("ns.other.test."))).isNull();
    }

    // NSIP

    @Test
    void nsipsLongestPrefixThenSmallestAddress() {
        PolicyZone zone = zone("nsip.rpz.")
                .add("16.0.0.51.198.rpz-nsip", "CNAME", ".")
                .add("32.53.0.51.198.rpz-nsip", "CNAME", "rpz-drop.")
                .add("32.54.0.51.198.rpz-nsip", "CNAME", "rpz-tcp-only.")
                .add("128.53.zz.db8.2001.rpz-nsip", "CNAME", "*.")
                .build();
        PolicySet set = set(zone);

        PolicyMatch match = set.matchNsips(ips("198.51.9.9", "198.51.0.54"));
        assertThat(match.trigger()).isEqualTo(TriggerType.NSIP);
        assertThat(winner(match)).isEqualTo("32.54.0.51.198.rpz-nsip.");

        assertThat(winner(set.matchNsips(ips("198.51.0.54", "198.51.0.53")))).isEqualTo("32.53.0.51.198.rpz-nsip.");
        assertThat(winner(set.matchNsips(ips("2001:db8::53", "198.51.0.54")))).isEqualTo("32.54.0.51.198.rpz-nsip.");
        assertThat(winner(set.matchNsips(ips("2001:db8::53", "198.51.9.9")))).isEqualTo("128.53.zz.db8.2001.rpz-nsip.");
        assertThat(set.matchNsips(ips("203.0.113.53"))).isNull();
    }

    // One stage: zone order first, then trigger type

    private static final InetAddress CLIENT = ip("192.0.2.10");
    private static final Name QNAME = name("www.bad.example.");
    private static final List<InetAddress> ANSWER = ips("203.0.113.5");
    private static final List<Name> NAME_SERVERS = names("ns1.hoster.example.");
    private static final List<InetAddress> NAME_SERVER_ADDRESSES = ips("198.51.100.53");

    /** Builds a zone with one NXDOMAIN rule per trigger type, each matching the stage above. */
    private static PolicyZone allTriggers(String origin) {
        return zone(origin)
                .add("24.0.2.0.192.rpz-client-ip", "CNAME", ".")
                .add("*.bad.example", "CNAME", ".")
                .add("24.0.113.0.203.rpz-ip", "CNAME", ".")
                .add("*.hoster.example.rpz-nsdname", "CNAME", ".")
                .add("32.53.100.51.198.rpz-nsip", "CNAME", ".")
                .build();
    }

    private static PolicyMatch stage(PolicySet set) {
        return set.matchStage(QNAME, CLIENT, ANSWER, NAME_SERVERS, NAME_SERVER_ADDRESSES);
    }

    @Test
    void stageTriggerTypesInRpzOrder() {
        PolicySet set = set(allTriggers("one.rpz."));

        assertThat(stage(set).trigger()).isEqualTo(TriggerType.CLIENT_IP);
        assertThat(set.matchStage(QNAME, null, ANSWER, NAME_SERVERS, NAME_SERVER_ADDRESSES).trigger())
                .isEqualTo(TriggerType.QNAME);
        assertThat(set.matchStage(null, null, ANSWER, NAME_SERVERS, NAME_SERVER_ADDRESSES).trigger())
                .isEqualTo(TriggerType.RESPONSE_IP);
        assertThat(set.matchStage(null, null, null, NAME_SERVERS, NAME_SERVER_ADDRESSES).trigger())
                .isEqualTo(TriggerType.NSDNAME);
        assertThat(set.matchStage(null, null, null, null, NAME_SERVER_ADDRESSES).trigger())
                .isEqualTo(TriggerType.NSIP);
        assertThat(set.matchStage(null, null, null, null, null)).isNull();
    }

    @Test
    void stageEmptyListsMatchNothing() {
        PolicySet set = set(allTriggers("one.rpz."));

        assertThat(set.matchStage(null, null, List.of(), List.of(), NAME_SERVER_ADDRESSES).trigger())
                .isEqualTo(TriggerType.NSIP);
        assertThat(set.matchStage(null, null, List.of(), List.of(), List.of())).isNull();
    }

    @Test
    void stageZoneOrderBeatsTriggerType() {
        PolicyZone first = zone("first.rpz.").add("*.bad.example", "CNAME", "rpz-drop.").build();
        PolicyZone second = allTriggers("second.rpz.");

        PolicyMatch match = stage(set(first, second));

        // The QNAME rule of the first zone beats the client-IP rule of the second.
        assertThat(match.zone()).isSameAs(first);
        assertThat(match.trigger()).isEqualTo(TriggerType.QNAME);
        assertThat(match.rule().action()).isEqualTo(PolicyAction.DROP);

        assertThat(stage(set(second, first)).zone()).isSameAs(second);
        assertThat(stage(set(second, first)).trigger()).isEqualTo(TriggerType.CLIENT_IP);
    }

    @Test
    void stageLaterTriggerTypeOfEarlierZoneWins() {
        PolicyZone first = zone("first.rpz.").add("32.53.100.51.198.rpz-nsip", "CNAME", "rpz-tcp-only.").build();
        PolicyZone second = allTriggers("second.rpz.");

        PolicyMatch match = stage(set(first, second));

        // NSIP ranks last among trigger types, but its zone comes first.
        assertThat(match.zone()).isSameAs(first);
        assertThat(match.trigger()).isEqualTo(TriggerType.NSIP);
        assertThat(match.rule().action()).isEqualTo(PolicyAction.TCP_ONLY);
    }

    @Test
    void stageClientIpBeforeQname() {
        PolicyZone zone = zone("one.rpz.")
                .add("www.bad.example", "CNAME", ".")
                .add("32.10.2.0.192.rpz-client-ip", "CNAME", "rpz-passthru.")
                .build();

        PolicyMatch match = stage(set(zone));

        assertThat(match.trigger()).isEqualTo(TriggerType.CLIENT_IP);
        assertThat(match.rule().action()).isEqualTo(PolicyAction.PASSTHRU);
    }

    @Test
    void stageQnameBeforeResponseIp() {
        PolicyZone zone = zone("one.rpz.")
                .add("32.5.113.0.203.rpz-ip", "CNAME", ".")
                .add("*.bad.example", "CNAME", "*.")
                .build();

        PolicyMatch match = stage(set(zone));

        assertThat(match.trigger()).isEqualTo(TriggerType.QNAME);
        assertThat(match.rule().action()).isEqualTo(PolicyAction.NODATA);
    }

    @Test
    void stageResponseIpBeforeNsdname() {
        PolicyZone zone = zone("one.rpz.")
                .add("ns1.hoster.example.rpz-nsdname", "CNAME", ".")
                .add("24.0.113.0.203.rpz-ip", "CNAME", "rpz-drop.")
                .build();

        PolicyMatch match = stage(set(zone));

        assertThat(match.trigger()).isEqualTo(TriggerType.RESPONSE_IP);
        assertThat(match.rule().action()).isEqualTo(PolicyAction.DROP);
    }

    @Test
    void stageNsdnameBeforeNsip() {
        PolicyZone zone = zone("one.rpz.")
                .add("32.53.100.51.198.rpz-nsip", "CNAME", ".")
                .add("*.hoster.example.rpz-nsdname", "CNAME", "rpz-tcp-only.")
                .build();

        PolicyMatch match = stage(set(zone));

        assertThat(match.trigger()).isEqualTo(TriggerType.NSDNAME);
        assertThat(match.rule().action()).isEqualTo(PolicyAction.TCP_ONLY);
    }

    @Test
    void stagePassthruStopsLaterZones() {
        PolicyZone allow = zone("allow.rpz.").add("www.bad.example", "CNAME", "rpz-passthru.").build();
        PolicyZone block = allTriggers("block.rpz.");

        PolicyMatch match = stage(set(allow, block));

        assertThat(match.zone()).isSameAs(allow);
        assertThat(match.trigger()).isEqualTo(TriggerType.QNAME);
        assertThat(match.rule().action()).isEqualTo(PolicyAction.PASSTHRU);
    }

    @Test
    void stagePassthruByResponseIpIsReturned() {
        PolicyZone allow = zone("allow.rpz.").add("32.5.113.0.203.rpz-ip", "CNAME", "rpz-passthru.").build();
        PolicyZone block = zone("block.rpz.").add("www.bad.example", "CNAME", ".").build();

        PolicyMatch match = set(allow, block).matchStage(QNAME, null, ANSWER, null, null);

        assertThat(match.zone()).isSameAs(allow);
        assertThat(match.trigger()).isEqualTo(TriggerType.RESPONSE_IP);
        assertThat(match.rule().action()).isEqualTo(PolicyAction.PASSTHRU);
        // Before the answer is known, only the QNAME rule of the second zone can match.
        assertThat(set(allow, block).matchStage(QNAME, null, null, null, null).zone()).isSameAs(block);
    }

    @Test
    void stageSkipsZonesWithoutHit() {
        PolicyZone unrelated = zone("unrelated.rpz.")
                .add("other.example", "CNAME", ".")
                .add("32.1.1.1.1.rpz-client-ip", "CNAME", ".")
                .add("ns.other.example.rpz-nsdname", "CNAME", ".")
                .build();
        PolicyZone nsip = zone("nsip.rpz.").add("24.0.100.51.198.rpz-nsip", "CNAME", "rpz-drop.").build();

        PolicyMatch match = stage(set(unrelated, nsip));

        assertThat(match.zone()).isSameAs(nsip);
        assertThat(match.trigger()).isEqualTo(TriggerType.NSIP);
        assertThat(stage(set(unrelated))).isNull();
        assertThat(stage(PolicySet.EMPTY)).isNull();
    }

    // PolicyMatch

    @Test
    void policyMatchRecordsTriggerType() {
        PolicyZone zone = allTriggers("one.rpz.");
        PolicyRule qnameRule = zone.matchQname(QNAME);
        PolicyRule clientRule = zone.matchClientIp(CLIENT);

        assertThat(new PolicyMatch(zone, qnameRule).trigger()).isEqualTo(TriggerType.QNAME);
        assertThat(new PolicyMatch(zone, clientRule, TriggerType.CLIENT_IP).trigger()).isEqualTo(TriggerType.CLIENT_IP);
        assertThat(set(zone).matchQname(QNAME).trigger()).isEqualTo(TriggerType.QNAME);
    }

    @Test
    void policyMatchRejectsWrongTriggerType() {
        PolicyZone zone = allTriggers("one.rpz.");
        PolicyRule clientRule = zone.matchClientIp(CLIENT);

        assertThatThrownBy(() -> new PolicyMatch(zone, clientRule))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("trigger qname does not match rule 24.0.2.0.192.rpz-client-ip., whose trigger type is client-ip");
    }

    @Test
    void nullElementsAreRejected() {
        PolicySet set = set(allTriggers("one.rpz."));
        List<InetAddress> withNull = Arrays.asList(ip("203.0.113.5"), null);

        assertThatThrownBy(() -> set.matchResponseIps(withNull)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> set.matchResponseIps(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> set.matchClientIp(null)).isInstanceOf(NullPointerException.class);
    }
}
