package dev.rpzgate.source;

import dev.rpzgate.config.RpzgateConfig;
import dev.rpzgate.observability.DnsMetrics;
import dev.rpzgate.observability.ZoneLoadMetrics;
import dev.rpzgate.policy.PolicySet;
import dev.rpzgate.policy.PolicyStore;
import dev.rpzgate.policy.PolicyZone;
import dev.rpzgate.policy.SkippedRecord;
import dev.rpzgate.source.transfer.NotifyDispatcher;
import dev.rpzgate.source.transfer.TransferStatus;
import dev.rpzgate.source.transfer.ZoneSnapshot;
import dev.rpzgate.source.transfer.ZoneTransferListener;
import dev.rpzgate.source.transfer.ZoneTransferSource;
import dev.rpzgate.source.transfer.ZoneUpdate;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.vertx.core.AsyncResult;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Loads every configured policy zone, keeps each one current and puts the zones in force in
 * {@link PolicyStore}: a file zone is loaded again when the file changes, a URL zone every
 * {@code refresh}, a transferred zone whenever its {@link ZoneTransferSource} brings a new
 * version, and a zone in {@code rules} once.
 *
 * <p>Each load builds a new {@link PolicyZone} while the old one stays in force, then swaps in a
 * new {@link PolicySet} in one step, so no query sees half a zone or waits for a load. A load that
 * fails keeps the last good zone. Reading and indexing of files and downloads run on one daemon
 * thread, {@code rpzgate-zone-loader}, never on an event loop. One thread means those zones load
 * one after another, so at most one new zone is being built beside the zones in force, which
 * bounds the extra memory a reload needs. A new version shares every rule that did not change
 * with the version in force, so that extra memory is mostly its tables. Each transferred zone is
 * built on the worker thread of its own source, so a large transfer can build beside a file or
 * URL load.
 *
 * <p>File zones, and the files they read through {@code $INCLUDE} at any depth, are watched with
 * {@link ZoneFileWatcher} (inotify on Linux) so that an edit is in force within a fraction of a
 * second, and checked every 30 seconds as well, because inotify sees no change on network file
 * systems and loses events on overflow.
 */
@ApplicationScoped
public class PolicyReloader {

    private static final Logger LOG = Logger.getLogger(PolicyReloader.class);

    /** Wait before the first retry of a URL; each failure in a row doubles it, up to the zone's refresh. */
    static final Duration FIRST_RETRY = Duration.ofSeconds(10);
    /** Interval of the check that finds file changes the watcher missed. */
    static final Duration FILE_CHECK_INTERVAL = Duration.ofSeconds(30);
    /** Quiet time after a file event before the file is read, so a save that takes several writes is read once. */
    static final Duration FILE_SETTLE = Duration.ofMillis(200);

    private static final int LOGGED_SKIPPED_RECORDS = 5;

    @Inject
    RpzgateConfig config;

    @Inject
    Vertx vertx;

    @Inject
    PolicyStore store;

    @Inject
    DnsMetrics dnsMetrics;

    @Inject
    MeterRegistry registry;

    private final List<ZoneState> zones = new ArrayList<>();
    /** Zones added at run time, in {@link RuntimeZoneKey} order; guarded by {@code this}. */
    private final List<ZoneState> runtimeZones = new ArrayList<>();
    private volatile Consumer<String> runtimeZoneListener = id -> { };
    private volatile boolean started;
    private ScheduledExecutorService loader;
    private ZoneFileWatcher watcher;
    // Volatile because the first runtime URL zone creates it by double-checked locking on a
    // reconciler thread, while the loader thread and shutdown read it without the lock.
    private volatile HttpZoneFetcher fetcher;
    private ZoneCache cache;
    private TransferCopies transferCopies;
    private volatile NotifyDispatcher notifyDispatcher;
    private boolean announcedComplete;
    private volatile boolean stopped;

    /**
     * State of one configured zone. {@link #zone} is written by the loader thread, or for a
     * transferred zone by its source's worker thread (and by the starting thread before either
     * exists), and read by any thread.
     */
    private static final class ZoneState {
        final ZoneSpec spec;
        final ZoneLoadMetrics metrics;
        volatile PolicyZone zone;
        volatile String lastError;
        FileStamp stamp = FileStamp.MISSING;
        /** Files read through $INCLUDE by the last load of a file zone, with their stamps then; loader thread only. */
        Map<Path, FileStamp> includeStamps = Map.of();
        /** Included files whose directory the watcher already reports to this zone; loader thread only. */
        final Set<Path> watchedIncludes = new HashSet<>();
        ZoneCache.Validators validators = ZoneCache.Validators.NONE;
        int failuresInARow;
        ScheduledFuture<?> pendingCheck;
        volatile ZoneTransferSource transfer;
        /** Copy read from the cache at start-up, handed to the transfer source when it starts. */
        ZoneSnapshot savedCopy;
        /** Serial of the transferred zone's copy in the cache, or -1; written on the source's worker thread. */
        long savedSerial = -1;
        /** An update that the removal guard holds back until it is confirmed, or null. */
        volatile HeldUpdate held;
        /** Identity and place of a zone added at run time; null for a configured zone. */
        RuntimeZoneKey runtimeKey;
        /** Resource generation this state loads; 0 for a configured zone. */
        long generation;
        /** Resource generation of {@link #zone}; it lags {@link #generation} until the new source loads. */
        volatile long enforcedGeneration;
        /** Set when the zone was replaced or removed at run time, so its downloads stop. */
        volatile boolean retired;

