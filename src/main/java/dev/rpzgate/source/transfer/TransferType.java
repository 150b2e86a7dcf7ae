package dev.rpzgate.source.transfer;

/** The form of a zone transfer response. */
public enum TransferType {
    /** The whole zone (RFC 5936), sent for an AXFR request or in place of an IXFR. */
    AXFR,
    /** Difference sequences from our serial to the primary's (RFC 1995). */
    IXFR
}
