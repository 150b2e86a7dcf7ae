package dev.rpzgate.source.transfer;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link RefreshScheduler} whose timers run only when the test calls {@link #fireNext()}, so
 * tests never wait for a refresh or retry interval. Each check of a source ends by scheduling the
 * next one, so {@link #awaitChecks} shows when a check has finished.
 */
final class ManualScheduler implements RefreshScheduler {

    private static final Duration CHECK_TIMEOUT = Duration.ofSeconds(20);

    private final List<Scheduled> scheduled = new ArrayList<>();

    /** A timer as the source requested it. */
    static final class Scheduled implements Timer {
        final Duration delay;
        final Runnable task;
        boolean cancelled;
        boolean fired;

        Scheduled(Duration delay, Runnable task) {
            this.delay = delay;
            this.task = task;
        }

        @Override
        public void cancel() {
            synchronized (this) {
                cancelled = true;
            }
        }
    }

    @Override
    public synchronized Timer schedule(Duration delay, Runnable task) {
        Scheduled timer = new Scheduled(delay, task);
        scheduled.add(timer);
        return timer;
    }

    /** Returns how many timers the source has scheduled, which is the number of checks finished. */
    synchronized int scheduledCount() {
        return scheduled.size();
    }

    /** Returns the delay of the latest timer. */
    synchronized Duration lastDelay() {
        if (scheduled.isEmpty()) {
            throw new AssertionError("no timer scheduled yet");
        }
        return scheduled.get(scheduled.size() - 1).delay;
    }

    /** Waits until {@code count} checks have finished, and returns the delay the last one scheduled. */
    Duration awaitChecks(int count) {
        await("check number " + count + " finished").atMost(CHECK_TIMEOUT).until(() -> scheduledCount() >= count);
        return lastDelay();
    }

    /**
     * Runs the latest timer as if its delay had passed, then waits until the check it starts has
     * finished.
     */
    Duration fireNext() {
        Scheduled timer;
        int before;
        synchronized (this) {
            before = scheduled.size();
            timer = scheduled.get(before - 1);
        }
        synchronized (timer) {
            if (timer.cancelled || timer.fired) {
                throw new AssertionError("the latest timer was cancelled or has already run");
            }
            timer.fired = true;
        }
        timer.task.run();
        return awaitChecks(before + 1);
    }
}
