package dev.rpzgate.cache;

/** Time source of the answer cache in milliseconds, replaceable so that tests can move time. */
@FunctionalInterface
public interface CacheClock {

    /** Returns milliseconds from an arbitrary origin; only differences matter. */
    long millis();

    /** Returns the monotonic system clock, which a change of the wall clock does not move. */
    static CacheClock system() {
        return () -> System.nanoTime() / 1_000_000;
    }
}
