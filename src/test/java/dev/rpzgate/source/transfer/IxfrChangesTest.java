package dev.rpzgate.source.transfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rpzgate.policy.PolicyAction;
import dev.rpzgate.policy.PolicyRule;
import dev.rpzgate.policy.PolicyZone;
import dev.rpzgate.policy.SkippedRecord;
import dev.rpzgate.policy.ZoneSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Type;

/**
 * Applies random IXFR deltas to a policy zone and compares every result with a zone built from
 * all records of the same version, which is what the changes must equal.
 */
class IxfrChangesTest {

    private static final Name ORIGIN = Name.fromConstantString("rpz.test.");
    private static final ZoneSettings SETTINGS = new ZoneSettings(Duration.ofSeconds(5));
    private static final InetSocketAddress PRIMARY = new InetSocketAddress(InetAddress.getLoopbackAddress(), 53);
    private static final Instant NOW = Instant.parse("2026-12-04T00:00:00Z");

    private static final List<String> QNAME_TRIGGERS = List.of(
            "a.example", "b.a.example", "*.a.example", "c.b.a.example", "*.b.a.example", "example", "*.example",
            "x.y.z.example", "*.z.example", "d.example", "*.d.example", "e.example", "*.e.example", "f.g.example",
            "one.test", "two.one.test", "*.one.test", "Mixed.Case.test");
    private static final List<String> QNAME_DATA = List.of(
            "CNAME .", "CNAME *.", "CNAME rpz-passthru.", "CNAME rpz-drop.", "CNAME rpz-tcp-only.",
            "CNAME garden.example.", "CNAME *.garden.example.", "A 192.0.2.1", "A 192.0.2.2", "AAAA 2001:db8::1",
            "TXT \"blocked\"", "MX 10 mail.example.", "CNAME rpz-bogus.", "DNAME other.example.");
    private static final List<String> SPECIAL_OWNERS = List.of(
            "32.1.2.0.192.rpz-ip", "24.0.2.0.192.rpz-ip", "24.00.2.0.192.rpz-ip", "16.0.0.192.rpz-ip",
            "33.1.2.0.192.rpz-ip", "128.1.zz.db8.2001.rpz-ip", "32.5.0.0.127.rpz-client-ip",
            "8.0.0.0.127.rpz-client-ip", "ns.evil.example.rpz-nsdname", "*.evil.example.rpz-nsdname",
            "evil.example.rpz-nsdname", "24.0.113.0.203.rpz-nsip", "64.zz.db8.2001.rpz-nsip", "x.rpz-bogus");
    private static final List<String> SPECIAL_DATA = List.of(
            "CNAME .", "CNAME *.", "CNAME rpz-passthru.", "CNAME rpz-drop.", "A 192.0.2.9", "TXT \"ip\"");
    private static final List<String> APEX_DATA = List.of(
            "NS ns1.example.", "NS ns2.example.", "TXT \"apex\"", "A 192.0.2.50");

    private final List<Record> candidates = candidates();

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
    void randomDeltasMatchFullBuild(long seed) throws Exception {
        Random random = new Random(seed);
        List<Record> records = new ArrayList<>();
        records.add(soa(1));
        for (Record candidate : candidates) {
            if (random.nextInt(3) == 0) {
                records.add(candidate);
            }
        }
        ZoneSnapshot current = SnapshotBuilder.fromAxfr(ORIGIN, SETTINGS, records, PRIMARY, NOW, null);
        // A zone keeps 100 skipped records with their reasons. Once a version skipped more, the
        // later versions keep a part of the full build's list.
        boolean allSkippedKept = current.zone().skippedCount() <= 100;

        for (int round = 0; round < 40; round++) {
            long serial = current.serial() + 1;
            List<ZoneDelta> deltas = randomDeltas(random, current.records(), serial);
            SOARecord endSoa = soa(deltas.get(deltas.size() - 1).toSerial());

            SnapshotBuilder.Applied applied = SnapshotBuilder.applyIxfr(current, deltas, endSoa, PRIMARY, NOW,
                    10_000);
            ZoneSnapshot full = SnapshotBuilder.fromAxfr(ORIGIN, SETTINGS, applied.snapshot().records(), PRIMARY,
                    NOW, null);

            String context = "seed " + seed + " round " + round + ", deltas " + deltas;
            assertSameZone(applied.snapshot().zone(), full.zone(), context);
            allSkippedKept &= full.zone().skippedCount() <= 100;
            List<String> skipped = describe(applied.snapshot().zone().skipped());
            if (allSkippedKept) {
                assertThat(skipped).as(context).isEqualTo(describe(full.zone().skipped()));
            } else {
                assertThat(describe(full.zone().skipped())).as(context).containsAll(skipped);
            }
            assertThat(applied.snapshot().records()).as(context).isEqualTo(expectedRecords(current.records(),
                    deltas, endSoa));
            assertThat(applied.rebuiltOwners()).as(context).isGreaterThan(0);
            current = applied.snapshot();
        }
    }

