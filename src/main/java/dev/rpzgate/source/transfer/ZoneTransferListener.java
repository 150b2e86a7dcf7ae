package dev.rpzgate.source.transfer;

/** Receives each new version of a zone from a {@link ZoneTransferSource}. */
@FunctionalInterface
public interface ZoneTransferListener {

    /**
     * Called on the source's worker thread after a transfer brought a new version, which
     * {@link ZoneTransferSource#current()} already returns. The next SOA check waits until this
     * method returns. An exception is logged and does not undo the update.
     */
    void zoneUpdated(ZoneUpdate update);
}
