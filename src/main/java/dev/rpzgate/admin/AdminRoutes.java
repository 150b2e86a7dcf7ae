package dev.rpzgate.admin;

import dev.rpzgate.source.PolicyReloader;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import java.util.Optional;

/**
 * The admin API on the management port ({@code quarkus.http.port}): the state of every policy zone,
 * and the confirmation of an update that the removal guard held back. It changes policy, so the
 * management port must not be reachable from workloads (see docs/observability.md).
 */
@ApplicationScoped
public class AdminRoutes {

    @Inject
    PolicyReloader reloader;

    void register(@Observes Router router) {
        router.get("/admin/zones").handler(this::listZones);
        router.post("/admin/zones/:zone/confirm").handler(this::confirm);
    }

    private void listZones(RoutingContext context) {
        JsonArray zones = new JsonArray();
        for (PolicyReloader.ZoneStatus status : reloader.statuses()) {
            JsonObject zone = new JsonObject()
                    .put("zone", status.zone())
                    .put("source", status.source())
                    .put("loads", status.loads())
                    .put("failures", status.failures())
                    .put("lastSuccessSeconds", status.lastSuccessSeconds())
                    .put("lastError", status.lastError());
            if (status.inForce() != null) {
                zone.put("serial", status.inForce().serial())
                        .put("rules", status.inForce().ruleCount())
                        .put("skippedRecords", status.inForce().skippedCount());
            }
            reloader.heldSerial(status.zone()).ifPresent(serial -> zone.put("heldSerial", serial));
            zones.add(zone);
        }
        context.response().putHeader("content-type", "application/json").end(zones.encodePrettily());
    }

    private void confirm(RoutingContext context) {
        String zone = context.pathParam("zone");
        Optional<Long> serial = reloader.confirmHeldUpdate(zone);
        if (serial.isEmpty()) {
            context.response().setStatusCode(404).putHeader("content-type", "application/json")
                    .end(new JsonObject().put("error", "no update of zone " + zone + " is held back").encode());
            return;
        }
        context.response().putHeader("content-type", "application/json")
                .end(new JsonObject().put("zone", zone).put("confirmedSerial", serial.get()).encode());
    }
}
