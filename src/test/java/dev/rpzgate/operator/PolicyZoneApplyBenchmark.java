package dev.rpzgate.operator;

import dev.rpzgate.testing.DnsTestClient;
import dev.rpzgate.testing.TestUpstream;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.rpzgate.testing.DnsTestClient.query;

/**
 * Measures how long a PolicyZone change takes to reach the DNS answers of a running rpzgate: the
 * time from sending a create or update to the API server until rpzgate answers NXDOMAIN for a name
 * that the new version blocks.
 *
 * <p>The API server is the Fabric8 mock server in CRUD mode, in this JVM, on 127.0.0.1; rpzgate is
 * the packaged application ({@code target/quarkus-app/quarkus-run.jar}), started as a separate
 * process against it, with a loopback test upstream. A real API server adds its own storage and
 * watch latency, which this does not measure.
 *
 * <p>Arguments: rounds (default 30), extra rules in the updated zone (default 0), path of the
 * application jar. Five warm-up rounds of each kind run first and are not counted.
 */
public final class PolicyZoneApplyBenchmark {

    private static final String NAMESPACE = "bench";
    private static final int WARM_UP_ROUNDS = 5;
    private static final Duration ROUND_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration PAUSE_BETWEEN_ROUNDS = Duration.ofMillis(300);

