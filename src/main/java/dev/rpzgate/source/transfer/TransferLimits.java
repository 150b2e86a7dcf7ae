package dev.rpzgate.source.transfer;

import java.time.Duration;
import java.util.Objects;

/**
 * Limits that abort one zone transfer, AXFR or IXFR, with a {@link TransferFailedException} of kind
 * {@link TransferFailedException.Kind#LIMIT} or {@link TransferFailedException.Kind#TIMEOUT}. The last
 * good zone stays in force.
 *
 * @param maxRecords most records one transfer may carry, counting every record of an AXFR and every
 *     removed and added record of an IXFR; an IXFR is also aborted when the zone it produces would
 *     have more records than this. {@link Long#MAX_VALUE} sets no limit.
 * @param maxBytes most bytes one transfer may carry, counted as the uncompressed wire size of its
 *     records, which is at least the number of bytes the primary sends for them.
 *     {@link Long#MAX_VALUE} sets no limit.
 * @param timeout longest time one transfer may take, from connecting to the last message
 */
public record TransferLimits(long maxRecords, long maxBytes, Duration timeout) {

    /**
     * No record or byte limit, and the 120 minutes of BIND 9's {@code max-transfer-time-in}
     * default.
     */
    public static final TransferLimits DEFAULT = new TransferLimits(Long.MAX_VALUE, Long.MAX_VALUE, Duration.ofMinutes(120));

    public TransferLimits {
        Objects.requireNonNull(timeout, "timeout");
        if (maxRecords < 1) {
            throw new IllegalArgumentException("maxRecords must be at least 1: " + maxRecords);
        }
        if (maxBytes < 1) {
            throw new IllegalArgumentException("maxBytes must be at least 1: " + maxBytes);
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("transfer timeout must be positive: " + timeout);
        }
    }
}
