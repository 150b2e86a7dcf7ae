package dev.rpzgate.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.rpzgate.observability.DnsMetrics;
import dev.rpzgate.policy.PolicyAction;
import dev.rpzgate.policy.PolicyMatch;
import dev.rpzgate.policy.PolicyStore;
import dev.rpzgate.policy.PolicyZone;
import dev.rpzgate.testing.FeedServer;
import dev.rpzgate.testing.FeedServer.Response;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Name;

/** Adds, replaces and removes zones at run time, as the PolicyZone operator does, without Kubernetes. */
class PolicyReloaderRuntimeZonesTest {

    private static final Duration AWAIT = Duration.ofSeconds(15);

    private static Vertx vertx;

    @TempDir
    Path cacheDir;

    private FeedServer feed;
    private PolicyReloader reloader;
    private PolicyStore store;
    private SimpleMeterRegistry registry;
    private final List<String> changed = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void startVertx() {
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stopVertx() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @BeforeEach
    void start() throws Exception {
        feed = FeedServer.start(vertx);
        store = new PolicyStore();
        reloader = new PolicyReloader();
        registry = new SimpleMeterRegistry();
        reloader.config = TestConfig.of(TestConfig.Policy.of(cacheDir.toString(),
                TestConfig.Zone.empty().withRules("a.example CNAME rpz-passthru.").withOrigin("configured")));
        reloader.vertx = vertx;
        reloader.store = store;
        reloader.registry = registry;
        reloader.dnsMetrics = new DnsMetrics(registry);
        reloader.start();
        reloader.setRuntimeZoneListener(changed::add);
    }

    @AfterEach
    void stop() throws Exception {
        reloader.onStop(null);
        feed.close();
    }

    private ZoneSpec rules(String origin, String text) {
        return ConfiguredZones.zone(TestConfig.Zone.empty().withRules(text).withOrigin(origin),
                reloader.config.policy(), "PolicyZone test/" + origin);
    }

    private ZoneSpec url(String origin, String path) {
        return ConfiguredZones.zone(TestConfig.Zone.url(feed.url(path)).withFormat("domains")
                .withRefresh(Duration.ofMillis(200)).withOrigin(origin), reloader.config.policy(),
                "PolicyZone test/" + origin);
    }

    private PolicyAction action(String name) {
        PolicyMatch match = store.current().matchQname(Name.fromConstantString(name));
        return match == null ? null : match.rule().action();
    }

    private List<String> zoneNames() {
        return store.current().zones().stream().map(zone -> zone.name().toString(true)).toList();
    }

    @Test
    void runtimeZonesFollowConfiguredByPriority() throws Exception {
        reloader.putRuntimeZone(new RuntimeZoneKey(50, "test", "late"), 1,
                rules("late", "a.example CNAME .\nc.example CNAME rpz-passthru."));
        reloader.putRuntimeZone(new RuntimeZoneKey(10, "test", "early"), 1, rules("early", "c.example CNAME ."));
        reloader.putRuntimeZone(new RuntimeZoneKey(10, "other", "tie"), 1, rules("tie", "d.example CNAME ."));

        assertThat(zoneNames()).containsExactly("configured", "tie", "early", "late");
        assertThat(action("a.example.")).as("configured zone first").isEqualTo(PolicyAction.PASSTHRU);
        assertThat(action("c.example.")).as("priority 10 before 50").isEqualTo(PolicyAction.NXDOMAIN);
        assertThat(changed).contains("test/late", "test/early", "other/tie");

        reloader.putRuntimeZone(new RuntimeZoneKey(5, "test", "late"), 2,
                rules("late", "a.example CNAME .\nc.example CNAME rpz-passthru."));

        assertThat(zoneNames()).containsExactly("configured", "late", "tie", "early");
        assertThat(action("c.example.")).as("moved before early").isEqualTo(PolicyAction.PASSTHRU);
        assertThat(reloader.runtimeStatus("test/late").orElseThrow().enforcedGeneration()).isEqualTo(2);
    }

    @Test
    void invalidRulesKeepPreviousGeneration() throws Exception {
        RuntimeZoneKey key = new RuntimeZoneKey(100, "test", "zone");
        reloader.putRuntimeZone(key, 1, rules("zone", "bad.example CNAME ."));

        assertThatThrownBy(() -> reloader.putRuntimeZone(key, 2, rules("zone", "bad.example CNAME .\nx IN BOGUS y")))
                .isInstanceOf(ZoneLoadException.class)
                .hasMessageContaining("line 2");

        PolicyReloader.RuntimeZoneStatus status = reloader.runtimeStatus("test/zone").orElseThrow();
        assertThat(status.enforcedGeneration()).isEqualTo(1);
        assertThat(action("bad.example.")).isEqualTo(PolicyAction.NXDOMAIN);
    }

    @Test
    void zoneNameInUseIsRejected() throws Exception {
        reloader.putRuntimeZone(new RuntimeZoneKey(100, "test", "one"), 1, rules("taken", "x.example CNAME ."));

        assertThatThrownBy(() -> reloader.putRuntimeZone(new RuntimeZoneKey(100, "test", "two"), 1,
                rules("taken", "y.example CNAME .")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("zone name taken is already used by PolicyZone test/one; set spec.origin to another name");
        assertThatThrownBy(() -> reloader.putRuntimeZone(new RuntimeZoneKey(100, "test", "three"), 1,
                rules("configured", "y.example CNAME .")))
                .hasMessageStartingWith("zone name configured is already used by rpzgate.policy.zones[0]");
        assertThat(zoneNames()).containsExactly("configured", "taken");
    }

    @Test
    void newUrlSourceKeepsPreviousUntilLoaded() throws Exception {
        RuntimeZoneKey key = new RuntimeZoneKey(100, "test", "feed");
        reloader.putRuntimeZone(key, 1, rules("feed", "old.example CNAME ."));
        feed.respond(Response.status(500));

        reloader.putRuntimeZone(key, 2, url("feed", "/list.txt"));

        await().atMost(AWAIT).until(() -> reloader.runtimeStatus("test/feed").orElseThrow().lastError() != null);
        PolicyReloader.RuntimeZoneStatus failing = reloader.runtimeStatus("test/feed").orElseThrow();
        assertThat(failing.generation()).isEqualTo(2);
        assertThat(failing.enforcedGeneration()).isEqualTo(1);
        assertThat(action("old.example.")).isEqualTo(PolicyAction.NXDOMAIN);

        feed.respond(Response.feed("new.example\n", "\"v1\""));

        await().atMost(AWAIT).until(() -> action("new.example.") == PolicyAction.NXDOMAIN);
        assertThat(action("old.example.")).isNull();
        assertThat(reloader.runtimeStatus("test/feed").orElseThrow().enforcedGeneration()).isEqualTo(2);
    }

    @Test
    void unloadedRuntimeZoneDoesNotBlockPolicy() throws Exception {
        feed.respond(Response.status(500));

        reloader.putRuntimeZone(new RuntimeZoneKey(100, "test", "down"), 1, url("down", "/down.txt"));

        await().atMost(AWAIT).until(() -> reloader.runtimeStatus("test/down").orElseThrow().lastError() != null);
        assertThat(store.loaded()).isTrue();
        assertThat(zoneNames()).containsExactly("configured");
        assertThat(reloader.runtimeStatus("test/down").orElseThrow().inForce()).isNull();
    }

    @Test
    void removeTakesRulesOut() throws Exception {
        reloader.putRuntimeZone(new RuntimeZoneKey(100, "test", "gone"), 1, rules("gone", "x.example CNAME ."));
        assertThat(action("x.example.")).isEqualTo(PolicyAction.NXDOMAIN);

        assertThat(reloader.removeRuntimeZone("test/gone")).isTrue();

        assertThat(action("x.example.")).isNull();
        assertThat(reloader.runtimeStatus("test/gone")).isEmpty();
        assertThat(reloader.removeRuntimeZone("test/gone")).isFalse();
        PolicyZone configured = store.current().zones().get(0);
        assertThat(configured.name().toString(true)).isEqualTo("configured");
    }

    @Test
    void replacedZoneKeepsCountingLoads() throws Exception {
        RuntimeZoneKey key = new RuntimeZoneKey(100, "test", "counted");
        reloader.putRuntimeZone(key, 1, rules("counted", "x.example CNAME ."));
        reloader.putRuntimeZone(key, 2, rules("counted", "y.example CNAME ."));

        // A new meter for the replacement would be ignored by the registry, which keeps the first one.
        assertThat(registry.get("rpzgate_policy_zone_loads").tag("zone", "counted").functionCounter().count())
                .isEqualTo(2.0);
        assertThat(registry.get("rpzgate_policy_zone_last_success_seconds").tag("zone", "counted").gauge().value())
                .isPositive();
    }

    @Test
    void removeDropsZoneMeters() throws Exception {
        RuntimeZoneKey key = new RuntimeZoneKey(100, "test", "metered");
        reloader.putRuntimeZone(key, 1, rules("metered", "x.example CNAME ."));
        assertThat(registry.find("rpzgate_policy_zone_loads").tag("zone", "metered").functionCounter()).isNotNull();

        reloader.removeRuntimeZone("test/metered");

        assertThat(registry.find("rpzgate_policy_zone_loads").tag("zone", "metered").functionCounter()).isNull();
        assertThat(registry.find("rpzgate_policy_zone_last_success_seconds").tag("zone", "metered").gauge()).isNull();

        reloader.putRuntimeZone(key, 2, rules("metered", "y.example CNAME ."));

        assertThat(registry.get("rpzgate_policy_zone_loads").tag("zone", "metered").functionCounter().count())
                .as("the zone added again counts in new meters").isEqualTo(1.0);
    }
}
