package dev.rpzgate.source.transfer;

import dev.rpzgate.policy.PolicyZone;
import dev.rpzgate.policy.PolicyZoneBuilder;
import dev.rpzgate.policy.ZoneSettings;
import dev.rpzgate.source.transfer.TransferFailedException.Kind;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Type;

/**
 * Turns the records of a transfer into a {@link ZoneSnapshot}: the records of an AXFR as they are,
 * or the previous version with the differences of an IXFR applied.
 *
 * <p>{@link PolicyZone} is immutable and has no incremental update, so each version builds a new
 * one from every record of the zone, which costs as much as an AXFR of the same zone apart from the
 * network. The IXFR still saves the transfer itself and gives callers the deltas.
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
                                 InetSocketAddress primary, Instant now) throws TransferFailedException {
        if (records.isEmpty() || !(records.get(0) instanceof SOARecord) || !records.get(0).getName().equals(origin)) {
            String first = records.isEmpty() ? "nothing" : records.get(0).toString();
            throw new TransferFailedException(Kind.PROTOCOL, "AXFR of zone " + origin + " from "
                    + Formats.address(primary) + " does not start with the zone's SOA record but with " + first);
        }
        SOARecord soa = (SOARecord) records.get(0);
        return build(origin, settings, records, soa.getSerial(), primary, transferredFrom(primary), now);
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
        return build(origin, settings, records, soa.getSerial(), null, source, loadedAt);
    }

    /**
     * Applies the deltas of an IXFR to {@code previous}. A record that a delta removes must be in
     * the zone, else the IXFR does not fit our version and the caller should transfer the whole
     * zone. Adding a record that the zone already has changes nothing.
     *
     * @param endSoa SOA record of the last delta, which becomes the zone's SOA
     * @param maxRecords most records the new version may have
     * @throws TransferFailedException of kind {@link Kind#PROTOCOL} when a removed record is
     *     missing, or {@link Kind#LIMIT} when the zone would grow past {@code maxRecords}
     */
    static ZoneSnapshot applyIxfr(ZoneSnapshot previous, List<ZoneDelta> deltas, SOARecord endSoa,
                                  InetSocketAddress primary, Instant now, long maxRecords)
            throws TransferFailedException {
        PolicyZone previousZone = previous.zone();
        Name origin = previousZone.name();
        String operation = "IXFR of zone " + origin + " from " + Formats.address(primary);
        // The SOA is kept apart, since every delta replaces it.
        LinkedHashSet<Record> records = new LinkedHashSet<>(previous.records().subList(1, previous.records().size()));
        for (ZoneDelta delta : deltas) {
            for (Record removed : delta.removed()) {
                if (isApexSoa(removed, origin)) {
                    continue;
                }
                // Record.equals compares owner, type, class and data but not the TTL, as IXFR matching must.
                if (!records.remove(removed)) {
                    throw new TransferFailedException(Kind.PROTOCOL, operation + " removes " + removed + " in serial "
                            + delta.fromSerial() + " to " + delta.toSerial() + ", which our zone at serial "
                            + previous.serial() + " does not have");
                }
            }
            for (Record added : delta.added()) {
                if (!isApexSoa(added, origin)) {
                    records.add(added);
                }
            }
        }
        if (records.size() + 1 > maxRecords) {
            throw new TransferFailedException(Kind.LIMIT, operation + " aborted: the zone would have "
                    + (records.size() + 1) + " records, more than " + maxRecords + ", the transfer record limit");
        }

        List<Record> all = new ArrayList<>(records.size() + 1);
        all.add(endSoa);
        all.addAll(records);
        return build(origin, previousZone.settings(), all, endSoa.getSerial(), primary, transferredFrom(primary), now);
    }

    private static String transferredFrom(InetSocketAddress primary) {
        return "zone transfer from " + Formats.address(primary);
    }

    private static boolean isApexSoa(Record record, Name origin) {
        return record.getType() == Type.SOA && record.getName().equals(origin);
    }

    private static ZoneSnapshot build(Name origin, ZoneSettings settings, List<Record> records, long serial,
                                      InetSocketAddress primary, String source, Instant now) {
        // SkippedRecord reports the source and the record's position in the zone in place of a file
        // and a line.
        // NOTE: after an IXFR, added records follow the kept ones, while an AXFR has the primary's
        // order. Where two records at one owner conflict, PolicyZoneBuilder keeps the first, so
        // such a conflict may resolve differently after an IXFR than after an AXFR.
        PolicyZoneBuilder builder = new PolicyZoneBuilder(origin, settings, source);
        for (int i = 0; i < records.size(); i++) {
            builder.add(records.get(i), i + 1);
        }
        return new ZoneSnapshot(builder.build(), records, serial, primary, now);
    }
}
