package dev.rpzgate.source.transfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.rpzgate.policy.PolicyAction;
import dev.rpzgate.policy.PolicyRule;
import dev.rpzgate.policy.PolicyZone;
import dev.rpzgate.policy.ZoneSettings;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * Tests {@link ZoneTransferSource} against a real Knot DNS primary on 127.0.0.1. Timers run only
 * when a test fires them, and expiry is measured on a clock that the test moves, so no test waits
 * for a refresh interval.
 */
class ZoneTransferSourceTest {

    /** Refresh 3600 s, retry 600 s, expire 86400 s, minimum 60 s. */
    private static final String SOA_TIMERS = "3600 600 86400 60";

    private static final List<String> FIRST_RULES = List.of(
            "bad.example CNAME .",
            "*.bad.example CNAME .",
            "drop.example CNAME rpz-drop.",
            "old.example CNAME .",
            "24.0.2.0.192.rpz-ip CNAME .");

    private static final List<String> SECOND_RULES = List.of(
            "bad.example CNAME .",
            "*.bad.example CNAME .",
            "drop.example CNAME rpz-drop.",
            "evil.example CNAME .",
            "*.evil.example CNAME .",
            "local.example A 192.0.2.10",
            "24.0.2.0.192.rpz-ip CNAME .");

    @TempDir
    Path directory;

    private final List<AutoCloseable> resources = new ArrayList<>();
    private final List<ZoneUpdate> updates = Collections.synchronizedList(new ArrayList<>());
    private final List<TransferStatus> succeededChecks = Collections.synchronizedList(new ArrayList<>());
    private final List<TransferStatus> failedChecks = Collections.synchronizedList(new ArrayList<>());
    private final ManualScheduler scheduler = new ManualScheduler();
    private final MutableClock clock = new MutableClock();

    @AfterEach
    void closeResources() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    @Test
    void firstAxfrLoadsRules() throws Exception {
        TsigKey key = KnotPrimary.randomKey();
        KnotPrimary primary = startPrimary(key, null, true, 1, FIRST_RULES);
        ZoneTransferSource source = startSource(config(primary).withTsigKey(key));

        ZoneSnapshot loaded = source.firstLoad().get(20, TimeUnit.SECONDS);
        Duration nextCheck = scheduler.awaitChecks(1);

        PolicyZone zone = loaded.zone();
        assertThat(loaded.serial()).isEqualTo(1);
        assertThat(zone.serial()).isEqualTo(1);
        assertThat(zone.ruleCount()).isEqualTo(5);
        assertThat(zone.skipped()).isEmpty();
        assertThat(action(zone, "bad.example.")).isEqualTo(PolicyAction.NXDOMAIN);
        assertThat(action(zone, "a.bad.example.")).isEqualTo(PolicyAction.NXDOMAIN);
        assertThat(action(zone, "drop.example.")).isEqualTo(PolicyAction.DROP);
        assertThat(zone.ipRules()).hasSize(1);
        assertThat(loaded.records().get(0).getType()).isEqualTo(Type.SOA);
        assertThat(loaded.primary()).isEqualTo(primary.address());
        assertThat(source.current()).isSameAs(loaded);
        assertThat(updates).hasSize(1);
        assertThat(updates.get(0).type()).isEqualTo(TransferType.AXFR);
        assertThat(updates.get(0).previous()).isNull();
        assertThat(nextCheck).isEqualTo(Duration.ofSeconds(3600));

        TransferStatus status = source.status();
        assertThat(status.state()).isEqualTo(TransferStatus.State.CURRENT);
        assertThat(status.serial()).isEqualTo(1);
        assertThat(status.axfrCount()).isEqualTo(1);
        assertThat(status.failureCount()).isZero();
        assertThat(status.expiresAt()).isEqualTo(status.lastSuccess().plusSeconds(86400));
    }

