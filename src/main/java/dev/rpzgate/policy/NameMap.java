package dev.rpzgate.policy;

import org.xbill.DNS.Name;

/**
 * Hash map from dnsjava {@link Name} to a value, with open addressing and linear probing in two
 * parallel arrays. Written on the hot path's behalf: a {@link java.util.HashMap} entry costs a
 * 32-byte node plus its table slot, about 40 bytes per name, where this map costs two array slots,
 * 8 to 16 bytes with compressed references. For a zone of a million triggers that is about 25 MB
 * less, and a lookup walks arrays instead of following node pointers.
 *
 * <p>Keys compare with {@link Name#equals}, which ignores ASCII case, and hash with
 * {@link Name#hashCode}, which dnsjava caches in the name. Values are never null.
 *
 * <p>Not thread-safe while it is written. {@link NameTriggerTable} stops writing to a map before it
 * publishes it, and readers then only call {@link #get} and {@link #containsKey}, which allocate
 * nothing.
 */
final class NameMap {

    /** Largest share of occupied slots; above it the arrays double. Linear probing slows down sharply past about 0.7. */
    private static final double MAX_LOAD = 0.6;
    private static final int MIN_CAPACITY = 8;

    private Name[] keys;
    private Object[] values;
    private int size;
    private int shift;

    NameMap() {
        this(0);
    }

    /** Creates a map that holds {@code expectedSize} names without growing. */
    NameMap(int expectedSize) {
        allocate(capacityFor(expectedSize));
    }

    private NameMap(Name[] keys, Object[] values, int size, int shift) {
        this.keys = keys;
        this.values = values;
        this.size = size;
        this.shift = shift;
    }

    /** Returns an independent copy, which costs two array copies and no per-entry objects. */
    NameMap copy() {
        return new NameMap(keys.clone(), values.clone(), size, shift);
    }

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    /** Returns the value stored for {@code key}, or null. */
    Object get(Name key) {
        int index = find(key);
        return index < 0 ? null : values[index];
    }

    boolean containsKey(Name key) {
        return find(key) >= 0;
    }

    /** Returns the stored key equal to {@code key}, or null, so a caller can share that name instead of keeping its own. */
    Name storedKey(Name key) {
        int index = find(key);
        return index < 0 ? null : keys[index];
    }

    /** Stores {@code value} for {@code key}, replacing the key and value stored before, if any. */
    void put(Name key, Object value) {
        if (value == null) {
            throw new IllegalArgumentException("null value for " + key);
        }
        int mask = keys.length - 1;
        int index = slot(key);
        while (keys[index] != null) {
            if (keys[index].equals(key)) {
                keys[index] = key;
                values[index] = value;
                return;
            }
            index = (index + 1) & mask;
        }
        keys[index] = key;
        values[index] = value;
        size++;
        if (size > keys.length * MAX_LOAD) {
            grow();
        }
    }

    /** Removes the entry of {@code key}. Returns the value it had, or null if there was none. */
    Object remove(Name key) {
        int index = find(key);
        if (index < 0) {
            return null;
        }
        Object old = values[index];
        deleteSlot(index);
        size--;
        return old;
    }

    /** Returns the length of the slot arrays, for iterating with {@link #keyAt} and {@link #valueAt}. */
    int capacity() {
        return keys.length;
    }

    /** Returns the key in slot {@code index}, or null for an empty slot. */
    Name keyAt(int index) {
        return keys[index];
    }

    Object valueAt(int index) {
        return values[index];
    }

    /** Replaces the key and value of the occupied slot {@code index} with an equal key and a new value. */
    void replaceAt(int index, Name key, Object value) {
        if (keys[index] == null || !keys[index].equals(key) || value == null) {
            throw new IllegalArgumentException("slot " + index + " does not hold " + key);
        }
        keys[index] = key;
        values[index] = value;
    }

    private int find(Name key) {
        int mask = keys.length - 1;
        int index = slot(key);
        Name stored;
        while ((stored = keys[index]) != null) {
            if (stored.equals(key)) {
                return index;
            }
            index = (index + 1) & mask;
        }
        return -1;
    }

    private int slot(Name key) {
        // Fibonacci hashing spreads the low-entropy bits of Name.hashCode over the whole table.
        return (key.hashCode() * 0x9E3779B9) >>> shift;
    }

    /**
     * Empties slot {@code index} and moves later entries of its probe run back, so that every
     * entry stays reachable from its home slot without tombstones (Knuth's algorithm R).
     */
    private void deleteSlot(int index) {
        int mask = keys.length - 1;
        int hole = index;
        int next = (hole + 1) & mask;
        while (keys[next] != null) {
            int home = slot(keys[next]);
            // The entry at next may move into the hole unless its home lies cyclically in (hole, next].
            boolean homeBetween = hole <= next ? hole < home && home <= next : hole < home || home <= next;
            if (!homeBetween) {
                keys[hole] = keys[next];
                values[hole] = values[next];
                hole = next;
            }
            next = (next + 1) & mask;
        }
        keys[hole] = null;
        values[hole] = null;
    }

    private void grow() {
        Name[] oldKeys = keys;
        Object[] oldValues = values;
        allocate(oldKeys.length * 2);
        int mask = keys.length - 1;
        for (int i = 0; i < oldKeys.length; i++) {
            Name key = oldKeys[i];
            if (key != null) {
                int index = slot(key);
                while (keys[index] != null) {
                    index = (index + 1) & mask;
                }
                keys[index] = key;
                values[index] = oldValues[i];
            }
        }
    }

    private void allocate(int capacity) {
        keys = new Name[capacity];
        values = new Object[capacity];
        shift = 32 - Integer.numberOfTrailingZeros(capacity);
    }

    private static int capacityFor(int expectedSize) {
        int capacity = MIN_CAPACITY;
        while (capacity * MAX_LOAD < expectedSize) {
            capacity *= 2;
        }
        return capacity;
    }

    @Override
    public String toString() {
        return "NameMap[" + size + " names in " + keys.length + " slots]";
    }
}