        ZoneState(ZoneSpec spec, ZoneLoadMetrics metrics) {
            this.spec = spec;
            this.metrics = metrics;
        }

        String name() {
            return spec.zoneName();
        }
    }

    /**
     * The state of one zone, for tests and status reports.
     *
     * @param zone zone name without the final dot
     * @param source file path, URL, setting name or {@code zone transfer from} and the primaries
     * @param inForce the zone in force, or null before its first load
     * @param loads zones put in force so far
     * @param failures failed loads so far
     * @param lastSuccessSeconds last load or HTTP 304 from the source, in seconds since the epoch, or 0
     * @param lastError message of the last failed load, or null
     */
    public record ZoneStatus(String zone, String source, PolicyZone inForce, long loads, long failures,
                             long lastSuccessSeconds, String lastError) {}

    /**
     * Loads every configured zone, then keeps them current in the background. File zones and
     * zones written in {@code rules} must load now. A URL zone or a transferred zone loads from its
     * local copy when there is one, and is downloaded or transferred in the background either way.
     *
     * @throws ZoneLoadException naming the file and line of a file zone that cannot be loaded
     * @throws IllegalArgumentException naming the setting when the configuration is invalid
     */
    public void start() throws ZoneLoadException {
        RpzgateConfig.Policy policy = config.policy();
        store.setFailMode(policy.failMode());
        List<ZoneSpec> specs = ConfiguredZones.read(policy);
        cache = new ZoneCache(Path.of(policy.cacheDir()));
        transferCopies = new TransferCopies(cache);
        for (ZoneSpec spec : specs) {
            ZoneState state = new ZoneState(spec, new ZoneLoadMetrics(registry, spec.zoneName()));
            zones.add(state);
            dnsMetrics.registerZone(spec.zoneName(), store);
            if (spec.source() instanceof ZoneSource.Transfer) {
                registerExpired(state);
            }
        }

        for (ZoneState state : zones) {
            loadAtStart(state);
        }
        publish();
        long missing = zones.stream().filter(state -> state.zone == null).count();
        if (missing > 0) {
            LOG.warnf("%d of %d policy zones are not loaded yet; until they are, %s", missing, zones.size(),
                    meanwhile());
        }

        loader = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "rpzgate-zone-loader");
            thread.setDaemon(true);
            return thread;
        });
        startFileChecks();
        // Before any download or transfer starts, because both write temporary files there.
        if (zones.stream().anyMatch(state -> state.spec.source() instanceof ZoneSource.Url
                || state.spec.source() instanceof ZoneSource.Transfer)) {
            deleteLeftoverDownloads();
        }
        startDownloads();
        startTransfers();
        started = true;
    }

    /**
     * Returns the dispatcher that passes each NOTIFY to the transfer source of its zone, or null
     * when no zone comes from a zone transfer or before {@link #start()}.
     */
    public NotifyDispatcher notifyDispatcher() {
        return notifyDispatcher;
    }

    /** Returns the state of every configured zone, in precedence order. */
    public List<ZoneStatus> statuses() {
        return zones.stream().map(PolicyReloader::status).toList();
    }

    /** Returns the state of the zone named {@code zone} (without the final dot), if it is configured. */
    public Optional<ZoneStatus> status(String zone) {
        return zones.stream().filter(state -> state.name().equals(zone)).findFirst().map(PolicyReloader::status);
    }

    void onStop(@Observes ShutdownEvent event) {
        stopped = true;
        if (loader != null) {
            loader.shutdownNow();
        }
        if (watcher != null) {
            watcher.close();
        }
        if (fetcher != null) {
            fetcher.close();
        }
        for (ZoneState state : zones) {
            ZoneTransferSource transfer = state.transfer;
            if (transfer != null) {
                transfer.close();
            }
        }
        closeRuntimeZones();
    }

    private static ZoneStatus status(ZoneState state) {
        return new ZoneStatus(state.name(), state.spec.source().describe(), state.zone, state.metrics.loadCount(),
                state.metrics.failureCount(), state.metrics.lastSuccessSeconds(), state.lastError);
    }

    private void loadAtStart(ZoneState state) throws ZoneLoadException {
        ZoneSource source = state.spec.source();
        long start = System.nanoTime();
        if (source instanceof ZoneSource.File file) {
            state.stamp = FileStamp.of(file.path());
            LoadedZone loaded = ZoneParser.parse(state.spec, file.path(), file.describe(), true);
            state.includeStamps = stamps(loaded.includes(), Map.of());
            install(state, loaded, start, "");
            state.metrics.succeeded(nowSeconds());
        } else if (source instanceof ZoneSource.Inline inline) {
            install(state, ZoneParser.parse(state.spec, inline), start, "");
            state.metrics.succeeded(nowSeconds());
        } else if (source instanceof ZoneSource.Url url) {
            loadLocalCopy(state, url, start);
        } else if (source instanceof ZoneSource.Transfer transfer) {
            loadTransferCopy(state, transfer, start);
        }
    }

    /** Puts the local copy of a URL zone in force, if there is a good one. */
    private void loadLocalCopy(ZoneState state, ZoneSource.Url url, long start) {
        Optional<ZoneCache.Copy> copy;
        try {
            copy = cache.find(state.name(), url.describe());
        } catch (IOException e) {
            LOG.warnf("zone %s: cannot read the local copy in %s, ignoring it: %s", state.name(), cache.directory(), e);
            return;
        }
        if (copy.isEmpty()) {
            LOG.infof("zone %s: no local copy in %s; the zone loads after the first download from %s",
                    state.name(), cache.directory(), url.describe());
            return;
        }
        try {
            LoadedZone loaded = ZoneParser.parse(state.spec, copy.get().text(), url.describe(), false);
            state.validators = copy.get().validators();
            // The local copy is not a success of the source, so the last-success gauge stays at 0.
            install(state, loaded, start, " (local copy " + copy.get().text() + ")");
        } catch (ZoneLoadException e) {
            LOG.warnf("zone %s: local copy %s cannot be loaded, ignoring it: %s", state.name(), copy.get().text(),
                    e.getMessage());
        }
    }

    private void startFileChecks() {
        List<ZoneState> files = zones.stream().filter(state -> state.spec.source() instanceof ZoneSource.File).toList();
        if (files.isEmpty()) {
            return;
        }
        try {
            watcher = new ZoneFileWatcher();
            for (ZoneState state : files) {
                watcher.watch(((ZoneSource.File) state.spec.source()).path(), () -> checkSoon(state));
                watchIncludes(state);
            }
            watcher.start();
        } catch (IOException e) {
            LOG.warnf("cannot watch the zone files (%s); rpzgate checks them for changes every %d seconds instead",
                    e, FILE_CHECK_INTERVAL.toSeconds());
            if (watcher != null) {
                watcher.close();
                watcher = null;
            }
        }
        long interval = FILE_CHECK_INTERVAL.toMillis();
        loader.scheduleWithFixedDelay(() -> guarded(() -> files.forEach(this::checkFile)), interval, interval,
                TimeUnit.MILLISECONDS);
    }

    private void startDownloads() {
        List<ZoneState> urls = zones.stream().filter(state -> state.spec.source() instanceof ZoneSource.Url).toList();
        if (urls.isEmpty()) {
            return;
        }
        fetcher = new HttpZoneFetcher(vertx);
        for (ZoneState state : urls) {
            loader.execute(() -> guarded(() -> download(state)));
        }
    }

    /** Schedules a check of the zone's file after {@link #FILE_SETTLE}, replacing one not yet run. */
    private void checkSoon(ZoneState state) {
        synchronized (state) {
            if (state.pendingCheck != null) {
                state.pendingCheck.cancel(false);
            }
            if (!stopped) {
                state.pendingCheck = loader.schedule(() -> guarded(() -> checkFile(state)), FILE_SETTLE.toMillis(),
                        TimeUnit.MILLISECONDS);
            }
        }
    }

    /**
     * Loads the zone file again if it, or a file it read through {@code $INCLUDE}, is not the
     * version seen last. Runs on the loader thread.
     */
    private void checkFile(ZoneState state) {
        Path path = ((ZoneSource.File) state.spec.source()).path();
        FileStamp now = FileStamp.of(path);
        Map<Path, FileStamp> includesNow = stamps(state.includeStamps.keySet(), Map.of());
        if (now.equals(state.stamp) && includesNow.equals(state.includeStamps)) {
            return;
        }
        // The stamps are taken before reading, so a write during the read changes them again and
        // brings one more load. A version that failed is not tried again until it changes.
        state.stamp = now;
        state.includeStamps = includesNow;
        long start = System.nanoTime();
        try {
            LoadedZone loaded = ZoneParser.parse(state.spec, path, path.toString(), true, state.zone);
            // Files included for the first time are stamped now, after the read.
            state.includeStamps = stamps(loaded.includes(), includesNow);
            watchIncludes(state);
            install(state, loaded, start, "");
            state.metrics.succeeded(nowSeconds());
        } catch (ZoneLoadException e) {
            fail(state, e.getMessage());
        }
    }

    /** Returns the stamp of each file, taken from {@code known} where it has one. */
    private static Map<Path, FileStamp> stamps(Collection<Path> files, Map<Path, FileStamp> known) {
        Map<Path, FileStamp> stamps = new LinkedHashMap<>();
        for (Path file : files) {
            FileStamp stamp = known.get(file);
            stamps.put(file, stamp != null ? stamp : FileStamp.of(file));
        }
        return stamps;
    }

    /**
     * Has the watcher report changes in the directories of the zone's included files too. A file
     * no longer included stays watched, which costs only a needless check when it changes.
     */
    private void watchIncludes(ZoneState state) {
        if (watcher == null) {
            return;
        }
        for (Path include : state.includeStamps.keySet()) {
            if (!state.watchedIncludes.add(include)) {
                continue;
            }
            try {
                watcher.watch(include, () -> checkSoon(state));
            } catch (IOException e) {
                LOG.warnf("zone %s: cannot watch %s, read through $INCLUDE (%s); rpzgate checks it for changes"
                        + " every %d seconds instead", state.name(), include, e, FILE_CHECK_INTERVAL.toSeconds());
            }
        }
    }

    /** Downloads a URL zone, then schedules the next download. Runs on the loader thread. */
    private void download(ZoneState state) {
        if (stopped || state.retired) {
            return;
        }
        ZoneSource.Url url = (ZoneSource.Url) state.spec.source();
        Path target;
        try {
            target = cache.newTempFile(state.name());
        } catch (IOException e) {
            fail(state, "cannot create a file in " + cache.directory() + ": " + e
                    + "; set rpzgate.policy.cache-dir to a writable directory");
            scheduleDownload(state, retryDelay(state));
            return;
        }
        // Without a zone in force a 304 would leave nothing to keep, so the request is unconditional.
        ZoneCache.Validators conditional = state.zone != null ? state.validators : ZoneCache.Validators.NONE;
        long start = System.nanoTime();
        fetcher.fetch(url.uri(), conditional, target, url.timeout(), url.maxBytes())
                .onComplete(result -> submit(() -> downloaded(state, url, target, result, start)));
    }

    private void downloaded(ZoneState state, ZoneSource.Url url, Path target,
                            AsyncResult<HttpZoneFetcher.Result> result, long start) {
        if (state.retired) {
            // The zone was replaced or removed during the download, so its result must not overwrite
            // the local copy that the newer version of the zone keeps under the same name.
            deleteQuietly(target);
            return;
        }
        if (result.failed()) {
            deleteQuietly(target);
            fail(state, "download from " + url.describe() + " failed: " + describe(result.cause()));
            scheduleDownload(state, retryDelay(state));
            return;
        }
        if (result.result() instanceof HttpZoneFetcher.NotModified) {
            deleteQuietly(target);
            state.failuresInARow = 0;
            state.lastError = null;
            state.metrics.succeeded(nowSeconds());
            LOG.infof("zone %s: unchanged at %s (HTTP 304), serial %d stays in force; next download in %s",
                    state.name(), url.describe(), state.zone.serial(), text(url.refresh()));
            scheduleDownload(state, url.refresh());
            return;
        }

        HttpZoneFetcher.Downloaded download = (HttpZoneFetcher.Downloaded) result.result();
        LoadedZone loaded;
        try {
            loaded = ZoneParser.parse(state.spec, target, url.describe(), false, state.zone);
        } catch (ZoneLoadException e) {
            deleteQuietly(target);
            fail(state, e.getMessage());
            scheduleDownload(state, retryDelay(state));
            return;
        }
        try {
            cache.store(state.name(), target, url.describe(), download.validators());
        } catch (IOException e) {
            deleteQuietly(target);
            LOG.warnf("zone %s: cannot keep the local copy in %s (%s); after a restart the zone waits for %s",
                    state.name(), cache.directory(), e, url.describe());
        }
        state.validators = download.validators();
        state.failuresInARow = 0;
        install(state, loaded, start, "");
        state.metrics.succeeded(nowSeconds());
        scheduleDownload(state, url.refresh());
    }

    private void scheduleDownload(ZoneState state, Duration delay) {
        if (!stopped && !state.retired) {
            loader.schedule(() -> guarded(() -> download(state)), delay.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** Returns the wait before the next try after {@code failuresInARow} failures: doubling from {@link #FIRST_RETRY}, at most the refresh. */
    private static Duration retryDelay(ZoneState state) {
        Duration refresh = ((ZoneSource.Url) state.spec.source()).refresh();
        int doublings = Math.min(Math.max(state.failuresInARow - 1, 0), 20);
        Duration delay = FIRST_RETRY.multipliedBy(1L << doublings);
        return delay.compareTo(refresh) < 0 ? delay : refresh;
    }

    /** Puts a new version of the zone in force and logs the load. */
    private void install(ZoneState state, LoadedZone loaded, long startNanos, String from) {
        install(state, loaded, startNanos, from, true);
    }

    /**
     * Puts a new version of the zone in force and logs the load, with its first skipped records
     * when {@code logSkipped} is set.
     */
    private void install(ZoneState state, LoadedZone loaded, long startNanos, String from, boolean logSkipped) {
        PolicyZone old = state.zone;
        if (holdsBack(state, old, loaded, startNanos, from)) {
            return;
        }
        state.held = null;
        state.zone = loaded.zone();
        state.lastError = null;
        publish();
        // Only after publish(), because the replica's readiness and its Lease report this
        // generation as enforced as soon as they read it, and before publish() queries still
        // get the previous version.
        state.enforcedGeneration = state.generation;
        runtimeZoneChanged(state);
        state.metrics.loaded();
        dnsMetrics.registerSkippedReasons(loaded.zone(), store);
        logLoaded(state, old, loaded, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos), from,
                logSkipped);
    }

    /**
     * Holds back an update that would remove more than the zone's {@code max-removal} share of its
     * rules, because a feed that suddenly shrinks is more often broken than cleaned up. The share is
     * read from the rule counts, so an update that replaces many rules while keeping the count
     * passes. Returns whether the update was held.
     */
    private boolean holdsBack(ZoneState state, PolicyZone old, LoadedZone loaded, long startNanos, String from) {
        if (!state.spec.guardsRemoval() || old == null) {
            return false;
        }
        HeldUpdate held = state.held;
        if (held != null && held.confirmed() && held.loaded() == loaded) {
            return false;
        }
        int before = old.ruleCount();
        int removed = before - loaded.zone().ruleCount();
        if (before == 0 || removed <= before * state.spec.maxRemoval()) {
            return false;
        }
        state.held = new HeldUpdate(loaded, startNanos, from, false);
        LOG.warnf("zone %s: update from serial %d to %d would remove %d of %d rules (%.0f%%), more than max-removal"
                        + " %.0f%%; it is held back and serial %d stays in force until confirmed with"
                        + " POST /admin/zones/%s/confirm", state.name(), old.serial(), loaded.zone().serial(), removed,
                before, 100.0 * removed / before, 100 * state.spec.maxRemoval(), old.serial(), state.name());
        return true;
    }

    /**
     * Puts the held-back update of {@code zone} in force. Returns the serial now in force, or empty
     * when the zone is not configured or has no update held back.
     */
    public Optional<Long> confirmHeldUpdate(String zone) {
        for (ZoneState state : zones) {
            HeldUpdate held = state.held;
            if (state.name().equals(zone) && held != null) {
                HeldUpdate confirmed = new HeldUpdate(held.loaded(), held.startNanos(), held.from(), true);
                state.held = confirmed;
                LOG.infof("zone %s: held-back update to serial %d confirmed; putting it in force", zone,
                        held.loaded().zone().serial());
                // On the loader thread, like every other load, so two installs of a zone never race.
                submit(() -> install(state, confirmed.loaded(), confirmed.startNanos(), confirmed.from()));
                return Optional.of(held.loaded().zone().serial());
            }
        }
        return Optional.empty();
    }

    /** Returns the serial of the update held back for {@code zone}, if any. */
    public Optional<Long> heldSerial(String zone) {
        return zones.stream().filter(state -> state.name().equals(zone) && state.held != null)
                .findFirst().map(state -> state.held.loaded().zone().serial());
    }

    /** An update held back by the removal guard. */
    private record HeldUpdate(LoadedZone loaded, long startNanos, String from, boolean confirmed) {
    }

    /**
     * Swaps in a new set of every zone loaded so far: the configured zones in configured order,
     * then the zones added at run time in {@link RuntimeZoneKey} order. Only the configured zones
     * decide whether the set is complete, because a zone added at run time must not turn a
     * resolver that enforces its policy into one that answers SERVFAIL while it loads.
     */
    private synchronized void publish() {
        List<PolicyZone> loaded = new ArrayList<>(zones.size() + runtimeZones.size());
        for (ZoneState state : zones) {
            if (state.zone != null) {
                loaded.add(state.zone);
            }
        }
        int configuredLoaded = loaded.size();
        for (ZoneState state : runtimeZones) {
            if (state.zone != null) {
                loaded.add(state.zone);
            }
        }
        PolicySet set = new PolicySet(loaded);
        if (configuredLoaded < zones.size()) {
            store.replaceIncomplete(set);
            return;
        }
        store.replace(set);
        if (!announcedComplete && loader != null) {
            LOG.infof("every policy zone is loaded; queries get the policy of all %d zones from now on", zones.size());
        }
        announcedComplete = true;
    }

    /** Counts and logs a failed load; the zone in force, if any, stays. */
    private void fail(ZoneState state, String message) {
        state.failuresInARow++;
        state.lastError = message;
        state.metrics.failed();
        String next = state.spec.source() instanceof ZoneSource.Url
                ? "retrying in " + text(retryDelay(state))
                : "rpzgate loads the file again when it changes";
        runtimeZoneChanged(state);
        PolicyZone inForce = state.zone;
        if (inForce != null) {
            LOG.errorf("zone %s: %s; serial %d stays in force, %s", state.name(), message, inForce.serial(), next);
        } else if (state.runtimeKey != null) {
            // A zone added at run time does not hold back the others, so queries get the rest of the policy.
            LOG.errorf("zone %s: %s; PolicyZone %s is not enforced until a load succeeds, %s", state.name(), message,
                    state.runtimeKey.id(), next);
        } else {
            LOG.errorf("zone %s: %s; no copy is in force, so %s; %s", state.name(), message, meanwhile(), next);
        }
    }

    private String meanwhile() {
        return store.failClosed()
                ? "queries get SERVFAIL (rpzgate.policy.fail-mode=closed)"
                : "queries are forwarded without policy (rpzgate.policy.fail-mode=open)";
    }

    private static void logLoaded(ZoneState state, PolicyZone old, LoadedZone loaded, long elapsedMillis, String from,
                                  boolean logSkipped) {
        PolicyZone zone = loaded.zone();
        List<SkippedRecord> skipped = zone.skipped();
        int logged = logSkipped ? Math.min(skipped.size(), LOGGED_SKIPPED_RECORDS) : 0;
        for (int i = 0; i < logged; i++) {
            SkippedRecord record = skipped.get(i);
            String what = record.owner() == null ? "line" : "record " + record.owner() + " at";
            LOG.warnf("zone %s: skipped %s %s line %d: %s", state.name(), what, record.file(), record.line(),
                    record.reason());
        }
        if (logSkipped && zone.skippedCount() > logged) {
            LOG.warnf("zone %s: %d more records skipped", state.name(), zone.skippedCount() - logged);
        }

        String serial = old == null ? "serial " + zone.serial() : "serial " + old.serial() + " -> " + zone.serial();
        String first = "";
        if (!skipped.isEmpty()) {
            first = " (first: line " + skipped.get(0).line() + " " + skipped.get(0).reason() + ")";
        }
        LOG.infof("zone %s: %s loaded from %s%s, %d rules, %d records skipped, %d bytes, %d ms%s",
                state.name(), serial, zone.source(), from, zone.ruleCount(), zone.skippedCount(), loaded.bytes(),
                elapsedMillis, first);
    }

    /** Puts the local copy of a transferred zone in force, if there is a good one, and keeps it for the source. */
    private void loadTransferCopy(ZoneState state, ZoneSource.Transfer transfer, long start) {
        Optional<TransferCopies.Saved> saved;
        try {
            saved = transferCopies.load(state.spec, transfer.describe());
        } catch (IOException | IllegalArgumentException e) {
            LOG.warnf("zone %s: cannot load the local copy in %s, ignoring it; the zone loads after the first"
                    + " transfer: %s", state.name(), cache.directory(), e.getMessage());
            return;
        }
        if (saved.isEmpty()) {
            LOG.infof("zone %s: no local copy in %s; the zone loads after the first %s", state.name(),
                    cache.directory(), transfer.describe());
            return;
        }
        ZoneSnapshot snapshot = saved.get().snapshot();
        state.savedCopy = snapshot;
        state.savedSerial = snapshot.serial();
        // The local copy is not a success of the source, so the last-success gauge stays at 0.
        install(state, new LoadedZone(snapshot.zone(), saved.get().bytes()), start,
                " (local copy " + saved.get().text() + ", last confirmed by a primary at " + snapshot.loadedAt() + ")");
    }

    /** Starts a zone transfer source for every transferred zone and the NOTIFY dispatcher over them. */
    private void startTransfers() {
        List<ZoneTransferSource> sources = new ArrayList<>();
        for (ZoneState state : zones) {
            if (state.spec.source() instanceof ZoneSource.Transfer transfer) {
                ZoneTransferSource source = new ZoneTransferSource(transfer.config(), new TransferListener(state));
                state.transfer = source;
                sources.add(source);
            }
        }
        if (sources.isEmpty()) {
            return;
        }
        notifyDispatcher = new NotifyDispatcher(sources);
        for (ZoneState state : zones) {
            if (state.transfer != null) {
                state.transfer.start(state.savedCopy);
                state.savedCopy = null;
            }
        }
    }

    /** Passes what a zone transfer source reports, on its worker thread, to the zone's state. */
    private final class TransferListener implements ZoneTransferListener {

        private final ZoneState state;

        TransferListener(ZoneState state) {
            this.state = state;
        }

        @Override
        public void zoneUpdated(ZoneUpdate update) {
            if (state.retired) {
                // Until its source is closed, a replaced zone must not overwrite the local copy of its successor.
                return;
            }
            ZoneSnapshot next = update.current();
            // The time counts from connecting to the primary, as for a download.
            long startNanos = System.nanoTime() - update.elapsed().toNanos();
            // The source has logged the skipped records of this version.
            String transfer = update.rebuiltOwners() < 0 ? " (" + update.type() + ")"
                    : " (" + update.type() + ", " + update.changedRecords() + " changes applied to "
                    + update.rebuiltOwners() + " owners)";
            install(state, new LoadedZone(next.zone(), update.bytes()), startNanos, transfer, false);
            saveTransferCopy(state, next);
        }

        @Override
        public void checkSucceeded(TransferStatus status) {
            state.lastError = null;
            state.metrics.succeeded(nowSeconds());
            if (status.serial() != state.savedSerial) {
                return;
            }
            try {
                transferCopies.markConfirmed(state.name(), Instant.now());
            } catch (IOException e) {
                LOG.debugf("zone %s: cannot record the check in the local copy's modification time: %s",
                        state.name(), e);
            }
        }

        @Override
        public void checkFailed(TransferStatus status) {
            // The source has logged the failure with every primary's error and the next retry.
            state.lastError = status.lastError();
            state.metrics.failed();
            runtimeZoneChanged(state);
        }
    }

    private void saveTransferCopy(ZoneState state, ZoneSnapshot snapshot) {
        try {
            transferCopies.save(state.name(), state.spec.source().describe(), snapshot);
            state.savedSerial = snapshot.serial();
        } catch (IOException e) {
            LOG.warnf("zone %s: cannot keep serial %d as the local copy in %s (%s); after a restart the zone"
                    + " waits for a transfer, or enforces an older copy", state.name(), snapshot.serial(),
                    cache.directory(), e);
        }
    }

    private void deleteLeftoverDownloads() {
        try (var files = Files.list(cache.directory())) {
            files.filter(file -> file.getFileName().toString().endsWith(".download"))
                    .forEach(PolicyReloader::deleteQuietly);
        } catch (IOException e) {
            // No cache directory yet, or an unreadable one that the first download reports.
        }
    }

    private void submit(Runnable task) {
        if (!stopped) {
            loader.execute(() -> guarded(task));
        }
    }

    /** Runs a loader task so that an unexpected exception is logged and later tasks still run. */
    private static void guarded(Runnable task) {
        try {
            task.run();
        } catch (RuntimeException e) {
            LOG.error("policy zone loader task failed; the zones in force stay", e);
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.debugf("cannot delete %s: %s", file, e);
        }
    }

    /** Returns the error's type and message, and its root cause's, which often says more, such as why a TLS handshake failed. */
    private static String describe(Throwable error) {
        Throwable root = error;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String text = typeAndMessage(error);
        return root == error ? text : text + " (caused by " + typeAndMessage(root) + ")";
    }

    private static String typeAndMessage(Throwable error) {
        String message = error.getMessage();
        String type = error.getClass().getSimpleName();
        return message == null || message.isBlank() ? type : type + ": " + message;
    }

    private static String text(Duration duration) {
        return duration.toString().substring(2).toLowerCase(Locale.ROOT);
    }

    private static long nowSeconds() {
        return System.currentTimeMillis() / 1000;
    }

    // Zones added at run time, from PolicyZone resources.

    /**
     * State of a zone added at run time, for the operator's status and replica reports.
     *
     * @param key identity and place of the zone
     * @param generation resource generation of the source being loaded
     * @param enforcedGeneration resource generation of the zone in force, 0 when none is
     * @param inForce the zone in force, or null before its first load
     * @param lastError message of the last failed load of {@code generation}, or null
     * @param lastSuccessSeconds last load or HTTP 304 from the source, in seconds since the epoch, or 0
     */
    public record RuntimeZoneStatus(RuntimeZoneKey key, long generation, long enforcedGeneration, PolicyZone inForce,
                                    String lastError, long lastSuccessSeconds) {}

    /** Sets the callback that gets the id ({@code namespace/name}) of a runtime zone after each load or failed load. */
    public void setRuntimeZoneListener(Consumer<String> listener) {
        runtimeZoneListener = listener;
    }

    /**
     * Puts a zone from a {@code PolicyZone} resource in force, or replaces the zone with the same
     * id. A zone written inline is parsed now on the calling thread, and if it fails nothing
     * changes. A URL or transferred zone loads in the background, and until its first load the
     * previous version of the zone, if any, stays in force. A spec equal to the one in force only
     * moves the zone to its new place.
     *
     * @param generation the resource's {@code metadata.generation}
     * @throws ZoneLoadException naming the line when inline text cannot be parsed
     * @throws IllegalArgumentException when another zone already has the zone's name
     * @throws IllegalStateException before {@link #start()}
     */
    public void putRuntimeZone(RuntimeZoneKey key, long generation, ZoneSpec spec) throws ZoneLoadException {
        if (!started) {
            throw new IllegalStateException("policy zones cannot be added before the configured zones are loaded");
        }
        ZoneState old = runtimeState(key.id());
        checkNameFree(key.id(), spec);
        if (old != null && old.spec.equals(spec)) {
            synchronized (this) {
                checkNameFree(key.id(), spec);
                boolean current = old.enforcedGeneration == old.generation;
                old.runtimeKey = key;
                old.generation = generation;
                if (current) {
                    old.enforcedGeneration = generation;
                }
                sortRuntimeZones();
                publish();
            }
            runtimeZoneChanged(old);
            return;
        }

        // The registry keeps the first meter of a name and tags, so a replacement of the same name
        // counts on in the meters of the zone it replaces.
        ZoneLoadMetrics metrics = old != null && old.name().equals(spec.zoneName())
                ? old.metrics
                : new ZoneLoadMetrics(registry, spec.zoneName());
        ZoneState state = new ZoneState(spec, metrics);
        state.runtimeKey = key;
        state.generation = generation;
        LoadedZone parsed = null;
        long start = System.nanoTime();
        if (spec.source() instanceof ZoneSource.Inline inline) {
            parsed = ZoneParser.parse(spec, inline);
        }
        // The previous version stays in force, and is reported as such, until the new one is installed.
        if (old != null) {
            state.zone = old.zone;
            state.enforcedGeneration = old.enforcedGeneration;
        }
        dnsMetrics.registerZone(spec.zoneName(), store);
        ZoneTransferSource replaced = null;
        synchronized (this) {
            // Checked again under the lock, because another PolicyZone may have taken the name
            // while this one was parsed, and two zones of one name would make every publish fail.
            checkNameFree(key.id(), spec);
            old = runtimeState(key.id());
            if (old != null) {
                runtimeZones.remove(old);
                replaced = retire(old);
                if (old.metrics != state.metrics) {
                    old.metrics.remove();
                }
            }
            runtimeZones.add(state);
            sortRuntimeZones();
            if (parsed == null) {
                publish();
            }
        }
        // After the state is in the list, so a PolicyZone rejected above leaves the gauge of the
        // version in force alone.
        if (spec.source() instanceof ZoneSource.Transfer) {
            registerExpired(state);
        } else {
            state.metrics.removeExpired();
        }
        if (replaced != null) {
            replaced.close();
            rebuildNotifyDispatcher();
        }
        if (parsed != null) {
            install(state, parsed, start, " (" + key.id() + " generation " + generation + ")");
            state.metrics.succeeded(nowSeconds());
            return;
        }
        if (spec.source() instanceof ZoneSource.Url url) {
            if (state.zone == null) {
                loadLocalCopy(state, url, start);
            }
            if (fetcher == null) {
                synchronized (this) {
                    if (fetcher == null) {
                        fetcher = new HttpZoneFetcher(vertx);
                    }
                }
            }
            submit(() -> download(state));
        } else if (spec.source() instanceof ZoneSource.Transfer transfer) {
            if (state.zone == null) {
                loadTransferCopy(state, transfer, start);
            }
            ZoneTransferSource source = new ZoneTransferSource(transfer.config(), new TransferListener(state));
            synchronized (this) {
                // A remove of the resource may have retired this state since it was added. retire()
                // closes only a source it can see, so the source is set and started under the lock,
                // or else it would keep transferring with nothing to close it.
                if (state.retired) {
                    source.close();
                    return;
                }
                state.transfer = source;
                source.start(state.savedCopy);
                state.savedCopy = null;
                rebuildNotifyDispatcher();
            }
        } else {
            throw new IllegalArgumentException(spec.setting() + ": only inline, URL and transfer sources can be added "
                    + "at run time");
        }
        runtimeZoneChanged(state);
    }

    /** Takes the runtime zone {@code id} ({@code namespace/name}) out of force. Returns whether it was there. */
    public boolean removeRuntimeZone(String id) {
        ZoneState state;
        ZoneTransferSource transfer;
        synchronized (this) {
            state = runtimeState(id);
            if (state == null) {
                return false;
            }
            runtimeZones.remove(state);
            transfer = retire(state);
            state.metrics.remove();
            publish();
        }
        if (transfer != null) {
            transfer.close();
            rebuildNotifyDispatcher();
        }
        LOG.infof("zone %s: removed with %s; its rules are no longer enforced", state.name(), id);
        return true;
    }

    /** Returns the state of the runtime zone {@code id} ({@code namespace/name}), if it is in force or loading. */
    public synchronized Optional<RuntimeZoneStatus> runtimeStatus(String id) {
        ZoneState state = runtimeState(id);
        return state == null ? Optional.empty() : Optional.of(runtimeStatus(state));
    }

    /** Returns the state of every runtime zone, in precedence order. */
    public synchronized List<RuntimeZoneStatus> runtimeStatuses() {
        return runtimeZones.stream().map(PolicyReloader::runtimeStatus).toList();
    }

    private static RuntimeZoneStatus runtimeStatus(ZoneState state) {
        return new RuntimeZoneStatus(state.runtimeKey, state.generation, state.enforcedGeneration, state.zone,
                state.lastError, state.metrics.lastSuccessSeconds());
    }

    private synchronized ZoneState runtimeState(String id) {
        for (ZoneState state : runtimeZones) {
            if (state.runtimeKey.id().equals(id)) {
                return state;
            }
        }
        return null;
    }

    /** Rejects a zone name that a configured zone or another runtime zone uses, because the policy tells zones apart by name. */
    private synchronized void checkNameFree(String id, ZoneSpec spec) {
        for (ZoneState other : zones) {
            if (other.spec.origin().equals(spec.origin())) {
                throw new IllegalArgumentException("zone name " + spec.zoneName() + " is already used by "
                        + other.spec.setting() + " in the configuration; set spec.origin to another name");
            }
        }
        for (ZoneState other : runtimeZones) {
            if (other.runtimeKey.id().equals(id)) {
                continue;
            }
            PolicyZone inForce = other.zone;
            if (other.spec.origin().equals(spec.origin()) || inForce != null && inForce.name().equals(spec.origin())) {
                throw new IllegalArgumentException("zone name " + spec.zoneName() + " is already used by PolicyZone "
                        + other.runtimeKey.id() + "; set spec.origin to another name");
            }
        }
    }

    private void sortRuntimeZones() {
        runtimeZones.sort((a, b) -> a.runtimeKey.compareTo(b.runtimeKey));
    }

    /**
     * Marks a runtime zone that was replaced or removed, so its downloads stop, and returns its
     * transfer source or null. The caller closes the source after it releases the lock, because
     * close() waits for the source's worker, which may itself be waiting for the lock in publish().
     */
    private static ZoneTransferSource retire(ZoneState state) {
        state.retired = true;
        return state.transfer;
    }

    private void closeRuntimeZones() {
        List<ZoneTransferSource> transfers = new ArrayList<>();
        synchronized (this) {
            for (ZoneState state : runtimeZones) {
                ZoneTransferSource transfer = retire(state);
                if (transfer != null) {
                    transfers.add(transfer);
                }
            }
        }
        transfers.forEach(ZoneTransferSource::close);
    }

    /** Builds the NOTIFY dispatcher over the transfer sources of configured and runtime zones. */
    private synchronized void rebuildNotifyDispatcher() {
        List<ZoneTransferSource> sources = new ArrayList<>();
        for (ZoneState state : zones) {
            if (state.transfer != null) {
                sources.add(state.transfer);
            }
        }
        for (ZoneState state : runtimeZones) {
            if (state.transfer != null) {
                sources.add(state.transfer);
            }
        }
        notifyDispatcher = sources.isEmpty() ? null : new NotifyDispatcher(sources);
    }

    /** Registers the expired gauge of a transferred zone, which reads the state of the zone's transfer source. */
    private static void registerExpired(ZoneState state) {
        state.metrics.registerExpired(() -> {
            ZoneTransferSource transfer = state.transfer;
            return transfer != null && transfer.status().expired();
        });
    }

    private void runtimeZoneChanged(ZoneState state) {
        if (state.runtimeKey == null || state.retired) {
            return;
        }
        try {
            runtimeZoneListener.accept(state.runtimeKey.id());
        } catch (RuntimeException e) {
            LOG.warnf(e, "zone %s: the listener of %s failed; the zone stays in force", state.name(),
                    state.runtimeKey.id());
        }
    }
}
