package dev.rpzgate.operator;

import dev.rpzgate.config.RpzgateConfig;
import dev.rpzgate.observability.DnsMetrics;
import dev.rpzgate.policy.PolicyStore;
import dev.rpzgate.source.PolicyReloader;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.javaoperatorsdk.operator.Operator;
import io.vertx.core.Vertx;

import java.lang.reflect.Field;

/**
 * A second rpzgate replica in the test JVM: its own policy store, zone loader, PolicyZone
 * controller and Java Operator SDK operator, wired by hand as the application wires them with CDI,
 * against the same API server. It has no DNS listener; tests read its policy store instead.
 */
final class SecondReplica implements AutoCloseable {

    final PolicyStore store = new PolicyStore();
    final PolicyZoneController controller;
    private final Operator operator;
    private final KubernetesClient client;

    SecondReplica(KubernetesClient appClient, RpzgateConfig config, Vertx vertx, String namespace, String pod)
            throws Exception {
        client = new KubernetesClientBuilder().withConfig(appClient.getConfiguration()).build();
        PolicyReloader reloader = startReloader(new PolicyReloader(), config, vertx, store);

        controller = new PolicyZoneController(reloader, client, config.policy(), namespace, pod, () -> { });
        controller.start();
        operator = new Operator(settings -> settings.withKubernetesClient(client)
                .withUseSSAToPatchPrimaryResource(false)
                .withCloseClientOnStop(false));
        operator.register(new PolicyZoneReconciler(() -> controller), overrider -> overrider.settingNamespace(namespace));
        operator.start();
    }

    /** Wires a zone loader to {@code store} as CDI wires the application's, and loads the configured zones. */
    static <T extends PolicyReloader> T startReloader(T reloader, RpzgateConfig config, Vertx vertx, PolicyStore store)
            throws Exception {
        inject(reloader, "config", config);
        inject(reloader, "vertx", vertx);
        inject(reloader, "store", store);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        inject(reloader, "dnsMetrics", new DnsMetrics(registry));
        inject(reloader, "registry", registry);
        reloader.start();
        return reloader;
    }

    /** Sets a field that CDI injects in the application. */
    private static void inject(PolicyReloader target, String name, Object value) throws ReflectiveOperationException {
        Field field = PolicyReloader.class.getDeclaredField(name);
        field.setAccessible(true);
        field.set(target, value);
    }

    @Override
    public void close() {
        operator.stop();
        controller.stop();
        client.close();
    }
}
