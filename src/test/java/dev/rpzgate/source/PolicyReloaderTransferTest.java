package dev.rpzgate.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rpzgate.observability.DnsMetrics;
import dev.rpzgate.policy.PolicyAction;
import dev.rpzgate.policy.PolicyMatch;
import dev.rpzgate.policy.PolicyRule;
import dev.rpzgate.policy.PolicyStore;
import dev.rpzgate.policy.PolicyZone;
import dev.rpzgate.source.transfer.KnotPrimary;
import dev.rpzgate.source.transfer.TsigKey;
import dev.rpzgate.testing.LogCapture;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Runs {@link PolicyReloader} with a zone transferred from a Knot DNS primary on 127.0.0.1,
 * without the rest of rpzgate: the first transfer with TSIG, a NOTIFY, a wrong TSIG secret, and
 * restarts from the local copy with the primary changed or gone.
 */
class PolicyReloaderTransferTest {

    private static final Duration AWAIT = Duration.ofSeconds(20);
    /** Refresh 3600 s, retry 600 s, expire 86400 s, minimum 60 s: no timer fires during a test. */
    private static final String SOA_TIMERS = "3600 600 86400 60";
    private static final String ZONE = "rpz.test";
    private static final List<String> FIRST_RULES = List.of("bad.example CNAME .", "old.example CNAME .");
    private static final List<String> SECOND_RULES = List.of("bad.example CNAME .", "new.example CNAME .");

    @TempDir
    Path directory;

    private final List<KnotPrimary> primaries = new ArrayList<>();
    private final List<PolicyReloader> reloaders = new ArrayList<>();

    /** A reloader with the store and the metrics registry it writes to. */
    private record Running(PolicyReloader reloader, PolicyStore store, SimpleMeterRegistry registry) {

        PolicyReloader.ZoneStatus status() {
            return reloader.status(ZONE).orElseThrow();
        }

        double expiredGauge() {
            return registry.find("rpzgate_policy_zone_expired").tag("zone", ZONE).gauge().value();
        }
    }

    @AfterEach
    void stop() throws Exception {
        reloaders.forEach(reloader -> reloader.onStop(null));
        for (KnotPrimary primary : primaries) {
            primary.close();
        }
    }

    @Test
    void transferWithTsigIsEnforcedAndSaved() throws Exception {
        TsigKey key = KnotPrimary.randomKey();
        KnotPrimary primary = startPrimary(key, 1, FIRST_RULES);

        Running running = start(transferZone(primary, key));

        await().atMost(AWAIT).until(running.store()::loaded);
        assertThat(blocks(running.store(), "bad.example.")).isTrue();
        assertThat(blocks(running.store(), "old.example.")).isTrue();
        assertThat(blocks(running.store(), "unlisted.example.")).isFalse();
        assertThat(serial(running.store())).isEqualTo(1);
        await().atMost(AWAIT).until(() -> running.status().lastSuccessSeconds() > 0);
        assertThat(running.status().loads()).isEqualTo(1);
        assertThat(running.status().failures()).isZero();
        assertThat(running.status().source()).isEqualTo("zone transfer from " + address(primary));
        assertThat(running.expiredGauge()).isZero();
        assertThat(running.reloader().notifyDispatcher()).isNotNull();

        ZoneCache.Copy copy = awaitCopy(primary);
        List<String> lines = Files.readAllLines(copy.text());
        assertThat(lines.get(0)).startsWith("rpz.test.").contains("SOA");
        assertThat(lines).anyMatch(line -> line.startsWith("old.example.rpz.test.") && line.contains("CNAME"));
        assertThat(lines).hasSize(2 + FIRST_RULES.size());
    }

