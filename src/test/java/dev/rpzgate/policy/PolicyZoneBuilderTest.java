package dev.rpzgate.policy;

import static dev.rpzgate.policy.ZoneBuilding.name;
import static dev.rpzgate.policy.ZoneBuilding.zone;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Name;
import org.xbill.DNS.RRset;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

class PolicyZoneBuilderTest {

    private static final Name ORIGIN = name("rpz.local.");

    @Test
    void metaTypesAreSkipped() {
        Name owner = name("meta.example.rpz.local.");
        PolicyZone zone = zone("rpz.local.")
                .add(Record.newRecord(owner, Type.OPT, DClass.IN, 0))
                .add(Record.newRecord(owner, Type.TSIG, DClass.IN, 0))
                .add(Record.newRecord(owner, Type.TKEY, DClass.IN, 0))
                .add(Record.newRecord(owner, Type.NSEC3, DClass.IN, 0))
                .build();

        assertThat(zone.skipped()).extracting(SkippedRecord::reason).containsExactly(
                "OPT is not allowed as policy data",
                "TSIG is not allowed as policy data",
                "TKEY is not allowed as policy data",
                "NSEC3 is not allowed as policy data");
        assertThat(zone.skipped()).extracting(SkippedRecord::line).containsExactly(1, 2, 3, 4);
        assertThat(zone.ruleCount()).isZero();
    }

    @Test
    void classOtherThanInIsSkipped() throws Exception {
        Record chaos = Record.fromString(
                name("chaos.example.rpz.local."), Type.TXT, DClass.CH, 300, "\"x\"", ORIGIN);
        PolicyZone zone = zone("rpz.local.").add(chaos).build();

        assertThat(zone.skipped()).singleElement()
                .extracting(SkippedRecord::reason).isEqualTo("class CH is not IN");
    }

    @Test
    void secondSoaIsSkipped() {
        PolicyZone zone = zone("rpz.local.")
                .add("@", "SOA", "ns admin 11 3600 600 86400 60")
                .add("@", "SOA", "ns admin 12 3600 600 86400 60")
                .add("@", "NS", "ns")
                .build();

        assertThat(zone.serial()).isEqualTo(11);
        assertThat(zone.skipped()).singleElement().satisfies(skipped -> {
            assertThat(skipped.reason()).isEqualTo("second SOA record at the zone apex");
            assertThat(skipped.line()).isEqualTo(2);
        });
    }

    @Test
    void oldPassthruFormForWildcard() {
        PolicyZone zone = zone("rpz.local.")
                .add("*.ok.example", "CNAME", "*.ok.example.")
                .add("ok.example", "CNAME", "OK.example.")
                .build();

        assertThat(zone.matchQname(name("www.ok.example.")).action()).isEqualTo(PolicyAction.PASSTHRU);
        assertThat(zone.matchQname(name("ok.example.")).action()).isEqualTo(PolicyAction.PASSTHRU);
    }

    @Test
    void cnameToOwnerWithOriginIsRewrite() {
        // The target is absolute, so a target that repeats the policy owner is an ordinary rewrite.
        PolicyZone zone = zone("rpz.local.")
                .add("loop.example", "CNAME", "loop.example.rpz.local.")
                .build();

        assertThat(zone.matchQname(name("loop.example.")).action()).isEqualTo(PolicyAction.LOCAL_DATA);
    }

    @Test
    void actionTargetsIgnoreCase() {
        PolicyZone zone = zone("rpz.local.")
                .add("a.example", "CNAME", "RPZ-DROP.")
                .add("b.example", "CNAME", "Rpz-Passthru.")
                .build();

        assertThat(zone.matchQname(name("a.example.")).action()).isEqualTo(PolicyAction.DROP);
        assertThat(zone.matchQname(name("b.example.")).action()).isEqualTo(PolicyAction.PASSTHRU);
    }

    @Test
    void duplicateRecordsMergeWithLowestTtl() {
        ZoneBuilding building = zone("rpz.local.");
        PolicyZone zone = building
                .add(building.record("dup.example", "A", 600, "192.0.2.1"))
                .add(building.record("dup.example", "A", 60, "192.0.2.1"))
                .add(building.record("dup.example", "A", 300, "192.0.2.2"))
                .build();

        RRset rrset = zone.matchQname(name("dup.example.")).rrset(Type.A);
        assertThat(rrset.size()).isEqualTo(2);
        assertThat(rrset.getTTL()).isEqualTo(60);
        assertThat(zone.skipped()).isEmpty();
    }

