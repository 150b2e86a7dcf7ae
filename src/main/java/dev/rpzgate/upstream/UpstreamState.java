package dev.rpzgate.upstream;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Health and load of one upstream of one forward zone: whether it is up, its failures
 * in a row, its smoothed response time and its queries in flight. Event loops share one instance,
 * so every field is atomic or volatile and nothing locks on the query path.
 */
public final class UpstreamState {

    private final int maxFailures;
    private final int maxInFlight;
    private final boolean tracksRtt;
    private final AtomicInteger inFlight;
    private final AtomicInteger failuresInARow = new AtomicInteger();
    private final AtomicBoolean probing = new AtomicBoolean();
    private final AtomicBoolean up = new AtomicBoolean(true);
    private volatile long smoothedRttNanos;

    /**
     * @param inFlight  counter of queries in flight, shared by every forward zone that lists the same
     *                  upstream address, because the cap protects the endpoint
     * @param tracksRtt whether to keep the smoothed response time, which only {@link Selection#FASTEST}
     *                  reads; other policies skip the write to a field that every event loop shares
     */
    UpstreamState(int maxFailures, int maxInFlight, AtomicInteger inFlight, boolean tracksRtt) {
        this.maxFailures = maxFailures;
        this.maxInFlight = maxInFlight;
        this.inFlight = inFlight;
        this.tracksRtt = tracksRtt;
    }

    public boolean isUp() {
        return up.get();
    }

    /** Smoothed response time in nanoseconds; 0 until the first answer, and always 0 unless the policy is {@code fastest}. */
    public long smoothedRttNanos() {
        return smoothedRttNanos;
    }

    public int inFlight() {
        return inFlight.get();
    }

    /** Takes a slot under the in-flight cap; returns false, taking nothing, when the cap is reached. */
    boolean tryAcquire() {
        if (inFlight.incrementAndGet() > maxInFlight) {
            inFlight.decrementAndGet();
            return false;
        }
        return true;
    }

    void release() {
        inFlight.decrementAndGet();
    }

    /**
     * Records a usable answer after {@code rttNanos}. Returns true when this marked a down upstream
     * up again.
     */
    boolean recordSuccess(long rttNanos) {
        updateRtt(rttNanos);
        if (failuresInARow.get() != 0) {
            failuresInARow.set(0); // read first, so that a healthy upstream's cache line is not written on every answer
        }
        return markUp();
    }

    /**
     * Records a failure; {@code rttPenaltyNanos} (0 for none) counts as a response time, so that the
     * {@code fastest} policy turns away from an upstream that times out. Returns true when this call
     * marked the upstream down.
     */
    boolean recordFailure(long rttPenaltyNanos) {
        if (rttPenaltyNanos > 0) {
            updateRtt(rttPenaltyNanos);
        }
        // The compare-and-set lets exactly one loop report the transition and start the probes.
        return failuresInARow.incrementAndGet() >= maxFailures && up.get() && up.compareAndSet(true, false);
    }

    /** Marks the upstream up; returns true when it was down. */
    boolean markUp() {
        if (up.get() || !up.compareAndSet(false, true)) {
            return false;
        }
        failuresInARow.set(0);
        return true;
    }

    /** Claims the probing of this down upstream for one event loop; false when another loop has it. */
    boolean startProbing() {
        return probing.compareAndSet(false, true);
    }

    void stopProbing() {
        probing.set(false);
    }

    /** Returns whether an event loop holds the probing of this upstream. */
    boolean isProbing() {
        return probing.get();
    }

    /**
     * Moves the smoothed time an eighth of the way to {@code sample}, as TCP's SRTT (RFC 6298). Two
     * loops updating at once may lose one sample, which a moving average tolerates.
     */
    private void updateRtt(long sample) {
        if (!tracksRtt) {
            return;
        }
        long current = smoothedRttNanos;
        smoothedRttNanos = current == 0 ? sample : current + (sample - current) / 8;
    }
}
