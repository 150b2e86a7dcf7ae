package dev.rpzgate.server;

import dev.rpzgate.cache.AnswerCache;
import dev.rpzgate.cache.CacheClock;
import dev.rpzgate.cache.CacheSettings;
import dev.rpzgate.config.RpzgateConfig;
import dev.rpzgate.observability.DnsMetrics;
import dev.rpzgate.observability.HitLogConfig;
import dev.rpzgate.observability.PolicyHitLog;
import dev.rpzgate.policy.PolicyStore;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/** CDI producers for the plain classes of the query path, which stay free of CDI themselves. */
final class Beans {

    @Produces
    @Singleton
    PolicyStore policyStore() {
        return new PolicyStore();
    }

    @Produces
    @Singleton
    DnsMetrics dnsMetrics(MeterRegistry registry) {
        return new DnsMetrics(registry);
    }

    @Produces
    @Singleton
    NotifyRouting notifyRouting() {
        return new NotifyRouting();
    }

    @Produces
    @Singleton
    PolicyHitLog policyHitLog(HitLogConfig config, MeterRegistry registry) {
        PolicyHitLog log;
        if (!config.enabled()) {
            log = PolicyHitLog.disabled();
        } else if (config.file().isPresent()) {
            Path file = Path.of(config.file().get());
            try {
                log = PolicyHitLog.toFile(file, config.queueSize());
            } catch (IOException e) {
                throw new UncheckedIOException("rpzgate.hit-log.file: cannot open " + file + " for appending ("
                        + e.getMessage() + "); fix the path, or unset it to log to standard output", e);
            }
        } else {
            log = PolicyHitLog.toStandardOutput(config.queueSize());
        }
        log.bindTo(registry);
        return log;
    }

    /** Writes the hit lines still queued at shutdown. */
    void closePolicyHitLog(@Disposes PolicyHitLog log) {
        log.close();
    }

    @Produces
    @Singleton
    CacheClock cacheClock() {
        return CacheClock.system();
    }

    /** The answer cache that every event loop shares. */
    @Produces
    @Singleton
    AnswerCache answerCache(RpzgateConfig config, CacheClock clock, DnsMetrics metrics) {
        AnswerCache cache = new AnswerCache(cacheSettings(config.cache()), clock, metrics.cacheListener());
        metrics.registerCacheSize(cache::size);
        return cache;
    }

    static CacheSettings cacheSettings(RpzgateConfig.Cache config) {
        if (config.prefetch().minHits() < 1) {
            throw new IllegalArgumentException("rpzgate.cache.prefetch.min-hits must be at least 1, got "
                    + config.prefetch().minHits());
        }
        return new CacheSettings(config.enabled(), config.maxSize().asLongValue(), config.minTtl(), config.maxTtl(),
                config.maxNegativeTtl(), config.prefetch().enabled() ? config.prefetch().minHits() : 0,
                config.serveStale().enabled() ? config.serveStale().maxStaleness() : java.time.Duration.ZERO,
                config.serveStale().answerTtl(), config.serveStale().failureRecheck());
    }
}