    @Test
    void identicalCnameRewriteIsNotConflict() {
        PolicyZone zone = zone("rpz.local.")
                .add("r.example", "CNAME", "garden.example.")
                .add("r.example", "CNAME", "garden.example.")
                .add("r.example", "CNAME", "other.example.")
                .build();

        assertThat(zone.matchQname(name("r.example.")).cname().getTarget()).isEqualTo(name("garden.example."));
        assertThat(zone.skipped()).singleElement().satisfies(skipped -> {
            assertThat(skipped.line()).isEqualTo(3);
            assertThat(skipped.reason()).isEqualTo("conflicting action, the first rule at this owner is local-data");
        });
    }

    @Test
    void oversizedWildcardExpansionIsYxdomain() {
        PolicyZone zone = zone("rpz.local.")
                .add("*.example", "CNAME", "*." + "g".repeat(60) + "." + "h".repeat(60) + ".")
                .build();
        String label = "q".repeat(60);
        Name qname = name(label + "." + label + "." + label + ".example.");

        LocalAnswer answer = zone.matchQname(qname).localAnswer(qname, Type.A, 5);

        assertThat(answer.rcode()).isEqualTo(Rcode.YXDOMAIN);
        assertThat(answer.rrsets()).isEmpty();
        assertThat(answer.isNoData()).isFalse();
    }

    @Test
    void wildcardTargetExpandsWholeQname() {
        PolicyZone zone = zone("rpz.local.")
                .add("*.evil.example", "CNAME", "*.garden.example.")
                .build();
        Name qname = name("www.evil.example.");

        LocalAnswer answer = zone.matchQname(qname).localAnswer(qname, Type.AAAA, 5);

        assertThat(answer.records()).singleElement().satisfies(record ->
                assertThat(((CNAMERecord) record).getTarget()).isEqualTo(name("www.evil.example.garden.example.")));
    }

    @Test
    void localAnswerKeepsRdata() throws Exception {
        PolicyZone zone = zone("rpz.local.")
                .add("a.example", "A", "192.0.2.7")
                .build();
        Name qname = name("A.EXAMPLE.");

        Record record = zone.matchQname(qname).localAnswer(qname, Type.A, 1).records().get(0);

        assertThat(record).isInstanceOf(ARecord.class);
        assertThat(((ARecord) record).getAddress().getHostAddress()).isEqualTo("192.0.2.7");
        assertThat(record.getTTL()).isEqualTo(1);
        assertThat(record.getName().toString()).isEqualTo("A.EXAMPLE.");
    }

    @Test
    void builderIsSingleUse() {
        PolicyZoneBuilder builder = new PolicyZoneBuilder(ORIGIN, ZoneBuilding.SETTINGS, "test");
        builder.build();

        assertThatThrownBy(builder::build).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> builder.add(Record.newRecord(name("x.rpz.local."), Type.A, DClass.IN), 1))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void relativeOriginIsRejected() {
        assertThatThrownBy(() -> new PolicyZoneBuilder(name("relative"), ZoneBuilding.SETTINGS, "test"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void zoneSettingsRejectNegativeTtl() {
        assertThatThrownBy(() -> new ZoneSettings(java.time.Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(new ZoneSettings(java.time.Duration.ofMillis(5999)).maxPolicyTtlSeconds()).isEqualTo(5);
    }

    @Test
    void oldPassthruFormOfIpTrigger() throws Exception {
        PolicyZone zone = zone("rpz.local.")
                .add("32.1.2.0.192.rpz-ip", "CNAME", "32.1.2.0.192.")
                .add("24.0.100.51.198.rpz-ip", "CNAME", "garden.example.")
                .build();

        assertThat(zone.ipRules()).hasSize(2);
        assertThat(zone.matchResponseIp(InetAddress.getByName("192.0.2.1")).rule().action())
                .isEqualTo(PolicyAction.PASSTHRU);
        assertThat(zone.matchResponseIp(InetAddress.getByName("198.51.100.1")).rule().action())
                .as("a CNAME to another name stays a rewrite").isEqualTo(PolicyAction.LOCAL_DATA);
    }
}