    @Test
    void unchangedOwnersKeepTheirRules() throws Exception {
        List<Record> records = List.of(soa(1), record("a.example", "CNAME ."), record("b.example", "A 192.0.2.1"),
                record("c.example", "CNAME ."));
        ZoneSnapshot first = SnapshotBuilder.fromAxfr(ORIGIN, SETTINGS, records, PRIMARY, NOW, null);
        ZoneDelta delta = new ZoneDelta(1, 2, List.of(record("c.example", "CNAME .")),
                List.of(record("d.example", "CNAME rpz-drop.")));

        SnapshotBuilder.Applied applied = SnapshotBuilder.applyIxfr(first, List.of(delta), soa(2), PRIMARY, NOW,
                100);

        PolicyZone before = first.zone();
        PolicyZone after = applied.snapshot().zone();
        assertThat(after.matchQname(trigger("a.example"))).isSameAs(before.matchQname(trigger("a.example")));
        assertThat(after.matchQname(trigger("b.example"))).isSameAs(before.matchQname(trigger("b.example")));
        assertThat(after.matchQname(trigger("c.example"))).isNull();
        assertThat(after.matchQname(trigger("d.example")).action()).isEqualTo(PolicyAction.DROP);
        assertThat(before.matchQname(trigger("c.example"))).as("the previous version stays as it was").isNotNull();
        // The apex, c.example and d.example.
        assertThat(applied.rebuiltOwners()).isEqualTo(3);
        assertThat(after.serial()).isEqualTo(2);
        assertThat(after.ruleCount()).isEqualTo(3);
    }

    @Test
    void removingConflictingRecordClearsSkip() throws Exception {
        List<Record> records = List.of(soa(1), record("a.example", "CNAME ."), record("a.example", "CNAME rpz-drop."),
                record("b.example", "A 192.0.2.1"), record("b.example", "A 192.0.2.2"));
        ZoneSnapshot first = SnapshotBuilder.fromAxfr(ORIGIN, SETTINGS, records, PRIMARY, NOW, null);
        assertThat(first.zone().skippedCount()).isEqualTo(1);
        ZoneDelta delta = new ZoneDelta(1, 2,
                List.of(record("a.example", "CNAME rpz-drop."), record("b.example", "A 192.0.2.1")), List.of());

        PolicyZone after = SnapshotBuilder.applyIxfr(first, List.of(delta), soa(2), PRIMARY, NOW, 100)
                .snapshot().zone();

        assertThat(after.skippedCount()).isZero();
        assertThat(after.skippedByCategory()).isEmpty();
        assertThat(after.matchQname(trigger("a.example")).action()).isEqualTo(PolicyAction.NXDOMAIN);
        assertThat(after.matchQname(trigger("b.example")).rrset(Type.A).rrs(false))
                .extracting(Record::rdataToString).containsExactly("192.0.2.2");
    }

    @Test
    void removingMissingRecordFails() throws Exception {
        ZoneSnapshot first = SnapshotBuilder.fromAxfr(ORIGIN, SETTINGS, List.of(soa(1), record("a.example", "CNAME .")),
                PRIMARY, NOW, null);
        ZoneDelta delta = new ZoneDelta(1, 2, List.of(record("b.example", "CNAME .")), List.of());

        assertThatThrownBy(() -> SnapshotBuilder.applyIxfr(first, List.of(delta), soa(2), PRIMARY, NOW, 100))
                .isInstanceOf(TransferFailedException.class)
                .hasMessageContaining("removes b.example.rpz.test.")
                .hasMessageContaining("which our zone at serial 1 does not have");
    }

    private List<ZoneDelta> randomDeltas(Random random, List<Record> records, long serial) {
        Set<Record> present = new LinkedHashSet<>(records.subList(1, records.size()));
        List<ZoneDelta> deltas = new ArrayList<>();
        int count = 1 + random.nextInt(3);
        for (int i = 0; i < count; i++) {
            List<Record> removed = new ArrayList<>();
            List<Record> added = new ArrayList<>();
            List<Record> presentList = new ArrayList<>(present);
            int removals = Math.min(presentList.size(), random.nextInt(4));
            for (int j = 0; j < removals; j++) {
                Record record = presentList.remove(random.nextInt(presentList.size()));
                removed.add(record);
                present.remove(record);
            }
            int additions = random.nextInt(5);
            for (int j = 0; j < additions; j++) {
                Record record = candidates.get(random.nextInt(candidates.size()));
                // Sometimes a record the zone has, which must change nothing; sometimes one just removed.
                if (!added.contains(record)) {
                    added.add(record);
                    present.add(record);
                }
            }
            deltas.add(new ZoneDelta(serial + i - 1, serial + i, removed, added));
        }
        return deltas;
    }

