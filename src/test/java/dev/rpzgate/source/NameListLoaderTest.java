package dev.rpzgate.source;

import static dev.rpzgate.source.TestZones.SETTINGS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rpzgate.policy.PolicyAction;
import dev.rpzgate.policy.PolicyRule;
import dev.rpzgate.policy.PolicyZone;
import dev.rpzgate.policy.SkippedRecord;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Name;
import org.xbill.DNS.SOARecord;

class NameListLoaderTest {

    private static final Name LIST = Name.fromConstantString("list.");

    private static LoadedZone load(String text, ZoneFormat format, boolean subdomains, PolicyAction action)
            throws IOException {
        return NameListLoader.load(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), "test.txt", LIST,
                SETTINGS, format, subdomains, action);
    }

    private static PolicyZone hosts(String text) throws IOException {
        return load(text, ZoneFormat.HOSTS, false, PolicyAction.NXDOMAIN).zone();
    }

    private static PolicyZone domains(String text, boolean subdomains) throws IOException {
        return load(text, ZoneFormat.DOMAINS, subdomains, PolicyAction.NXDOMAIN).zone();
    }

    private static Name name(String text) {
        return Name.fromConstantString(text);
    }

    @Test
    void hostsFileSinkAddressForms() throws IOException {
        PolicyZone zone = hosts("""
                0.0.0.0 zero.example
                127.0.0.1 loopback.example
                :: unspecified.example
                ::1 loopback6.example
                0.0.0.0\tfirst.example second.example   third.example
                """);

        for (String listed : new String[] {"zero.example.", "loopback.example.", "unspecified.example.",
                "loopback6.example.", "first.example.", "second.example.", "third.example."}) {
            PolicyRule rule = zone.matchQname(name(listed));
            assertThat(rule).as(listed).isNotNull();
            assertThat(rule.action()).as(listed).isEqualTo(PolicyAction.NXDOMAIN);
            assertThat(rule.wildcard()).as(listed).isFalse();
        }
        assertThat(zone.qnameRuleCount()).isEqualTo(7);
        assertThat(zone.skipped()).isEmpty();
    }

    @Test
    void hostsFileCommentsAndMachineEntries() throws IOException {
        PolicyZone zone = hosts("""
                # a comment line
                127.0.0.1 localhost
                127.0.0.1 localhost.localdomain
                255.255.255.255 broadcasthost
                ::1 localhost ip6-localhost ip6-loopback
                fe80::1%lo0 localhost
                ff02::1 ip6-allnodes
                0.0.0.0 0.0.0.0
                0.0.0.0 local

                0.0.0.0 blocked.example # trailing comment
                """);

        assertThat(zone.matchQname(name("blocked.example."))).isNotNull();
        assertThat(zone.matchQname(name("localhost."))).isNull();
        assertThat(zone.matchQname(name("ip6-localhost."))).isNull();
        assertThat(zone.qnameRuleCount()).isEqualTo(1);
        assertThat(zone.skipped()).as("lines of machine entries only are ignored whatever their address").isEmpty();
    }

    @Test
    void hostsFileInvalidLinesAreSkippedWithLineAndReason() throws IOException {
        PolicyZone zone = hosts("""
                0.0.0.0 good.example
                192.0.2.1 redirected.example
                blocked-without-address.example
                0.0.0.0
                0.0.0.0 bad..example
                0.0.0.0 http://url.example/path
                0.0.0.0 münchen.example
                0.0.0.0 also-good.example
                """);

        assertThat(zone.qnameRuleCount()).isEqualTo(2);
        assertThat(zone.skipped()).extracting(SkippedRecord::line).containsExactly(2, 3, 4, 5, 6, 7);
        assertThat(zone.skipped()).extracting(SkippedRecord::file).containsOnly("test.txt");
        assertThat(zone.skipped().get(0).reason()).contains("192.0.2.1 is not 0.0.0.0, :: or a loopback address");
        assertThat(zone.skipped().get(1).reason()).contains("'blocked-without-address.example' is not an IP address");
        assertThat(zone.skipped().get(2).reason()).isEqualTo("no name after the address 0.0.0.0");
        assertThat(zone.skipped().get(3).reason()).isEqualTo("invalid name 'bad..example': empty label");
        assertThat(zone.skipped().get(4).reason()).contains("character ':' is not allowed");
        assertThat(zone.skipped().get(5).reason()).contains("punycode");
        assertThat(zone.skipped()).extracting(SkippedRecord::category).containsOnly("invalid-line");
    }

    @Test
    void domainListExactNamesOnly() throws IOException {
        PolicyZone zone = domains("""
                # Title: test list

                bad.example
                Mixed.Case.Example.
                   spaced.example   \s
                """, false);

        assertThat(zone.matchQname(name("bad.example."))).isNotNull();
        assertThat(zone.matchQname(name("mixed.case.example."))).isNotNull();
        assertThat(zone.matchQname(name("spaced.example."))).isNotNull();
        assertThat(zone.matchQname(name("www.bad.example."))).isNull();
        assertThat(zone.matchQname(name("example."))).isNull();
        assertThat(zone.qnameRuleCount()).isEqualTo(3);
    }

    @Test
    void domainListWithSubdomains() throws IOException {
        PolicyZone zone = domains("bad.example\n", true);

        assertThat(zone.matchQname(name("bad.example.")).wildcard()).isFalse();
        assertThat(zone.matchQname(name("www.bad.example.")).wildcard()).isTrue();
        assertThat(zone.matchQname(name("a.b.c.bad.example.")).wildcard()).isTrue();
        assertThat(zone.matchQname(name("notbad.example."))).isNull();
        assertThat(zone.qnameRuleCount()).isEqualTo(2);
    }

    @Test
    void domainListWildcardLineCoversOnlyNamesBelow() throws IOException {
        PolicyZone zone = domains("*.below.example\n", false);

        assertThat(zone.matchQname(name("www.below.example."))).isNotNull();
        assertThat(zone.matchQname(name("below.example."))).isNull();
    }

    @Test
    void domainListInvalidLinesAreSkipped() throws IOException {
        PolicyZone zone = domains("""
                good.example
                0.0.0.0 hosts-line.example
                192.0.2.1
                under_score.example
                -leading.example
                a%b.example
                """, false);

        assertThat(zone.matchQname(name("good.example."))).isNotNull();
        assertThat(zone.matchQname(name("under_score.example."))).isNotNull();
        assertThat(zone.matchQname(name("-leading.example."))).isNotNull();
        assertThat(zone.skipped()).extracting(SkippedRecord::line).containsExactly(2, 3, 6);
        assertThat(zone.skipped().get(0).reason())
                .isEqualTo("expected one name, found 2 fields; this looks like a hosts file, set format: hosts");
        assertThat(zone.skipped().get(1).reason()).contains("an IPv4 address, not a name");
        assertThat(zone.skipped().get(2).reason()).contains("character '%' is not allowed");
    }

    @Test
    void repeatedNameGivesOneRule() throws IOException {
        PolicyZone zone = domains("dup.example\nDUP.example\ndup.example.\n", true);

        assertThat(zone.qnameRuleCount()).isEqualTo(2);
        assertThat(zone.skipped()).isEmpty();
    }

    @Test
    void nameTooLongBelowOriginIsSkipped() throws IOException {
        String label = "a".repeat(63);
        String longName = label + "." + label + "." + label + "." + "b".repeat(61);
        LoadedZone loaded = NameListLoader.load(new ByteArrayInputStream((longName + "\n").getBytes(StandardCharsets.UTF_8)),
                "test.txt", Name.fromConstantString("long-origin."), SETTINGS, ZoneFormat.DOMAINS, false,
                PolicyAction.NXDOMAIN);

        assertThat(loaded.zone().qnameRuleCount()).isZero();
        assertThat(loaded.zone().skipped()).hasSize(1);
        assertThat(loaded.zone().skipped().get(0).reason())
                .isEqualTo("name is too long to write below the zone origin long-origin.");
        assertThat(loaded.zone().skipped().get(0).category()).isEqualTo("name-too-long");
    }

    @Test
    void everyListActionIsApplied() throws IOException {
        for (PolicyAction action : new PolicyAction[] {PolicyAction.NXDOMAIN, PolicyAction.NODATA, PolicyAction.DROP,
                PolicyAction.PASSTHRU, PolicyAction.TCP_ONLY}) {
            PolicyZone zone = load("x.example\n", ZoneFormat.DOMAINS, true, action).zone();

            assertThat(zone.matchQname(name("x.example.")).action()).as(action.label()).isEqualTo(action);
            assertThat(zone.matchQname(name("y.x.example.")).action()).as(action.label()).isEqualTo(action);
        }
    }

    @Test
    void synthesizedSoaCarriesContentCrc() throws IOException {
        String text = "one.example\ntwo.example\n";
        LoadedZone loaded = load(text, ZoneFormat.DOMAINS, false, PolicyAction.NXDOMAIN);
        CRC32 crc = new CRC32();
        crc.update(text.getBytes(StandardCharsets.UTF_8));

        SOARecord soa = loaded.zone().soa();
        assertThat(soa).isNotNull();
        assertThat(soa.getName()).isEqualTo(LIST);
        assertThat(soa.getSerial()).isEqualTo(crc.getValue());
        assertThat(soa.getTTL()).isEqualTo(60);
        assertThat(soa.getMinimum()).isEqualTo(60);
        assertThat(soa.getHost()).isEqualTo(name("localhost."));
        assertThat(loaded.zone().serial()).isEqualTo(crc.getValue());
        assertThat(loaded.bytes()).isEqualTo(text.length());
        assertThat(load(text, ZoneFormat.DOMAINS, true, PolicyAction.NODATA).zone().serial())
                .as("same content, same serial").isEqualTo(crc.getValue());
        assertThat(load(text + "three.example\n", ZoneFormat.DOMAINS, false, PolicyAction.NXDOMAIN).zone().serial())
                .isNotEqualTo(crc.getValue());
    }

    @Test
    void emptyListGivesZoneWithoutRules() throws IOException {
        PolicyZone zone = domains("# nothing listed today\n", false);

        assertThat(zone.ruleCount()).isZero();
        assertThat(zone.soa()).isNotNull();
    }
}
