package dev.rpzgate.server;

import dev.rpzgate.cache.AnswerCache;
import dev.rpzgate.config.RpzgateConfig;
import dev.rpzgate.observability.DnsMetrics;
import dev.rpzgate.observability.PolicyHitLog;
import dev.rpzgate.policy.PolicyStore;
import dev.rpzgate.source.PolicyReloader;
import dev.rpzgate.source.ZoneLoadException;
import dev.rpzgate.upstream.Forwarding;
import dev.rpzgate.upstream.Upstream;
import dev.rpzgate.upstream.Upstreams;
import dev.rpzgate.wire.HostPort;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.runtime.configuration.ConfigurationException;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;

/**
 * Starts rpzgate: loads the policy zones, works out the upstreams, then opens the UDP and TCP
 * listeners on every event loop. Start-up fails, naming the file and line, when a zone file cannot
 * be loaded, and naming the setting when the configuration is invalid. A zone from a URL does not
 * hold up start-up; it loads in the background.
 */
@ApplicationScoped
public class DnsServer {

    private static final Logger LOG = Logger.getLogger(DnsServer.class);

    @Inject
    RpzgateConfig config;

    @Inject
    Vertx vertx;

    @Inject
    PolicyStore policyStore;

    @Inject
    DnsMetrics metrics;

    @Inject
    NotifyRouting notifyRouting;

    @Inject
    PolicyHitLog hitLog;

    @Inject
    PolicyReloader reloader;

    @Inject
    AnswerCache answerCache;

    private final List<String> deployments = new ArrayList<>();
    private volatile int port = -1;
    private volatile boolean listening;

    void onStart(@Observes StartupEvent event) throws Exception {
        try {
            reloader.start();
        } catch (ZoneLoadException | IllegalArgumentException e) {
            // StartupConfigCheck rejects invalid zone settings before this runs, so this is a zone
            // file that cannot be read or parsed, whose message names the file and line, or a check
            // that only the loader makes. Without a cause, so that Quarkus prints this one line.
            throw new ConfigurationException("rpzgate cannot start: " + e.getMessage());
        }
        notifyRouting.replace(reloader.notifyDispatcher());

        HostPort listen = HostPort.parse(config.listen(), 53);
        int loops = Math.max(1, Runtime.getRuntime().availableProcessors());
        // Every loop gets its own UDP socket only where SO_REUSEPORT lets them share the port.
        boolean reusePort = vertx.isNativeTransportEnabled() && loops > 1;

        // With port 0 the kernel picks a free port, which no upstream can already be using.
        Forwarding forwarding;
        try {
            forwarding = Upstreams.forwarding(config, listen, metrics);
        } catch (IllegalStateException e) {
            // Without a cause, so that Quarkus prints this one line instead of a stack trace.
            throw new ConfigurationException("rpzgate cannot start: " + e.getMessage());
        }
        DnsVerticle first = deployFirst(listen, reusePort, forwarding);
        port = first.udpPort();

        for (int i = 1; i < loops; i++) {
            DnsVerticle next = new DnsVerticle(settings(listen, port, reusePort, reusePort, forwarding),
                    policyStore, notifyRouting, answerCache, metrics, hitLog);
            deployments.add(await(next));
        }
        listening = true;
        LOG.infof("rpzgate answering on %s port %d (UDP and TCP, %d event loops, UDP sockets: %d), forwarding %s",
                listen.host(), port, loops, reusePort ? loops : 1, describe(forwarding));
    }

    void onStop(@Observes ShutdownEvent event) {
        for (String id : deployments) {
            vertx.undeploy(id).toCompletionStage().toCompletableFuture().join();
        }
        deployments.clear();
        listening = false;
    }

    /** Port that the UDP and TCP listeners are bound to; -1 before start-up. */
    public int port() {
        return port;
    }

    /** Returns whether the listeners are open. */
    public boolean listening() {
        return listening;
    }

    private DnsVerticle.Settings settings(HostPort listen, int port, boolean bindUdp, boolean reusePort,
                                          Forwarding forwarding) {
        return new DnsVerticle.Settings(listen.host(), port, bindUdp, reusePort, config.tcp().idleTimeout(),
                forwarding);
    }

    /** Returns the zones and their upstreams for the start-up log, as {@code . to a, b (sequential); zone to c (random)}. */
    private static String describe(Forwarding forwarding) {
        return forwarding.groups().stream()
                .map(group -> group.zoneLabel() + " to "
                        + group.upstreams().stream().map(Upstream::name).collect(Collectors.joining(", "))
                        + " (" + group.selection().name().toLowerCase(java.util.Locale.ROOT) + ")")
                .collect(Collectors.joining("; "));
    }

    /**
     * Deploys the first event loop's listeners. With port 0 the kernel picks a free UDP port, and
     * TCP must bind the same number, which another process may already use for TCP. A new pick of
     * the UDP port then ends the collision, so port 0 gets a few attempts.
     */
    private DnsVerticle deployFirst(HostPort listen, boolean reusePort, Forwarding forwarding) throws Exception {
        int attempts = listen.port() == 0 ? 5 : 1;
        for (int attempt = 1; ; attempt++) {
            DnsVerticle first = new DnsVerticle(settings(listen, listen.port(), true, reusePort, forwarding),
                    policyStore, notifyRouting, answerCache, metrics, hitLog);
            try {
                deployments.add(await(first));
                return first;
            } catch (ExecutionException e) {
                if (attempt == attempts) {
                    throw e;
                }
                LOG.infof("port %d could not be bound for both UDP and TCP (%s); trying another free port",
                        first.udpPort(), e.getCause().getMessage());
            }
        }
    }

    private String await(DnsVerticle verticle) throws Exception {
        return vertx.deployVerticle(verticle, new DeploymentOptions()).toCompletionStage().toCompletableFuture().get();
    }
}
