package dev.rpzgate.source.transfer;

import java.time.Duration;

/**
 * Runs the SOA refresh and retry timers of a {@link ZoneTransferSource}. The source passes a task
 * that only queues a check on its worker thread, so an implementation may run the task on any
 * thread. Tests pass an implementation that runs a timer only when the test calls for it, so they
 * need not wait for a refresh interval.
 */
@FunctionalInterface
public interface RefreshScheduler {

    /** Runs {@code task} once after {@code delay}, unless the returned timer is cancelled first. */
    Timer schedule(Duration delay, Runnable task);

    /** A scheduled task. */
    @FunctionalInterface
    interface Timer {
        /** Stops the task from running if it has not started. Calling it again does nothing. */
        void cancel();
    }
}
