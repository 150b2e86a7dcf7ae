package dev.rpzgate.source;

import static dev.rpzgate.source.TestZones.RPZ_LOCAL;
import static dev.rpzgate.source.TestZones.SETTINGS;
import static dev.rpzgate.source.TestZones.lineOf;
import static dev.rpzgate.source.TestZones.linesOf;
import static dev.rpzgate.source.TestZones.zoneFile;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rpzgate.policy.IpTriggerRule;
import dev.rpzgate.policy.NsdnameRule;
import dev.rpzgate.policy.PolicyAction;
import dev.rpzgate.policy.PolicyRule;
import dev.rpzgate.policy.PolicyZone;
import dev.rpzgate.policy.SkippedRecord;
import dev.rpzgate.policy.TriggerType;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.Type;

class SkippedRecordsTest {

    private static final Path FILE = zoneFile("skips.rpz");
    private static PolicyZone zone;

    @BeforeAll
    static void loadZone() throws ZoneLoadException {
        zone = RpzZoneFileLoader.load(FILE, RPZ_LOCAL, SETTINGS);
    }

    private static Name name(String text) {
        return Name.fromConstantString(text);
    }

    /** Returns the skipped records whose owner is {@code owner} relative to rpz.local. */
    private static List<SkippedRecord> skippedAt(String owner) {
        Name absolute = owner.endsWith(".") ? name(owner) : name(owner + ".rpz.local.");
        return zone.skipped().stream().filter(s -> s.owner().equals(absolute)).toList();
    }

    /** Asserts that the record starting the line {@code linePrefix} was skipped for {@code reason}. */
    private static void assertSkipped(String owner, String linePrefix, String reason) {
        int line = lineOf(FILE, linePrefix);
        assertThat(skippedAt(owner))
                .as("skipped records of %s", owner)
                .anySatisfy(skipped -> {
                    assertThat(skipped.line()).isEqualTo(line);
                    assertThat(skipped.reason()).contains(reason);
                    assertThat(skipped.file()).isEqualTo(FILE.toString());
                });
    }

    @Test
    void apexRecordsAreMetadata() {
        assertThat(zone.serial()).isEqualTo(7);
        assertSkipped("rpz.local.", "@                       TXT", "record at the zone apex is not a policy rule");
        assertThat(skippedAt("rpz.local.")).hasSize(1);
    }

    @Test
    void validRuleBesideSkippedOnes() {
        assertThat(zone.matchQname(name("ok.example.")).action()).isEqualTo(PolicyAction.NXDOMAIN);
    }

    @Test
    void disallowedTypesAreSkipped() {
        assertSkipped("dname.example", "dname.example", "DNAME is not allowed as policy data");
        assertSkipped("nsec.example", "nsec.example", "NSEC is not allowed as policy data");
        assertSkipped("rrsig.example", "rrsig.example", "RRSIG is not allowed as policy data");
        assertSkipped("dnskey.example", "dnskey.example", "DNSKEY is not allowed as policy data");
        assertSkipped("ds.example", "ds.example", "DS is not allowed as policy data");
        assertSkipped("nsec3param.example", "nsec3param.example", "NSEC3PARAM is not allowed as policy data");
        assertSkipped("soa-below.example", "soa-below.example", "SOA is not allowed as policy data");
        assertSkipped("ns-below.example", "ns-below.example", "NS is not allowed as policy data");
        assertThat(zone.matchQname(name("dname.example."))).isNull();
        assertThat(zone.matchQname(name("ns-below.example."))).isNull();
    }

    @Test
    void unknownRpzActionIsCnameRewrite() {
        // BIND 9 reads a CNAME to an unknown rpz- name as a rewrite to that name.
        PolicyRule rule = zone.matchQname(name("bogus-action.example."));

        assertThat(skippedAt("bogus-action.example.")).isEmpty();
        assertThat(rule.action()).isEqualTo(PolicyAction.LOCAL_DATA);
        assertThat(rule.cname().getTarget()).isEqualTo(name("rpz-bogus."));
    }

