package dev.rpzgate.source.transfer;

/**
 * Receives each new version of a zone, and the outcome of each check, from a
 * {@link ZoneTransferSource}. Every method is called on the source's worker thread, and the next
 * check waits until it returns. An exception is logged and does not undo the update.
 */
@FunctionalInterface
public interface ZoneTransferListener {

    /**
     * Called after a transfer brought a new version, which {@link ZoneTransferSource#current()}
     * already returns. {@link #checkSucceeded} follows for the same check.
     */
    void zoneUpdated(ZoneUpdate update);

    /**
     * Called after a check in which a primary responded, whether it brought a new version or
     * confirmed the serial in force.
     *
     * @param status the state of the zone after the check
     */
    default void checkSucceeded(TransferStatus status) {
    }

    /**
     * Called after a check in which every primary failed. The version in force, if any, stays, and
     * the source has logged the errors.
     *
     * @param status the state of the zone after the check, with the errors in
     *     {@link TransferStatus#lastError()}
     */
    default void checkFailed(TransferStatus status) {
    }
}
