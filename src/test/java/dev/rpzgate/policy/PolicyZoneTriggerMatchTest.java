package dev.rpzgate.policy;

import static dev.rpzgate.policy.IpPrefixTableTest.ip;
import static dev.rpzgate.policy.IpPrefixTableTest.mapped;
import static dev.rpzgate.policy.ZoneBuilding.name;
import static dev.rpzgate.policy.ZoneBuilding.zone;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PolicyZoneTriggerMatchTest {

    private static final PolicyZone ZONE = zone("rpz.local.")
            .add("24.0.2.0.192.rpz-client-ip", "CNAME", "rpz-drop.")
            .add("32.7.2.0.192.rpz-client-ip", "CNAME", "rpz-passthru.")
            .add("64.zz.1.db8.2001.rpz-client-ip", "CNAME", "rpz-tcp-only.")
            .add("24.0.113.0.203.rpz-ip", "CNAME", ".")
            .add("32.9.113.0.203.rpz-ip", "A", "192.0.2.80")
            .add("48.zz.db8.2001.rpz-ip", "CNAME", "*.")
            .add("16.0.0.51.198.rpz-nsip", "CNAME", ".")
            .add("128.53.zz.db8.2001.rpz-nsip", "CNAME", "rpz-drop.")
            .add("ns1.bad-hoster.example.rpz-nsdname", "CNAME", ".")
            .add("*.bad-hoster.example.rpz-nsdname", "CNAME", "*.")
            .add("*.deep.bad-hoster.example.rpz-nsdname", "CNAME", "rpz-drop.")
            .add("Mixed.Case.example.rpz-nsdname", "CNAME", ".")
            .add("blocked.example", "CNAME", ".")
            .build();

    @Test
    void clientIpMatchesLongestPrefix() {
        assertThat(ZONE.matchClientIp(ip("192.0.2.1")).action()).isEqualTo(PolicyAction.DROP);
        assertThat(ZONE.matchClientIp(ip("192.0.2.7")).action()).isEqualTo(PolicyAction.PASSTHRU);
        assertThat(ZONE.matchClientIp(ip("192.0.2.7")).trigger()).isEqualTo(name("32.7.2.0.192.rpz-client-ip."));
        assertThat(ZONE.matchClientIp(mapped("192.0.2.7")).action()).isEqualTo(PolicyAction.PASSTHRU);
        assertThat(ZONE.matchClientIp(ip("2001:db8:1::53")).action()).isEqualTo(PolicyAction.TCP_ONLY);
        assertThat(ZONE.matchClientIp(ip("192.0.3.1"))).isNull();
        assertThat(ZONE.matchClientIp(ip("2001:db8:2::53"))).isNull();
    }

    @Test
    void responseIpReturnsRuleAndAddress() {
        IpTriggerMatch match = ZONE.matchResponseIp(ip("203.0.113.9"));

        assertThat(match.rule().trigger()).isEqualTo(name("32.9.113.0.203.rpz-ip."));
        assertThat(match.rule().action()).isEqualTo(PolicyAction.LOCAL_DATA);
        assertThat(match.address()).isEqualTo(ip("203.0.113.9"));
        assertThat(match.prefixLength()).isEqualTo(32);
        assertThat(match.ipv6PrefixLength()).isEqualTo(128);
    }

    @Test
    void responseIpMatchesBothFamilies() {
        assertThat(ZONE.matchResponseIp(ip("203.0.113.10")).rule().action()).isEqualTo(PolicyAction.NXDOMAIN);
        assertThat(ZONE.matchResponseIp(ip("203.0.113.10")).prefixLength()).isEqualTo(24);

        IpTriggerMatch ipv6 = ZONE.matchResponseIp(ip("2001:db8:0:1::1"));
        assertThat(ipv6.rule().action()).isEqualTo(PolicyAction.NODATA);
        assertThat(ipv6.prefixLength()).isEqualTo(48);
        assertThat(ipv6.ipv6PrefixLength()).isEqualTo(48);

        assertThat(ZONE.matchResponseIp(ip("203.0.114.1"))).isNull();
        assertThat(ZONE.matchResponseIp(ip("2001:db8:1::1"))).isNull();
    }

    @Test
    void nsipMatchesLongestPrefix() {
        assertThat(ZONE.matchNsip(ip("198.51.7.7")).rule().action()).isEqualTo(PolicyAction.NXDOMAIN);
        assertThat(ZONE.matchNsip(ip("198.51.7.7")).prefixLength()).isEqualTo(16);
        assertThat(ZONE.matchNsip(ip("2001:db8::53")).rule().action()).isEqualTo(PolicyAction.DROP);
        assertThat(ZONE.matchNsip(ip("2001:db8::54"))).isNull();
        assertThat(ZONE.matchNsip(ip("198.52.0.1"))).isNull();
    }

    @Test
    void triggerTypesDoNotMix() {
        // 192.0.2.1 is only a client-IP rule, 203.0.113.9 only a response-IP rule and
        // 198.51.0.1 only an NSIP rule.
        assertThat(ZONE.matchResponseIp(ip("192.0.2.1"))).isNull();
        assertThat(ZONE.matchNsip(ip("192.0.2.1"))).isNull();
        assertThat(ZONE.matchClientIp(ip("203.0.113.9"))).isNull();
        assertThat(ZONE.matchNsip(ip("203.0.113.9"))).isNull();
        assertThat(ZONE.matchClientIp(ip("198.51.0.1"))).isNull();
        assertThat(ZONE.matchResponseIp(ip("198.51.0.1"))).isNull();
        // NSDNAME rules are not QNAME rules, and QNAME rules are not NSDNAME rules.
        assertThat(ZONE.matchQname(name("ns1.bad-hoster.example."))).isNull();
        assertThat(ZONE.matchNsdname(name("blocked.example."))).isNull();
    }

    @Test
    void nsdnameExactBeatsWildcard() {
        PolicyRule exact = ZONE.matchNsdname(name("ns1.bad-hoster.example."));
        assertThat(exact.trigger()).isEqualTo(name("ns1.bad-hoster.example.rpz-nsdname."));
        assertThat(exact.action()).isEqualTo(PolicyAction.NXDOMAIN);
        assertThat(exact.triggerType()).isEqualTo(TriggerType.NSDNAME);

        PolicyRule wildcard = ZONE.matchNsdname(name("ns2.bad-hoster.example."));
        assertThat(wildcard.trigger()).isEqualTo(name("*.bad-hoster.example.rpz-nsdname."));
        assertThat(wildcard.action()).isEqualTo(PolicyAction.NODATA);
    }

    @Test
    void nsdnameLongerWildcardWins() {
        assertThat(ZONE.matchNsdname(name("a.deep.bad-hoster.example.")).action()).isEqualTo(PolicyAction.DROP);
        assertThat(ZONE.matchNsdname(name("a.b.deep.bad-hoster.example.")).action()).isEqualTo(PolicyAction.DROP);
        // deep.bad-hoster.example. exists as the parent of its wildcard, so no wildcard stands for it.
        assertThat(ZONE.matchNsdname(name("deep.bad-hoster.example."))).isNull();
    }

    @Test
    void nsdnameWildcardNeverMatchesItsApex() {
        assertThat(ZONE.matchNsdname(name("bad-hoster.example."))).isNull();
        assertThat(ZONE.matchNsdname(name("example."))).isNull();
        assertThat(ZONE.matchNsdname(name("ns1.good-hoster.example."))).isNull();
    }

    @Test
    void nsdnameIgnoresCase() {
        assertThat(ZONE.matchNsdname(name("NS1.BAD-HOSTER.EXAMPLE.")).action()).isEqualTo(PolicyAction.NXDOMAIN);
        assertThat(ZONE.matchNsdname(name("mixed.case.example.")).trigger())
                .isEqualTo(name("Mixed.Case.example.rpz-nsdname."));
    }

    @Test
    void nsdnameWildcardAtRootMatchesEveryName() {
        PolicyZone zone = zone("rpz.local.")
                .add("*.rpz-nsdname", "CNAME", ".")
                .add("ns.allowed.example.rpz-nsdname", "CNAME", "rpz-passthru.")
                .build();

        assertThat(zone.matchNsdname(name("ns.anything.test.")).action()).isEqualTo(PolicyAction.NXDOMAIN);
        // example. exists as the parent of ns.allowed.example., and has no wildcard of its own.
        assertThat(zone.matchNsdname(name("ns.anything.example."))).isNull();
        assertThat(zone.matchNsdname(name("ns.allowed.example.")).action()).isEqualTo(PolicyAction.PASSTHRU);
        assertThat(zone.matchNsdname(name("."))).isNull();
    }

    @Test
    void ruleListsKeepFileOrder() {
        assertThat(ZONE.clientIpRules()).extracting(rule -> rule.rule().trigger().toString()).containsExactly(
                "24.0.2.0.192.rpz-client-ip.", "32.7.2.0.192.rpz-client-ip.", "64.zz.1.db8.2001.rpz-client-ip.");
        assertThat(ZONE.ipRules()).hasSize(3);
        assertThat(ZONE.nsipRules()).hasSize(2);
        assertThat(ZONE.nsdnameRules()).hasSize(4);
        assertThat(ZONE.qnameRuleCount()).isEqualTo(1);
        assertThat(ZONE.ruleCount()).isEqualTo(13);
    }

    @Test
    void zoneWithoutSpecialTriggersMatchesNothing() {
        PolicyZone zone = zone("rpz.local.").add("blocked.example", "CNAME", ".").build();

        assertThat(zone.matchClientIp(ip("192.0.2.1"))).isNull();
        assertThat(zone.matchResponseIp(ip("2001:db8::1"))).isNull();
        assertThat(zone.matchNsip(ip("192.0.2.1"))).isNull();
        assertThat(zone.matchNsdname(name("ns.example."))).isNull();
    }
}
