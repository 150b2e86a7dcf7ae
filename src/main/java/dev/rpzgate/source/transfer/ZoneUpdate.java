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
 */
public record ZoneUpdate(TransferType type, ZoneSnapshot previous, ZoneSnapshot current, List<ZoneDelta> deltas,
                         long records, long bytes, Duration elapsed) {

    public ZoneUpdate {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(current, "current");
        Objects.requireNonNull(elapsed, "elapsed");
        deltas = List.copyOf(deltas);
    }

    /** Returns the serial before the transfer, or -1 for the first load. */
    public long previousSerial() {
        return previous == null ? -1 : previous.serial();
    }
}
