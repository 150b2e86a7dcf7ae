package dev.rpzgate.server;

import dev.rpzgate.source.transfer.NotifyDispatcher;

import java.util.concurrent.atomic.AtomicReference;

/**
 * The NOTIFY dispatcher of the zone-transfer sources in force, swapped when the configured
 * sources change; the query path reads it without a lock.
 */
public final class NotifyRouting {

    private final AtomicReference<NotifyDispatcher> dispatcher = new AtomicReference<>();

    /** Returns the dispatcher in force, or null when no zone comes from a zone transfer. */
    public NotifyDispatcher dispatcher() {
        return dispatcher.get();
    }

    /** Puts {@code next} in force; null stops answering NOTIFY. */
    public void replace(NotifyDispatcher next) {
        dispatcher.set(next);
    }
}
