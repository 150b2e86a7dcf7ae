package dev.rpzgate.observability;

import dev.rpzgate.policy.PolicyStore;
import dev.rpzgate.server.DnsServer;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready once every configured policy zone is loaded and the DNS listeners are open. */
@Readiness
@ApplicationScoped
public class PolicyReadinessCheck implements HealthCheck {

    @Inject
    PolicyStore policyStore;

    @Inject
    DnsServer dnsServer;

    @Override
    public HealthCheckResponse call() {
        var policy = policyStore.loadedZones();
        return HealthCheckResponse.named("rpzgate")
                .status(policyStore.loaded() && dnsServer.listening())
                .withData("zones", policy.zones().size())
                .withData("rules", policy.zones().stream().mapToLong(zone -> zone.ruleCount()).sum())
                .withData("port", dnsServer.port())
                .build();
    }
}