    @Test
    void signedNotifyBringsNewVersion() throws Exception {
        TsigKey key = KnotPrimary.randomKey();
        KnotPrimary primary = startPrimary(key, 1, FIRST_RULES);
        Running running = start(transferZone(primary, key));
        await().atMost(AWAIT).until(running.store()::loaded);

        primary.updateZone(2, SECOND_RULES);
        Message notify = notifyMessage();
        key.toTsig().apply(notify, null);
        byte[] wire = notify.toWire();
        Message answer = running.reloader().notifyDispatcher()
                .handleNotify(new Message(wire), wire, InetAddress.getByName("127.0.0.1"));

        assertThat(answer.getRcode()).isEqualTo(Rcode.NOERROR);
        await().atMost(AWAIT).until(() -> blocks(running.store(), "new.example."));
        assertThat(blocks(running.store(), "old.example.")).isFalse();
        assertThat(serial(running.store())).isEqualTo(2);
        assertThat(running.status().loads()).isEqualTo(2);
        await().atMost(AWAIT).until(() -> Files.readString(awaitCopy(primary).text()).contains("new.example.rpz.test."));
    }

    @Test
    void ixfrIsAppliedAsChanges() throws Exception {
        // knotd refuses zones with two CNAME records at one owner, so the skipped records here are
        // of types that DNS allows; IxfrChangesTest covers conflicting actions.
        KnotPrimary primary = startPrimary(null, 1, List.of(
                "bad.example CNAME .",
                "old.example CNAME .",
                "dname.example DNAME other.example.",
                "two.example A 192.0.2.1",
                "two.example A 192.0.2.2"));
        Running running = start(transferZone(primary, null));
        await().atMost(AWAIT).until(running.store()::loaded);
        PolicyZone first = running.store().current().zones().get(0);
        assertThat(first.skippedByCategory()).containsExactlyEntriesOf(Map.of("type-not-allowed", 1));

        // Removes old.example, the skipped DNAME and one A record of two; adds a rule, data at an
        // owner that has a rule, and a record at the apex, which is skipped.
        primary.updateZone(2, List.of(
                "bad.example CNAME .",
                "two.example A 192.0.2.2",
                "two.example TXT \"two\"",
                "new.example CNAME .",
                "@ TXT \"apex\""));
        List<String> logLines;
        try (LogCapture log = LogCapture.start(PolicyReloader.class.getName())) {
            byte[] wire = notifyMessage().toWire();
            running.reloader().notifyDispatcher().handleNotify(new Message(wire), wire,
                    InetAddress.getByName("127.0.0.1"));
            await().atMost(AWAIT).until(() -> serial(running.store()) == 2);
            logLines = log.lines();
        }

        assertThat(logLines).anyMatch(line -> line.contains("serial 1 -> 2 loaded from zone transfer from")
                && line.contains("(IXFR, 6 changes applied to 5 owners)"));
        PolicyZone second = running.store().current().zones().get(0);
        assertThat(second.ruleCount()).isEqualTo(3);
        assertThat(second.skippedCount()).isEqualTo(1);
        assertThat(second.skipped().get(0).owner()).isEqualTo(KnotPrimary.ZONE);
        assertThat(second.skippedByCategory()).containsExactlyEntriesOf(Map.of("apex-record", 1));
        assertThat(blocks(running.store(), "bad.example.")).isTrue();
        assertThat(blocks(running.store(), "new.example.")).isTrue();
        assertThat(blocks(running.store(), "old.example.")).isFalse();
        PolicyRule two = second.matchQname(Name.fromConstantString("two.example."));
        assertThat(two.rrset(Type.A).rrs(false)).extracting(Record::rdataToString).containsExactly("192.0.2.2");
        assertThat(two.rrset(Type.TXT).rrs(false)).extracting(Record::rdataToString).containsExactly("\"two\"");
        assertThat(second.matchQname(Name.fromConstantString("bad.example.")))
                .as("an owner whose rule did not change keeps the rule object")
                .isSameAs(first.matchQname(Name.fromConstantString("bad.example.")));

        // The local copy has the new serial, so a restart without the primary enforces it.
        await().atMost(AWAIT).until(() -> Files.readAllLines(awaitCopy(primary).text()).get(0).contains(" 2 "));
        running.reloader().onStop(null);
        primary.close();
        Running restarted = start(transferZone(primary, null));
        assertThat(restarted.store().loaded()).isTrue();
        assertThat(serial(restarted.store())).isEqualTo(2);
        PolicyZone fromCopy = restarted.store().current().zones().get(0);
        assertThat(fromCopy.ruleCount()).isEqualTo(3);
        assertThat(fromCopy.skippedCount()).isEqualTo(1);
        assertThat(blocks(restarted.store(), "new.example.")).isTrue();
        assertThat(blocks(restarted.store(), "old.example.")).isFalse();
    }

