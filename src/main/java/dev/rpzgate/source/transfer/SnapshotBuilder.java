package dev.rpzgate.source.transfer;

import dev.rpzgate.policy.NumberedRecord;
import dev.rpzgate.policy.PolicyZone;
import dev.rpzgate.policy.PolicyZoneBuilder;
import dev.rpzgate.policy.ZoneSettings;
import dev.rpzgate.source.transfer.TransferFailedException.Kind;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntUnaryOperator;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Type;

/**
 * Turns the records of a transfer into a {@link ZoneSnapshot}: the records of an AXFR as they are,
 * or the previous version with the differences of an IXFR applied.
 *
 * <p>An AXFR builds the zone from every record, sharing the rules that did not change with the
 * previous version. An IXFR builds only the owners it changes and shares everything else, so its
 * cost grows with the size of the change, apart from one pass over the record list.
 */
final class SnapshotBuilder {

    private SnapshotBuilder() {}

    /**
     * Builds a version from the records of an AXFR.
     *
     * @param records every record, the apex SOA first, without the closing SOA
     * @throws TransferFailedException when the first record is not the SOA of {@code origin}
     */
    static ZoneSnapshot fromAxfr(Name origin, ZoneSettings settings, List<Record> records,
                                 InetSocketAddress primary, Instant now, PolicyZone inForce)
            throws TransferFailedException {
        if (records.isEmpty() || !(records.get(0) instanceof SOARecord) || !records.get(0).getName().equals(origin)) {
            String first = records.isEmpty() ? "nothing" : records.get(0).toString();
            throw new TransferFailedException(Kind.PROTOCOL, "AXFR of zone " + origin + " from "
                    + Formats.address(primary) + " does not start with the zone's SOA record but with " + first);
        }
        SOARecord soa = (SOARecord) records.get(0);
        return build(origin, settings, records, soa.getSerial(), primary, transferredFrom(primary), now, inForce);
    }

    /**
     * Builds a version from records saved before, with no primary.
     *
     * @throws IllegalArgumentException when the first record is not the SOA of {@code origin}
     */
    static ZoneSnapshot fromSaved(Name origin, ZoneSettings settings, List<Record> records, String source,
                                  Instant loadedAt) {
        if (records.isEmpty() || !isApexSoa(records.get(0), origin)) {
            String first = records.isEmpty() ? "nothing" : records.get(0).toString();
            throw new IllegalArgumentException("saved copy " + source + " of zone " + origin
                    + " does not start with the zone's SOA record but with " + first);
        }
        SOARecord soa = (SOARecord) records.get(0);
        return build(origin, settings, records, soa.getSerial(), null, source, loadedAt, null);
    }

    /**
     * The version an IXFR brought.
     *
     * @param rebuiltOwners owners whose rules were built again from their records; the rules of
     *     every other owner are shared with the previous version
     */
    record Applied(ZoneSnapshot snapshot, int rebuiltOwners) {}

