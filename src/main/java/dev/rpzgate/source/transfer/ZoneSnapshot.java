package dev.rpzgate.source.transfer;

import dev.rpzgate.policy.PolicyZone;
import dev.rpzgate.policy.ZoneSettings;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;

/**
 * One version of a transferred zone. Instances are immutable and safe to share between threads.
 *
 * @param zone the policy zone built from {@code records}
 * @param records every record of the zone, the apex SOA first. After an IXFR, the records that the
 *     deltas added follow the records kept from the previous version.
 * @param serial SOA serial of this version
 * @param primary primary server the version came from, or null for a version built from saved
 *     records with {@link #fromSavedRecords}
 * @param loadedAt when the transfer finished, on the source's clock; for saved records, when a
 *     primary last confirmed them
 */
public record ZoneSnapshot(PolicyZone zone, List<Record> records, long serial, InetSocketAddress primary,
                           Instant loadedAt) {

    public ZoneSnapshot {
        Objects.requireNonNull(zone, "zone");
        Objects.requireNonNull(loadedAt, "loadedAt");
        records = List.copyOf(records);
    }

    /**
     * Builds a version from records saved before, such as a copy of the zone on disk, to pass to
     * {@link ZoneTransferSource#start(ZoneSnapshot)}.
     *
     * @param records every record of the zone, the apex SOA first
     * @param source where the records were read from, which skipped records name together with the
     *     record's position in {@code records}, counted from 1, in place of a line
     * @param loadedAt when a primary last confirmed these records; the expire interval counts from it
     * @throws IllegalArgumentException when the first record is not the SOA record of {@code origin}
     */
    public static ZoneSnapshot fromSavedRecords(Name origin, ZoneSettings settings, List<Record> records,
                                                String source, Instant loadedAt) {
        Objects.requireNonNull(origin, "origin");
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(loadedAt, "loadedAt");
        return SnapshotBuilder.fromSaved(origin, settings, records, source, loadedAt);
    }

    @Override
    public String toString() {
        String from = primary != null ? primary.toString() : zone.source();
        return "ZoneSnapshot[" + zone.name() + " serial " + serial + " from " + from + ", "
                + records.size() + " records, " + zone.ruleCount() + " rules]";
    }
}
