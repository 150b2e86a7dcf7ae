package dev.rpzgate.cache;

import org.xbill.DNS.Message;

/**
 * The upstream's answer to a question, fresh from the upstream or from the cache. The caller may
 * change the {@link Message} it gets. An answer read from a cache entry parses that message only
 * when {@link #message()} is first called, because the pipeline usually sends the entry's bytes
 * without a message ({@link CachedAnswer#toClientWire}).
 *
 * <p>An instance belongs to the event loop that resolved it: the lazy message is not shared.
 */
public final class ResolvedAnswer {

    private final CachedAnswer entry;
    private final long nowMillis;
    private final boolean stale;
    private Message message;

    /**
     * @param stale whether the answer is an expired entry served because the upstream failed, so the
     *              client's answer must carry the Extended DNS Error "Stale Answer" (RFC 8914 code 3)
     */
    public ResolvedAnswer(Message message, boolean stale) {
        this.message = message;
        this.stale = stale;
        this.entry = null;
        this.nowMillis = 0;
    }

    private ResolvedAnswer(CachedAnswer entry, long nowMillis) {
        this.entry = entry;
        this.nowMillis = nowMillis;
        this.stale = false;
    }

    /** Returns the fresh answer of {@code entry} with its TTLs counted down to {@code nowMillis}. */
    static ResolvedAnswer fromCache(CachedAnswer entry, long nowMillis) {
        return new ResolvedAnswer(entry, nowMillis);
    }

    /** Returns the answer as a message, the same instance on every call. */
    public Message message() {
        if (message == null) {
            message = entry.toMessage(nowMillis);
        }
        return message;
    }

    /**
     * Returns whether the answer section carries signatures, so a validating client would notice a
     * rewrite. An answer read from a cache entry takes the mark stored with it and is not parsed.
     */
    public boolean signed() {
        if (entry != null) {
            return entry.signed();
        }
        return CachedAnswer.isSigned(message);
    }

    public boolean stale() {
        return stale;
    }

    /** Returns the fresh cache entry that this answer was read from, or null. */
    public CachedAnswer entry() {
        return entry;
    }

    /** Returns the time at which the entry was read, which sets how far its TTLs are counted down. */
    public long readAtMillis() {
        return nowMillis;
    }
}
