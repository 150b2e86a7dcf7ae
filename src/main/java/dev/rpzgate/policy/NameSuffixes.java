package dev.rpzgate.policy;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.jboss.logging.Logger;
import org.xbill.DNS.Name;

/**
 * Reads the wire form of a dnsjava {@link Name} and hashes its suffixes, so that wildcard matching
 * can look up each ancestor of a query name without building a {@code Name} for it.
 *
 * <p>Written for the hot path: dnsjava 3.6 offers no allocation-free view of a name's bytes, and
 * {@code new Name(name, n)} copies the bytes and computes a fresh hash for every ancestor. This
 * class reads the private {@code name} byte array of {@code Name} through a {@link VarHandle}.
 * NOTE: that field and the hash function are dnsjava's internals (checked against 3.6.4). A
 * self-check at class initialization compares them with {@link Name#toWireCanonical()} and
 * {@link Name#hashCode()}. When the field is missing, not accessible (such as in a native image
 * without reflection data) or differs, {@link #readsInPlace()} returns false and callers build
 * ancestor names as before.
 */
final class NameSuffixes {

    private static final Logger LOG = Logger.getLogger(NameSuffixes.class);

    /** 9 to the power of the index, modulo 2^32, for every byte position of a name of at most 255 bytes. */
    private static final int[] POWERS_OF_9 = powersOf9();

    // Declared after POWERS_OF_9, because the self-check that computes it uses them.
    /** dnsjava's {@code Name.name}, the wire form without compression, or null when it cannot be read. */
    private static final VarHandle WIRE = wireHandle();

    private NameSuffixes() {
    }

    /**
     * Returns the uncompressed wire form of {@code name}, in its own letter case; the array may be
     * the name's own, so callers must not change it. Without {@link #readsInPlace()} it is a copy.
     */
    static byte[] wire(Name name) {
        return WIRE != null ? (byte[]) WIRE.get(name) : name.toWireCanonical();
    }

    /** Returns whether {@link #wire} reads the name's bytes in place, without allocating. */
    static boolean readsInPlace() {
        return WIRE != null;
    }

    /**
     * Returns the hash of the name whose wire form is {@code wire} from {@code offset} on, a label
     * boundary; equal to {@link Name#hashCode()} of that suffix as dnsjava 3.6 computes it, which
     * folds each byte, ASCII letters lowercased, as {@code code = code * 9 + byte}.
     */
    static int hash(byte[] wire, int offset) {
        int code = 0;
        for (int i = offset; i < wire.length; i++) {
            code += (code << 3) + lowercase(wire[i]);
        }
        return code;
    }

    /**
     * Returns the hash of the suffix that starts after the label at {@code offset}, given
     * {@code hash}, the hash of the suffix that starts at {@code offset}. The hash is a polynomial
     * in 9 over the bytes, so removing the label's bytes from it costs as many steps as the label
     * has bytes, where hashing the shorter suffix again would cost as many as it has.
     */
    static int stripLabel(byte[] wire, int offset, int hash) {
        int end = nextLabel(wire, offset);
        int last = wire.length - 1;
        for (int i = offset; i < end; i++) {
            hash -= lowercase(wire[i]) * POWERS_OF_9[last - i];
        }
        return hash;
    }

    /** Returns the offset in {@code wire} of the label after the one that starts at {@code offset}. */
    static int nextLabel(byte[] wire, int offset) {
        return offset + (wire[offset] & 0xFF) + 1;
    }

    private static int lowercase(byte value) {
        int unsigned = value & 0xFF;
        return unsigned >= 'A' && unsigned <= 'Z' ? unsigned + ('a' - 'A') : unsigned;
    }

    private static int[] powersOf9() {
        int[] powers = new int[256];
        powers[0] = 1;
        for (int i = 1; i < powers.length; i++) {
            powers[i] = powers[i - 1] * 9;
        }
        return powers;
    }

    private static VarHandle wireHandle() {
        try {
            VarHandle handle = MethodHandles.privateLookupIn(Name.class, MethodHandles.lookup())
                    .findVarHandle(Name.class, "name", byte[].class);
            if (!matchesDnsjava(handle)) {
                LOG.warnf("dnsjava's Name layout or hash is not the one rpzgate expects; wildcard lookups build a"
                        + " name per ancestor instead of reading the query name in place");
                return null;
            }
            return handle;
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.debugf("cannot read dnsjava's Name bytes in place (%s); wildcard lookups build a name per ancestor", e);
            return null;
        }
    }

    /** Returns whether {@code handle} reads the wire form, and the hashes here equal dnsjava's, for a sample name. */
    private static boolean matchesDnsjava(VarHandle handle) {
        Name sample = Name.fromConstantString("Www.Example.ORG.");
        Name parent = new Name(sample, 1);
        byte[] inPlace = (byte[]) handle.get(sample);
        byte[] canonical = sample.toWireCanonical();
        if (inPlace == null || inPlace.length != canonical.length) {
            return false;
        }
        for (int i = 0; i < canonical.length; i++) {
            if (lowercase(inPlace[i]) != (canonical[i] & 0xFF)) {
                return false;
            }
        }
        return hash(inPlace, 0) == sample.hashCode()
                && hash(inPlace, nextLabel(inPlace, 0)) == parent.hashCode()
                && stripLabel(inPlace, 0, sample.hashCode()) == parent.hashCode();
    }
}