    @ParameterizedTest
    @ValueSource(strings = {"hmac-md5", "hmac-sha1", "hmac-sha224", "hmac-sha256", "hmac-sha384", "hmac-sha512"})
    void everyTsigAlgorithmTransfers(String algorithm) throws Exception {
        TsigKey key = KnotPrimary.randomKey(algorithm);
        KnotPrimary primary = startPrimary(key, null, true, 1, FIRST_RULES);
        ZoneTransferSource source = startSource(config(primary).withTsigKey(key));
        source.firstLoad().get(20, TimeUnit.SECONDS);
        scheduler.awaitChecks(1);

        primary.updateZone(2, SECOND_RULES);
        scheduler.fireNext();

        assertThat(source.current().serial()).isEqualTo(2);
        assertThat(source.status().ixfrCount()).isEqualTo(1);
        assertThat(source.status().tsigFailureCount()).isZero();
    }

    @Test
    void changeOnPrimaryArrivesByIxfr() throws Exception {
        TsigKey key = KnotPrimary.randomKey();
        KnotPrimary primary = startPrimary(key, null, true, 1, FIRST_RULES);
        ZoneTransferSource source = startSource(config(primary).withTsigKey(key));
        source.firstLoad().get(20, TimeUnit.SECONDS);
        scheduler.awaitChecks(1);

        primary.updateZone(2, SECOND_RULES);
        Duration nextCheck = scheduler.fireNext();

        assertThat(updates).as("updates: %s; knotd log:\n%s", updates, primary.logTail()).hasSize(2);
        ZoneUpdate update = updates.get(1);
        assertThat(update.type()).isEqualTo(TransferType.IXFR);
        assertThat(update.previousSerial()).isEqualTo(1);
        assertThat(update.current().serial()).isEqualTo(2);
        assertThat(update.deltas()).hasSize(1);
        ZoneDelta delta = update.deltas().get(0);
        assertThat(delta.fromSerial()).isEqualTo(1);
        assertThat(delta.toSerial()).isEqualTo(2);
        assertThat(delta.removed()).containsExactly(nxdomainRule("old.example.rpz.test."));
        assertThat(delta.added()).containsExactlyInAnyOrder(
                nxdomainRule("evil.example.rpz.test."),
                nxdomainRule("*.evil.example.rpz.test."),
                new ARecord(Name.fromString("local.example.rpz.test."), DClass.IN, 300,
                        InetAddress.getByName("192.0.2.10")));

        // The apex, the four owners the delta touches and the rpz-ip owner, which every IXFR rebuilds.
        assertThat(update.rebuiltOwners()).isEqualTo(6);
        assertThat(update.changedRecords()).isEqualTo(4);
        PolicyZone zone = source.current().zone();
        assertThat(zone.matchQname(Name.fromString("drop.example.")))
                .as("a rule the IXFR did not touch is shared with the previous version")
                .isSameAs(update.previous().zone().matchQname(Name.fromString("drop.example.")));
        assertThat(zone.serial()).isEqualTo(2);
        assertThat(zone.ruleCount()).isEqualTo(7);
        assertThat(action(zone, "evil.example.")).isEqualTo(PolicyAction.NXDOMAIN);
        assertThat(action(zone, "local.example.")).isEqualTo(PolicyAction.LOCAL_DATA);
        assertThat(zone.matchQname(Name.fromString("old.example."))).isNull();
        assertThat(action(zone, "bad.example.")).isEqualTo(PolicyAction.NXDOMAIN);
        assertThat(source.current().records()).hasSize(2 + SECOND_RULES.size());
        assertThat(source.status().ixfrCount()).isEqualTo(1);
        assertThat(source.status().axfrCount()).isEqualTo(1);
        assertThat(nextCheck).isEqualTo(Duration.ofSeconds(3600));
    }

