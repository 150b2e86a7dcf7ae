package dev.rpzgate.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

/** A new version built with the version in force shares what did not change and equals a fresh build. */
class PolicyZoneSharingTest {

    private static final Name ORIGIN = Name.fromConstantString("rpz.test.");
    private static final List<String> RECORDS = List.of(
            "bad.example 300 CNAME .",
            "*.bad.example 300 CNAME .",
            "drop.example 300 CNAME rpz-drop.",
            "local.example 300 A 192.0.2.1",
            "local.example 300 A 192.0.2.2",
            "text.example 300 TXT \"blocked\"",
            "garden.example 300 CNAME walled.example.",
            "32.1.2.0.192.rpz-ip 300 CNAME .");

    @Test
    void sameRecordsShareEveryQnameRule() {
        PolicyZone first = build(RECORDS, null);
        PolicyZone second = build(RECORDS, first);

        for (String trigger : List.of("bad.example.", "a.bad.example.", "drop.example.", "local.example.",
                "text.example.")) {
            Name name = Name.fromConstantString(trigger);
            assertThat(second.matchQname(name)).as(trigger).isNotNull().isSameAs(first.matchQname(name));
        }
        assertThat(second.ruleCount()).isEqualTo(first.ruleCount());
        assertThat(second.ipRules()).isEqualTo(first.ipRules());
    }

    @Test
    void changedRulesAreNewAndMatchFreshBuild() {
        PolicyZone first = build(RECORDS, null);
        List<String> changed = List.of(
                "bad.example 300 CNAME rpz-drop.",
                "*.bad.example 300 CNAME .",
                "local.example 60 A 192.0.2.1",
                "local.example 60 A 192.0.2.2",
                "text.example 300 TXT \"Blocked\"",
                "garden.example 300 CNAME Walled.Example.",
                "new.example 300 CNAME .");

        PolicyZone shared = build(changed, first);
        PolicyZone fresh = build(changed, null);

        Name bad = Name.fromConstantString("bad.example.");
        assertThat(shared.matchQname(bad).action()).isEqualTo(PolicyAction.DROP);
        assertThat(shared.matchQname(bad).triggerBase()).as("the trigger name is shared")
                .isSameAs(first.matchQname(bad).triggerBase());
        Name local = Name.fromConstantString("local.example.");
        assertThat(shared.matchQname(local)).as("a TTL change makes a new rule")
                .isNotSameAs(first.matchQname(local));
        assertThat(shared.matchQname(local).rrset(Type.A).getTTL()).isEqualTo(60);
        Name text = Name.fromConstantString("text.example.");
        assertThat(shared.matchQname(text)).as("a change of letter case in the data makes a new rule")
                .isNotSameAs(first.matchQname(text));
        assertThat(shared.matchQname(text).rrset(Type.TXT).first().rdataToString()).isEqualTo("\"Blocked\"");
        Name garden = Name.fromConstantString("garden.example.");
        assertThat(shared.matchQname(garden)).as("equal to the old rule but spelled differently")
                .isEqualTo(first.matchQname(garden)).isNotSameAs(first.matchQname(garden));
        assertThat(shared.matchQname(garden).cname().getTarget().toString()).isEqualTo("Walled.Example.");
        assertThat(shared.matchQname(Name.fromConstantString("a.bad.example.")))
                .isSameAs(first.matchQname(Name.fromConstantString("a.bad.example.")));
        assertThat(shared.matchQname(Name.fromConstantString("drop.example."))).isNull();
        assertThat(shared.ruleCount()).isEqualTo(fresh.ruleCount());
        for (String trigger : List.of("bad.example.", "a.bad.example.", "drop.example.", "local.example.",
                "text.example.", "garden.example.", "new.example.")) {
            Name name = Name.fromConstantString(trigger);
            assertThat(String.valueOf(shared.matchQname(name))).as(trigger)
                    .isEqualTo(String.valueOf(fresh.matchQname(name)));
        }
    }

    @Test
    void zoneOfOtherOriginIsNotShared() {
        PolicyZone other = build(RECORDS, null);
        PolicyZoneBuilder builder = new PolicyZoneBuilder(Name.fromConstantString("other.test."),
                ZoneBuilding.SETTINGS, "test", other);
        builder.add(record(Name.fromConstantString("other.test."), "bad.example 300 CNAME ."), 1);

        PolicyRule rule = builder.build().matchQname(Name.fromConstantString("bad.example."));

        assertThat(rule).isNotNull().isNotSameAs(other.matchQname(Name.fromConstantString("bad.example.")));
    }

    private static PolicyZone build(List<String> records, PolicyZone inForce) {
        PolicyZoneBuilder builder = new PolicyZoneBuilder(ORIGIN, ZoneBuilding.SETTINGS, "test", inForce);
        int line = 0;
        for (String text : records) {
            builder.add(record(ORIGIN, text), ++line);
        }
        return builder.build();
    }

    private static Record record(Name origin, String text) {
        String[] parts = text.split(" ", 4);
        try {
            return Record.fromString(Name.fromString(parts[0], origin), Type.value(parts[2]), DClass.IN,
                    Long.parseLong(parts[1]), parts[3], origin);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
