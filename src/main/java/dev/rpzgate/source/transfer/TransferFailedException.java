package dev.rpzgate.source.transfer;

import java.util.Objects;

/**
 * A failed SOA query or zone transfer with one primary. The message names the zone, the primary
 * and the cause.
 */
public final class TransferFailedException extends Exception {

    private static final long serialVersionUID = 1L;

    /** Cause of a failure, so that callers can count TSIG failures apart from network failures. */
    public enum Kind {
        /** The primary could not be reached, or the connection broke. */
        NETWORK,
        /** No response within the query timeout or the transfer time limit. */
        TIMEOUT,
        /**
         * A TSIG failure: the primary rejected our key (NOTAUTH, BADKEY, BADSIG, BADTIME), or its
         * response was unsigned or failed verification.
         */
        TSIG,
        /** The primary responded with an error rcode such as REFUSED or SERVFAIL. */
        REJECTED,
        /** The response broke the protocol: wrong question, missing SOA, an IXFR out of sync. */
        PROTOCOL,
        /** The transfer passed a {@link TransferLimits} limit. */
        LIMIT
    }

    private final Kind kind;

    public TransferFailedException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    public TransferFailedException(Kind kind, String message) {
        this(kind, message, null);
    }

    /** Returns what went wrong. */
    public Kind kind() {
        return kind;
    }
}
