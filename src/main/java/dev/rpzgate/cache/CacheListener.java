package dev.rpzgate.cache;

/** Receives the events of the answer cache, for the metrics. Called from any event loop. */
public interface CacheListener {

    /** A query was answered from a fresh entry. */
    void hit();

    /** A query found no fresh entry: it went to the upstream, or, with RD clear, got an empty answer. */
    void miss();

    /** A query waited for an upstream query that another query had already sent. */
    void coalesced();

    /** A query was answered from an expired entry because the upstream failed. */
    void staleAnswer();

    /** A popular entry near expiry was refreshed in the background. */
    void prefetch();

    /** An entry was removed: {@code sizeBound} true when the size bound pushed it out, false when it expired. */
    void evicted(boolean sizeBound);

    /** Returns a listener that ignores every event. */
    static CacheListener none() {
        return new CacheListener() {
            @Override
            public void hit() {
            }

            @Override
            public void miss() {
            }

            @Override
            public void coalesced() {
            }

            @Override
            public void staleAnswer() {
            }

            @Override
            public void prefetch() {
            }

            @Override
            public void evicted(boolean sizeBound) {
            }
        };
    }
}