    /** Applies the deltas to a set of records, the way the zone's records are defined to change. */
    private static List<Record> expectedRecords(List<Record> records, List<ZoneDelta> deltas, SOARecord endSoa) {
        LinkedHashSet<Record> set = new LinkedHashSet<>(records.subList(1, records.size()));
        for (ZoneDelta delta : deltas) {
            delta.removed().forEach(set::remove);
            set.addAll(delta.added());
        }
        List<Record> expected = new ArrayList<>();
        expected.add(endSoa);
        expected.addAll(set);
        return expected;
    }

    private static void assertSameZone(PolicyZone actual, PolicyZone expected, String context) throws Exception {
        assertThat(actual.serial()).as(context).isEqualTo(expected.serial());
        assertThat(actual.ruleCount()).as(context).isEqualTo(expected.ruleCount());
        assertThat(actual.qnameRuleCount()).as(context).isEqualTo(expected.qnameRuleCount());
        assertThat(actual.skippedCount()).as(context).isEqualTo(expected.skippedCount());
        assertThat(actual.skippedByCategory()).as(context).isEqualTo(expected.skippedByCategory());
        assertThat(actual.ipRules().toString()).as(context).isEqualTo(expected.ipRules().toString());
        assertThat(actual.clientIpRules().toString()).as(context).isEqualTo(expected.clientIpRules().toString());
        assertThat(actual.nsipRules().toString()).as(context).isEqualTo(expected.nsipRules().toString());
        assertThat(actual.nsdnameRules().toString()).as(context).isEqualTo(expected.nsdnameRules().toString());

        for (Name query : queryNames()) {
            assertThat(text(actual.matchQname(query))).as(context + ", QNAME " + query)
                    .isEqualTo(text(expected.matchQname(query)));
            assertThat(text(actual.matchNsdname(query))).as(context + ", NSDNAME " + query)
                    .isEqualTo(text(expected.matchNsdname(query)));
        }
        for (String address : List.of("192.0.2.1", "192.0.2.77", "192.0.9.1", "2001:db8::5", "2001:db8:1::1",
                "127.0.0.5", "127.1.2.3", "203.0.113.9", "198.51.100.1")) {
            InetAddress ip = InetAddress.getByName(address);
            assertThat(String.valueOf(actual.matchResponseIp(ip))).as(context + ", rpz-ip " + address)
                    .isEqualTo(String.valueOf(expected.matchResponseIp(ip)));
            assertThat(text(actual.matchClientIp(ip))).as(context + ", rpz-client-ip " + address)
                    .isEqualTo(text(expected.matchClientIp(ip)));
            assertThat(String.valueOf(actual.matchNsip(ip))).as(context + ", rpz-nsip " + address)
                    .isEqualTo(String.valueOf(expected.matchNsip(ip)));
        }
    }

    /** Returns every trigger name, names below and above each, and a few names no rule covers. */
    private static List<Name> queryNames() throws Exception {
        Set<Name> names = new LinkedHashSet<>();
        List<String> triggers = new ArrayList<>(QNAME_TRIGGERS);
        triggers.addAll(List.of("ns.evil.example", "a.evil.example", "evil.example", "unrelated.example", "test"));
        for (String trigger : triggers) {
            String base = trigger.startsWith("*.") ? trigger.substring(2) : trigger;
            Name name = Name.fromString(base + ".");
            names.add(name);
            names.add(Name.fromString("q." + base + "."));
            names.add(Name.fromString("q.r." + base + "."));
            for (int strip = 1; strip < name.labels() - 1; strip++) {
                names.add(new Name(name, strip));
            }
        }
        return new ArrayList<>(names);
    }

    private static List<String> describe(List<SkippedRecord> skipped) {
        return skipped.stream().map(r -> r.line() + " " + r.owner() + " " + r.reason()).toList();
    }

    /** Returns the rule as text with its TTLs, or null, because PolicyRule.equals ignores the TTL. */
    private static String text(PolicyRule rule) {
        return rule == null ? null : rule + " " + rule.localData().stream().map(r -> r.getTTL()).toList();
    }

    private static List<Record> candidates() {
        List<Record> records = new ArrayList<>();
        for (String trigger : QNAME_TRIGGERS) {
            for (String data : QNAME_DATA) {
                records.add(record(trigger, data));
            }
        }
        for (String owner : SPECIAL_OWNERS) {
            for (String data : SPECIAL_DATA) {
                records.add(record(owner, data));
            }
        }
        for (String data : APEX_DATA) {
            records.add(record("@", data));
        }
        records.add(record("far.away.", "CNAME ."));
        return records;
    }

    private static Record record(String owner, String text) {
        String[] parts = text.split(" ", 2);
        try {
            Name name = owner.endsWith(".") ? Name.fromString(owner) : Name.fromString(owner, ORIGIN);
            return Record.fromString(name, Type.value(parts[0]), DClass.IN, 300, parts[1], ORIGIN);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static SOARecord soa(long serial) {
        return new SOARecord(ORIGIN, DClass.IN, 300, Name.fromConstantString("ns1.example."),
                Name.fromConstantString("hostmaster.example."), serial, 3600, 600, 86400, 60);
    }

    private static Name trigger(String text) {
        return Name.fromConstantString(text + ".");
    }
}
