package dev.rpzgate.source;

import static dev.rpzgate.source.TestZones.RPZ_LOCAL;
import static dev.rpzgate.source.TestZones.SETTINGS;
import static dev.rpzgate.source.TestZones.zoneFile;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rpzgate.policy.LocalAnswer;
import dev.rpzgate.policy.PolicyAction;
import dev.rpzgate.policy.PolicyRule;
import dev.rpzgate.policy.PolicyZone;
import dev.rpzgate.policy.TriggerType;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.RRset;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

class ActionsZoneTest {

    private static PolicyZone zone;

    @BeforeAll
    static void loadZone() throws ZoneLoadException {
        zone = RpzZoneFileLoader.load(zoneFile("actions.rpz"), RPZ_LOCAL, SETTINGS);
    }

    private static Name name(String text) {
        return Name.fromConstantString(text);
    }

    private static PolicyRule match(String qname) {
        PolicyRule rule = zone.matchQname(name(qname));
        assertThat(rule).as("rule for %s", qname).isNotNull();
        return rule;
    }

    @Test
    void zoneMetadataFromApex() {
        assertThat(zone.name()).isEqualTo(RPZ_LOCAL);
        assertThat(zone.serial()).isEqualTo(2024061501L);
        assertThat(zone.soa().getHost()).isEqualTo(name("ns.rpz.local."));
        assertThat(zone.skipped()).isEmpty();
        assertThat(zone.source()).isEqualTo(zoneFile("actions.rpz").toString());
    }

    @Test
    void ruleCountCountsOwnersNotRecords() {
        // 6 action owners, data.example, 2 rewrite owners, and bad.example with 2 wildcards below it.
        assertThat(zone.ruleCount()).isEqualTo(12);
        assertThat(zone.qnameRuleCount()).isEqualTo(12);
    }

    @Test
    void cnameTargetsSelectActions() {
        assertThat(match("nxdomain.example.").action()).isEqualTo(PolicyAction.NXDOMAIN);
        assertThat(match("nodata.example.").action()).isEqualTo(PolicyAction.NODATA);
        assertThat(match("passthru.example.").action()).isEqualTo(PolicyAction.PASSTHRU);
        assertThat(match("old-passthru.example.").action()).isEqualTo(PolicyAction.PASSTHRU);
        assertThat(match("drop.example.").action()).isEqualTo(PolicyAction.DROP);
        assertThat(match("tcp-only.example.").action()).isEqualTo(PolicyAction.TCP_ONLY);
        assertThat(match("data.example.").action()).isEqualTo(PolicyAction.LOCAL_DATA);
        assertThat(match("rewrite.example.").action()).isEqualTo(PolicyAction.LOCAL_DATA);
    }

    @Test
    void actionLabelsForMetrics() {
        assertThat(PolicyAction.TCP_ONLY.label()).isEqualTo("tcp-only");
        assertThat(PolicyAction.LOCAL_DATA.label()).isEqualTo("local-data");
        assertThat(PolicyAction.NXDOMAIN.label()).isEqualTo("nxdomain");
    }

    @Test
    void ruleNamesOwnerAndTrigger() {
        PolicyRule exact = match("nxdomain.example.");
        assertThat(exact.owner()).isEqualTo(name("nxdomain.example.rpz.local."));
        assertThat(exact.trigger()).isEqualTo(name("nxdomain.example."));
        assertThat(exact.wildcard()).isFalse();
        assertThat(exact.triggerType()).isEqualTo(TriggerType.QNAME);

        PolicyRule wildcard = match("www.bad.example.");
        assertThat(wildcard.owner()).isEqualTo(name("*.bad.example.rpz.local."));
        assertThat(wildcard.trigger()).isEqualTo(name("*.bad.example."));
        assertThat(wildcard.wildcard()).isTrue();
    }

    @Test
    void actionRulesHaveNoLocalData() {
        PolicyRule rule = match("nxdomain.example.");
        assertThat(rule.localData()).isEmpty();
        assertThat(rule.cname()).isNull();
        assertThat(rule.rrset(Type.A)).isNull();
        assertThatThrownBy(() -> rule.localAnswer(name("nxdomain.example."), Type.A, 5))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("nxdomain");
    }

    @Test
    void localDataMergesRRsetsInFileOrder() throws Exception {
        PolicyRule rule = match("data.example.");

        List<RRset> rrsets = rule.localData();
        assertThat(rrsets).extracting(RRset::getType)
                .containsExactly(Type.A, Type.AAAA, Type.TXT, Type.MX);
        assertThat(rrsets.get(0).getName()).isEqualTo(name("data.example.rpz.local."));

        RRset a = rule.rrset(Type.A);
        assertThat(a.rrs(false)).extracting(record -> ((ARecord) record).getAddress())
                .containsExactly(InetAddress.getByName("192.0.2.1"), InetAddress.getByName("192.0.2.2"));
        assertThat(a.getTTL()).isEqualTo(300);
        assertThat(rule.rrset(Type.AAAA).getTTL()).isEqualTo(600);
        assertThat(((TXTRecord) rule.rrset(Type.TXT).first()).getStrings())
                .containsExactly("blocked by policy");
        assertThat(((MXRecord) rule.rrset(Type.MX).first()).getTarget()).isEqualTo(name("mail.example."));
        assertThat(rule.cname()).isNull();
    }

