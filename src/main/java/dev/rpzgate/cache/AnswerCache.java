package dev.rpzgate.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.RemovalCause;
import org.jboss.logging.Logger;
import org.xbill.DNS.Message;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;

/**
 * The answers of the upstream, shared by every event loop, so that a name is asked once however
 * SO_REUSEPORT spreads its clients over the loops. It stores upstream answers only: policy is
 * applied to what comes out of it on every query, so a rule change takes effect on the next
 * query without a flush.
 *
 * <p>The store is a Caffeine cache. A read is a {@link ConcurrentHashMap} lookup plus a lossy,
 * lock-free offer to a striped ring buffer that records the access for W-TinyLFU eviction. The
 * buffer is drained and the size bound enforced on {@code executor} (the common fork-join pool in
 * production), so an event loop never waits for a lock and never does eviction work itself: at most
 * it makes a {@code tryLock} that does not wait, to hand the drain to the executor. Entries stay
 * after they expire for {@code max-staleness}, for serve-stale, and are dropped after that.
 *
 * <p>The map of upstream queries in flight lets concurrent identical misses, from any loop, share
 * one upstream query.
 */
public final class AnswerCache {

    private static final Logger LOG = Logger.getLogger(AnswerCache.class);

    /** Result of one upstream query made for the cache, shared by every query that waited for it. */
    record Fetched(int rcode, CachedAnswer stored, byte[] uncachedWire) {
    }

    private final CacheSettings settings;
    private final CacheClock clock;
    private final CacheListener listener;
    private final Cache<CacheKey, CachedAnswer> entries;
    private final ConcurrentHashMap<CacheKey, CompletableFuture<Fetched>> inFlight = new ConcurrentHashMap<>();

    public AnswerCache(CacheSettings settings, CacheClock clock, CacheListener listener) {
        this(settings, clock, listener, ForkJoinPool.commonPool());
    }

    /** Builds a cache whose eviction work runs on {@code executor}; tests pass {@code Runnable::run}. */
    public AnswerCache(CacheSettings settings, CacheClock clock, CacheListener listener, Executor executor) {
        this.settings = settings;
        this.clock = clock;
        this.listener = listener;
        long staleNanos = settings.maxStaleness().toNanos();
        this.entries = Caffeine.newBuilder()
                .maximumWeight(settings.maxSizeBytes())
                .weigher((CacheKey key, CachedAnswer answer) -> answer.weightBytes())
                .expireAfter(new Expiry<CacheKey, CachedAnswer>() {
                    @Override
                    public long expireAfterCreate(CacheKey key, CachedAnswer answer, long currentTime) {
                        return Math.max(0, answer.expiresAtMillis() * 1_000_000 + staleNanos - currentTime);
                    }

                    @Override
                    public long expireAfterUpdate(CacheKey key, CachedAnswer answer, long currentTime,
                                                  long currentDuration) {
                        return expireAfterCreate(key, answer, currentTime);
                    }

                    @Override
                    public long expireAfterRead(CacheKey key, CachedAnswer answer, long currentTime,
                                                long currentDuration) {
                        return currentDuration;
                    }
                })
                .ticker(() -> clock.millis() * 1_000_000)
                .executor(executor)
                .evictionListener((CacheKey key, CachedAnswer answer, RemovalCause cause) ->
                        listener.evicted(cause == RemovalCause.SIZE))
                .build();
    }

    public CacheSettings settings() {
        return settings;
    }

    public boolean enabled() {
        return settings.enabled();
    }

    CacheListener listener() {
        return listener;
    }

    /** Returns the cache's time in milliseconds. */
    public long now() {
        return clock.millis();
    }

    /** Returns the entry of {@code key}, fresh or expired within the staleness bound, or null. */
    public CachedAnswer get(CacheKey key) {
        return entries.getIfPresent(key);
    }

    /**
     * Stores the upstream's {@code answer} to {@code key} when the cache rules allow it, replacing
     * an older entry, and returns what waiting queries need to build their answers.
     */
    Fetched store(CacheKey key, Message answer) {
        CachedAnswer stored = null;
        try {
            stored = CachedAnswer.from(key, answer, settings, clock.millis());
        } catch (IllegalArgumentException e) {
            LOG.debugf("upstream answer to %s is not cached: %s", key, e.getMessage());
        }
        if (stored == null) {
            return new Fetched(answer.getRcode(), null, answer.toWire());
        }
        entries.put(key, stored);
        return new Fetched(answer.getRcode(), stored, null);
    }

    /**
     * Registers {@code fetch} as the upstream query in flight for {@code key}, unless one is in
     * flight already: then returns that one, and the caller waits for it instead.
     */
    CompletableFuture<Fetched> claimInFlight(CacheKey key, CompletableFuture<Fetched> fetch) {
        return inFlight.putIfAbsent(key, fetch);
    }

    /** Returns the upstream query in flight for {@code key}, or null. */
    CompletableFuture<Fetched> inFlight(CacheKey key) {
        return inFlight.get(key);
    }

    /** Forgets {@code fetch} once its answer is stored, so the next miss asks again. */
    void releaseInFlight(CacheKey key, CompletableFuture<Fetched> fetch) {
        inFlight.remove(key, fetch);
    }

    /** Returns the number of entries, fresh and stale, an estimate while eviction work is pending. */
    public long size() {
        return entries.estimatedSize();
    }

    /** Removes every entry, so that a test starts from an empty cache. */
    public void clear() {
        entries.invalidateAll();
    }

    /** Runs pending eviction work now, so that {@link #size()} is exact; for tests. */
    public void cleanUp() {
        entries.cleanUp();
    }
}