    @Test
    void ixfrRemovingMostRulesIsHeldBack() throws Exception {
        KnotPrimary primary = startPrimary(null, 1, List.of(
                "a.example CNAME .", "b.example CNAME .", "c.example CNAME .", "d.example CNAME ."));
        Running running = start(transferZone(primary, null).withRemovalGuard(true));
        await().atMost(AWAIT).until(running.store()::loaded);

        // Three of four rules go, more than the default max-removal of half.
        primary.updateZone(2, List.of("a.example CNAME ."));
        byte[] wire = notifyMessage().toWire();
        running.reloader().notifyDispatcher().handleNotify(new Message(wire), wire,
                InetAddress.getByName("127.0.0.1"));

        await().atMost(AWAIT).until(() -> running.reloader().heldSerial(ZONE).isPresent());
        assertThat(running.reloader().heldSerial(ZONE)).contains(2L);
        assertThat(serial(running.store())).isEqualTo(1);
        assertThat(blocks(running.store(), "b.example.")).isTrue();

        assertThat(running.reloader().confirmHeldUpdate(ZONE)).contains(2L);
        await().atMost(AWAIT).until(() -> serial(running.store()) == 2);
        assertThat(blocks(running.store(), "b.example.")).isFalse();
        assertThat(blocks(running.store(), "a.example.")).isTrue();
        assertThat(running.store().current().zones().get(0).ruleCount()).isEqualTo(1);
    }

    @Test
    void unsignedNotifyIsRejectedWithKey() throws Exception {
        TsigKey key = KnotPrimary.randomKey();
        KnotPrimary primary = startPrimary(key, 1, FIRST_RULES);
        Running running = start(transferZone(primary, key));
        await().atMost(AWAIT).until(running.store()::loaded);

        byte[] wire = notifyMessage().toWire();
        Message answer = running.reloader().notifyDispatcher()
                .handleNotify(new Message(wire), wire, InetAddress.getByName("127.0.0.1"));

        assertThat(answer.getRcode()).isEqualTo(Rcode.NOTAUTH);
    }

    @Test
    void wrongTsigSecretLeavesZoneUnloaded() throws Exception {
        TsigKey key = KnotPrimary.randomKey();
        KnotPrimary primary = startPrimary(key, 1, FIRST_RULES);
        TsigKey wrongSecret = new TsigKey(key.name(), key.algorithm(), KnotPrimary.randomKey().secret());
        TestConfig.Zone local = TestConfig.Zone.empty().withRules("allowed.example CNAME rpz-passthru.")
                .withOrigin("local");

        Running running = start(local, transferZone(primary, wrongSecret));

        await().atMost(AWAIT).until(() -> running.status().failures() >= 1);
        assertThat(running.store().loaded()).isFalse();
        assertThat(running.store().loadedZones().zones()).extracting(zone -> zone.name().toString())
                .containsExactly("local.");
        assertThat(running.status().inForce()).isNull();
        assertThat(running.status().loads()).isZero();
        assertThat(running.status().lastSuccessSeconds()).isZero();
        assertThat(running.status().lastError()).contains("transfer-key.").contains("NOTAUTH");
        assertThat(running.expiredGauge()).isZero();
    }

