package dev.rpzgate.cache;

/**
 * Receiver of the answer cache's events, for the metrics. Called from any event loop. Every event
 * is ignored by default, so a listener overrides only the events it counts.
 */
public interface CacheListener {

    /** A query was answered from a fresh entry. */
    default void hit() {
    }

    /** A query found no fresh entry: it went to the upstream, or, with RD clear, got an empty answer. */
    default void miss() {
    }

    /** A query waited for an upstream query that another query had already sent. */
    default void coalesced() {
    }

    /** A query was answered from an expired entry because the upstream failed. */
    default void staleAnswer() {
    }

    /** A popular entry near expiry was refreshed in the background. */
    default void prefetch() {
    }

    /** An entry was removed: {@code sizeBound} true when the size bound pushed it out, false when it expired. */
    default void evicted(boolean sizeBound) {
    }
}