    @Test
    void unknownRpzTriggerLabelIsQnameTrigger() {
        // BIND 9 reads only rpz-ip, rpz-client-ip, rpz-nsdname and rpz-nsip as trigger labels, so any other label is part of a QNAME.
        PolicyRule rule = zone.matchQname(name("trigger.rpz-bogus."));

        assertThat(skippedAt("trigger.rpz-bogus.")).isEmpty();
        assertThat(rule.action()).isEqualTo(PolicyAction.NXDOMAIN);
    }

    @Test
    void recordOutsideOriginIsSkipped() {
        assertSkipped("outside.other.", "outside.other.", "outside the zone origin rpz.local.");
        assertThat(zone.matchQname(name("outside.other."))).isNull();
    }

    @Test
    void dataAfterCnameRewriteIsSkipped() {
        int aLine = linesOf(FILE, "cname-first.example").get(1);
        assertThat(skippedAt("cname-first.example")).singleElement().satisfies(skipped -> {
            assertThat(skipped.line()).isEqualTo(aLine);
            assertThat(skipped.reason()).isEqualTo("CNAME and other data at one owner");
        });
        var rule = zone.matchQname(name("cname-first.example."));
        assertThat(rule.cname().getTarget()).isEqualTo(name("walled.garden.example."));
        assertThat(rule.rrset(Type.A)).isNull();
    }

    @Test
    void cnameRewriteAfterDataIsSkipped() throws Exception {
        int cnameLine = linesOf(FILE, "data-first.example").get(1);
        assertThat(skippedAt("data-first.example")).singleElement().satisfies(skipped -> {
            assertThat(skipped.line()).isEqualTo(cnameLine);
            assertThat(skipped.reason()).isEqualTo("CNAME and other data at one owner");
        });
        var rule = zone.matchQname(name("data-first.example."));
        assertThat(rule.cname()).isNull();
        assertThat(((ARecord) rule.rrset(Type.A).first()).getAddress())
                .isEqualTo(InetAddress.getByName("192.0.2.1"));
    }

    @Test
    void actionCnameWinsOverEarlierData() {
        List<Integer> lines = linesOf(FILE, "action-last.example");
        assertThat(skippedAt("action-last.example"))
                .extracting(SkippedRecord::line)
                .containsExactly(lines.get(0), lines.get(1));
        assertThat(skippedAt("action-last.example"))
                .extracting(SkippedRecord::reason)
                .containsOnly("CNAME and other data at one owner");
        var rule = zone.matchQname(name("action-last.example."));
        assertThat(rule.action()).isEqualTo(PolicyAction.NXDOMAIN);
        assertThat(rule.localData()).isEmpty();
    }

    @Test
    void conflictingActionKeepsFirst() {
        List<Integer> lines = linesOf(FILE, "conflict.example");
        assertThat(lines).hasSize(3);
        // The third line repeats the first rule, so it is a duplicate and not skipped.
        assertThat(skippedAt("conflict.example")).singleElement().satisfies(skipped -> {
            assertThat(skipped.line()).isEqualTo(lines.get(1));
            assertThat(skipped.reason()).isEqualTo("conflicting action, the first rule at this owner is nxdomain");
        });
        assertThat(zone.matchQname(name("conflict.example.")).action()).isEqualTo(PolicyAction.NXDOMAIN);
    }

    @Test
    void rpzIpWithHostBitsIsSkipped() {
        assertSkipped("24.1.2.0.192.rpz-ip", "24.1.2.0.192.rpz-ip",
                "invalid rpz-ip trigger: address has bits set beyond prefix length 24");
        assertSkipped("64.1.zz.db8.2001.rpz-ip", "64.1.zz.db8.2001.rpz-ip",
                "address has bits set beyond prefix length 64");
    }

    @Test
    void rpzIpPrefixOutOfRange() {
        assertSkipped("33.0.2.0.192.rpz-ip", "33.0.2.0.192.rpz-ip", "prefix length 33 is out of range 1..32 for IPv4");
        assertSkipped("0.0.0.0.0.rpz-ip", "0.0.0.0.0.rpz-ip", "prefix length 0 is out of range 1..32 for IPv4");
        assertSkipped("129.1.zz.db8.2001.rpz-ip", "129.1.zz.db8.2001.rpz-ip",
                "prefix length 129 is out of range 1..128 for IPv6");
    }

