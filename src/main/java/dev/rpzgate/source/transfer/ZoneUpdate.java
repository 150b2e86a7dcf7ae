package dev.rpzgate.source.transfer;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * A new version of a zone that a transfer brought.
 *
 * @param type {@link TransferType#IXFR} when the primary sent differences; {@link TransferType#AXFR}
 *     for a first load and when the primary responded to an IXFR request with the whole zone
 * @param previous the version before, or null for the first load
 * @param current the new version, which {@link ZoneTransferSource#current()} returns from now on
 * @param deltas for an IXFR, the difference sequences in the order the primary sent them; empty
 *     for an AXFR, where only {@code current} counts
 * @param records records the transfer carried, SOA records included
 * @param bytes uncompressed wire size of those records
 * @param elapsed time from connecting to the primary until the new zone was built
 * @param rebuiltOwners for an IXFR, the owners whose rules were built again from their records,
 *     while the new version shares the rules of every other owner with {@code previous}; -1 for an
 *     AXFR, which builds the zone from every record
 */
public record ZoneUpdate(TransferType type, ZoneSnapshot previous, ZoneSnapshot current, List<ZoneDelta> deltas,
                         long records, long bytes, Duration elapsed, int rebuiltOwners) {

    public ZoneUpdate {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(current, "current");
        Objects.requireNonNull(elapsed, "elapsed");
        deltas = List.copyOf(deltas);
    }

    /** Returns the number of records that the deltas remove and add, without the SOA records that frame each delta. */
    public long changedRecords() {
        long changed = 0;
        for (ZoneDelta delta : deltas) {
            changed += delta.removed().size() + delta.added().size();
        }
        return changed;
    }

    /** Returns the serial before the transfer, or -1 for the first load. */
    public long previousSerial() {
        return previous == null ? -1 : previous.serial();
    }
}
