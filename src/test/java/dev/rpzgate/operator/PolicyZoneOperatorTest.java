package dev.rpzgate.operator;

import dev.rpzgate.server.DnsServer;
import dev.rpzgate.testing.DnsTestClient;
import dev.rpzgate.testing.UpstreamResource;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import jakarta.enterprise.inject.Vetoed;
import jakarta.inject.Inject;
import dev.rpzgate.policy.PolicyStore;
import dev.rpzgate.source.PolicyReloader;
import dev.rpzgate.source.RuntimeZoneKey;
import dev.rpzgate.source.ZoneLoadException;
import dev.rpzgate.source.ZoneSpec;
import dev.rpzgate.config.RpzgateConfig;
import org.xbill.DNS.Name;
import io.vertx.core.Vertx;
import dev.rpzgate.testing.FeedServer;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.nio.file.Files;
import java.nio.file.Path;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import static dev.rpzgate.testing.DnsTestClient.query;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;

/**
 * Runs rpzgate against a Fabric8 mock API server in CRUD mode and checks that PolicyZones change
 * the live DNS answers and that their status reports the change.
 */
@QuarkusTest
@TestProfile(PolicyZoneOperatorTest.Operator.class)
@WithKubernetesTestServer(crud = true)
@QuarkusTestResource(value = UpstreamResource.class, restrictToAnnotatedClass = true)
class PolicyZoneOperatorTest {

