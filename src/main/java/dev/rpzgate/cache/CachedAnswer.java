package dev.rpzgate.cache;

import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One upstream answer in the cache, kept in wire format with the TTLs that the cache settings
 * allow. Every read builds a new {@link Message} from a copy of the bytes with the TTLs counted
 * down, so callers may change what they get. The entry itself never changes, except the hit count
 * and the prefetch and failure marks, which event loops update without a lock.
 */
public final class CachedAnswer {

    private static final VarHandle HITS;
    private static final VarHandle PREFETCH_CLAIMED;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            HITS = lookup.findVarHandle(CachedAnswer.class, "hits", int.class);
            PREFETCH_CLAIMED = lookup.findVarHandle(CachedAnswer.class, "prefetchClaimed", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Bytes counted per entry beyond its wire bytes: the objects, the key and the map node, an estimate. */
    private static final int OVERHEAD_BYTES = 200;

    private final byte[] wire;
    private final int[] ttlOffsets;
    private final long storedAtMillis;
    private final long lifetimeMillis;
    private final boolean negative;

    @SuppressWarnings("unused") // through HITS
    private volatile int hits;
    @SuppressWarnings("unused") // through PREFETCH_CLAIMED
    private volatile boolean prefetchClaimed;
    private volatile long refreshFailedAtMillis = Long.MIN_VALUE;

    private CachedAnswer(byte[] wire, int[] ttlOffsets, long storedAtMillis, long lifetimeMillis, boolean negative) {
        this.wire = wire;
        this.ttlOffsets = ttlOffsets;
        this.storedAtMillis = storedAtMillis;
        this.lifetimeMillis = lifetimeMillis;
        this.negative = negative;
    }

    /**
     * Returns the entry for the upstream's {@code answer} to {@code key}, or null when the answer
     * must not be cached: an rcode other than NOERROR and NXDOMAIN (SERVFAIL among them, so the next
     * query asks again), a truncated answer, a negative answer without an SOA (RFC 2308 section 5)
     * or a lifetime of zero seconds.
     *
     * <p>A positive answer lives for its smallest record TTL, each TTL held within
     * {@code min-ttl} and {@code max-ttl}. A negative answer (NXDOMAIN, or NODATA: NOERROR without a
     * record of the asked type) lives for the smaller of the SOA's TTL and its minimum field (RFC 2308
     * section 5), at most {@code max-negative-ttl}, and the SOA is served with that TTL.
     */
    static CachedAnswer from(CacheKey key, Message answer, CacheSettings settings, long nowMillis) {
        int rcode = answer.getRcode();
        if ((rcode != Rcode.NOERROR && rcode != Rcode.NXDOMAIN) || answer.getHeader().getFlag(Flags.TC)) {
            return null;
        }
        boolean negative = rcode == Rcode.NXDOMAIN || !answersType(answer, key.type());
        long negativeTtl = 0;
        if (negative) {
            SOARecord soa = authoritySoa(answer);
            if (soa == null) {
                return null;
            }
            negativeTtl = Math.min(Math.min(soa.getTTL(), soa.getMinimum()), settings.maxNegativeTtl().toSeconds());
        }

        byte[] bytes = answer.toWire();
        int[] offsets = WireTtls.offsets(bytes);
        long minTtl = settings.minTtl().toSeconds();
        long maxTtl = settings.maxTtl().toSeconds();
        long lifetime = Long.MAX_VALUE;
        for (int offset : offsets) {
            long ttl = Math.min(WireTtls.read(bytes, offset), maxTtl);
            if (negative) {
                if (isSoaAt(bytes, offset)) {
                    ttl = negativeTtl;
                }
            } else {
                ttl = Math.max(ttl, minTtl);
            }
            WireTtls.write(bytes, offset, ttl);
            lifetime = Math.min(lifetime, ttl);
        }
        if (offsets.length == 0 || lifetime == 0) {
            return null;
        }
        return new CachedAnswer(bytes, offsets, nowMillis, lifetime * 1000, negative);
    }

    /** Returns whether the answer section holds a record of {@code type}, the end of any CNAME chain included. */
    private static boolean answersType(Message answer, int type) {
        if (type == Type.ANY) {
            return !answer.getSection(Section.ANSWER).isEmpty();
        }
        for (Record record : answer.getSection(Section.ANSWER)) {
            if (record.getType() == type) {
                return true;
            }
        }
        return false;
    }

    private static SOARecord authoritySoa(Message answer) {
        for (Record record : answer.getSection(Section.AUTHORITY)) {
            if (record instanceof SOARecord soa) {
                return soa;
            }
        }
        return null;
    }

    /** Returns whether the record whose TTL field is at {@code ttlOffset} is an SOA, reading the type 4 bytes before. */
    private static boolean isSoaAt(byte[] bytes, int ttlOffset) {
        int type = ((bytes[ttlOffset - 4] & 0xFF) << 8) | (bytes[ttlOffset - 3] & 0xFF);
        return type == Type.SOA;
    }

    /** Returns whether the answer has not expired at {@code nowMillis}. */
    public boolean isFresh(long nowMillis) {
        return nowMillis - storedAtMillis < lifetimeMillis;
    }

    /** Returns the time at which the answer expires. */
    public long expiresAtMillis() {
        return storedAtMillis + lifetimeMillis;
    }

    /** Returns whether this is an NXDOMAIN or NODATA answer. */
    public boolean negative() {
        return negative;
    }

    /** Returns the answer with every TTL lowered by the whole seconds since it was stored, never below zero. */
    public Message toMessage(long nowMillis) {
        long elapsedSeconds = Math.max(0, (nowMillis - storedAtMillis) / 1000);
        byte[] copy = wire.clone();
        for (int offset : ttlOffsets) {
            WireTtls.write(copy, offset, Math.max(0, WireTtls.read(copy, offset) - elapsedSeconds));
        }
        return parse(copy);
    }

    /** Returns the answer with every TTL set to {@code ttlSeconds}, as a stale answer is sent (RFC 8767 section 4). */
    public Message toStaleMessage(long ttlSeconds) {
        byte[] copy = wire.clone();
        for (int offset : ttlOffsets) {
            WireTtls.write(copy, offset, ttlSeconds);
        }
        return parse(copy);
    }

    private static Message parse(byte[] bytes) {
        try {
            return new Message(bytes);
        } catch (IOException e) {
            // The bytes came from Message.toWire and only their TTL fields changed since.
            throw new IllegalStateException("cached answer does not parse", e);
        }
    }

    /** Returns the hits counted so far. */
    int hitsSoFar() {
        return (int) HITS.getVolatile(this);
    }

    /** Counts a hit and returns the hits so far. */
    int recordHit() {
        return (int) HITS.getAndAdd(this, 1) + 1;
    }

    /** Returns whether the answer is in the last tenth of its lifetime, the window for a prefetch. */
    boolean inPrefetchWindow(long nowMillis) {
        return expiresAtMillis() - nowMillis <= lifetimeMillis / 10;
    }

    /** Returns true for the one caller that may start this entry's prefetch. */
    boolean claimPrefetch() {
        return PREFETCH_CLAIMED.compareAndSet(this, false, true);
    }

    /** Notes that asking the upstream for a fresh copy failed at {@code nowMillis}. */
    void markRefreshFailed(long nowMillis) {
        refreshFailedAtMillis = nowMillis;
    }

    /** Returns whether a refresh failed less than {@code windowMillis} before {@code nowMillis}. */
    boolean refreshFailedWithin(long nowMillis, long windowMillis) {
        long failedAt = refreshFailedAtMillis;
        return failedAt != Long.MIN_VALUE && nowMillis - failedAt < windowMillis;
    }

    /** Returns the estimated memory of this entry in bytes, for the cache's size bound. */
    int weightBytes() {
        return OVERHEAD_BYTES + wire.length + 4 * ttlOffsets.length;
    }
}
