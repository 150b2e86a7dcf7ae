package dev.rpzgate.upstream;

import dev.rpzgate.observability.DnsMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * An {@link UpstreamResolver} on its own Vert.x event loop, with a simple meter registry, for tests
 * that call it as the query pipeline does: on the loop, one question at a time or many at once.
 */
final class ResolverHarness implements AutoCloseable {

    final Vertx vertx = Vertx.vertx();
    final MeterRegistry registry = new SimpleMeterRegistry();
    final Forwarding forwarding;
    private final Context context = vertx.getOrCreateContext();
    private final UpstreamResolver resolver;

    ResolverHarness(List<Forwarding.ZoneUpstreams> zones, Forwarding.Settings settings) throws Exception {
        DnsMetrics metrics = new DnsMetrics(registry);
        forwarding = Forwarding.of(zones, settings, metrics);
        resolver = new UpstreamResolver(vertx, forwarding, metrics);
        onLoop(resolver::start);
    }

    /** A resolver for the default upstreams only. */
    static ResolverHarness of(Selection selection, Forwarding.Settings settings, String... upstreams) throws Exception {
        return new ResolverHarness(List.of(zone(".", selection, upstreams)), settings);
    }

    static Forwarding.ZoneUpstreams zone(String name, Selection selection, String... upstreams) {
        List<Upstream> parsed = new ArrayList<>();
        for (String upstream : upstreams) {
            parsed.add(Upstreams.parse(upstream));
        }
        return new Forwarding.ZoneUpstreams(Name.fromConstantString(name.endsWith(".") ? name : name + "."),
                parsed, selection);
    }

    /** Settings with {@code tryTimeout} per try and {@code queryTimeout} in all; the rest as configured by default. */
    static Forwarding.Settings settings(Duration tryTimeout, Duration queryTimeout) {
        return new Forwarding.Settings(tryTimeout, queryTimeout, 1000, 100, Duration.ofMillis(250), 3,
                Duration.ofMillis(100), Name.root, Optional.empty(), Duration.ofSeconds(30));
    }

    static Forwarding.Settings withCap(Forwarding.Settings s, int maxInFlight, int maxQueued, Duration queueTimeout) {
        return new Forwarding.Settings(s.tryTimeout(), s.queryTimeout(), maxInFlight, maxQueued, queueTimeout,
                s.maxFailures(), s.probeInterval(), s.probeName(), s.caFile(), s.idleTimeout());
    }

    static Forwarding.Settings withHealth(Forwarding.Settings s, int maxFailures, Duration probeInterval) {
        return new Forwarding.Settings(s.tryTimeout(), s.queryTimeout(), s.maxInFlight(), s.maxQueued(),
                s.queueTimeout(), maxFailures, probeInterval, s.probeName(), s.caFile(), s.idleTimeout());
    }

    static Forwarding.Settings withTls(Forwarding.Settings s, Path caFile, Duration idleTimeout) {
        return new Forwarding.Settings(s.tryTimeout(), s.queryTimeout(), s.maxInFlight(), s.maxQueued(),
                s.queueTimeout(), s.maxFailures(), s.probeInterval(), s.probeName(), Optional.ofNullable(caFile),
                idleTimeout);
    }

    /** Starts the resolution of {@code name} A on the loop; the future completes off the loop. */
    CompletableFuture<Message> start(String name) {
        CompletableFuture<Message> done = new CompletableFuture<>();
        Record question = Record.newRecord(Name.fromConstantString(name), Type.A, DClass.IN);
        context.runOnContext(v -> resolver.resolve(question, false, false).onComplete(result -> {
            if (result.succeeded()) {
                done.complete(result.result());
            } else {
                done.completeExceptionally(result.cause());
            }
        }));
        return done;
    }

    /** Resolves {@code name} A and waits for the answer. */
    Message resolve(String name) throws Exception {
        return start(name).get(10, TimeUnit.SECONDS);
    }

    /** Resolves {@code name} A and returns the failure, or null when it succeeded. */
    UpstreamFailedException failure(String name) throws Exception {
        return failureOf(start(name));
    }

    static UpstreamFailedException failureOf(CompletableFuture<Message> pending) throws Exception {
        try {
            pending.get(10, TimeUnit.SECONDS);
            return null;
        } catch (ExecutionException e) {
            return (UpstreamFailedException) e.getCause();
        }
    }

    UpstreamState state(String zone, int index) {
        return forwarding.groupFor(Name.fromConstantString(zone)).state(index);
    }

    double gauge(String name, String upstream) {
        return registry.get(name).tag("upstream", upstream).gauge().value();
    }

    double counter(String name, String upstream) {
        return registry.get(name).tag("upstream", upstream).counter().count();
    }

    private void onLoop(java.util.function.Supplier<Future<Void>> action) throws Exception {
        CompletableFuture<Void> done = new CompletableFuture<>();
        context.runOnContext(v -> action.get().onComplete(result -> {
            if (result.succeeded()) {
                done.complete(null);
            } else {
                done.completeExceptionally(result.cause());
            }
        }));
        done.get(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws Exception {
        onLoop(resolver::close);
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
}
