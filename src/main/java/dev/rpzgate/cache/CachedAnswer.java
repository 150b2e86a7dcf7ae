package dev.rpzgate.cache;

import dev.rpzgate.wire.AnswerStage;
import dev.rpzgate.wire.ClientQuery;
import dev.rpzgate.wire.Responses;
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
import java.util.Arrays;
import java.util.List;

/**
 * One upstream answer in the cache, kept in wire format with the TTLs that the cache settings
 * allow. {@link #toMessage} builds a new {@link Message} from a copy of the bytes with the TTLs
 * counted down, so callers may change what they get. {@link #toClientWire} skips the message and
 * writes the client's answer from the bytes, with what policy checks need read out when the entry
 * was stored ({@link #stages()}, {@link #signed()}). The entry itself never changes, except the hit
 * count and the prefetch and failure marks, which event loops update without a lock.
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

    /** Bytes counted per stage of the CNAME chain that the entry keeps for policy checks, an estimate. */
    private static final int STAGE_BYTES = 80;

    private static final int HEADER_LENGTH = 12;

    private final byte[] wire;
    private final int[] ttlOffsets;
    private final long storedAtMillis;
    private final long lifetimeMillis;
    private final boolean negative;
    private final List<AnswerStage> stages;
    private final boolean signed;
    /** Offset of the upstream's OPT record, the message length when it sent none, -1 when it is not last. */
    private final int optStart;
    /** Offset just past the question name, -1 when the bytes cannot be answered without parsing. */
    private final int questionEnd;

    @SuppressWarnings("unused") // through HITS
    private volatile int hits;
    @SuppressWarnings("unused") // through PREFETCH_CLAIMED
    private volatile boolean prefetchClaimed;
    private volatile long refreshFailedAtMillis = Long.MIN_VALUE;

    private CachedAnswer(byte[] wire, int[] ttlOffsets, long storedAtMillis, long lifetimeMillis, boolean negative,
                         List<AnswerStage> stages, boolean signed) {
        this.wire = wire;
        this.ttlOffsets = ttlOffsets;
        this.storedAtMillis = storedAtMillis;
        this.lifetimeMillis = lifetimeMillis;
        this.negative = negative;
        this.stages = stages;
        this.signed = signed;
        this.optStart = WireTtls.optStart(wire);
        this.questionEnd = WireTtls.readU16(wire, 4) == 1 ? Responses.questionNameEnd(wire) : -1;
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
        return new CachedAnswer(bytes, offsets, nowMillis, lifetime * 1000, negative,
                AnswerStage.of(key.name(), answer), isSigned(answer));
    }

    /** Returns whether the answer section carries signatures, so a validating client would notice a rewrite. */
    public static boolean isSigned(Message answer) {
        for (Record record : answer.getSection(Section.ANSWER)) {
            if (record.getType() == Type.RRSIG) {
                return true;
            }
        }
        return false;
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

    /**
     * Returns the names of the answer's CNAME chain with their addresses, from the name of the
     * cache key on. Names keep the letter case of the query that filled the entry.
     */
    public List<AnswerStage> stages() {
        return stages;
    }

    /** Returns whether the answer section carries RRSIG records. */
    public boolean signed() {
        return signed;
    }

    /** Returns the response code of the answer, NOERROR or NXDOMAIN. */
    public int rcode() {
        return wire[3] & 0x0F;
    }

    /**
     * Writes the answer to {@code query} as {@link Responses#encode} would write
     * the parsed entry with the client's question put back, AA cleared and no EDNS options: the
     * client's ID, RD and CD, QR and RA set, the question in the client's letter case, TTLs counted
     * down to {@code nowMillis}, and rpzgate's OPT record in place of the upstream's (none when the
     * client sent none). Returns null when that takes more than copying bytes: the answer would not
     * fit the client's limit and must be truncated, the upstream's OPT record is not the last
     * record, or the client's question is not the entry's question byte for byte, letter case aside.
     *
     * <p>Written by hand because it runs for every forwarded query: parsing the entry into dnsjava
     * records and encoding them again cost more than the rest of a cache hit.
     */
    public byte[] toClientWire(ClientQuery query, long nowMillis) {
        byte[] packet = query.packet();
        if (optStart < 0 || questionEnd < 0 || packet == null || packet.length < questionEnd) {
            return null;
        }
        boolean edns = query.hasEdns();
        int length = optStart + (edns ? Responses.OPT_LENGTH : 0);
        if (length > query.answerLimit()) {
            return null;
        }
        for (int i = HEADER_LENGTH; i < questionEnd; i++) {
            if (packet[i] != wire[i] && lowerAscii(packet[i]) != lowerAscii(wire[i])) {
                return null;
            }
        }

        byte[] answer = Arrays.copyOf(wire, length);
        System.arraycopy(packet, HEADER_LENGTH, answer, HEADER_LENGTH, questionEnd - HEADER_LENGTH);
        answer[0] = packet[0];
        answer[1] = packet[1];
        // QR set, opcode kept, AA and TC clear, the client's RD; RA set, Z and AD kept, the client's CD, rcode kept.
        answer[2] = (byte) (0x80 | (wire[2] & 0x78) | (query.recursionDesired() ? 0x01 : 0));
        answer[3] = (byte) (0x80 | (wire[3] & 0x6F) | (query.checkingDisabled() ? 0x10 : 0));
        int additional = WireTtls.readU16(wire, 10) - (optStart < wire.length ? 1 : 0) + (edns ? 1 : 0);
        answer[10] = (byte) (additional >>> 8);
        answer[11] = (byte) additional;

        long elapsedSeconds = Math.max(0, (nowMillis - storedAtMillis) / 1000);
        for (int offset : ttlOffsets) {
            WireTtls.write(answer, offset, Math.max(0, WireTtls.read(wire, offset) - elapsedSeconds));
        }
        if (edns) {
            Responses.writeOpt(answer, optStart, query.dnssecOk());
        }
        return answer;
    }

    private static int lowerAscii(byte b) {
        return b >= 'A' && b <= 'Z' ? b + ('a' - 'A') : b;
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
        return OVERHEAD_BYTES + wire.length + 4 * ttlOffsets.length + STAGE_BYTES * stages.size();
    }
}
