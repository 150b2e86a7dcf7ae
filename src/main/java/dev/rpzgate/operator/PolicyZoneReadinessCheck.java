package dev.rpzgate.operator;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import java.util.List;

/**
 * Ready when the PolicyZone operator is off, or once it runs and this replica enforces a version
 * of every PolicyZone in its informer cache, so that a new replica takes no traffic before it
 * enforces the PolicyZones that exist. A PolicyZone whose current generation failed (invalid text
 * or spec, a missing ConfigMap or Secret, a failed download or zone transfer) does not hold
 * readiness back, because its Degraded condition reports the failure. A URL or transferred zone
 * without a local copy holds it back until its first load ends, either way.
 */
@Readiness
@ApplicationScoped
public class PolicyZoneReadinessCheck implements HealthCheck {

    @Inject
    OperatorBootstrap bootstrap;

    @Inject
    PolicyZoneReconciler reconciler;

    @Override
    public HealthCheckResponse call() {
        if (!bootstrap.enabled()) {
            return HealthCheckResponse.named("rpzgate-policyzones").up().withData("operator", "off").build();
        }
        PolicyZoneController controller = bootstrap.running();
        if (controller == null) {
            return HealthCheckResponse.named("rpzgate-policyzones").down().withData("operator", "starting").build();
        }
        List<PolicyZone> cached = reconciler.cachedZones();
        long pending = cached.stream().filter(zone -> !controller.readyFor(zone)).count();
        return HealthCheckResponse.named("rpzgate-policyzones")
                .status(bootstrap.operatorStarted() && pending == 0)
                .withData("operator", bootstrap.operatorStarted() ? "running" : "starting")
                .withData("policyzones", cached.size())
                .withData("pending", pending)
                .build();
    }
}