    @Test
    void localDataCopiesDoNotChangeRule() {
        PolicyRule rule = match("data.example.");
        RRset copy = rule.rrset(Type.A);
        copy.clear();
        assertThat(rule.rrset(Type.A).size()).isEqualTo(2);
    }

    @Test
    void localAnswerReturnsQtypeRRset() throws Exception {
        Name qname = name("Data.Example.");
        LocalAnswer answer = match("data.example.").localAnswer(qname, Type.A, 3600);

        assertThat(answer.rcode()).isEqualTo(Rcode.NOERROR);
        assertThat(answer.isNoData()).isFalse();
        assertThat(answer.rrsets()).hasSize(1);
        List<Record> records = answer.records();
        assertThat(records).hasSize(2);
        for (Record record : records) {
            assertThat(record.getName()).isEqualTo(qname);
            assertThat(record.getName().toString()).isEqualTo("Data.Example.");
            assertThat(record.getType()).isEqualTo(Type.A);
            assertThat(record.getTTL()).isEqualTo(300);
        }
        assertThat(records).extracting(record -> ((ARecord) record).getAddress())
                .containsExactly(InetAddress.getByName("192.0.2.1"), InetAddress.getByName("192.0.2.2"));
    }

    @Test
    void localAnswerCapsTtl() throws Exception {
        PolicyRule rule = match("data.example.");
        Name qname = name("data.example.");

        LocalAnswer capped = rule.localAnswer(qname, Type.AAAA, SETTINGS.maxPolicyTtlSeconds());
        assertThat(capped.records()).singleElement().satisfies(record -> {
            assertThat(record.getTTL()).isEqualTo(5);
            assertThat(((AAAARecord) record).getAddress()).isEqualTo(InetAddress.getByName("2001:db8::1"));
        });

        LocalAnswer uncapped = rule.localAnswer(qname, Type.AAAA, 1000);
        assertThat(uncapped.records()).singleElement()
                .extracting(Record::getTTL).isEqualTo(600L);

        assertThatThrownBy(() -> rule.localAnswer(qname, Type.A, -1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void localAnswerWithoutQtypeIsNoData() {
        LocalAnswer answer = match("data.example.").localAnswer(name("data.example."), Type.SRV, 60);
        assertThat(answer.rcode()).isEqualTo(Rcode.NOERROR);
        assertThat(answer.isNoData()).isTrue();
        assertThat(answer.records()).isEmpty();
    }

    @Test
    void localAnswerForAnyReturnsAllRRsets() {
        Name qname = name("data.example.");
        LocalAnswer answer = match("data.example.").localAnswer(qname, Type.ANY, 60);
        assertThat(answer.rrsets()).extracting(RRset::getType)
                .containsExactly(Type.A, Type.AAAA, Type.TXT, Type.MX);
        assertThat(answer.records()).hasSize(5).allSatisfy(record -> {
            assertThat(record.getName()).isEqualTo(qname);
            assertThat(record.getTTL()).isEqualTo(60);
        });
    }

    @Test
    void cnameRewriteAnswersEveryQtype() {
        PolicyRule rule = match("rewrite.example.");
        assertThat(rule.cname().getTarget()).isEqualTo(name("walled.garden.example."));

        Name qname = name("rewrite.example.");
        for (int qtype : new int[] {Type.A, Type.AAAA, Type.CNAME, Type.ANY}) {
            LocalAnswer answer = rule.localAnswer(qname, qtype, 5);
            assertThat(answer.records()).as("qtype %s", Type.string(qtype)).singleElement().satisfies(record -> {
                assertThat(record.getName()).isEqualTo(qname);
                assertThat(record.getTTL()).isEqualTo(5);
                assertThat(((CNAMERecord) record).getTarget()).isEqualTo(name("walled.garden.example."));
            });
        }
    }

    @Test
    void wildcardCnameTargetPrependsQname() {
        Name qname = name("a.b.wild-rewrite.example.");
        PolicyRule rule = match("a.b.wild-rewrite.example.");
        assertThat(rule.trigger()).isEqualTo(name("*.wild-rewrite.example."));

        LocalAnswer answer = rule.localAnswer(qname, Type.A, 5);
        assertThat(answer.records()).singleElement().satisfies(record -> {
            assertThat(record.getName()).isEqualTo(qname);
            assertThat(((CNAMERecord) record).getTarget())
                    .isEqualTo(name("a.b.wild-rewrite.example.garden.example."));
        });
    }

    @Test
    void wildcardPairsMatchNameAndSubdomains() {
        assertThat(match("bad.example.").trigger()).isEqualTo(name("bad.example."));
        assertThat(match("www.bad.example.").trigger()).isEqualTo(name("*.bad.example."));
        assertThat(match("a.b.bad.example.").action()).isEqualTo(PolicyAction.NXDOMAIN);
        assertThat(match("x.deep.bad.example.").trigger()).isEqualTo(name("*.deep.bad.example."));
        assertThat(match("x.deep.bad.example.").action()).isEqualTo(PolicyAction.NODATA);
        // deep.bad.example. exists as the parent of *.deep.bad.example., so no wildcard stands for it.
        assertThat(zone.matchQname(name("deep.bad.example."))).isNull();
        assertThat(zone.matchQname(name("example."))).isNull();
        assertThat(zone.matchQname(name("good.example."))).isNull();
    }
}