    @Test
    void malformedRpzIpIsSkipped() {
        assertSkipped("32.256.2.0.192.rpz-ip", "32.256.2.0.192.rpz-ip", "IPv4 octet '256' is not a decimal number 0..255");
        assertSkipped("1.0.218.230.rpz-ip", "1.0.218.230.rpz-ip",
                "3 address labels, but IPv4 needs 4 and IPv6 needs 8 or fewer with zz");
        assertSkipped("128.1.zz.zz.2001.rpz-ip", "128.1.zz.zz.2001.rpz-ip", "more than one zz label");
        assertSkipped("128.1g.zz.db8.2001.rpz-ip", "128.1g.zz.db8.2001.rpz-ip",
                "IPv6 group '1g' is not 1 to 4 hexadecimal digits");
        assertSkipped("rpz-nsdname", "rpz-nsdname", "invalid rpz-nsdname trigger: no name server name");
    }

    @Test
    void validIpTriggersAreKept() throws Exception {
        assertThat(zone.ipRules()).hasSize(2);

        IpTriggerRule v4 = zone.ipRules().get(0);
        assertThat(v4.address()).isInstanceOf(Inet4Address.class);
        assertThat(v4.address()).isEqualTo(InetAddress.getByName("192.0.2.1"));
        assertThat(v4.prefixLength()).isEqualTo(32);
        assertThat(v4.rule().trigger()).isEqualTo(name("32.1.2.0.192.rpz-ip."));
        assertThat(v4.rule().triggerType()).isEqualTo(TriggerType.RESPONSE_IP);
        assertThat(v4.rule().action()).isEqualTo(PolicyAction.NXDOMAIN);

        IpTriggerRule v6 = zone.ipRules().get(1);
        assertThat(v6.address()).isInstanceOf(Inet6Address.class);
        assertThat(v6.address()).isEqualTo(InetAddress.getByName("2001:db8::1"));
        assertThat(v6.prefixLength()).isEqualTo(128);

        assertThat(zone.clientIpRules()).singleElement().satisfies(rule -> {
            assertThat(rule.address()).isEqualTo(InetAddress.getByName("192.0.2.0"));
            assertThat(rule.prefixLength()).isEqualTo(24);
            assertThat(rule.rule().action()).isEqualTo(PolicyAction.DROP);
            assertThat(rule.rule().triggerType()).isEqualTo(TriggerType.CLIENT_IP);
        });
        assertThat(zone.nsipRules()).singleElement().satisfies(rule -> {
            assertThat(rule.address()).isEqualTo(InetAddress.getByName("2001:db8::"));
            assertThat(rule.prefixLength()).isEqualTo(48);
            assertThat(rule.rule().action()).isEqualTo(PolicyAction.PASSTHRU);
        });
    }

    @Test
    void nsdnameTriggerKeepsNameServer() {
        assertThat(zone.nsdnameRules()).singleElement().satisfies((NsdnameRule rule) -> {
            assertThat(rule.nameServer()).isEqualTo(name("*.ns.example."));
            assertThat(rule.rule().wildcard()).isTrue();
            assertThat(rule.rule().trigger()).isEqualTo(name("*.ns.example.rpz-nsdname."));
            assertThat(rule.rule().triggerType()).isEqualTo(TriggerType.NSDNAME);
        });
    }

    @Test
    void ipTriggersDoNotMatchQnames() {
        assertThat(zone.matchQname(name("32.1.2.0.192.rpz-ip."))).isNull();
        assertThat(zone.qnameRuleCount()).isEqualTo(7);
        assertThat(zone.ruleCount()).isEqualTo(7 + 2 + 1 + 1 + 1);
    }

    @Test
    void skippedListIsInLineOrder() {
        List<Integer> lines = zone.skipped().stream().map(SkippedRecord::line).toList();
        assertThat(lines).isSorted();
        assertThat(zone.skipped()).hasSize(25);
    }

    @Test
    void everySkippedRecordHasKnownCategory() {
        assertThat(zone.skipped()).extracting(SkippedRecord::category).doesNotContain("other");
        assertThat(zone.skipped()).extracting(SkippedRecord::category).contains("apex-record", "type-not-allowed",
                "outside-origin", "cname-and-other-data", "conflicting-action",
                "invalid-trigger");
    }
}
