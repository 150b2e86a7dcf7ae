package dev.rpzgate.observability;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;

/**
 * Load metrics of one policy zone: {@code rpzgate_policy_zone_loads_total},
 * {@code rpzgate_policy_zone_load_failures_total},
 * {@code rpzgate_policy_zone_last_success_seconds} and, for a transferred zone,
 * {@code rpzgate_policy_zone_expired}, each tagged with {@code zone}.
 */
public final class ZoneLoadMetrics {

    private final MeterRegistry registry;
    private final String zone;
    // Counted here and read by the registry at scrape time: in the packaged application a plain
    // Counter registered at start-up missed the first load and read 0 until the next one.
    private final LongAdder loads = new LongAdder();
    private final LongAdder failures = new LongAdder();
    private final AtomicLong lastSuccessSeconds = new AtomicLong();
    private final List<Meter> meters = new CopyOnWriteArrayList<>();
    /** Source of the expired gauge's value, replaced when a zone added at run time gets a new transfer source. */
    private volatile BooleanSupplier expired;
    /** The expired gauge, or null when the zone has none; guarded by {@code this}. */
    private Meter expiredGauge;

    /** Registers the metrics of {@code zone}, the zone name without its final dot. */
    public ZoneLoadMetrics(MeterRegistry registry, String zone) {
        this.registry = registry;
        this.zone = zone;
        meters.add(FunctionCounter.builder("rpzgate_policy_zone_loads", loads, LongAdder::doubleValue)
                .description("Times the policy zone was read from its source or local copy and put in force")
                .tag("zone", zone)
                .register(registry));
        meters.add(FunctionCounter.builder("rpzgate_policy_zone_load_failures", failures, LongAdder::doubleValue)
                .description("Loads of the policy zone that failed; the last good zone stayed in force")
                .tag("zone", zone)
                .register(registry));
        meters.add(Gauge.builder("rpzgate_policy_zone_last_success_seconds", lastSuccessSeconds, AtomicLong::get)
                .description("When the policy zone was last loaded from its source or found unchanged there "
                        + "(HTTP 304), in seconds since the epoch; 0 before the first time")
                .tag("zone", zone)
                .register(registry));
    }

    /**
     * Registers {@code rpzgate_policy_zone_expired}, which is 1 while {@code expired} returns true
     * and 0 otherwise. For zones with an expire interval, which only transferred zones have. When
     * the gauge exists, it reads {@code expired} from now on: a PolicyZone replaced at run time
     * keeps the meters of its zone name, but gets a new transfer source.
     */
    public synchronized void registerExpired(BooleanSupplier expired) {
        this.expired = expired;
        if (expiredGauge == null) {
            expiredGauge = Gauge.builder("rpzgate_policy_zone_expired", this, ZoneLoadMetrics::expiredValue)
                    .description("1 when no primary has confirmed the transferred policy zone for longer than its "
                            + "expire interval; the zone stays in force")
                    .tag("zone", zone)
                    .strongReference(true)
                    .register(registry);
            meters.add(expiredGauge);
        }
    }

    /** Removes the expired gauge, for a zone replaced at run time by one that is not transferred. */
    public synchronized void removeExpired() {
        if (expiredGauge != null) {
            registry.remove(expiredGauge);
            meters.remove(expiredGauge);
            expiredGauge = null;
        }
        expired = null;
    }

    private double expiredValue() {
        BooleanSupplier current = expired;
        return current != null && current.getAsBoolean() ? 1 : 0;
    }

    /**
     * Removes the zone's meters from the registry, for a zone taken out of force at run time. The
     * registry returns an existing meter for the same name and tags, so without this a zone added
     * again under the name would report through the meters of the removed one.
     */
    public synchronized void remove() {
        meters.forEach(registry::remove);
        meters.clear();
        expiredGauge = null;
        expired = null;
    }

    /** Counts a zone put in force. */
    public void loaded() {
        loads.increment();
    }

    /** Records that the zone's source gave the zone, or confirmed it unchanged, at {@code epochSeconds}. */
    public void succeeded(long epochSeconds) {
        lastSuccessSeconds.set(epochSeconds);
    }

    /** Counts a failed load. */
    public void failed() {
        failures.increment();
    }

    /** Returns the number of zones put in force so far. */
    public long loadCount() {
        return loads.sum();
    }

    /** Returns the number of failed loads so far. */
    public long failureCount() {
        return failures.sum();
    }

    /** Returns the last success in seconds since the epoch, or 0. */
    public long lastSuccessSeconds() {
        return lastSuccessSeconds.get();
    }
}
