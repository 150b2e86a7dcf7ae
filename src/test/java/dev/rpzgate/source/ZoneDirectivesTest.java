package dev.rpzgate.source;

import static dev.rpzgate.source.TestZones.RPZ_LOCAL;
import static dev.rpzgate.source.TestZones.SETTINGS;
import static dev.rpzgate.source.TestZones.lineOf;
import static dev.rpzgate.source.TestZones.zoneFile;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.rpzgate.policy.PolicyAction;
import dev.rpzgate.policy.PolicyRule;
import dev.rpzgate.policy.PolicyZone;
import dev.rpzgate.policy.SkippedRecord;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Name;
import org.xbill.DNS.Type;

class ZoneDirectivesTest {

    private static final Path FILE = zoneFile("directives.rpz");
    private static PolicyZone zone;

    @BeforeAll
    static void loadZone() throws ZoneLoadException {
        zone = RpzZoneFileLoader.load(FILE, RPZ_LOCAL, SETTINGS);
    }

    private static Name name(String text) {
        return Name.fromConstantString(text);
    }

    private static long ttlOfA(String qname) {
        PolicyRule rule = zone.matchQname(name(qname));
        assertThat(rule).as("rule for %s", qname).isNotNull();
        return rule.rrset(Type.A).getTTL();
    }

    @Test
    void defaultTtlBeforeTtlDirective() {
        assertThat(ttlOfA("no-ttl-yet.example.")).isEqualTo(RpzZoneFileLoader.DEFAULT_TTL_SECONDS);
    }

    @Test
    void ttlDirectiveSetsDefault() {
        assertThat(ttlOfA("ttl-120.example.")).isEqualTo(120);
        assertThat(ttlOfA("explicit-ttl.example.")).isEqualTo(45);
    }

    @Test
    void originDirectiveChangesRelativeNames() {
        PolicyRule rule = zone.matchQname(name("relative-to-sub.sub."));
        assertThat(rule).isNotNull();
        assertThat(rule.owner()).isEqualTo(name("relative-to-sub.sub.rpz.local."));
        assertThat(rule.action()).isEqualTo(PolicyAction.NXDOMAIN);
        assertThat(zone.matchQname(name("relative-to-sub."))).isNull();
    }

    @Test
    void zoneWithoutSoaHasSerialZero() {
        assertThat(zone.soa()).isNull();
        assertThat(zone.serial()).isZero();
    }

    @Test
    void relativeIncludeIsRead() {
        assertThat(zone.matchQname(name("from-include.example.")).action()).isEqualTo(PolicyAction.NXDOMAIN);
        assertThat(zone.matchQname(name("after-include.example."))).isNotNull();
        assertThat(zone.matchQname(name("last.example."))).isNotNull();
    }

    @Test
    void quotedIncludeWithOriginIsRead() {
        PolicyRule rule = zone.matchQname(name("quoted-include.example.other."));
        assertThat(rule).isNotNull();
        assertThat(rule.owner()).isEqualTo(name("quoted-include.example.other.rpz.local."));
        assertThat(zone.matchQname(name("quoted-include.example."))).isNull();
    }

    @Test
    void includedRecordsGetDirectiveLine() {
        int includeLine = lineOf(FILE, "$INCLUDE included/more.rpz");
        assertThat(zone.skipped()).filteredOn(s -> s.owner().equals(name("bad-type.example.rpz.local.")))
                .singleElement()
                .satisfies(skipped -> {
                    assertThat(skipped.line()).isEqualTo(includeLine);
                    assertThat(skipped.file()).isEqualTo(FILE.toString());
                    assertThat(skipped.reason()).isEqualTo("DNAME is not allowed as policy data");
                });
    }

    @Test
    void linesStayExactAfterInclude() {
        int line = lineOf(FILE, "after-include-bad.example");
        assertThat(zone.skipped()).extracting(SkippedRecord::owner, SkippedRecord::line)
                .contains(tuple(name("after-include-bad.example.rpz.local."), line));
        assertThat(zone.skipped()).hasSize(2);
    }

    @Test
    void everyRuleIsLoaded() {
        // 3 A owners, relative-to-sub, from-include, after-include, quoted-include, last.
        assertThat(zone.ruleCount()).isEqualTo(8);
    }
}
