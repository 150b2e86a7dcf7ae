package dev.rpzgate.policy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.TreeMap;

/**
 * Counts the skipped records of a zone, in total and by {@link SkippedRecord#category()}, and
 * keeps only the {@value #KEPT} with the lowest line numbers. A feed of a million bad records
 * would otherwise keep a million {@link SkippedRecord}s, about 180 MB, for log lines that show five.
 */
final class SkippedTally {

    /** Skipped records kept with their reason, the ones with the lowest line numbers. */
    static final int KEPT = 100;

    private static final Comparator<Entry> LATEST_FIRST = Comparator
            .comparingInt((Entry entry) -> entry.record().line())
            .thenComparingLong(Entry::sequence)
            .reversed();

    private int count;
    private long sequence;
    private final Map<String, Integer> byCategory = new TreeMap<>();
    // A max-heap on the line, so the record to drop when more than KEPT arrive is at its head.
    private final PriorityQueue<Entry> lowest = new PriorityQueue<>(LATEST_FIRST);

    private record Entry(SkippedRecord record, long sequence) {}

    void add(SkippedRecord record) {
        count++;
        byCategory.merge(record.category(), 1, Integer::sum);
        keep(record);
    }

    /** Keeps {@code record} among the lowest lines without counting it, for records counted before. */
    void keep(SkippedRecord record) {
        lowest.add(new Entry(record, sequence++));
        if (lowest.size() > KEPT) {
            lowest.poll();
        }
    }

    /** Adds the counts of {@code other} times {@code sign}, +1 or -1, without its kept records. */
    void addCounts(SkippedTally other, int sign) {
        count += sign * other.count;
        other.byCategory.forEach((category, n) -> {
            int updated = byCategory.getOrDefault(category, 0) + sign * n;
            if (updated == 0) {
                byCategory.remove(category);
            } else {
                byCategory.put(category, updated);
            }
        });
    }

    /** Adds counts as a zone reports them, for starting from a zone in force. */
    void addCounts(int total, Map<String, Integer> categories) {
        count += total;
        categories.forEach((category, n) -> byCategory.merge(category, n, Integer::sum));
    }

    int count() {
        return count;
    }

    Map<String, Integer> byCategory() {
        return Collections.unmodifiableMap(new TreeMap<>(byCategory));
    }

    /** Returns the kept records ordered by line, and among equal lines in the order they were added. */
    List<SkippedRecord> kept() {
        List<Entry> entries = new ArrayList<>(lowest);
        entries.sort(LATEST_FIRST.reversed());
        List<SkippedRecord> records = new ArrayList<>(entries.size());
        for (Entry entry : entries) {
            records.add(entry.record());
        }
        return records;
    }
}
