package dev.rpzgate.source.transfer;

import dev.rpzgate.policy.PolicyZone;
import dev.rpzgate.policy.SkippedRecord;
import dev.rpzgate.source.transfer.TransferFailedException.Kind;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Serial;

/**
 * Keeps one response policy zone in sync with its primary servers, as a secondary server does
 * (RFC 1034 section 4.3.5, RFC 1995, RFC 1996). An AXFR loads the zone. Then an SOA query every
 * refresh interval finds a new serial, and an IXFR brings the differences. When a primary responds
 * to the IXFR with the whole zone, that response replaces the zone as an AXFR does. A NOTIFY
 * passed to {@link #handleNotify} starts a check at once.
 *
 * <p>Primaries are tried in the configured order until one succeeds. When every primary fails, the
 * check is repeated every retry interval and the last good zone stays in force, also past the
 * expire interval: {@link #status()} then reports {@link TransferStatus.State#EXPIRED}, but the
 * zone is never dropped, because dropping a policy zone would stop blocking. Refresh, retry and
 * expire come from the zone's SOA record unless {@link ZoneTransferConfig} overrides them.
 *
 * <p>Every query and transfer runs on one worker thread that the source owns, never on the
 * caller's thread, so a Vert.x event loop may call every public method. Checks never overlap. A
 * {@link ZoneTransferListener} receives each new version and the outcome of each check;
 * {@link #current()} returns the latest version.
 *
 * <pre>{@code
 * ZoneTransferSource source = new ZoneTransferSource(config, update -> reload(update));
 * source.start();
 * PolicyZone zone = source.firstLoad().get(30, TimeUnit.SECONDS).zone();
 * ...
 * source.close();
 * }</pre>
 */
