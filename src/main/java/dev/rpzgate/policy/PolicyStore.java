package dev.rpzgate.policy;

import java.util.concurrent.atomic.AtomicReference;

/**
 * The policy in force. Queries read the current {@link PolicySet} once and use that snapshot to
 * the end, so a reload that swaps in a new set never changes the rules under a query in flight,
 * and the query path takes no lock.
 */
public final class PolicyStore {

    private final AtomicReference<PolicySet> current = new AtomicReference<>(PolicySet.EMPTY);
    private volatile boolean loaded;

    /** Returns the snapshot in force. */
    public PolicySet current() {
        return current.get();
    }

    /** Puts {@code policy} in force for every query that starts from now on. */
    public void replace(PolicySet policy) {
        current.set(policy);
        loaded = true;
    }

    /** Whether every configured zone has been loaded at least once. */
    public boolean loaded() {
        return loaded;
    }
}