    @Test
    void restartEnforcesCopyThenCatchesUp() throws Exception {
        KnotPrimary primary = startPrimary(null, 1, FIRST_RULES);
        Running first = start(transferZone(primary, null));
        await().atMost(AWAIT).until(first.store()::loaded);
        awaitCopy(primary);
        first.reloader().onStop(null);

        primary.updateZone(2, SECOND_RULES);
        Running second = start(transferZone(primary, null));

        // The copy is loaded before start() returns, so the store is complete at once.
        assertThat(second.store().loaded()).isTrue();
        await().atMost(AWAIT).until(() -> blocks(second.store(), "new.example."));
        assertThat(blocks(second.store(), "old.example.")).isFalse();
        assertThat(serial(second.store())).isEqualTo(2);
        assertThat(second.status().loads()).as("the local copy, then the transfer").isEqualTo(2);
        assertThat(second.status().failures()).isZero();
    }

    @Test
    void restartWithoutPrimaryEnforcesExpiredCopy() throws Exception {
        KnotPrimary primary = startPrimary(null, 1, FIRST_RULES);
        Running first = start(transferZone(primary, null));
        await().atMost(AWAIT).until(first.store()::loaded);
        ZoneCache.Copy copy = awaitCopy(primary);
        first.reloader().onStop(null);
        primary.close();
        // Two days ago is past the SOA expire interval of one day.
        Files.setLastModifiedTime(copy.text(), FileTime.from(Instant.now().minus(Duration.ofDays(2))));

        Running second = start(transferZone(primary, null));

        assertThat(second.store().loaded()).isTrue();
        assertThat(blocks(second.store(), "bad.example.")).isTrue();
        assertThat(serial(second.store())).isEqualTo(1);
        assertThat(second.status().loads()).isEqualTo(1);
        assertThat(second.status().lastSuccessSeconds()).isZero();
        assertThat(second.expiredGauge()).isEqualTo(1);
        await().atMost(AWAIT).until(() -> second.status().failures() >= 1);
        assertThat(second.status().lastError()).contains(address(primary));
        assertThat(blocks(second.store(), "bad.example.")).isTrue();
        assertThat(second.expiredGauge()).isEqualTo(1);
    }

    @Test
    void copyFromOtherPrimariesIsIgnored() throws Exception {
        KnotPrimary primary = startPrimary(null, 1, FIRST_RULES);
        Running first = start(transferZone(primary, null));
        await().atMost(AWAIT).until(first.store()::loaded);
        awaitCopy(primary);
        first.reloader().onStop(null);

        String elsewhere = "127.0.0.1:" + KnotPrimary.freePort();
        Running second = start(TestConfig.Zone.transfer(elsewhere).withOrigin(ZONE)
                .withRetry(Duration.ofMinutes(10)));

        assertThat(second.store().loaded()).isFalse();
        assertThat(second.status().loads()).isZero();
    }

    @Test
    void runtimeTransferZoneReportsExpired() throws Exception {
        KnotPrimary first = startPrimary(null, 1, FIRST_RULES);
        Running running = start(TestConfig.Zone.empty().withRules("allowed.example CNAME rpz-passthru.")
                .withOrigin("local"));
        RuntimeZoneKey key = new RuntimeZoneKey(100, "test", "feed");
        // Checks every second keep the zone confirmed while the primary runs; without them it
        // expires three seconds after the last one.
        running.reloader().putRuntimeZone(key, 1, runtimeSpec(running, transferZone(first, null)
                .withRefresh(Duration.ofSeconds(1)).withRetry(Duration.ofSeconds(1))
                .withExpire(Duration.ofSeconds(3))));

        await().atMost(AWAIT).until(() -> blocks(running.store(), "bad.example."));
        await().atMost(AWAIT).until(() -> running.reloader().runtimeStatus(key.id()).orElseThrow()
                .lastSuccessSeconds() > 0);
        assertThat(running.expiredGauge()).as("confirmed by the primary").isZero();

        first.close();

        await().atMost(AWAIT).until(() -> running.expiredGauge() == 1);
        assertThat(blocks(running.store(), "bad.example.")).as("an expired zone stays in force").isTrue();

        // The next generation gets a new transfer source under the same zone name and meters.
        KnotPrimary second = KnotPrimary.start(directory.resolve("knot-second"), null, null, true, SOA_TIMERS, 2,
                SECOND_RULES);
        primaries.add(second);
        running.reloader().putRuntimeZone(key, 2, runtimeSpec(running, transferZone(second, null)));

        await().atMost(AWAIT).until(() -> blocks(running.store(), "new.example."));
        assertThat(running.expiredGauge()).as("the new source's zone is confirmed").isZero();

        running.reloader().putRuntimeZone(key, 3, runtimeSpec(running, TestConfig.Zone.empty()
                .withRules("bad.example CNAME .").withOrigin(ZONE)));

        assertThat(running.registry().find("rpzgate_policy_zone_expired").tag("zone", ZONE).gauge())
                .as("an inline zone has no expire interval").isNull();

        running.reloader().putRuntimeZone(key, 4, runtimeSpec(running, transferZone(second, null)));
        await().atMost(AWAIT).until(() -> running.reloader().runtimeStatus(key.id()).orElseThrow()
                .enforcedGeneration() == 4);
        assertThat(running.expiredGauge()).isZero();

        running.reloader().removeRuntimeZone(key.id());

        assertThat(running.registry().find("rpzgate_policy_zone_expired").tag("zone", ZONE).gauge())
                .as("removed with the zone").isNull();
    }

