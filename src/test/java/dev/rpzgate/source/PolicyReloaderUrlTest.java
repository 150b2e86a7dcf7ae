package dev.rpzgate.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rpzgate.observability.DnsMetrics;
import dev.rpzgate.policy.PolicyAction;
import dev.rpzgate.policy.PolicyMatch;
import dev.rpzgate.policy.PolicySet;
import dev.rpzgate.policy.PolicyStore;
import dev.rpzgate.testing.FeedServer;
import dev.rpzgate.testing.FeedServer.Response;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PfxOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Name;

/**
 * Runs {@link PolicyReloader} against a feed served over HTTP on 127.0.0.1, without the rest of
 * rpzgate: first download, conditional GET, update, failures and a restart from the local copy.
 */
class PolicyReloaderUrlTest {

    private static final Duration AWAIT = Duration.ofSeconds(15);
    private static final Duration REFRESH = Duration.ofMillis(200);
    private static final String LAST_MODIFIED = "Tue, 01 Dec 2026 10:00:00 GMT";

    private static Vertx vertx;

    @TempDir
    Path cacheDir;

    private FeedServer feed;
    private final List<PolicyReloader> reloaders = new ArrayList<>();

    @BeforeAll
    static void startVertx() {
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stopVertx() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @BeforeEach
    void startFeed() throws Exception {
        feed = FeedServer.start(vertx);
    }

    @AfterEach
    void stop() throws Exception {
        reloaders.forEach(reloader -> reloader.onStop(null));
        feed.close();
    }

    private TestConfig.Zone listZone() {
        return TestConfig.Zone.url(feed.url("/blocklist.txt")).withFormat("domains").withRefresh(REFRESH);
    }

    /** Starts a reloader for {@code zones} with its own store and metrics, as a fresh rpzgate process would. */
    private PolicyReloader start(PolicyStore store, TestConfig.Zone... zones) throws ZoneLoadException {
        PolicyReloader reloader = new PolicyReloader();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        reloader.config = TestConfig.of(TestConfig.Policy.of(cacheDir.toString(), zones));
        reloader.vertx = vertx;
        reloader.store = store;
        reloader.registry = registry;
        reloader.dnsMetrics = new DnsMetrics(registry);
        reloaders.add(reloader);
        reloader.start();
        return reloader;
    }

    private static PolicyReloader.ZoneStatus status(PolicyReloader reloader) {
        return reloader.status("blocklist").orElseThrow();
    }

    private static boolean blocks(PolicyStore store, String name) {
        PolicyMatch match = store.current().matchQname(Name.fromConstantString(name));
        return match != null && match.rule().action() == PolicyAction.NXDOMAIN;
    }

    @Test
    void firstDownloadThenConditionalGet() throws Exception {
        feed.respond(new Response(200, "bad.example\n", "\"v1\"", LAST_MODIFIED, false, false));
        PolicyStore store = new PolicyStore();
        PolicyReloader reloader = start(store, listZone());

        await().atMost(AWAIT).until(store::loaded);
        assertThat(blocks(store, "bad.example.")).isTrue();
        assertThat(blocks(store, "good.example.")).isFalse();
        assertThat(feed.requests().get(0).get("If-None-Match")).as("first request is unconditional").isNull();

        await().atMost(AWAIT).until(() -> feed.conditionalRequests("\"v1\"") >= 3);
        assertThat(feed.requests().get(1).get("If-Modified-Since")).isEqualTo(LAST_MODIFIED);
        assertThat(status(reloader).loads()).as("a 304 is not parsed again").isEqualTo(1);
        assertThat(status(reloader).failures()).isZero();
        assertThat(status(reloader).lastSuccessSeconds()).isGreaterThan(0);
        assertThat(blocks(store, "bad.example.")).isTrue();
    }

    @Test
    void changedFeedReplacesRules() throws Exception {
        feed.respond(Response.feed("bad.example\n", "\"v1\""));
        PolicyStore store = new PolicyStore();
        PolicyReloader reloader = start(store, listZone());
        await().atMost(AWAIT).until(() -> blocks(store, "bad.example."));
        long serialBefore = store.current().zones().get(0).serial();

        feed.respond(Response.feed("worse.example\n", "\"v2\""));

        await().atMost(AWAIT).until(() -> blocks(store, "worse.example."));
        assertThat(blocks(store, "bad.example.")).isFalse();
        assertThat(status(reloader).loads()).isEqualTo(2);
        assertThat(store.current().zones().get(0).serial()).isNotEqualTo(serialBefore);
        ZoneCache.Copy copy = new ZoneCache(cacheDir).find("blocklist", feed.url("/blocklist.txt")).orElseThrow();
        assertThat(Files.readString(copy.text())).isEqualTo("worse.example\n");
        assertThat(copy.validators().etag()).isEqualTo("\"v2\"");
    }

    @Test
    void failuresKeepLastGoodZone() throws Exception {
        feed.respond(Response.feed("bad.example\n", "\"v1\""));
        PolicyStore store = new PolicyStore();
        PolicyReloader reloader = start(store, listZone());
        await().atMost(AWAIT).until(() -> blocks(store, "bad.example."));

        feed.respond(Response.status(500));
        await().atMost(AWAIT).until(() -> status(reloader).failures() >= 1);
        assertThat(status(reloader).lastError()).contains("HTTP 500");
        assertThat(blocks(store, "bad.example.")).isTrue();

        long failuresBefore = status(reloader).failures();
        feed.close();
        await().atMost(AWAIT).until(() -> status(reloader).failures() > failuresBefore
                && status(reloader).lastError().contains("Connection refused"));
        assertThat(blocks(store, "bad.example.")).isTrue();
        assertThat(store.loaded()).isTrue();
        assertThat(status(reloader).loads()).isEqualTo(1);
    }

    @Test
    void restartUsesLocalCopyWhileServerDown() throws Exception {
        feed.respond(Response.feed("bad.example\n", "\"v1\""));
        PolicyReloader first = start(new PolicyStore(), listZone());
        await().atMost(AWAIT).until(() -> status(first).loads() == 1);
        first.onStop(null);
        feed.close();

        PolicyStore store = new PolicyStore();
        PolicyReloader second = start(store, listZone());

        assertThat(store.loaded()).as("loaded from the local copy during start()").isTrue();
        assertThat(blocks(store, "bad.example.")).isTrue();
        assertThat(status(second).loads()).isEqualTo(1);
        assertThat(status(second).lastSuccessSeconds()).as("a local copy is no success of the source").isZero();
        await().atMost(AWAIT).until(() -> status(second).failures() >= 1);
        assertThat(blocks(store, "bad.example.")).isTrue();
    }

    @Test
    void notLoadedUntilFirstDownload() throws Exception {
        feed.respond(Response.status(503));
        PolicyStore store = new PolicyStore();
        TestConfig.Zone inline = TestConfig.Zone.empty().withRules("inline.example CNAME .").withOrigin("inline");
        PolicyReloader reloader = start(store, inline, listZone());

        assertThat(store.loaded()).isFalse();
        assertThat(store.current()).isSameAs(PolicySet.EMPTY);
        assertThat(store.loadedZones().zones()).hasSize(1);
        await().atMost(AWAIT).until(() -> status(reloader).failures() >= 2);
        assertThat(store.loaded()).isFalse();

        feed.respond(Response.feed("bad.example\n", "\"v1\""));
        await().atMost(AWAIT).until(store::loaded);
        assertThat(blocks(store, "inline.example.")).isTrue();
        assertThat(blocks(store, "bad.example.")).isTrue();
    }

    @Test
    void bodyPastMaxSizeFails() throws Exception {
        String body = "x.example\n".repeat(100);
        for (boolean chunked : new boolean[] {false, true}) {
            feed.respond(new Response(200, body, null, null, chunked, false));
            PolicyStore store = new PolicyStore();
            PolicyReloader reloader = start(store, listZone().withMaxSize(64));

            await().atMost(AWAIT).until(() -> status(reloader).failures() >= 1);
            assertThat(status(reloader).lastError()).as("chunked " + chunked).contains("larger than max-size 64 bytes");
            assertThat(store.loaded()).isFalse();
            reloader.onStop(null);
        }
    }

    @Test
    void silentServerTimesOut() throws Exception {
        feed.respond(Response.silence());
        PolicyStore store = new PolicyStore();
        PolicyReloader reloader = start(store, listZone().withTimeout(Duration.ofMillis(300)));

        await().atMost(AWAIT).until(() -> status(reloader).failures() >= 1);
        assertThat(status(reloader).lastError()).contains("no complete response within 300 ms");
        assertThat(store.loaded()).isFalse();
    }

    @Test
    void rpzFeedMayNotInclude() throws Exception {
        feed.respond(Response.feed("ok.example CNAME .\n$INCLUDE /etc/hostname\n", "\"v1\""));
        PolicyStore store = new PolicyStore();
        PolicyReloader reloader = start(store, TestConfig.Zone.url(feed.url("/blocklist.rpz")).withRefresh(REFRESH));

        await().atMost(AWAIT).until(() -> status(reloader).failures() >= 1);
        assertThat(status(reloader).lastError()).isEqualTo("policy zone " + feed.url("/blocklist.rpz")
                + " line 2: $INCLUDE is not allowed in a zone that is not read from a local file");
        assertThat(store.loaded()).isFalse();
    }

    @Test
    void untrustedCertificateFails(@TempDir Path keys) throws Exception {
        // keytool ships with the JDK; Vert.x cannot make a self-signed certificate on Java 17
        // without Bouncy Castle.
        Path keystore = keys.resolve("server.p12");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-keystore", keystore.toString(), "-storetype", "PKCS12", "-storepass", "changeit",
                "-alias", "feed", "-keyalg", "EC", "-dname", "CN=127.0.0.1", "-ext", "SAN=IP:127.0.0.1",
                "-validity", "2").redirectErrorStream(true).start();
        assertThat(keytool.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(keytool.exitValue()).as(new String(keytool.getInputStream().readAllBytes())).isZero();
        HttpServer https = vertx.createHttpServer(new HttpServerOptions().setSsl(true)
                        .setKeyCertOptions(new PfxOptions().setPath(keystore.toString()).setPassword("changeit")))
                .requestHandler(request -> request.response().end("bad.example\n"))
                .listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        try {
            PolicyStore store = new PolicyStore();
            String url = "https://127.0.0.1:" + https.actualPort() + "/blocklist.txt";
            PolicyReloader reloader = start(store, TestConfig.Zone.url(url).withFormat("domains").withRefresh(REFRESH));

            await().atMost(AWAIT).until(() -> status(reloader).failures() >= 1);
            assertThat(status(reloader).lastError()).startsWith("download from " + url + " failed: SSLHandshakeException");
            assertThat(status(reloader).lastError()).contains("unable to find valid certification path");
            assertThat(store.loaded()).isFalse();
        } finally {
            https.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }
}
