package dev.rpzgate.cache;

import java.time.Duration;

/**
 * Settings of the answer cache, as {@code rpzgate.cache.*} gives them.
 *
 * @param maxSizeBytes       bound on the estimated memory of all entries; the least valuable are evicted
 * @param minTtl             floor on the TTL of a positive answer
 * @param maxTtl             ceiling on the TTL of every answer
 * @param maxNegativeTtl     ceiling on the TTL of an NXDOMAIN or NODATA answer
 * @param prefetchMinHits    hits an entry needs before it is refreshed ahead of expiry; 0 turns prefetch off
 * @param maxStaleness       how long after expiry an entry may still be served stale; zero turns serve-stale off
 * @param staleAnswerTtl     TTL of the records of a stale answer
 * @param failureRecheck     how long after a failed refresh stale answers are given without asking again
 */
public record CacheSettings(boolean enabled, long maxSizeBytes, Duration minTtl, Duration maxTtl,
                            Duration maxNegativeTtl, int prefetchMinHits, Duration maxStaleness,
                            Duration staleAnswerTtl, Duration failureRecheck) {

    public CacheSettings {
        if (maxSizeBytes <= 0) {
            throw new IllegalArgumentException("rpzgate.cache.max-size must be above zero, got " + maxSizeBytes);
        }
        if (minTtl.isNegative() || maxTtl.isNegative() || maxNegativeTtl.isNegative()) {
            throw new IllegalArgumentException("rpzgate.cache TTL settings must not be negative");
        }
        if (minTtl.compareTo(maxTtl) > 0) {
            throw new IllegalArgumentException("rpzgate.cache.min-ttl (" + minTtl + ") is above rpzgate.cache.max-ttl ("
                    + maxTtl + ")");
        }
        if (prefetchMinHits < 0) {
            throw new IllegalArgumentException("rpzgate.cache.prefetch.min-hits must not be negative, got "
                    + prefetchMinHits);
        }
        if (maxStaleness.isNegative() || staleAnswerTtl.isNegative() || failureRecheck.isNegative()) {
            throw new IllegalArgumentException("rpzgate.cache.serve-stale durations must not be negative");
        }
    }

    /** Returns whether a popular entry is refreshed in the background shortly before it expires. */
    public boolean prefetch() {
        return prefetchMinHits > 0;
    }

    /** Returns whether expired entries answer when the upstream fails (RFC 8767). */
    public boolean serveStale() {
        return !maxStaleness.isZero();
    }
}
