package dev.rpzgate.testing;

import dev.rpzgate.cache.CacheClock;
import jakarta.enterprise.inject.Alternative;
import jakarta.inject.Singleton;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Cache clock that moves only when a test advances it. A test profile enables it with
 * {@code getEnabledAlternatives()}, and it then replaces the system clock of the answer cache.
 */
@Alternative
@Singleton
public class ManualCacheClock implements CacheClock {

    private final AtomicLong millis = new AtomicLong(1_000_000);

    @Override
    public long millis() {
        return millis.get();
    }

    /** Moves the clock forward by {@code step}. */
    public void advance(Duration step) {
        millis.addAndGet(step.toMillis());
    }
}