    private static ZoneSpec runtimeSpec(Running running, TestConfig.Zone zone) {
        return ConfiguredZones.zone(zone, running.reloader().config.policy(), "PolicyZone test/feed");
    }

    @Test
    void noTransferZoneMeansNoDispatcher() throws Exception {
        Running running = start(TestConfig.Zone.empty().withRules("bad.example CNAME .").withOrigin("local"));

        assertThat(running.store().loaded()).isTrue();
        assertThat(running.reloader().notifyDispatcher()).isNull();
    }

    private KnotPrimary startPrimary(TsigKey key, long serial, List<String> rules) throws IOException {
        KnotPrimary primary = KnotPrimary.start(directory.resolve("knot"), key, null, true, SOA_TIMERS, serial, rules);
        primaries.add(primary);
        return primary;
    }

    /** Starts a reloader for {@code zones} with its own store and metrics, as a fresh rpzgate process would. */
    private Running start(TestConfig.Zone... zones) throws ZoneLoadException {
        PolicyReloader reloader = new PolicyReloader();
        PolicyStore store = new PolicyStore();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        reloader.config = TestConfig.of(TestConfig.Policy.of(directory.resolve("cache").toString(), zones));
        reloader.store = store;
        reloader.registry = registry;
        reloader.dnsMetrics = new DnsMetrics(registry);
        reloaders.add(reloader);
        reloader.start();
        return new Running(reloader, store, registry);
    }

    private static TestConfig.Zone transferZone(KnotPrimary primary, TsigKey key) {
        TestConfig.Zone zone = TestConfig.Zone.transfer(address(primary)).withOrigin(ZONE);
        if (key == null) {
            return zone;
        }
        return zone.withTsigKeyName(key.name().toString()).withTsigSecret(key.secret());
    }

    private static String address(KnotPrimary primary) {
        return "127.0.0.1:" + primary.address().getPort();
    }

    /** Waits until the local copy of the zone from {@code primary} is written, and returns it. */
    private ZoneCache.Copy awaitCopy(KnotPrimary primary) {
        ZoneCache cache = new ZoneCache(directory.resolve("cache"));
        String source = "zone transfer from " + address(primary);
        return await().atMost(AWAIT).until(() -> cache.find(ZONE, source).orElse(null), copy -> copy != null);
    }

    private static Message notifyMessage() {
        Message notify = new Message();
        notify.getHeader().setOpcode(Opcode.NOTIFY);
        notify.getHeader().setFlag(Flags.AA);
        notify.addRecord(Record.newRecord(KnotPrimary.ZONE, Type.SOA, DClass.IN), Section.QUESTION);
        return notify;
    }

    private static long serial(PolicyStore store) {
        PolicyZone zone = store.current().zones().get(0);
        return zone.serial();
    }

    private static boolean blocks(PolicyStore store, String name) {
        PolicyMatch match = store.current().matchQname(Name.fromConstantString(name));
        return match != null && match.rule().action() == PolicyAction.NXDOMAIN;
    }
}