    private PolicyZoneApplyBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        run(args);
        // The mock server leaves Vert.x threads that are not daemons, which would keep the JVM alive.
        System.exit(0);
    }

    private static void run(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        int extraRules = args.length > 1 ? Integer.parseInt(args[1]) : 0;
        Path jar = Path.of(args.length > 2 ? args[2] : "target/quarkus-app/quarkus-run.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalArgumentException(jar + " not found; build it first with ./mvnw -B -q package -DskipTests");
        }

        KubernetesMockServer api = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), false);
        api.init(InetAddress.getByName("127.0.0.1"), 0);
        Path work = Files.createTempDirectory("policyzone-apply-benchmark");
        Process app = null;
        try (TestUpstream upstream = TestUpstream.start().answerAnyName("192.0.2.1", "2001:db8::1", 60);
             KubernetesClient client = api.createClient()) {
            try (InputStream crd = Files.newInputStream(Path.of("k8s/crd/policyzones.rpzgate.dev-v1.yml"))) {
                for (HasMetadata object : client.load(crd).items()) {
                    client.resource(object).create();
                }
            }
            int dnsPort = freePort();
            int httpPort = freePort();
            Path log = work.resolve("rpzgate.log");
            app = start(jar, client.getMasterUrl().toString(), upstream.port(), dnsPort, httpPort, work, log);
            awaitReady(app, httpPort, log);
            System.out.printf("load average before: %s%n", Files.readString(Path.of("/proc/loadavg")).strip());

            DnsTestClient dns = new DnsTestClient(dnsPort);
            List<Long> creates = new ArrayList<>();
            for (int i = 0; i < WARM_UP_ROUNDS + rounds; i++) {
                PolicyZone created = zone("created-" + i, "c" + i + ".test CNAME .\n");
                long micros = timeUntilBlocked(dns, "c" + i + ".test.",
                        () -> client.resources(PolicyZone.class).inNamespace(NAMESPACE).resource(created).create());
                if (i >= WARM_UP_ROUNDS) {
                    creates.add(micros);
                }
                Thread.sleep(PAUSE_BETWEEN_ROUNDS.toMillis());
            }

            String filler = filler(extraRules);
            client.resources(PolicyZone.class).inNamespace(NAMESPACE).resource(zone("updated", filler)).create();
            Thread.sleep(PAUSE_BETWEEN_ROUNDS.toMillis());
            List<Long> updates = new ArrayList<>();
            for (int i = 0; i < WARM_UP_ROUNDS + rounds; i++) {
                String rules = filler + "u" + i + ".test CNAME .\n";
                long micros = timeUntilBlocked(dns, "u" + i + ".test.",
                        () -> client.resources(PolicyZone.class).inNamespace(NAMESPACE).withName("updated")
                                .edit(zone -> {
                                    zone.getSpec().source.rules = rules;
                                    return zone;
                                }));
                if (i >= WARM_UP_ROUNDS) {
                    updates.add(micros);
                }
                Thread.sleep(PAUSE_BETWEEN_ROUNDS.toMillis());
            }

            System.out.printf("load average after: %s%n", Files.readString(Path.of("/proc/loadavg")).strip());
            print("create", creates);
            print("update (" + (extraRules + 1) + " rules)", updates);
        } finally {
            if (app != null) {
                app.destroy();
                if (!app.waitFor(10, TimeUnit.SECONDS)) {
                    app.destroyForcibly();
                }
            }
            api.destroy();
        }
    }

    /** Runs {@code change} and returns the microseconds from just before it until {@code qname} gets NXDOMAIN. */
    private static long timeUntilBlocked(DnsTestClient dns, String qname, Runnable change) throws IOException {
        long start = System.nanoTime();
        change.run();
        long deadline = start + ROUND_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (dns.udp(query(qname, Type.A)).getRcode() == Rcode.NXDOMAIN) {
                return TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - start);
            }
        }
        throw new IllegalStateException(qname + " was not blocked within " + ROUND_TIMEOUT.toSeconds() + " s");
    }

    private static PolicyZone zone(String name, String rules) {
        PolicyZone zone = new PolicyZone();
        zone.getMetadata().setName(name);
        zone.getMetadata().setNamespace(NAMESPACE);
        zone.setSpec(new PolicyZoneSpec());
        zone.getSpec().source = new PolicyZoneSource();
        zone.getSpec().source.rules = rules;
        return zone;
    }

    private static String filler(int rules) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < rules; i++) {
            text.append("filler-").append(i).append(".test CNAME .\n");
        }
        return text.toString();
    }

    private static Process start(Path jar, String apiServer, int upstreamPort, int dnsPort, int httpPort, Path work,
                                 Path log) throws IOException {
        ProcessBuilder builder = new ProcessBuilder("java", "-jar", jar.toAbsolutePath().toString());
        Map<String, String> env = builder.environment();
        env.remove("KUBERNETES_SERVICE_HOST");
        env.remove("KUBECONFIG");
        env.put("RPZGATE_LISTEN", "127.0.0.1:" + dnsPort);
        env.put("RPZGATE_UPSTREAMS", "127.0.0.1:" + upstreamPort);
        env.put("RPZGATE_POLICY_CACHE_DIR", work.resolve("cache").toString());
        env.put("RPZGATE_OPERATOR_ENABLED", "true");
        env.put("QUARKUS_HTTP_HOST", "127.0.0.1");
        env.put("QUARKUS_HTTP_PORT", Integer.toString(httpPort));
        env.put("QUARKUS_KUBERNETES_CLIENT_API_SERVER_URL", apiServer);
        env.put("QUARKUS_KUBERNETES_CLIENT_NAMESPACE", NAMESPACE);
        env.put("POD_NAMESPACE", NAMESPACE);
        env.put("POD_NAME", "bench-replica");
        // No hit log line per blocked poll query.
        env.put("QUARKUS_LOG_CATEGORY__RPZGATE_POLICY_HIT__LEVEL", "OFF");
        builder.redirectErrorStream(true).redirectOutput(log.toFile());
        System.out.printf("rpzgate log: %s%n", log);
        return builder.start();
    }

    private static void awaitReady(Process app, int httpPort, Path log) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest ready = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/q/health/ready"))
                .timeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!app.isAlive()) {
                throw new IllegalStateException("rpzgate exited with " + app.exitValue() + "; see " + log);
            }
            try {
                if (http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // Not listening yet.
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("rpzgate was not ready within 60 s; see " + log);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        }
    }

    private static void print(String kind, List<Long> micros) {
        List<Long> sorted = micros.stream().sorted().toList();
        int n = sorted.size();
        double median = n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2.0;
        // Nearest-rank percentile.
        long p95 = sorted.get((int) Math.ceil(0.95 * n) - 1);
        System.out.printf("%s, %d rounds: median %.1f ms, p95 %.1f ms, max %.1f ms, min %.1f ms%n", kind, n,
                median / 1000, p95 / 1000.0, sorted.get(n - 1) / 1000.0, sorted.get(0) / 1000.0);
    }
}