public final class ZoneTransferSource implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(ZoneTransferSource.class);

    /** Interval between attempts before the first load, when no SOA record gives one and no retry is configured. */
    public static final Duration RETRY_BEFORE_FIRST_LOAD = Duration.ofSeconds(30);

    /** Shortest refresh or retry interval, so that a zone with 0 in its SOA timers cannot make a busy loop. */
    public static final Duration MIN_INTERVAL = Duration.ofSeconds(1);

    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(5);
    private static final int LOGGED_SKIPPED_RECORDS = 5;

    private final ZoneTransferConfig config;
    private final Name origin;
    private final TsigKey tsigKey;
    private final ZoneTransferListener listener;
    private final Clock clock;
    private final ScheduledThreadPoolExecutor worker;
    private final RefreshScheduler scheduler;
    private final NotifyResponder notifyResponder;
    private final CompletableFuture<ZoneSnapshot> firstLoad = new CompletableFuture<>();
    private final AtomicBoolean checkQueued = new AtomicBoolean();
    private final AtomicBoolean started = new AtomicBoolean();
    private volatile boolean closed;

    private final AtomicLong axfrCount = new AtomicLong();
    private final AtomicLong ixfrCount = new AtomicLong();
    private final AtomicLong failureCount = new AtomicLong();
    private final AtomicLong tsigFailureCount = new AtomicLong();

    // Written on the worker thread only, read by status() and current() on any thread.
    private volatile ZoneSnapshot current;
    private volatile Instant lastSuccess;
    private volatile String lastError;
    private volatile int consecutiveFailures;

    // Written on the worker thread only; close() reads nextCheck to cancel it.
    private volatile RefreshScheduler.Timer nextCheck;
    private boolean expiryLogged;

    /** Creates a source on the system clock whose timers run on its own worker thread. */
    public ZoneTransferSource(ZoneTransferConfig config, ZoneTransferListener listener) {
        this(config, listener, Clock.systemUTC(), null);
    }

    /**
     * Creates a source with its own clock and timers, as tests do.
     *
     * @param clock clock for {@link TransferStatus#lastSuccess()} and expiry; TSIG signatures use the
     *     system clock, because the primary checks their time
     * @param scheduler runs the refresh and retry timers, or null to run them on the worker thread
     */
    public ZoneTransferSource(ZoneTransferConfig config, ZoneTransferListener listener, Clock clock,
                              RefreshScheduler scheduler) {
        this.config = Objects.requireNonNull(config, "config");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.origin = config.origin();
        this.tsigKey = config.tsigKey();
        this.notifyResponder = new NotifyResponder(origin, config.allowedNotifySources(), tsigKey);
        this.worker = new ScheduledThreadPoolExecutor(1, task -> {
            Thread thread = new Thread(task, "zone-transfer " + origin);
            thread.setDaemon(true);
            return thread;
        });
        worker.setRemoveOnCancelPolicy(true);
        this.scheduler = scheduler != null ? scheduler : this::scheduleOnWorker;
    }

    /** Returns the zone name. */
    public Name origin() {
        return origin;
    }

    /** Returns the configuration the source was created with. */
    public ZoneTransferConfig config() {
        return config;
    }

    /**
     * Starts the first AXFR on the worker thread and returns at once. {@link #firstLoad()} completes
     * when it succeeds; until then, failed attempts are repeated every retry interval.
     *
     * @throws IllegalStateException if the source was started or closed before
     */
    public void start() {
        start(null);
    }

    /**
     * Starts with {@code copy}, a previously saved version, in force, as a secondary server does after
     * a restart. The first check queries the primary's SOA serial and transfers only when it
     * differs from the copy's, by IXFR where the primary can. {@link #firstLoad()} completes with
     * the copy at once, and the expire interval counts from {@link ZoneSnapshot#loadedAt()} of the
     * copy until a check succeeds.
     *
     * @param copy the saved version, or null to start with an AXFR as {@link #start()} does
     * @throws IllegalArgumentException if {@code copy} is a version of another zone
     * @throws IllegalStateException if the source was started or closed before
     */
    public void start(ZoneSnapshot copy) {
        if (copy != null && !copy.zone().name().equals(origin)) {
            throw new IllegalArgumentException("saved copy of zone " + copy.zone().name()
                    + " cannot start the zone transfer source for " + origin);
        }
        if (closed) {
            throw new IllegalStateException("zone transfer source for " + origin + " is closed");
        }
        if (!started.compareAndSet(false, true)) {
            throw new IllegalStateException("zone transfer source for " + origin + " was already started");
        }
        String key = tsigKey == null ? " without TSIG"
                : " with TSIG key " + tsigKey.name() + " (" + tsigKey.algorithmLabel() + ")";
        if (copy == null) {
            LOG.infof("zone %s: starting zone transfers from %s%s", origin, primariesText(), key);
        } else {
            // Written before the worker thread starts, so the first check reads the copy.
            current = copy;
            firstLoad.complete(copy);
            LOG.infof("zone %s: starting zone transfers from %s%s; saved serial %d is in force until a primary"
                    + " responds", origin, primariesText(), key, copy.serial());
        }
        queueCheck();
    }

    /**
     * Queues an SOA check, and a transfer if the primary has a newer serial, on the worker thread.
     * A check already queued and not started absorbs this one. Does nothing before {@link #start()}
     * and after {@link #close()}.
     */
    public void refreshNow() {
        if (started.get()) {
            queueCheck();
        }
    }

    /** Returns the version in force, or null before the first load. */
    public ZoneSnapshot current() {
        return current;
    }

    /**
     * Returns a future that completes with the first version loaded, or at once with the copy
     * passed to {@link #start(ZoneSnapshot)}. It never completes
     * exceptionally while the source runs; {@link #close()} completes it with a
     * {@link java.util.concurrent.CancellationException} if no load succeeded.
     */
    public CompletableFuture<ZoneSnapshot> firstLoad() {
        return firstLoad;
    }

    /** Returns the state of the zone now, with expiry measured on the source's clock. */
    public TransferStatus status() {
        ZoneSnapshot snapshot = current;
        Instant success = lastSuccess;
        int failures = consecutiveFailures;
        TransferStatus.State state;
        Instant expiresAt = null;
        if (snapshot == null) {
            state = TransferStatus.State.LOADING;
        } else {
            // lastSuccess is set just after current, so a reader between the two takes the load time.
            Instant base = success != null ? success : snapshot.loadedAt();
            expiresAt = base.plus(expireInterval(snapshot));
            if (clock.instant().isAfter(expiresAt)) {
                state = TransferStatus.State.EXPIRED;
            } else {
                state = failures > 0 ? TransferStatus.State.RETRYING : TransferStatus.State.CURRENT;
            }
        }
        return new TransferStatus(origin, state, snapshot == null ? -1 : snapshot.serial(), success, expiresAt,
                lastError, failures, axfrCount.get(), ixfrCount.get(), failureCount.get(), tsigFailureCount.get(),
                notifyResponder.acceptedCount(), notifyResponder.rejectedCount());
    }

    /**
     * Builds the response to a NOTIFY message (opcode NOTIFY, RFC 1996) that the DNS server
     * received, and queues an SOA check when the NOTIFY is accepted. Every response echoes the ID
     * and the question. The rcode is NOERROR, with AA set, when the NOTIFY names this zone, comes
     * from an allowed address and, if a TSIG key is configured, carries a valid signature with that
     * key. Otherwise it is REFUSED for another zone or a source that is not allowed, NOTAUTH when
     * the signature is missing, does not verify or uses a key we do not have, and FORMERR when the
     * message is not a NOTIFY request with one question.
     *
     * <p>Safe to call on an event loop, because it does no I/O. With TSIG the response already
     * carries its TSIG record, so send it as returned, without changing its ID or sections.
     *
     * @param notify the parsed message
     * @param wire the message as received, which TSIG verification needs
     * @param source the sender's address
     */
    public Message handleNotify(Message notify, byte[] wire, InetAddress source) {
        Objects.requireNonNull(notify, "notify");
        Objects.requireNonNull(wire, "wire");
        Objects.requireNonNull(source, "source");
        NotifyResponder.Outcome outcome = notifyResponder.respond(notify, wire, source);
        if (outcome.accepted()) {
            refreshNow();
        }
        return outcome.response();
    }

    /**
     * Stops the timers and the worker thread, interrupting a transfer in progress. The last
     * version stays available through {@link #current()}. Waits at most 5 seconds for the worker.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        worker.shutdownNow();
        try {
            if (!worker.awaitTermination(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warnf("zone %s: worker thread still running %s after stop was requested",
                        origin, Formats.duration(STOP_TIMEOUT));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        RefreshScheduler.Timer timer = nextCheck;
        if (timer != null) {
            timer.cancel();
        }
        firstLoad.cancel(false);
        LOG.infof("zone %s: zone transfers stopped%s", origin,
                current == null ? " before the first load" : ", serial " + current.serial() + " stays in force");
    }

    private void queueCheck() {
        if (closed || !checkQueued.compareAndSet(false, true)) {
            return;
        }
        try {
            worker.execute(this::runCheck);
        } catch (RejectedExecutionException e) {
            // close() shut the worker down between the check of closed and execute().
            checkQueued.set(false);
        }
    }

    private RefreshScheduler.Timer scheduleOnWorker(Duration delay, Runnable task) {
        ScheduledFuture<?> future = worker.schedule(task, delay.toMillis(), TimeUnit.MILLISECONDS);
        return () -> future.cancel(false);
    }

    /** Runs one check on the worker thread and schedules the next one. */
    private void runCheck() {
        // Cleared first, so that a NOTIFY that arrives during this check queues another one.
        checkQueued.set(false);
        if (closed) {
            return;
        }
        if (nextCheck != null) {
            nextCheck.cancel();
            nextCheck = null;
        }

        boolean succeeded;
        try {
            succeeded = checkPrimaries();
        } catch (RuntimeException e) {
            LOG.errorf(e, "zone %s: check failed unexpectedly; retrying in %s", origin,
                    Formats.duration(retryInterval()));
            recordFailure("unexpected error: " + e);
            succeeded = false;
        }
        if (closed || Thread.currentThread().isInterrupted()) {
            // A check that close() interrupted failed for that reason alone, so it is not reported.
            return;
        }
        reportCheck(succeeded);
        nextCheck = scheduler.schedule(succeeded ? refreshInterval() : retryInterval(), this::refreshNow);
    }

    /** Passes the outcome of a check to the listener. */
    private void reportCheck(boolean succeeded) {
        TransferStatus status = status();
        try {
            if (succeeded) {
                listener.checkSucceeded(status);
            } else {
                listener.checkFailed(status);
            }
        } catch (RuntimeException e) {
            LOG.errorf(e, "zone %s: listener failed on the outcome of a check at serial %d; the source goes on",
                    origin, status.serial());
        }
    }

    /** Checks the primaries in order until one succeeds. Returns whether one did. */
    private boolean checkPrimaries() {
        List<String> errors = new ArrayList<>();
        List<InetSocketAddress> primaries = config.primaries();
        for (int i = 0; i < primaries.size(); i++) {
            InetSocketAddress primary = primaries.get(i);
            try {
                checkPrimary(primary);
                recordSuccess();
                return true;
            } catch (TransferFailedException e) {
                if (closed) {
                    return false;
                }
                failureCount.incrementAndGet();
                if (e.kind() == Kind.TSIG) {
                    tsigFailureCount.incrementAndGet();
                }
                errors.add(e.getMessage());
                if (i + 1 < primaries.size()) {
                    LOG.warnf("zone %s: %s; trying the next primary %s", origin, e.getMessage(),
                            Formats.address(primaries.get(i + 1)));
                }
            }
        }
        recordFailure(String.join("; ", errors));
        return false;
    }

    /** Brings the zone up to date with one primary. */
    private void checkPrimary(InetSocketAddress primary) throws TransferFailedException {
        ZoneSnapshot previous = current;
        if (previous == null) {
            transferWhole(primary, null);
            return;
        }

        SOARecord soa = SoaQuery.query(origin, primary, tsigKey, config.queryTimeout());
        long primarySerial = soa.getSerial();
        int comparison = Serial.compare(primarySerial, previous.serial());
        if (comparison == 0) {
            LOG.debugf("zone %s: primary %s has serial %d, ours too; next check in %s", origin,
                    Formats.address(primary), primarySerial, Formats.duration(refreshInterval()));
            return;
        }
        if (comparison < 0) {
            LOG.warnf("zone %s: primary %s has serial %d, older than our %d; keeping ours", origin,
                    Formats.address(primary), primarySerial, previous.serial());
            return;
        }

        long started = System.nanoTime();
        TransferClient.Result result = TransferClient.transfer(origin, primary, previous.serial(), tsigKey, config.limits());
        if (result.upToDate()) {
            LOG.infof("zone %s: primary %s responded to the IXFR from serial %d with up to date, although its"
                    + " SOA response had serial %d", origin, Formats.address(primary), previous.serial(), primarySerial);
            return;
        }
        if (result.type() == TransferType.AXFR) {
            install(TransferType.AXFR, previous, SnapshotBuilder.fromAxfr(origin, config.settings(),
                    result.records(), primary, clock.instant(), previous.zone()), List.of(), result, started, -1);
            return;
        }

        SnapshotBuilder.Applied next;
        try {
            next = SnapshotBuilder.applyIxfr(previous, result.deltas(), result.endSoa(), primary, clock.instant(),
                    config.limits().maxRecords());
        } catch (TransferFailedException e) {
            if (e.kind() != Kind.PROTOCOL) {
                throw e;
            }
            LOG.warnf("zone %s: %s; transferring the whole zone instead", origin, e.getMessage());
            transferWhole(primary, previous);
            return;
        }
        install(TransferType.IXFR, previous, next.snapshot(), result.deltas(), result, started, next.rebuiltOwners());
    }

    private void transferWhole(InetSocketAddress primary, ZoneSnapshot previous) throws TransferFailedException {
        long started = System.nanoTime();
        TransferClient.Result result = TransferClient.transfer(origin, primary, -1, tsigKey, config.limits());
        ZoneSnapshot next = SnapshotBuilder.fromAxfr(origin, config.settings(), result.records(), primary,
                clock.instant(), previous == null ? null : previous.zone());
        install(TransferType.AXFR, previous, next, List.of(), result, started, -1);
    }

    private void install(TransferType type, ZoneSnapshot previous, ZoneSnapshot next, List<ZoneDelta> deltas,
                         TransferClient.Result result, long startedNanos, int rebuiltOwners) {
        Duration elapsed = Duration.ofNanos(System.nanoTime() - startedNanos);
        current = next;
        (type == TransferType.IXFR ? ixfrCount : axfrCount).incrementAndGet();
        logInstalled(type, previous, next, deltas, result, elapsed, rebuiltOwners);

        ZoneUpdate update = new ZoneUpdate(type, previous, next, deltas, result.recordCount(), result.bytes(), elapsed,
                rebuiltOwners);
        try {
            listener.zoneUpdated(update);
        } catch (RuntimeException e) {
            LOG.errorf(e, "zone %s: listener failed on serial %d; the source keeps serial %d and goes on",
                    origin, next.serial(), next.serial());
        }
        firstLoad.complete(next);
    }

    private void recordSuccess() {
        if (consecutiveFailures > 0) {
            LOG.infof("zone %s: check succeeded after %d failed; serial %d in force", origin,
                    consecutiveFailures, current.serial());
        }
        lastSuccess = clock.instant();
        lastError = null;
        consecutiveFailures = 0;
        expiryLogged = false;
    }

    private void recordFailure(String error) {
        lastError = error;
        consecutiveFailures++;
        ZoneSnapshot snapshot = current;
        String retry = Formats.duration(retryInterval());
        if (snapshot == null) {
            LOG.errorf("zone %s: not loaded: every primary failed; retrying in %s: %s", origin, retry, error);
            return;
        }
        Duration expire = expireInterval(snapshot);
        // A source started from a saved copy has no success of its own yet, so the copy's time counts.
        Instant success = lastSuccess != null ? lastSuccess : snapshot.loadedAt();
        if (clock.instant().isAfter(success.plus(expire))) {
            if (!expiryLogged) {
                expiryLogged = true;
                LOG.errorf("zone %s: expired: no successful check since %s, longer than the expire interval %s;"
                        + " serial %d stays in force, retrying every %s: %s", origin, success,
                        Formats.duration(expire), snapshot.serial(), retry, error);
                return;
            }
        }
        LOG.warnf("zone %s: every primary failed (consecutive failed checks: %d); serial %d stays in force,"
                + " retrying in %s: %s", origin, consecutiveFailures, snapshot.serial(), retry, error);
    }

    private Duration refreshInterval() {
        ZoneSnapshot snapshot = current;
        if (config.refresh() != null) {
            return atLeastMinimum(config.refresh());
        }
        if (snapshot == null) {
            return retryInterval();
        }
        return atLeastMinimum(Duration.ofSeconds(snapshot.zone().soa().getRefresh()));
    }

    private Duration retryInterval() {
        ZoneSnapshot snapshot = current;
        if (config.retry() != null) {
            return atLeastMinimum(config.retry());
        }
        if (snapshot == null) {
            return RETRY_BEFORE_FIRST_LOAD;
        }
        return atLeastMinimum(Duration.ofSeconds(snapshot.zone().soa().getRetry()));
    }

    private Duration expireInterval(ZoneSnapshot snapshot) {
        if (config.expire() != null) {
            return config.expire();
        }
        return Duration.ofSeconds(snapshot.zone().soa().getExpire());
    }

    private static Duration atLeastMinimum(Duration interval) {
        return interval.compareTo(MIN_INTERVAL) < 0 ? MIN_INTERVAL : interval;
    }

    private String primariesText() {
        List<String> texts = new ArrayList<>();
        for (InetSocketAddress primary : config.primaries()) {
            texts.add(Formats.address(primary));
        }
        return String.join(", ", texts);
    }

    private void logInstalled(TransferType type, ZoneSnapshot previous, ZoneSnapshot next, List<ZoneDelta> deltas,
                              TransferClient.Result result, Duration elapsed, int rebuiltOwners) {
        PolicyZone zone = next.zone();
        List<SkippedRecord> skipped = zone.skipped();
        int logged = Math.min(skipped.size(), LOGGED_SKIPPED_RECORDS);
        for (int i = 0; i < logged; i++) {
            SkippedRecord record = skipped.get(i);
            LOG.warnf("zone %s: skipped record %s, number %d of the %s: %s", origin, record.owner(), record.line(),
                    record.file(), record.reason());
        }
        if (zone.skippedCount() > logged) {
            LOG.warnf("zone %s: %d more records skipped", origin, zone.skippedCount() - logged);
        }

        String primary = Formats.address(next.primary());
        if (type == TransferType.IXFR) {
            long removed = 0;
            long added = 0;
            for (ZoneDelta delta : deltas) {
                removed += delta.removed().size();
                added += delta.added().size();
            }
            LOG.infof("zone %s: IXFR from %s: serial %d -> %d, difference sequences: %d, records removed: %d,"
                    + " added: %d, applied as changes to %d owners; now %d records, %d rules, %d records skipped;"
                    + " %d bytes, %d ms", origin, primary, previous.serial(), next.serial(), deltas.size(), removed,
                    added, rebuiltOwners, next.records().size(),
                    zone.ruleCount(), zone.skippedCount(), result.bytes(), elapsed.toMillis());
        } else if (previous != null) {
            LOG.infof("zone %s: AXFR from %s: serial %d -> %d, %d records, %d rules, %d records skipped; %d bytes,"
                    + " %d ms", origin, primary, previous.serial(), next.serial(), next.records().size(),
                    zone.ruleCount(), zone.skippedCount(), result.bytes(), elapsed.toMillis());
        } else {
            LOG.infof("zone %s: AXFR from %s: serial %d loaded, %d records, %d rules, %d records skipped; %d bytes,"
                    + " %d ms", origin, primary, next.serial(), next.records().size(), zone.ruleCount(),
                    zone.skippedCount(), result.bytes(), elapsed.toMillis());
        }
    }
}