    /** The operator on, against the mock server, with the CRD posted at start-up. */
    public static class Operator implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "rpzgate.operator.enabled", "true",
                    "quarkus.operator-sdk.crd.apply", "true",
                    "rpzgate.policy.cache-dir", "target/policyzone-operator-cache");
        }
    }

    static final String NAMESPACE = "test";

    @KubernetesTestServer
    KubernetesServer mockServer;

    @Inject
    KubernetesClient client;

    @Inject
    DnsServer server;

    @Inject
    Vertx vertx;

    @Inject
    OperatorBootstrap bootstrap;

    @Inject
    RpzgateConfig config;

    private DnsTestClient dns;

    @BeforeEach
    void setUp() throws IOException {
        dns = new DnsTestClient(server.port());
        Awaitility.setDefaultTimeout(Duration.ofSeconds(20));
        Awaitility.setDefaultPollInterval(Duration.ofMillis(50));
    }

    @AfterEach
    void tearDown() {
        zones().delete();
        Awaitility.await().until(() -> zones().list().getItems().isEmpty());
    }

    private io.fabric8.kubernetes.client.dsl.MixedOperation<PolicyZone, io.fabric8.kubernetes.api.model.KubernetesResourceList<PolicyZone>, io.fabric8.kubernetes.client.dsl.Resource<PolicyZone>> zonesOperation() {
        return client.resources(PolicyZone.class);
    }

    private io.fabric8.kubernetes.client.dsl.NonNamespaceOperation<PolicyZone, io.fabric8.kubernetes.api.model.KubernetesResourceList<PolicyZone>, io.fabric8.kubernetes.client.dsl.Resource<PolicyZone>> zones() {
        return zonesOperation().inNamespace(NAMESPACE);
    }

    /**
     * Replaces the inline rules of a PolicyZone and returns the new version. A replica or the leader
     * may write status at any time, so an update that meets 409 Conflict is sent again on the latest
     * version, as a controller would.
     */
    private static PolicyZone setRules(io.fabric8.kubernetes.client.dsl.NonNamespaceOperation<PolicyZone,
            io.fabric8.kubernetes.api.model.KubernetesResourceList<PolicyZone>,
            io.fabric8.kubernetes.client.dsl.Resource<PolicyZone>> zones, String name, String rules) {
        for (int attempt = 1; ; attempt++) {
            PolicyZone latest = zones.withName(name).get();
            latest.getSpec().source.rules = rules;
            try {
                return zones.resource(latest).update();
            } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
                if (e.getCode() != 409 || attempt == 20) {
                    throw e;
                }
            }
        }
    }

    private static PolicyZone inline(String name, String rules) {
        PolicyZone zone = new PolicyZone();
        zone.getMetadata().setName(name);
        zone.getMetadata().setNamespace(NAMESPACE);
        PolicyZoneSpec spec = new PolicyZoneSpec();
        spec.source = new PolicyZoneSource();
        spec.source.rules = rules;
        zone.setSpec(spec);
        return zone;
    }

    private int rcode(String name) throws IOException {
        return dns.udp(query(name, Type.A)).getRcode();
    }

    private PolicyZone fetch(String name) {
        return zones().withName(name).get();
    }

    private static Condition condition(PolicyZone zone, String type) {
        if (zone == null || zone.getStatus() == null) {
            return null;
        }
        return zone.getStatus().conditions.stream().filter(c -> c.getType().equals(type)).findFirst().orElse(null);
    }

    private static PolicyZone withStatus(PolicyZone zone, PolicyZoneStatus status) {
        PolicyZone copy = new PolicyZone();
        copy.setMetadata(zone.getMetadata());
        copy.setStatus(status);
        return copy;
    }

    private static boolean ready(PolicyZone zone, long generation) {
        Condition ready = condition(zone, "Ready");
        return ready != null && "True".equals(ready.getStatus()) && zone.getStatus().observedGeneration == generation;
    }

    @Test
    void createUpdateDeleteChangesAnswers() throws Exception {
        assertThat(rcode("blocked.test.")).isEqualTo(Rcode.NOERROR);

        zones().resource(inline("blocks", "blocked.test CNAME .\n")).create();

        Awaitility.await().until(() -> rcode("blocked.test.") == Rcode.NXDOMAIN);
        Awaitility.await().until(() -> ready(fetch("blocks"), 1));
        PolicyZone created = fetch("blocks");
        assertThat(created.getStatus().rules).isEqualTo(1);
        assertThat(created.getStatus().serial).isNotNull();
        assertThat(created.getStatus().zone).isEqualTo("blocks.test");
        assertThat(created.getStatus().observedGeneration).isEqualTo(1L);
        assertThat(condition(created, "Degraded").getStatus()).isEqualTo("False");
        Awaitility.await().until(() -> "1/1".equals(fetch("blocks").getStatus().replicas));

        setRules(zones(), "blocks", "$TTL 60\n@ SOA localhost. h.localhost. 7 1 1 1 1\nother.test CNAME .\n"
                + "blocked.test CNAME rpz-passthru.\n");

        Awaitility.await().until(() -> rcode("other.test.") == Rcode.NXDOMAIN);
        assertThat(rcode("blocked.test.")).as("now PASSTHRU").isEqualTo(Rcode.NOERROR);
        long generation = fetch("blocks").getMetadata().getGeneration();
        Awaitility.await().until(() -> ready(fetch("blocks"), generation));
        assertThat(fetch("blocks").getStatus().serial).isEqualTo(7L);
        assertThat(fetch("blocks").getStatus().rules).isEqualTo(2);

        zones().withName("blocks").delete();

        Awaitility.await().until(() -> rcode("other.test.") == Rcode.NOERROR);
    }

    @Test
    void invalidRulesKeepPreviousPolicy() throws Exception {
        zones().resource(inline("strict", "bad.test CNAME .\n")).create();
        Awaitility.await().until(() -> ready(fetch("strict"), 1));

        setRules(zones(), "strict", "bad.test CNAME .\nworse.test IN BOGUS x\n");

        long generation = fetch("strict").getMetadata().getGeneration();
        Awaitility.await().until(() -> {
            Condition degraded = condition(fetch("strict"), "Degraded");
            return degraded != null && "True".equals(degraded.getStatus())
                    && fetch("strict").getStatus().observedGeneration == generation;
        });
        PolicyZone status = fetch("strict");
        assertThat(condition(status, "Ready").getStatus()).isEqualTo("False");
        assertThat(condition(status, "Ready").getReason()).isEqualTo("InvalidRules");
        assertThat(condition(status, "Degraded").getMessage()).contains("spec.source.rules", "line 2");
        assertThat(status.getStatus().rules).as("generation 1 stays in force").isEqualTo(1);
        assertThat(rcode("bad.test.")).isEqualTo(Rcode.NXDOMAIN);
        assertThat(rcode("worse.test.")).isEqualTo(Rcode.NOERROR);
        Awaitility.await().until(() -> client.v1().events().inNamespace(NAMESPACE).list().getItems().stream()
                .anyMatch(event -> "InvalidRules".equals(event.getReason())
                        && "strict".equals(event.getInvolvedObject().getName())));
        Event event = client.v1().events().inNamespace(NAMESPACE).list().getItems().stream()
                .filter(e -> "InvalidRules".equals(e.getReason())).findFirst().orElseThrow();
        assertThat(event.getMessage()).contains("line 2");
        assertThat(event.getType()).isEqualTo("Warning");
    }

    @Test
    void configMapSourceReloadsOnChange() throws Exception {
        PolicyZone zone = inline("from-map", null);
        zone.getSpec().source.rules = null;
        zone.getSpec().source.configMapRef = new PolicyZoneSource.ConfigMapKeyRef();
        zone.getSpec().source.configMapRef.name = "lists";
        zone.getSpec().source.configMapRef.key = "domains.txt";
        zone.getSpec().format = PolicyZoneSpec.Format.DOMAINS;
        zones().resource(zone).create();

        Awaitility.await().until(() -> condition(fetch("from-map"), "Degraded") != null
                && "ConfigMapNotFound".equals(condition(fetch("from-map"), "Degraded").getReason()));
        assertThat(condition(fetch("from-map"), "Degraded").getMessage())
                .contains("spec.source.configMapRef", "test/lists");

        client.configMaps().inNamespace(NAMESPACE).resource(new ConfigMapBuilder()
                .withNewMetadata().withName("lists").withNamespace(NAMESPACE).endMetadata()
                .addToData("domains.txt", "listed.test\n").build()).create();
        Awaitility.await().until(() -> rcode("listed.test.") == Rcode.NXDOMAIN);
        Awaitility.await().until(() -> ready(fetch("from-map"), 1));

        client.configMaps().inNamespace(NAMESPACE).withName("lists").edit(map -> {
            map.getData().put("domains.txt", "relisted.test\n");
            return map;
        });
        Awaitility.await().until(() -> rcode("relisted.test.") == Rcode.NXDOMAIN);
        assertThat(rcode("listed.test.")).isEqualTo(Rcode.NOERROR);
        client.configMaps().inNamespace(NAMESPACE).withName("lists").delete();
    }

    @Test
    void secretChangeReloadsTransferZone() {
        PolicyZone zone = inline("xfr", null);
        zone.getSpec().source.rules = null;
        zone.getSpec().origin = "xfr.example";
        zone.getSpec().source.transfer = new PolicyZoneSource.TransferSource();
        zone.getSpec().source.transfer.primaries = List.of("127.0.0.1:9");
        zone.getSpec().source.transfer.tsigKeyName = "xfr-key";
        zone.getSpec().source.transfer.tsigSecretRef = new PolicyZoneSource.SecretKeyRef();
        zone.getSpec().source.transfer.tsigSecretRef.name = "xfr-tsig";
        zones().resource(zone).create();

        Awaitility.await().until(() -> condition(fetch("xfr"), "Degraded") != null
                && "SecretNotFound".equals(condition(fetch("xfr"), "Degraded").getReason()));
        assertThat(condition(fetch("xfr"), "Degraded").getMessage())
                .contains("spec.source.transfer.tsigSecretRef", "test/xfr-tsig");

        client.secrets().inNamespace(NAMESPACE).resource(new SecretBuilder()
                .withNewMetadata().withName("xfr-tsig").withNamespace(NAMESPACE).endMetadata()
                .addToStringData("secret", "not base64!").build()).create();
        Awaitility.await().until(() -> "InvalidSpec".equals(condition(fetch("xfr"), "Degraded").getReason()));
        assertThat(condition(fetch("xfr"), "Degraded").getMessage()).startsWith("spec.source.transfer.tsigSecretRef:");
        assertThat(condition(fetch("xfr"), "Degraded").getMessage()).doesNotContain("not base64!");

        client.secrets().inNamespace(NAMESPACE).withName("xfr-tsig").edit(secret -> {
            secret.setStringData(Map.of("secret", java.util.Base64.getEncoder().encodeToString(new byte[32])));
            secret.setData(null);
            return secret;
        });
        Awaitility.await().until(() -> "Loading".equals(condition(fetch("xfr"), "Ready").getReason())
                || "LoadFailed".equals(condition(fetch("xfr"), "Ready").getReason()));
        client.secrets().inNamespace(NAMESPACE).withName("xfr-tsig").delete();
    }

    @Test
    void clientCidrsAndDryRunLimitEnforcement() throws Exception {
        PolicyZone limited = inline("lab-only", "lab.test CNAME .\n");
        limited.getSpec().clientCIDRs = List.of("127.0.0.2/32");
        zones().resource(limited).create();
        PolicyZone dryRun = inline("trial", "trial.test CNAME .\n");
        dryRun.getSpec().dryRun = true;
        zones().resource(dryRun).create();

        Awaitility.await().until(() -> dns.udpFrom(InetAddress.getByName("127.0.0.2"), query("lab.test.", Type.A))
                .getRcode() == Rcode.NXDOMAIN);
        assertThat(rcode("lab.test.")).as("from 127.0.0.1, outside the CIDRs").isEqualTo(Rcode.NOERROR);
        Awaitility.await().until(() -> ready(fetch("trial"), 1));
        Message trial = dns.udp(query("trial.test.", Type.A));
        assertThat(trial.getRcode()).as("dry run forwards").isEqualTo(Rcode.NOERROR);
    }

    @Test
    void crdInRepositoryMatchesGenerated() throws IOException {
        Path generated = Path.of("target/kubernetes/policyzones.rpzgate.dev-v1.yml");
        Path shipped = Path.of("k8s/crd/policyzones.rpzgate.dev-v1.yml");
        String expected = withDeclaredColumnOrder(Files.readString(generated));

        assertThat(Files.readString(shipped))
                .as("k8s/crd is out of date; copy %s over it, columns in the order PolicyZone declares", generated)
                .isEqualTo(expected);
        // The Helm chart installs the same CRD from its crds/ directory, when the chart has one.
        Path chart = Path.of("helm/rpzgate/crds/policyzones.rpzgate.dev-v1.yml");
        if (Files.exists(chart)) {
            assertThat(Files.readString(chart))
                    .as("helm/rpzgate/crds is out of date; copy k8s/crd over it")
                    .isEqualTo(expected);
        }
    }

    @Test
    void shippedCrdListsColumnsInDeclaredOrder() throws IOException {
        String shipped = Files.readString(Path.of("k8s/crd/policyzones.rpzgate.dev-v1.yml"));

        List<String> names = shipped.lines()
                .filter(line -> line.startsWith("      name: \""))
                .map(line -> line.substring("      name: \"".length(), line.length() - 1))
                .toList();
        assertThat(names).containsExactly("Priority", "Serial", "Rules", "Ready", "Replicas", "Age");
    }

    /**
     * Returns the generated CRD with its printer columns in the order of PolicyZone's annotations.
     * kubectl shows columns in the order the CRD lists them, but the Fabric8 generator sorts them
     * by name, which would put Age first.
     */
    static String withDeclaredColumnOrder(String crd) {
        String start = "  - additionalPrinterColumns:\n";
        int from = crd.indexOf(start) + start.length();
        int to = crd.indexOf("    name: \"v1alpha1\"", from);
        assertThat(from).as("generated CRD has printer columns").isGreaterThan(start.length() - 1);
        assertThat(to).as("printer columns end before the version name").isGreaterThan(from);

        Map<String, String> columnsByPath = new LinkedHashMap<>();
        for (String column : crd.substring(from, to).split("(?=    - jsonPath: )")) {
            String path = column.lines().findFirst().orElseThrow().substring("    - jsonPath: ".length());
            columnsByPath.put(path, column);
        }
        StringBuilder ordered = new StringBuilder();
        for (AdditionalPrinterColumn column : PolicyZone.class.getAnnotationsByType(AdditionalPrinterColumn.class)) {
            String quoted = "\"" + column.jsonPath().replace("\"", "\\\"") + "\"";
            String entry = columnsByPath.remove(quoted);
            assertThat(entry).as("generated column for %s", quoted).isNotNull();
            ordered.append(entry);
        }
        assertThat(columnsByPath).as("generated columns PolicyZone does not declare").isEmpty();
        return crd.substring(0, from) + ordered + crd.substring(to);
    }

    @Test
    void examplesApplyAndLoad() throws Exception {
        try (FeedServer feed = FeedServer.start(vertx)) {
            feed.respond(FeedServer.Response.feed("0.0.0.0 malware-host.test\n", "\"v1\""));
            for (Path file : examples()) {
                for (HasMetadata object : client.load(Files.newInputStream(file)).items()) {
                    object.getMetadata().setNamespace(NAMESPACE);
                    if (object.getKind().equals("PolicyZone")) {
                        PolicyZone zone = client.getKubernetesSerialization().convertValue(object, PolicyZone.class);
                        pointAtLoopback(zone, feed);
                        zones().resource(zone).create();
                    } else {
                        client.resource(object).create();
                    }
                }
            }

            Awaitility.await().until(() -> rcode("ads.example.com.blocklist.test.") == Rcode.NOERROR
                    && rcode("ads.example.com.") == Rcode.NXDOMAIN);
            assertThat(rcode("x.ads.example.com.")).isEqualTo(Rcode.NXDOMAIN);
            Awaitility.await().until(() -> rcode("malware-host.test.") == Rcode.NXDOMAIN);
            Awaitility.await().until(() -> ready(fetch("blocklist"), 1) && ready(fetch("urlhaus"), 1)
                    && ready(fetch("candidate"), 1));
            assertThat(rcode("suspicious.example.")).as("dry run").isEqualTo(Rcode.NOERROR);
            // The transfer example's primaries are a closed loopback port here, so the zone never
            // loads. The test checks that its spec and Secret are valid.
            Awaitility.await().until(() -> condition(fetch("provider-feed"), "Ready") != null);
            assertThat(condition(fetch("provider-feed"), "Ready").getReason()).isIn("Loading", "LoadFailed");
        } finally {
            client.secrets().inNamespace(NAMESPACE).withName("rpz-feed-tsig").delete();
        }
    }

    private static List<Path> examples() throws IOException {
        try (var files = Files.list(Path.of("k8s/examples"))) {
            return files.filter(file -> file.toString().endsWith(".yaml")).sorted().toList();
        }
    }

    /** Replaces the examples' Internet sources with loopback ones, because tests never leave the host. */
    private static void pointAtLoopback(PolicyZone zone, FeedServer feed) {
        PolicyZoneSource source = zone.getSpec().source;
        if (source.url != null) {
            assertThat(source.url.url).startsWith("https://");
            source.url.url = feed.url("/hostfile");
        }
        if (source.transfer != null) {
            assertThat(source.transfer.primaries).isNotEmpty();
            source.transfer.primaries = List.of("127.0.0.1:9");
        }
    }

    @Test
    void twoReplicasEnforceAndOneWritesStatus() throws Exception {
        PolicyZoneController first = bootstrap.controller();
        try (SecondReplica second = new SecondReplica(client, config, vertx, NAMESPACE, "second-replica")) {
            zones().resource(inline("shared", "shared.test CNAME .\n")).create();

            Awaitility.await().until(() -> rcode("shared.test.") == Rcode.NXDOMAIN);
            Awaitility.await().until(() -> second.store.current()
                    .matchQname(Name.fromString("shared.test.")) != null);
            Awaitility.await().until(() -> "2/2".equals(fetch("shared").getStatus() == null ? null
                    : fetch("shared").getStatus().replicas));
            assertThat(first.leader() ^ second.controller.leader()).as("exactly one replica writes status").isTrue();
            String holder = client.leases().inNamespace(NAMESPACE).withName(PolicyZoneController.LEADER_LEASE).get()
                    .getSpec().getHolderIdentity();
            assertThat(holder).isEqualTo(first.leader() ? podName() : "second-replica");

            zones().withName("shared").delete();

            Awaitility.await().until(() -> second.store.current().matchQname(Name.fromString("shared.test.")) == null);
            Awaitility.await().until(() -> rcode("shared.test.") == Rcode.NOERROR);
        }
    }

    /**
     * A zone loader whose {@code putRuntimeZone} blocks until the test releases it, so that a test can
     * inspect a replica while a PolicyZone's inline text is, as far as the replica can tell, still parsing.
     * Vetoed, because CDI would otherwise find a second bean of the loader's type in it.
     */
    @Vetoed
    static final class HeldReloader extends PolicyReloader {

        private final Semaphore arrived = new Semaphore(0);
        private volatile CountDownLatch gate = new CountDownLatch(0);

        void hold() {
            gate = new CountDownLatch(1);
        }

        void awaitHeldCall() throws InterruptedException {
            assertThat(arrived.tryAcquire(20, TimeUnit.SECONDS)).as("putRuntimeZone called").isTrue();
        }

        void release() {
            gate.countDown();
        }

        @Override
        public void putRuntimeZone(RuntimeZoneKey key, long generation, ZoneSpec spec) throws ZoneLoadException {
            arrived.release();
            try {
                gate.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while held", e);
            }
            super.putRuntimeZone(key, generation, spec);
        }
    }

    @Test
    void generationIsAppliedOnlyOnceEnforced() throws Exception {
        String namespace = "held";
        PolicyStore store = new PolicyStore();
        HeldReloader reloader = SecondReplica.startReloader(new HeldReloader(), config, vertx, store);
        PolicyZoneController replica = new PolicyZoneController(reloader, client, config.policy(), namespace,
                "held-replica", () -> { });
        replica.start();
        ExecutorService reconciler = Executors.newSingleThreadExecutor();
        var heldZones = zonesOperation().inNamespace(namespace);
        try {
            PolicyZone slow = inline("slow", "one.test CNAME .\n");
            slow.getMetadata().setNamespace(namespace);
            PolicyZone first = heldZones.resource(slow).create();

            reloader.hold();
            Future<?> applying = reconciler.submit(() -> replica.apply(first, name -> Optional.empty(),
                    name -> Optional.empty()));
            reloader.awaitHeldCall();
            assertThat(replica.applied(first)).as("generation 1 while it parses").isFalse();
            assertThat(replica.readyFor(first)).as("ready while nothing of the zone is in force").isFalse();
            assertThat(replica.enforced()).as("Lease report while generation 1 parses")
                    .doesNotContainKey("held/slow");
            reloader.release();
            applying.get(20, TimeUnit.SECONDS);
            assertThat(replica.applied(first)).as("generation 1 once parsed").isTrue();
            assertThat(replica.readyFor(first)).as("ready once generation 1 is in force").isTrue();
            assertThat(replica.enforced()).containsEntry("held/slow", 1L);
            assertThat(store.current().matchQname(Name.fromString("one.test."))).isNotNull();

            PolicyZone second = setRules(heldZones, "slow", "two.test CNAME .\n");
            assertThat(second.getMetadata().getGeneration()).isEqualTo(2L);
            reloader.hold();
            applying = reconciler.submit(() -> replica.apply(second, name -> Optional.empty(),
                    name -> Optional.empty()));
            reloader.awaitHeldCall();
            assertThat(replica.applied(second)).as("generation 2 while it parses").isFalse();
            assertThat(replica.readyFor(second)).as("ready while generation 1 answers").isTrue();
            PolicyZoneStatus loading = replica.status(second, List.of());
            assertThat(condition(withStatus(second, loading), "Ready").getStatus()).isEqualTo("False");
            assertThat(condition(withStatus(second, loading), "Ready").getReason()).isEqualTo("Loading");
            assertThat(condition(withStatus(second, loading), "Ready").getMessage())
                    .isEqualTo("generation 2 is loading; serial " + loading.serial + " of generation 1 stays in force");
            assertThat(loading.rules).as("rules of generation 1").isEqualTo(1);
            assertThat(replica.enforced()).as("generation 1 stays while generation 2 parses")
                    .containsEntry("held/slow", 1L);
            reloader.release();
            applying.get(20, TimeUnit.SECONDS);
            assertThat(replica.applied(second)).as("generation 2 once parsed").isTrue();
            assertThat(replica.enforced()).containsEntry("held/slow", 2L);
            assertThat(store.current().matchQname(Name.fromString("two.test."))).isNotNull();
            assertThat(store.current().matchQname(Name.fromString("one.test."))).isNull();

            PolicyZone third = setRules(heldZones, "slow", "three.test IN BOGUS x\n");
            reloader.hold();
            applying = reconciler.submit(() -> replica.apply(third, name -> Optional.empty(),
                    name -> Optional.empty()));
            reloader.awaitHeldCall();
            assertThat(replica.applied(third)).as("invalid generation 3 while it parses").isFalse();
            reloader.release();
            applying.get(20, TimeUnit.SECONDS);
            assertThat(replica.applied(third)).as("generation 3 failed, generation 2 stays").isTrue();
            assertThat(replica.failures().get("held/slow").reason()).isEqualTo("InvalidRules");
            assertThat(replica.enforced()).containsEntry("held/slow", 2L);
            assertThat(store.current().matchQname(Name.fromString("two.test."))).isNotNull();
        } finally {
            reloader.release();
            reconciler.shutdownNow();
            replica.stop();
            heldZones.delete();
        }
    }

    /** Returns this replica's pod name as the application worked it out (the host name, outside a pod). */
    private static String podName() throws IOException {
        String env = System.getenv("POD_NAME");
        return env != null ? env : InetAddress.getLocalHost().getHostName();
    }

    @Test
    void replicaReportsItsLease() {
        zones().resource(inline("reported", "r.test CNAME .\n")).create();

        Awaitility.await().until(() -> {
            List<Lease> leases = client.leases().inNamespace(NAMESPACE)
                    .withLabels(ReplicaLeases.LABELS).list().getItems().stream()
                    .filter(lease -> !lease.getMetadata().getName().endsWith("second-replica")).toList();
            return leases.size() == 1 && leases.get(0).getMetadata().getAnnotations()
                    .get(ReplicaLeases.ENFORCED_ANNOTATION).contains("\"test/reported\":1");
        });
        Lease lease = client.leases().inNamespace(NAMESPACE).withLabels(ReplicaLeases.LABELS).list().getItems().get(0);
        given().get("/q/health/ready").then().statusCode(200)
                .body(containsString("\"rpzgate-policyzones\""), containsString("\"operator\": \"running\""));
        assertThat(lease.getMetadata().getName()).startsWith("rpzgate-replica-");
        assertThat(client.leases().inNamespace(NAMESPACE).withName(PolicyZoneController.LEADER_LEASE).get())
                .isNotNull();
    }
}
