package dev.rpzgate.server;

import dev.rpzgate.observability.DnsMetrics;
import dev.rpzgate.observability.PolicyHitLog;
import dev.rpzgate.policy.PolicyStore;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

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
    PolicyHitLog policyHitLog() {
        return new PolicyHitLog();
    }
}
