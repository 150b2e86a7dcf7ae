package dev.rpzgate.upstream;

/**
 * No upstream gave a usable answer to a query within its time budget. The caller answers the
 * client with SERVFAIL, or with a stale answer where it keeps one. {@link #reason()} is the cause,
 * for logs and metrics.
 */
public class UpstreamFailedException extends Exception {

    /** Why no answer came. */
    public enum Reason {
        /** The upstreams tried did not answer in time, or the query's time budget ran out. */
        TIMED_OUT,
        /** Every upstream tried failed: send errors, refused connections or unusable answers. */
        FAILED,
        /** Every upstream was at its in-flight cap and no slot freed up in the queue time. */
        OVER_CAPACITY,
        /** The resolver was closed while the query was pending. */
        CLOSED
    }

    private final Reason reason;

    public UpstreamFailedException(String message) {
        this(Reason.FAILED, message);
    }

    public UpstreamFailedException(Reason reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