    @Test
    void unchangedSerialTransfersNothing() throws Exception {
        KnotPrimary primary = startPrimary(null, null, true, 1, FIRST_RULES);
        ZoneTransferSource source = startSource(config(primary));
        source.firstLoad().get(20, TimeUnit.SECONDS);
        scheduler.awaitChecks(1);

        Duration nextCheck = scheduler.fireNext();

        assertThat(updates).hasSize(1);
        assertThat(source.status().state()).isEqualTo(TransferStatus.State.CURRENT);
        assertThat(nextCheck).isEqualTo(Duration.ofSeconds(3600));
    }

    @Test
    void fullZoneAnswerToIxfrReplacesZone() throws Exception {
        KnotPrimary primary = startPrimary(null, null, false, 1, FIRST_RULES);
        ZoneTransferSource source = startSource(config(primary));
        source.firstLoad().get(20, TimeUnit.SECONDS);
        scheduler.awaitChecks(1);

        primary.updateZone(2, SECOND_RULES);
        scheduler.fireNext();

        assertThat(updates).hasSize(2);
        ZoneUpdate update = updates.get(1);
        assertThat(update.type()).isEqualTo(TransferType.AXFR);
        assertThat(update.previousSerial()).isEqualTo(1);
        assertThat(update.deltas()).isEmpty();
        assertThat(update.rebuiltOwners()).isEqualTo(-1);
        assertThat(source.current().serial()).isEqualTo(2);
        assertThat(action(source.current().zone(), "evil.example.")).isEqualTo(PolicyAction.NXDOMAIN);
        assertThat(source.status().axfrCount()).isEqualTo(2);
        assertThat(source.status().ixfrCount()).isZero();
    }

    @Test
    void notifyFromPrimaryStartsRefresh() throws Exception {
        TsigKey key = KnotPrimary.randomKey();
        NotifyListener listener = new NotifyListener();
        resources.add(listener);
        KnotPrimary primary = startPrimary(key, listener.port(), true, 1, FIRST_RULES);
        ZoneTransferSource source = startSource(config(primary).withTsigKey(key));
        listener.answerWith(source);
        source.firstLoad().get(20, TimeUnit.SECONDS);
        scheduler.awaitChecks(1);

        primary.updateZone(2, SECOND_RULES);

        // The test fires no timer, so only the NOTIFY that knotd sends can start this check.
        try {
            await("serial 2 after knotd's NOTIFY").atMost(Duration.ofSeconds(20))
                    .until(() -> source.current().serial() == 2);
        } catch (ConditionTimeoutException e) {
            throw new AssertionError(e.getMessage() + "; " + listener.received() + " datagrams received; knotd log:\n"
                    + primary.logTail(), e);
        }
        assertThat(updates.get(updates.size() - 1).type()).isEqualTo(TransferType.IXFR);
        assertThat(source.status().notifyAcceptedCount()).isGreaterThanOrEqualTo(1);
        assertThat(source.status().notifyRejectedCount()).isZero();
    }

