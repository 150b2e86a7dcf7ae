package dev.rpzgate.operator;

import dev.rpzgate.config.RpzgateConfig;
import dev.rpzgate.server.NotifyRouting;
import dev.rpzgate.source.PolicyReloader;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import jakarta.interceptor.Interceptor;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Starts the PolicyZone operator when rpzgate runs where a Kubernetes API server is reachable,
 * after the configured zones are loaded. {@code rpzgate.operator.enabled} turns it on or off;
 * unset, it is on inside a pod (a service account token and {@code KUBERNETES_SERVICE_HOST}) and
 * when {@code quarkus.kubernetes-client.api-server-url} or {@code KUBECONFIG} names an API server,
 * and off otherwise, so a resolver outside Kubernetes works from its configuration alone.
 */
@ApplicationScoped
public class OperatorBootstrap {

    private static final Logger LOG = Logger.getLogger(OperatorBootstrap.class);
    private static final Path SERVICE_ACCOUNT_TOKEN = Path.of("/var/run/secrets/kubernetes.io/serviceaccount/token");

    @ConfigProperty(name = "quarkus.kubernetes-client.api-server-url")
    Optional<String> apiServerUrl;

    @Inject
    RpzgateConfig config;

    @Inject
    OperatorConfig operatorConfig;

    @Inject
    PolicyReloader reloader;

    @Inject
    NotifyRouting notifyRouting;

    @Inject
    Instance<KubernetesClient> client;

    @Inject
    Instance<Operator> operator;

    private volatile PolicyZoneController controller;
    private volatile boolean enabledHere;
    private volatile boolean operatorStarted;

    /** Runs after the DNS server's start-up observer, which loads the configured zones. */
    void onStart(@Observes @Priority(Interceptor.Priority.APPLICATION + 600) StartupEvent event) {
        enabledHere = shouldStart();
        if (!enabledHere) {
            LOG.info("PolicyZone operator is off: no Kubernetes API server is configured "
                    + "(set rpzgate.operator.enabled=true to force it on); zones come from the configuration only");
            noPolicyWarning(reloader.statuses().size()).ifPresent(LOG::warn);
            return;
        }
        KubernetesClient kubernetes = client.get();
        String namespace = env("POD_NAMESPACE").orElseGet(() -> Optional.ofNullable(kubernetes.getNamespace())
                .orElse("default"));
        String pod = env("POD_NAME").orElseGet(OperatorBootstrap::hostname);
        controller = new PolicyZoneController(reloader, kubernetes, config.policy(), namespace, pod,
                () -> notifyRouting.replace(reloader.notifyDispatcher()));
        controller.start();
        try {
            // Returns once the informers have listed what exists, and their first events are queued.
            operator.get().start();
        } catch (RuntimeException e) {
            LOG.errorf("rpzgate cannot start the PolicyZone operator against %s: %s; check that the PolicyZone CRD "
                    + "is installed (k8s/crd/) and that the service account has the Role of k8s/rbac.yaml, or set "
                    + "rpzgate.operator.enabled=false", kubernetes.getMasterUrl(), e.getMessage());
            controller.stop();
            throw e;
        }
        operatorStarted = true;
    }

    /** Returns whether the operator runs, or is about to run, in this process. */
    /**
     * Returns the warning for a replica without the operator that has {@code configuredZones} zones:
     * with none, it forwards every query unfiltered, which a protective resolver must not do unnoticed.
     */
    static Optional<String> noPolicyWarning(int configuredZones) {
        if (configuredZones > 0) {
            return Optional.empty();
        }
        return Optional.of("no policy zones are configured and the PolicyZone operator is off, so every query is "
                + "forwarded unfiltered; set rpzgate.policy.files or rpzgate.policy.zones[N] to enforce a policy");
    }

    boolean enabled() {
        return enabledHere || shouldStart();
    }

    /** Returns whether the Java Operator SDK has started its controllers. */
    boolean operatorStarted() {
        return operatorStarted;
    }

    /** Returns this replica's controller, or null before it starts. */
    PolicyZoneController running() {
        return controller;
    }

    void onStop(@Observes ShutdownEvent event) {
        PolicyZoneController running = controller;
        if (running != null) {
            running.stop();
        }
    }

    /** Returns this replica's controller; PolicyZone events arrive only after it is set. */
    PolicyZoneController controller() {
        PolicyZoneController running = controller;
        if (running == null) {
            throw new IllegalStateException("the PolicyZone operator has not started");
        }
        return running;
    }

    private boolean shouldStart() {
        Optional<Boolean> enabled = operatorConfig.enabled();
        if (enabled.isPresent()) {
            return enabled.get();
        }
        boolean inPod = env("KUBERNETES_SERVICE_HOST").isPresent() && Files.isReadable(SERVICE_ACCOUNT_TOKEN);
        return inPod || apiServerUrl.isPresent() || env("KUBECONFIG").isPresent();
    }

    private static Optional<String> env(String name) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.strip());
    }

    private static String hostname() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "rpzgate";
        }
    }
}