    /**
     * Applies the deltas of an IXFR to {@code previous}. A record that a delta removes must be in
     * the zone, else the IXFR does not fit our version and the caller should transfer the whole
     * zone. Adding a record that the zone already has changes nothing.
     *
     * <p>The new record list keeps the records of {@code previous} that stay, in their order, and
     * appends the added ones. Only the owners whose records changed, the apex and the owners of IP
     * and NSDNAME rules are built again ({@link PolicyZoneBuilder#applyChanges}); the new version
     * shares the rules of all other owners with {@code previous}. The result equals a build from
     * every record of the new list.
     *
     * @param endSoa SOA record of the last delta, which becomes the zone's SOA
     * @param maxRecords most records the new version may have
     * @throws TransferFailedException of kind {@link Kind#PROTOCOL} when a removed record is
     *     missing, or {@link Kind#LIMIT} when the zone would grow past {@code maxRecords}
     */
    static Applied applyIxfr(ZoneSnapshot previous, List<ZoneDelta> deltas, SOARecord endSoa,
                             InetSocketAddress primary, Instant now, long maxRecords)
            throws TransferFailedException {
        PolicyZone previousZone = previous.zone();
        Name origin = previousZone.name();
        String operation = "IXFR of zone " + origin + " from " + Formats.address(primary);

        // The net change of all deltas, as if they were applied one by one to a set of records. A
        // record removed and added again moves to the end. A record added by one delta and removed
        // by a later one is removed from the old records too if it is there, but need not be.
        // Record.equals compares owner, type, class and data but not the TTL, as IXFR matching must.
        Map<Record, Boolean> removed = new HashMap<>(); // record -> whether the old records must have it
        LinkedHashSet<Record> added = new LinkedHashSet<>();
        for (ZoneDelta delta : deltas) {
            for (Record record : delta.removed()) {
                // The SOA is kept apart, since every delta replaces it.
                if (isApexSoa(record, origin)) {
                    continue;
                }
                if (added.remove(record)) {
                    removed.putIfAbsent(record, false);
                } else if (removed.putIfAbsent(record, true) != null) {
                    throw missingRecord(operation, record, delta, previous);
                }
            }
            for (Record record : delta.added()) {
                if (!isApexSoa(record, origin)) {
                    added.add(record);
                }
            }
        }
        Set<Name> changedOwners = new HashSet<>();
        removed.keySet().forEach(record -> changedOwners.add(record.getName()));
        added.forEach(record -> changedOwners.add(record.getName()));
        Set<Name> rebuilt = PolicyZoneBuilder.ownersToRebuild(previousZone);
        rebuilt.addAll(changedOwners);

        // One pass over the records: the ones that stay are shared with the previous list, and the
        // records of rebuilt owners are collected before and after the change.
        List<Record> records = previous.records();
        List<Record> next = new ArrayList<>(records.size() + added.size());
        List<NumberedRecord> before = new ArrayList<>();
        List<NumberedRecord> after = new ArrayList<>();
        next.add(endSoa);
        before.add(new NumberedRecord(records.get(0), 1));
        after.add(new NumberedRecord(endSoa, 1));
        Set<Record> found = new HashSet<>();
        int[] removedLines = new int[16];
        int removedCount = 0;
        for (int i = 1; i < records.size(); i++) {
            Record record = records.get(i);
            Name owner = record.getName();
            if (!rebuilt.contains(owner)) {
                next.add(record);
                continue;
            }
            before.add(new NumberedRecord(record, i + 1));
            if (changedOwners.contains(owner)) {
                if (removed.containsKey(record)) {
                    // Copies of a removed record go with it, as from a set of records.
                    found.add(record);
                    removedLines = growAndAdd(removedLines, removedCount++, i + 1);
                    continue;
                }
                // Adding a record that the zone has already changes nothing.
                added.remove(record);
            }
            next.add(record);
            after.add(new NumberedRecord(record, next.size()));
        }
        for (Map.Entry<Record, Boolean> entry : removed.entrySet()) {
            if (entry.getValue() && !found.contains(entry.getKey())) {
                throw missingRecord(operation, entry.getKey(), null, previous);
            }
        }
        for (Record record : added) {
            next.add(record);
            after.add(new NumberedRecord(record, next.size()));
        }
        if (next.size() > maxRecords) {
            throw new TransferFailedException(Kind.LIMIT, operation + " aborted: the zone would have "
                    + next.size() + " records, more than " + maxRecords + ", the transfer record limit");
        }

        int[] sortedRemovedLines = Arrays.copyOf(removedLines, removedCount);
        Arrays.sort(sortedRemovedLines);
        IntUnaryOperator newLineOfOld = line -> line - removedBefore(sortedRemovedLines, line);
        PolicyZone zone = PolicyZoneBuilder.applyChanges(previousZone, transferredFrom(primary), before, after,
                newLineOfOld);
        ZoneSnapshot snapshot = new ZoneSnapshot(zone, next, endSoa.getSerial(), primary, now);
        return new Applied(snapshot, countOwners(before, after));
    }

    private static TransferFailedException missingRecord(String operation, Record record, ZoneDelta delta,
                                                         ZoneSnapshot previous) {
        String where = delta == null ? "" : " in serial " + delta.fromSerial() + " to " + delta.toSerial();
        return new TransferFailedException(Kind.PROTOCOL, operation + " removes " + record + where
                + ", which our zone at serial " + previous.serial() + " does not have");
    }

    private static int[] growAndAdd(int[] values, int index, int value) {
        int[] grown = index < values.length ? values : Arrays.copyOf(values, values.length * 2);
        grown[index] = value;
        return grown;
    }

    /** Returns how many of the sorted {@code lines} are lower than {@code line}. */
    private static int removedBefore(int[] lines, int line) {
        int index = Arrays.binarySearch(lines, line);
        return index >= 0 ? index : -index - 1;
    }

    private static int countOwners(List<NumberedRecord> before, List<NumberedRecord> after) {
        Set<Name> owners = new HashSet<>();
        before.forEach(record -> owners.add(record.record().getName()));
        after.forEach(record -> owners.add(record.record().getName()));
        return owners.size();
    }

    private static String transferredFrom(InetSocketAddress primary) {
        return "zone transfer from " + Formats.address(primary);
    }

    private static boolean isApexSoa(Record record, Name origin) {
        return record.getType() == Type.SOA && record.getName().equals(origin);
    }

    private static ZoneSnapshot build(Name origin, ZoneSettings settings, List<Record> records, long serial,
                                      InetSocketAddress primary, String source, Instant now, PolicyZone inForce) {
        // SkippedRecord reports the source and the record's position in the zone in place of a file
        // and a line.
        // NOTE: after an IXFR, added records follow the kept ones, while an AXFR has the primary's
        // order. Where two records at one owner conflict, PolicyZoneBuilder keeps the first, so
        // such a conflict may resolve differently after an IXFR than after an AXFR.
        PolicyZoneBuilder builder = new PolicyZoneBuilder(origin, settings, source, inForce);
        for (int i = 0; i < records.size(); i++) {
            builder.add(records.get(i), i + 1);
        }
        return new ZoneSnapshot(builder.build(), records, serial, primary, now);
    }
}
