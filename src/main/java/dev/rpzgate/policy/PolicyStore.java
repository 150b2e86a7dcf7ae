package dev.rpzgate.policy;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The policy in force. Queries read the current {@link PolicySet} once and use that snapshot to
 * the end, so a reload that swaps in a new set never changes the rules under a query in flight,
 * and the query path takes no lock.
 *
 * <p>Until every configured zone has loaded once, {@link #current()} is {@link PolicySet#EMPTY}
 * and {@link #loaded()} is false. Applying only the zones loaded so far would break the zone
 * order: a later zone's block would win over a PASSTHRU of an earlier zone still missing.
 * {@link #failMode()} sets how the query path handles queries meanwhile.
 */
public final class PolicyStore {

    /** Handling of queries while {@link #loaded()} is false. */
    public enum FailMode {
        /** Answer SERVFAIL, so that no query escapes the policy. */
        CLOSED,
        /** Forward without policy, so that resolution keeps working. */
        OPEN
    }

    /** The zones loaded so far and whether they are all the configured zones; one reference, so both change together. */
    private record State(PolicySet zones, boolean complete) {}

    private final AtomicReference<State> state = new AtomicReference<>(new State(PolicySet.EMPTY, false));
    private volatile FailMode failMode = FailMode.CLOSED;

    /** Returns the snapshot in force: every zone, or {@link PolicySet#EMPTY} until each has loaded once. */
    public PolicySet current() {
        State now = state.get();
        return now.complete ? now.zones : PolicySet.EMPTY;
    }

    /** Returns the zones loaded so far in their configured order, complete or not, for metrics and health. */
    public PolicySet loadedZones() {
        return state.get().zones;
    }

    /** Puts {@code policy}, which contains every configured zone, in force for every query that starts from now on. */
    public void replace(PolicySet policy) {
        state.set(new State(Objects.requireNonNull(policy, "policy"), true));
    }

    /**
     * Records the zones loaded so far while some configured zone has never loaded. Queries keep
     * getting {@link PolicySet#EMPTY} and {@link #loaded()} stays false.
     */
    public void replaceIncomplete(PolicySet zonesSoFar) {
        state.set(new State(Objects.requireNonNull(zonesSoFar, "zonesSoFar"), false));
    }

    /** Whether every configured zone has been loaded at least once. */
    public boolean loaded() {
        return state.get().complete;
    }

    /** Returns what queries get while {@link #loaded()} is false. */
    public FailMode failMode() {
        return failMode;
    }

    /** Whether queries are answered SERVFAIL while {@link #loaded()} is false. */
    public boolean failClosed() {
        return failMode == FailMode.CLOSED;
    }

    /**
     * Whether a query that arrives now must be answered SERVFAIL: some configured zone has never
     * loaded and the fail mode is {@link FailMode#CLOSED}. The query path checks this before it
     * reads {@link #current()}.
     */
    public boolean failingClosed() {
        return failMode == FailMode.CLOSED && !loaded();
    }

    /** Sets what queries get while {@link #loaded()} is false. */
    public void setFailMode(FailMode failMode) {
        this.failMode = Objects.requireNonNull(failMode, "failMode");
    }
}
