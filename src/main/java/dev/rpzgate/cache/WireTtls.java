package dev.rpzgate.cache;

import org.xbill.DNS.Type;

/**
 * Finds and rewrites the TTL fields of a DNS message in wire format (RFC 1035 section 4.1.3).
 * Written by hand because it runs on every cache hit: patching four bytes per record in a copy of
 * the stored answer is much cheaper than building new dnsjava records with a lower TTL, and dnsjava
 * has no way to change a parsed record's TTL.
 */
final class WireTtls {

    private static final int HEADER_LENGTH = 12;

    private WireTtls() {
    }

    /**
     * Returns the offset of the TTL field of every record after the question, in message order,
     * leaving out the OPT record, whose TTL field holds EDNS flags.
     *
     * @throws IllegalArgumentException when the message is cut short
     */
    static int[] offsets(byte[] wire) {
        if (wire.length < HEADER_LENGTH) {
            throw new IllegalArgumentException("DNS message shorter than its header");
        }
        int questions = readU16(wire, 4);
        int records = readU16(wire, 6) + readU16(wire, 8) + readU16(wire, 10);
        int position = HEADER_LENGTH;
        for (int i = 0; i < questions; i++) {
            position = skipName(wire, position) + 4;
        }
        int[] offsets = new int[records];
        int count = 0;
        for (int i = 0; i < records; i++) {
            position = skipName(wire, position);
            check(wire, position + 10);
            int type = readU16(wire, position);
            int ttlOffset = position + 4;
            int rdataLength = readU16(wire, position + 8);
            position += 10 + rdataLength;
            check(wire, position);
            if (type != Type.OPT) {
                offsets[count++] = ttlOffset;
            }
        }
        return count == records ? offsets : java.util.Arrays.copyOf(offsets, count);
    }

    /**
     * Returns the offset at which the OPT record starts when it is the last record of the message,
     * the message length when there is no OPT record, or -1 when an OPT record sits elsewhere, so
     * that a caller can cut the OPT off the end and append another.
     *
     * @throws IllegalArgumentException when the message is cut short
     */
    static int optStart(byte[] wire) {
        if (wire.length < HEADER_LENGTH) {
            throw new IllegalArgumentException("DNS message shorter than its header");
        }
        int questions = readU16(wire, 4);
        int records = readU16(wire, 6) + readU16(wire, 8) + readU16(wire, 10);
        int position = HEADER_LENGTH;
        for (int i = 0; i < questions; i++) {
            position = skipName(wire, position) + 4;
        }
        int optStart = wire.length;
        for (int i = 0; i < records; i++) {
            int start = position;
            position = skipName(wire, position);
            check(wire, position + 10);
            int type = readU16(wire, position);
            position += 10 + readU16(wire, position + 8);
            check(wire, position);
            if (type == Type.OPT) {
                if (i != records - 1) {
                    return -1;
                }
                optStart = start;
            }
        }
        return optStart;
    }

    /** Returns the TTL at {@code offset}, unsigned. */
    static long read(byte[] wire, int offset) {
        return ((long) (wire[offset] & 0xFF) << 24) | ((wire[offset + 1] & 0xFF) << 16)
                | ((wire[offset + 2] & 0xFF) << 8) | (wire[offset + 3] & 0xFF);
    }

    /** Writes {@code ttl}, at most 2^32 - 1, at {@code offset}. */
    static void write(byte[] wire, int offset, long ttl) {
        wire[offset] = (byte) (ttl >>> 24);
        wire[offset + 1] = (byte) (ttl >>> 16);
        wire[offset + 2] = (byte) (ttl >>> 8);
        wire[offset + 3] = (byte) ttl;
    }

    private static int skipName(byte[] wire, int position) {
        while (true) {
            check(wire, position + 1);
            int length = wire[position] & 0xFF;
            if (length == 0) {
                return position + 1;
            }
            if ((length & 0xC0) == 0xC0) {
                return position + 2; // a compression pointer ends the name
            }
            position += 1 + length;
        }
    }

    static int readU16(byte[] wire, int offset) {
        return ((wire[offset] & 0xFF) << 8) | (wire[offset + 1] & 0xFF);
    }

    private static void check(byte[] wire, int end) {
        if (end > wire.length) {
            throw new IllegalArgumentException("DNS message cut short at byte " + wire.length);
        }
    }
}
