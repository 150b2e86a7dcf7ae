package dev.rpzgate.operator;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import io.javaoperatorsdk.operator.processing.event.source.IndexerResourceCache;

import java.util.List;
import java.util.Set;
import java.util.function.BiPredicate;
import java.util.stream.Collectors;

/**
 * The {@code policyzone} controller: runs on every replica and hands each PolicyZone event to the
 * {@link PolicyZoneController} of that replica. The ConfigMaps and Secrets that PolicyZones refer
 * to are watched, and a change reconciles every PolicyZone that refers to the object.
 *
 * <p>Deletions come from an event source of their own, {@link Deletions}, and no finalizer is
 * used: with a finalizer only the first replica to remove it would clean up, and the others would
 * keep enforcing a deleted zone. The SDK's {@code triggerReconcilerOnAllEvents} would do the same
 * job, but the Quarkus extension (7.7.3) does not pass that setting on to the controller.
 */
@ControllerConfiguration(name = PolicyZoneReconciler.NAME)
@Singleton
public class PolicyZoneReconciler implements Reconciler<PolicyZone> {

    /** Controller name, as in {@code quarkus.operator-sdk.controllers.policyzone.namespaces}. */
    public static final String NAME = "policyzone";

    private final ControllerSupplier controller;
    private volatile IndexerResourceCache<PolicyZone> primaryCache;
    private InformerEventSource<ConfigMap, PolicyZone> configMaps;
    private InformerEventSource<Secret, PolicyZone> secrets;

    /** Finds the replica's controller, which exists only once the operator has started. */
    @FunctionalInterface
    public interface ControllerSupplier {
        PolicyZoneController get();
    }

    /** Creates the reconciler of a replica run outside CDI, as a test's second replica is. */
    public PolicyZoneReconciler(ControllerSupplier controller) {
        this.controller = controller;
    }

    @Inject
    PolicyZoneReconciler(OperatorBootstrap bootstrap) {
        this(bootstrap::controller);
    }

    @Override
    public List<EventSource<?, PolicyZone>> prepareEventSources(EventSourceContext<PolicyZone> context) {
        primaryCache = context.getPrimaryCache();
        configMaps = new InformerEventSource<>(InformerEventSourceConfiguration.from(ConfigMap.class, PolicyZone.class)
                .withName("configmaps")
                .withSecondaryToPrimaryMapper(configMap -> referrers(context, configMap,
                        (zone, name) -> zone.source.configMapRef != null && name.equals(zone.source.configMapRef.name)))
                .build(), context);
        secrets = new InformerEventSource<>(InformerEventSourceConfiguration.from(Secret.class, PolicyZone.class)
                .withName("secrets")
                .withSecondaryToPrimaryMapper(secret -> referrers(context, secret,
                        (zone, name) -> zone.source.transfer != null && zone.source.transfer.tsigSecretRef != null
                                && name.equals(zone.source.transfer.tsigSecretRef.name)))
                .build(), context);
        Deletions deletions = new Deletions(InformerEventSourceConfiguration.from(PolicyZone.class, PolicyZone.class)
                .withName("deletions")
                .withNamespacesInheritedFromController()
                .withSecondaryToPrimaryMapper(zone -> Set.of())
                .build(), context, controller);
        return List.of(configMaps, secrets, deletions);
    }

    /** A second informer on PolicyZones that takes each deleted one out of force on this replica. */
    static final class Deletions extends InformerEventSource<PolicyZone, PolicyZone> {

        private final ControllerSupplier controller;

        Deletions(InformerEventSourceConfiguration<PolicyZone> configuration, EventSourceContext<PolicyZone> context,
                  ControllerSupplier controller) {
            super(configuration, context);
            this.controller = controller;
        }

        @Override
        public synchronized void onDelete(PolicyZone resource, boolean deletedFinalStateUnknown) {
            super.onDelete(resource, deletedFinalStateUnknown);
            controller.get().remove(resource);
        }
    }

    /** Returns the PolicyZones of the object's namespace whose spec refers to it by name. */
    private static Set<ResourceID> referrers(EventSourceContext<PolicyZone> context, HasMetadata object,
                                             BiPredicate<PolicyZoneSpec, String> refersTo) {
        String namespace = object.getMetadata().getNamespace();
        String name = object.getMetadata().getName();
        return context.getPrimaryCache().list(namespace)
                .filter(zone -> zone.getSpec() != null && zone.getSpec().source != null
                        && refersTo.test(zone.getSpec(), name))
                .map(ResourceID::fromResource)
                .collect(Collectors.toSet());
    }

    /** Returns the PolicyZones in the controller's informer cache, none before the operator starts. */
    List<PolicyZone> cachedZones() {
        IndexerResourceCache<PolicyZone> cache = primaryCache;
        return cache == null ? List.of() : cache.list().toList();
    }

    @Override
    public UpdateControl<PolicyZone> reconcile(PolicyZone resource, Context<PolicyZone> context) {
        PolicyZoneController replica = controller.get();
        String namespace = resource.getMetadata().getNamespace();
        replica.apply(resource,
                name -> configMaps.get(new ResourceID(name, namespace)),
                name -> secrets.get(new ResourceID(name, namespace)));
        // Status is written by the leader alone, on its own thread, not through this return value.
        return UpdateControl.noUpdate();
    }
}
