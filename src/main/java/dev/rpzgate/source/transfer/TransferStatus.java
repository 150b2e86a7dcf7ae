package dev.rpzgate.source.transfer;

import java.time.Instant;
import org.xbill.DNS.Name;

/**
 * State of a {@link ZoneTransferSource} at one moment, for health checks, metrics and logs.
 *
 * @param zone zone name
 * @param state state of the zone
 * @param serial SOA serial of the zone in force, or -1 before the first load
 * @param lastSuccess end of the last successful SOA check or transfer, or null before the first
 * @param expiresAt when the zone is reported expired unless a check succeeds before, or null
 *     before the first load
 * @param lastError message of the last failed check, or null when the last check succeeded
 * @param consecutiveFailures failed checks since the last successful one
 * @param axfrCount transfers that loaded the whole zone
 * @param ixfrCount transfers that applied differences
 * @param failureCount failed SOA queries and transfers, counted per primary
 * @param tsigFailureCount of {@code failureCount}, those that failed TSIG
 * @param notifyAcceptedCount NOTIFY messages accepted
 * @param notifyRejectedCount NOTIFY messages rejected with REFUSED, NOTAUTH or FORMERR
 */
public record TransferStatus(
        Name zone,
        State state,
        long serial,
        Instant lastSuccess,
        Instant expiresAt,
        String lastError,
        int consecutiveFailures,
        long axfrCount,
        long ixfrCount,
        long failureCount,
        long tsigFailureCount,
        long notifyAcceptedCount,
        long notifyRejectedCount) {

    /** State of a transferred zone. */
    public enum State {
        /** No transfer has succeeded yet, so there is no zone to enforce. */
        LOADING,
        /** The last SOA check succeeded. */
        CURRENT,
        /** The last SOA check failed; the last good zone stays in force. */
        RETRYING,
        /**
         * No check has succeeded for longer than the expire interval. The last good zone stays in
         * force, unlike on an authoritative secondary, because dropping a policy zone would stop
         * blocking.
         */
        EXPIRED
    }

    /** Returns whether a zone is loaded and in force. */
    public boolean loaded() {
        return state != State.LOADING;
    }

    /** Returns whether the zone in force is past its expire interval. */
    public boolean expired() {
        return state == State.EXPIRED;
    }
}