    @Test
    void notifyFromOtherAddressIsRefused() throws Exception {
        KnotPrimary primary = startPrimary(null, null, true, 1, FIRST_RULES);
        NotifyListener listener = new NotifyListener();
        resources.add(listener);
        ZoneTransferSource source = startSource(config(primary));
        listener.answerWith(source);
        source.firstLoad().get(20, TimeUnit.SECONDS);
        scheduler.awaitChecks(1);

        Message refused = sendNotify(InetAddress.getByName("127.0.0.2"), listener.port());
        Message accepted = sendNotify(InetAddress.getByName("127.0.0.1"), listener.port());

        assertThat(refused.getRcode()).isEqualTo(Rcode.REFUSED);
        assertThat(refused.getHeader().getFlag(Flags.AA)).isFalse();
        assertThat(accepted.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(accepted.getHeader().getFlag(Flags.AA)).isTrue();
        assertThat(accepted.getHeader().getOpcode()).isEqualTo(Opcode.NOTIFY);
        assertThat(accepted.getQuestion().getName()).isEqualTo(KnotPrimary.ZONE);
        // The accepted NOTIFY starts one check, which ends by scheduling the next timer.
        scheduler.awaitChecks(2);
        TransferStatus status = source.status();
        assertThat(status.notifyRejectedCount()).isEqualTo(1);
        assertThat(status.notifyAcceptedCount()).isEqualTo(1);
    }

    @Test
    void wrongKeyFailsFirstLoad() throws Exception {
        TsigKey key = KnotPrimary.randomKey();
        KnotPrimary primary = startPrimary(key, null, true, 1, FIRST_RULES);
        TsigKey wrongSecret = new TsigKey(key.name(), key.algorithm(), KnotPrimary.randomKey().secret());
        ZoneTransferSource source = startSource(config(primary).withTsigKey(wrongSecret));

        Duration nextCheck = scheduler.awaitChecks(1);

        TransferStatus status = source.status();
        assertThat(source.firstLoad()).isNotDone();
        assertThat(source.current()).isNull();
        assertThat(status.state()).isEqualTo(TransferStatus.State.LOADING);
        assertThat(status.tsigFailureCount()).isEqualTo(1);
        assertThat(status.lastError()).contains("AXFR of zone rpz.test.").contains("transfer-key.");
        assertThat(nextCheck).isEqualTo(ZoneTransferSource.RETRY_BEFORE_FIRST_LOAD);
    }

    @Test
    void unknownKeyNameFailsFirstLoad() throws Exception {
        TsigKey key = KnotPrimary.randomKey();
        KnotPrimary primary = startPrimary(key, null, true, 1, FIRST_RULES);
        TsigKey otherName = new TsigKey(Name.fromString("other-key."), key.algorithm(), key.secret());
        ZoneTransferSource source = startSource(config(primary).withTsigKey(otherName));

        scheduler.awaitChecks(1);

        assertThat(source.current()).isNull();
        assertThat(source.status().tsigFailureCount()).isEqualTo(1);
    }

    @Test
    void keyChangedOnPrimaryKeepsOldZone() throws Exception {
        TsigKey key = KnotPrimary.randomKey();
        KnotPrimary primary = startPrimary(key, null, true, 1, FIRST_RULES);
        ZoneTransferSource source = startSource(config(primary).withTsigKey(key));
        source.firstLoad().get(20, TimeUnit.SECONDS);
        scheduler.awaitChecks(1);

        primary.replaceKey(KnotPrimary.randomKey());
        primary.updateZone(2, SECOND_RULES);
        Duration nextCheck = scheduler.fireNext();

        TransferStatus status = source.status();
        assertThat(status.state()).isEqualTo(TransferStatus.State.RETRYING);
        assertThat(status.serial()).isEqualTo(1);
        assertThat(status.tsigFailureCount()).isEqualTo(1);
        assertThat(status.lastError()).contains("SOA response for zone rpz.test.").contains("TSIG");
        assertThat(source.current().serial()).isEqualTo(1);
        assertThat(action(source.current().zone(), "old.example.")).isEqualTo(PolicyAction.NXDOMAIN);
        assertThat(updates).hasSize(1);
        assertThat(nextCheck).isEqualTo(Duration.ofSeconds(600));
    }

    @Test
    void stoppedPrimaryKeepsZoneUntilExpiredAndAfter() throws Exception {
        KnotPrimary primary = startPrimary(null, null, true, 1, FIRST_RULES);
        ZoneTransferSource source = startSource(config(primary).withQueryTimeout(Duration.ofSeconds(2)));
        source.firstLoad().get(20, TimeUnit.SECONDS);
        scheduler.awaitChecks(1);

        primary.close();
        clock.advance(Duration.ofSeconds(3600));
        Duration retry = scheduler.fireNext();

        TransferStatus failing = source.status();
        assertThat(failing.state()).isEqualTo(TransferStatus.State.RETRYING);
        assertThat(failing.consecutiveFailures()).isEqualTo(1);
        assertThat(failing.lastError()).contains(Formats.address(primary.address()));
        assertThat(source.current().serial()).isEqualTo(1);
        assertThat(retry).isEqualTo(Duration.ofSeconds(600));

        clock.advance(Duration.ofSeconds(86400));
        retry = scheduler.fireNext();

        TransferStatus expired = source.status();
        assertThat(expired.state()).isEqualTo(TransferStatus.State.EXPIRED);
        assertThat(expired.expired()).isTrue();
        assertThat(expired.loaded()).isTrue();
        assertThat(expired.serial()).isEqualTo(1);
        assertThat(expired.consecutiveFailures()).isEqualTo(2);
        assertThat(source.current().serial()).isEqualTo(1);
        assertThat(action(source.current().zone(), "bad.example.")).isEqualTo(PolicyAction.NXDOMAIN);
        assertThat(retry).isEqualTo(Duration.ofSeconds(600));
    }

    @Test
    void savedCopyIsInForceBeforeFirstCheck() throws Exception {
        KnotPrimary primary = startPrimary(null, null, true, 1, FIRST_RULES);
        ZoneSnapshot copy = savedCopy(primary, clock.instant());
        primary.updateZone(2, SECOND_RULES);

        ZoneTransferSource source = startSource(config(primary), copy);

        assertThat(source.firstLoad()).isCompletedWithValue(copy);
        assertThat(copy.primary()).isNull();
        assertThat(copy.zone().source()).isEqualTo("saved copy");
        assertThat(action(copy.zone(), "old.example.")).isEqualTo(PolicyAction.NXDOMAIN);
        scheduler.awaitChecks(1);
        assertThat(updates).hasSize(1);
        assertThat(updates.get(0).type()).as("the copy's serial starts an IXFR").isEqualTo(TransferType.IXFR);
        assertThat(updates.get(0).previous()).isSameAs(copy);
        assertThat(source.current().serial()).isEqualTo(2);
        assertThat(source.current().zone().matchQname(Name.fromString("old.example."))).isNull();
        assertThat(source.status().axfrCount()).isZero();
        assertThat(succeededChecks).hasSize(1);
        assertThat(succeededChecks.get(0).serial()).isEqualTo(2);
        assertThat(failedChecks).isEmpty();
    }

    @Test
    void savedCopyWithPrimarySerialTransfersNothing() throws Exception {
        KnotPrimary primary = startPrimary(null, null, true, 1, FIRST_RULES);
        ZoneSnapshot copy = savedCopy(primary, clock.instant());

        ZoneTransferSource source = startSource(config(primary), copy);
        Duration nextCheck = scheduler.awaitChecks(1);

        assertThat(updates).isEmpty();
        assertThat(source.current()).isSameAs(copy);
        assertThat(source.status().state()).isEqualTo(TransferStatus.State.CURRENT);
        assertThat(succeededChecks).hasSize(1);
        assertThat(nextCheck).isEqualTo(Duration.ofSeconds(3600));
    }

    @Test
    void savedCopyPastExpireWithoutPrimaryIsExpired() throws Exception {
        KnotPrimary primary = startPrimary(null, null, true, 1, FIRST_RULES);
        ZoneSnapshot copy = savedCopy(primary, clock.instant().minus(Duration.ofDays(2)));
        primary.close();

        ZoneTransferSource source = startSource(config(primary).withQueryTimeout(Duration.ofSeconds(2)), copy);
        Duration retry = scheduler.awaitChecks(1);

        TransferStatus status = source.status();
        assertThat(status.state()).isEqualTo(TransferStatus.State.EXPIRED);
        assertThat(status.lastSuccess()).isNull();
        assertThat(status.expiresAt()).isEqualTo(copy.loadedAt().plusSeconds(86400));
        assertThat(source.current()).isSameAs(copy);
        assertThat(failedChecks).hasSize(1);
        assertThat(failedChecks.get(0).lastError()).contains(Formats.address(primary.address()));
        assertThat(succeededChecks).isEmpty();
        assertThat(retry).as("the copy's SOA retry").isEqualTo(Duration.ofSeconds(600));
    }

    @Test
    void savedCopyOfOtherZoneIsRejected() throws Exception {
        KnotPrimary primary = startPrimary(null, null, true, 1, FIRST_RULES);
        ZoneSnapshot copy = savedCopy(primary, clock.instant());
        ZoneTransferSource source = new ZoneTransferSource(ZoneTransferConfig.of(Name.fromString("other.test."),
                List.of(primary.address()), new ZoneSettings(ZoneSettings.DEFAULT_MAX_POLICY_TTL)), update -> { });
        resources.add(source);

        assertThatThrownBy(() -> source.start(copy)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("rpz.test.").hasMessageContaining("other.test.");
    }

    @Test
    void savedRecordsWithoutSoaAreRejected() throws Exception {
        List<Record> records = List.of(nxdomainRule("bad.example.rpz.test."));

        assertThatThrownBy(() -> ZoneSnapshot.fromSavedRecords(KnotPrimary.ZONE,
                new ZoneSettings(ZoneSettings.DEFAULT_MAX_POLICY_TTL), records, "copy.zone", clock.instant()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("copy.zone").hasMessageContaining("does not start with the zone's SOA record");
    }

    @Test
    void configuredTimersOverrideSoa() throws Exception {
        KnotPrimary primary = startPrimary(null, null, true, 1, FIRST_RULES);
        ZoneTransferSource source = startSource(config(primary)
                .withTimers(Duration.ofSeconds(30), Duration.ofSeconds(5), Duration.ofSeconds(60)));
        source.firstLoad().get(20, TimeUnit.SECONDS);

        assertThat(scheduler.awaitChecks(1)).isEqualTo(Duration.ofSeconds(30));
        primary.close();
        assertThat(scheduler.fireNext()).isEqualTo(Duration.ofSeconds(5));
        clock.advance(Duration.ofSeconds(61));
        assertThat(source.status().state()).isEqualTo(TransferStatus.State.EXPIRED);
    }

    @Test
    void primariesAreTriedInOrder() throws Exception {
        KnotPrimary primary = startPrimary(null, null, true, 1, FIRST_RULES);
        InetSocketAddress unused = new InetSocketAddress(InetAddress.getByName("127.0.0.1"), KnotPrimary.freePort());
        ZoneTransferSource source = startSource(ZoneTransferConfig.of(KnotPrimary.ZONE,
                List.of(unused, primary.address()), new ZoneSettings(ZoneSettings.DEFAULT_MAX_POLICY_TTL)));

        ZoneSnapshot loaded = source.firstLoad().get(20, TimeUnit.SECONDS);

        assertThat(loaded.primary()).isEqualTo(primary.address());
        assertThat(source.status().failureCount()).isEqualTo(1);
    }

    @Test
    void transferPastRecordLimitIsAborted() throws Exception {
        KnotPrimary primary = startPrimary(null, null, true, 1, FIRST_RULES);
        ZoneTransferSource source = startSource(config(primary)
                .withLimits(new TransferLimits(4, Long.MAX_VALUE, Duration.ofMinutes(1))));

        scheduler.awaitChecks(1);

        assertThat(source.current()).isNull();
        assertThat(source.status().lastError()).contains("more than 4 records, the transfer record limit");
    }

    @Test
    void transferPastByteLimitIsAborted() throws Exception {
        KnotPrimary primary = startPrimary(null, null, true, 1, FIRST_RULES);
        ZoneTransferSource source = startSource(config(primary)
                .withLimits(new TransferLimits(Long.MAX_VALUE, 100, Duration.ofMinutes(1))));

        scheduler.awaitChecks(1);

        assertThat(source.current()).isNull();
        assertThat(source.status().lastError()).contains("more than 100 bytes, the transfer size limit");
    }

    @Test
    void ixfrPastRecordLimitKeepsOldZone() throws Exception {
        KnotPrimary primary = startPrimary(null, null, true, 1, FIRST_RULES);
        // The AXFR of the first zone carries 8 records, its 7 and the closing SOA. The IXFR carries
        // 6, but the second zone has 9.
        ZoneTransferSource source = startSource(config(primary)
                .withLimits(new TransferLimits(8, Long.MAX_VALUE, Duration.ofMinutes(1))));
        source.firstLoad().get(20, TimeUnit.SECONDS);
        scheduler.awaitChecks(1);

        primary.updateZone(2, SECOND_RULES);
        scheduler.fireNext();

        assertThat(source.current().serial()).isEqualTo(1);
        assertThat(source.status().lastError()).contains("the zone would have 9 records, more than 8");
    }

    private KnotPrimary startPrimary(TsigKey key, Integer notifyPort, boolean provideIxfr, long serial,
                                     List<String> rules) throws IOException {
        KnotPrimary primary = KnotPrimary.start(directory, key, notifyPort, provideIxfr, SOA_TIMERS, serial, rules);
        resources.add(primary);
        return primary;
    }

    private ZoneTransferConfig config(KnotPrimary primary) {
        return ZoneTransferConfig.of(KnotPrimary.ZONE, List.of(primary.address()),
                new ZoneSettings(ZoneSettings.DEFAULT_MAX_POLICY_TTL));
    }

    private ZoneTransferSource startSource(ZoneTransferConfig config) {
        return startSource(config, null);
    }

    private ZoneTransferSource startSource(ZoneTransferConfig config, ZoneSnapshot copy) {
        ZoneTransferListener listener = new ZoneTransferListener() {
            @Override
            public void zoneUpdated(ZoneUpdate update) {
                updates.add(update);
            }

            @Override
            public void checkSucceeded(TransferStatus status) {
                succeededChecks.add(status);
            }

            @Override
            public void checkFailed(TransferStatus status) {
                failedChecks.add(status);
            }
        };
        ZoneTransferSource source = new ZoneTransferSource(config, listener, clock, scheduler);
        resources.add(source);
        source.start(copy);
        return source;
    }

    /** Returns the records of serial 1 of the primary's zone as a saved copy confirmed at {@code savedAt}. */
    private ZoneSnapshot savedCopy(KnotPrimary primary, Instant savedAt) throws Exception {
        ZoneSnapshot transferred;
        try (ZoneTransferSource first = new ZoneTransferSource(config(primary), update -> { }, clock,
                new ManualScheduler())) {
            first.start();
            transferred = first.firstLoad().get(20, TimeUnit.SECONDS);
        }
        return ZoneSnapshot.fromSavedRecords(KnotPrimary.ZONE, new ZoneSettings(ZoneSettings.DEFAULT_MAX_POLICY_TTL),
                transferred.records(), "saved copy", savedAt);
    }

    /** Sends an unsigned NOTIFY for the zone from {@code source} and returns the answer. */
    private static Message sendNotify(InetAddress source, int port) throws IOException {
        Message notify = new Message();
        notify.getHeader().setOpcode(Opcode.NOTIFY);
        notify.getHeader().setFlag(Flags.AA);
        notify.addRecord(Record.newRecord(KnotPrimary.ZONE, Type.SOA, DClass.IN), Section.QUESTION);
        byte[] wire = notify.toWire();
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(source, 0))) {
            socket.setSoTimeout(5000);
            socket.send(new DatagramPacket(wire, wire.length, InetAddress.getByName("127.0.0.1"), port));
            DatagramPacket answer = new DatagramPacket(new byte[65535], 65535);
            socket.receive(answer);
            return new Message(Arrays.copyOf(answer.getData(), answer.getLength()));
        }
    }

    private static PolicyAction action(PolicyZone zone, String qname) throws TextParseException {
        PolicyRule rule = zone.matchQname(Name.fromString(qname));
        assertThat(rule).as("rule for %s in %s", qname, zone).isNotNull();
        return rule.action();
    }

    private static Record nxdomainRule(String owner) throws TextParseException {
        return new CNAMERecord(Name.fromString(owner), DClass.IN, 300, Name.root);
    }
}
