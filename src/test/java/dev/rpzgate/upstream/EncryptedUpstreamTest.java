package dev.rpzgate.upstream;

import dev.rpzgate.testing.EncryptedTestUpstream;
import dev.rpzgate.testing.TestCertificate;
import dev.rpzgate.testing.TestUpstream;
import io.vertx.core.http.HttpVersion;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static dev.rpzgate.upstream.ResolverHarness.settings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class EncryptedUpstreamTest {

    private static final String TLS_NAME = "dns.example";

    @TempDir
    Path dir;

    private final List<AutoCloseable> resources = new ArrayList<>();
    private TestUpstream upstream;
    private EncryptedTestUpstream server;
    private TestCertificate certificate;

    @BeforeEach
    void startServer() throws Exception {
        upstream = TestUpstream.start();
        upstream.answerAnyName("192.0.2.1", null, 300);
        resources.add(upstream);
        certificate = TestCertificate.generate(dir, TLS_NAME, "127.0.0.1");
        server = EncryptedTestUpstream.start(upstream, certificate);
        resources.add(server);
    }

    @AfterEach
    void closeResources() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    /**
     * The timeout per try is long because the first TLS connection of a JVM loads the trust store
     * and the TLS classes, which took seconds on a busy test machine. A rejected certificate must
     * show as a handshake failure, not as a timeout.
     */
    private ResolverHarness resolver(Path caFile, Duration idleTimeout, String... upstreams) throws Exception {
        ResolverHarness harness = ResolverHarness.of(Selection.SEQUENTIAL,
                ResolverHarness.withTls(settings(Duration.ofSeconds(8), Duration.ofSeconds(8)), caFile, idleTimeout),
                upstreams);
        resources.add(harness);
        return harness;
    }

    private String tls(String name) {
        return "tls://127.0.0.1:" + server.tlsPort() + (name == null ? "" : "#" + name);
    }

    private String https(String name) {
        return "https://127.0.0.1:" + server.httpsPort() + "/dns-query" + (name == null ? "" : "#" + name);
    }

    private static String address(Message answer) {
        return ((ARecord) answer.getSection(Section.ANSWER).get(0)).getAddress().getHostAddress();
    }

    @Test
    void tlsAnswersAndReusesOneConnection() throws Exception {
        ResolverHarness resolver = resolver(certificate.certificateFile(), Duration.ofSeconds(30), tls(TLS_NAME));

        for (int i = 0; i < 5; i++) {
            assertThat(address(resolver.resolve("n" + i + ".example."))).isEqualTo("192.0.2.1");
        }

        assertThat(upstream.countQueries(TestUpstream.Transport.TLS)).isEqualTo(5);
        assertThat(server.tlsConnections()).isEqualTo(1);
    }

    @Test
    void tlsCertificateIsCheckedAgainstIpWithoutName() throws Exception {
        ResolverHarness resolver = resolver(certificate.certificateFile(), Duration.ofSeconds(30), tls(null));

        assertThat(address(resolver.resolve("www.example."))).isEqualTo("192.0.2.1");
    }

    @Test
    void tlsPipelinesAndAcceptsOutOfOrderAnswers() throws Exception {
        upstream.delay("slow.example.", Duration.ofMillis(1500));
        ResolverHarness resolver = resolver(certificate.certificateFile(), Duration.ofSeconds(30), tls(TLS_NAME));
        resolver.resolve("warm.example.");

        CompletableFuture<Message> slow = resolver.start("slow.example.");
        await().atMost(Duration.ofSeconds(5)).until(() -> upstream.countQueries("slow.example.", Type.A) == 1);
        Message fast = resolver.resolve("fast.example.");

        assertThat(slow).as("the fast answer overtook the slow one on the same connection").isNotDone();
        assertThat(address(fast)).isEqualTo("192.0.2.1");
        assertThat(address(slow.get())).isEqualTo("192.0.2.1");
        assertThat(server.tlsConnections()).isEqualTo(1);
    }

    @Test
    void tlsReconnectsAfterServerClosesConnection() throws Exception {
        ResolverHarness resolver = resolver(certificate.certificateFile(), Duration.ofSeconds(30), tls(TLS_NAME));
        resolver.resolve("first.example.");
        int before = server.tlsConnections();

        server.closeTlsConnections();

        assertThat(address(resolver.resolve("second.example."))).isEqualTo("192.0.2.1");
        assertThat(server.tlsConnections()).isEqualTo(before + 1);
    }

    @Test
    void tlsIdleConnectionIsClosedAndReopened() throws Exception {
        ResolverHarness resolver = resolver(certificate.certificateFile(), Duration.ofMillis(200), tls(TLS_NAME));
        resolver.resolve("first.example.");
        int before = server.tlsConnections();

        await().atMost(Duration.ofSeconds(5)).until(() -> server.openTlsConnections() == 0);

        assertThat(address(resolver.resolve("second.example."))).isEqualTo("192.0.2.1");
        assertThat(server.tlsConnections()).isEqualTo(before + 1);
    }

    @Test
    void tlsUntrustedCertificateIsRejected() throws Exception {
        ResolverHarness resolver = resolver(null, Duration.ofSeconds(30), tls(TLS_NAME));

        UpstreamFailedException failure = resolver.failure("www.example.");

        assertThat(failure).isNotNull();
        assertThat(failure.reason()).isEqualTo(UpstreamFailedException.Reason.FAILED);
        assertThat(failure.getMessage()).contains("TLS connection failed", "certification path");
        assertThat(upstream.countQueries()).isZero();
    }

    @Test
    void tlsWrongNameIsRejected() throws Exception {
        ResolverHarness resolver = resolver(certificate.certificateFile(), Duration.ofSeconds(30),
                tls("other.example"));

        UpstreamFailedException failure = resolver.failure("www.example.");

        assertThat(failure).isNotNull();
        assertThat(failure.getMessage()).contains("No subject alternative DNS name matching other.example");
        assertThat(upstream.countQueries()).isZero();
    }

    @Test
    void tlsGarbageFailsOverToNextUpstream() throws Exception {
        TestUpstream plain = TestUpstream.start();
        resources.add(plain);
        plain.answerAnyName("192.0.2.2", null, 300);
        upstream.garbage();
        ResolverHarness resolver = resolver(certificate.certificateFile(), Duration.ofSeconds(30), tls(TLS_NAME),
                plain.address());

        assertThat(address(resolver.resolve("www.example."))).isEqualTo("192.0.2.2");
        assertThat(upstream.countQueries(TestUpstream.Transport.TLS)).isEqualTo(1);
    }

    @Test
    void httpsAnswersOverHttp2OnOneConnection() throws Exception {
        ResolverHarness resolver = resolver(certificate.certificateFile(), Duration.ofSeconds(30), https(TLS_NAME));

        for (int i = 0; i < 5; i++) {
            assertThat(address(resolver.resolve("n" + i + ".example."))).isEqualTo("192.0.2.1");
        }

        assertThat(upstream.countQueries(TestUpstream.Transport.HTTPS)).isEqualTo(5);
        assertThat(server.httpsConnections()).isEqualTo(1);
        assertThat(server.httpVersions()).containsExactly(HttpVersion.HTTP_2);
        assertThat(upstream.receivedQueries()).allSatisfy(query ->
                assertThat(query.message().getHeader().getID()).as("RFC 8484 asks for ID 0").isZero());
    }

    @Test
    void connectionsOpenBeforeFirstQuery() throws Exception {
        resolver(certificate.certificateFile(), Duration.ofSeconds(30), tls(TLS_NAME), https(TLS_NAME));

        await().atMost(Duration.ofSeconds(10)).until(() -> server.tlsConnections() == 1
                && server.httpsConnections() == 1);
        assertThat(upstream.countQueries()).as("warming up sends no query").isZero();
    }

    @Test
    void httpsUntrustedCertificateIsRejected() throws Exception {
        ResolverHarness resolver = resolver(null, Duration.ofSeconds(30), https(TLS_NAME));

        UpstreamFailedException failure = resolver.failure("www.example.");

        assertThat(failure).isNotNull();
        assertThat(failure.getMessage()).contains("certification path");
        assertThat(upstream.countQueries()).isZero();
    }

    @Test
    void httpsWrongNameIsRejected() throws Exception {
        ResolverHarness resolver = resolver(certificate.certificateFile(), Duration.ofSeconds(30),
                https("other.example"));

        UpstreamFailedException failure = resolver.failure("www.example.");

        assertThat(failure).isNotNull();
        assertThat(failure.getMessage()).contains("No subject alternative DNS name matching other.example");
        assertThat(upstream.countQueries()).isZero();
    }

    @Test
    void httpsSilentServerTimesOut() throws Exception {
        upstream.drop();
        ResolverHarness harness = ResolverHarness.of(Selection.SEQUENTIAL,
                ResolverHarness.withTls(settings(Duration.ofMillis(300), Duration.ofMillis(300)),
                        certificate.certificateFile(), Duration.ofSeconds(30)), https(TLS_NAME));
        resources.add(harness);

        UpstreamFailedException failure = harness.failure("www.example.");

        assertThat(failure).isNotNull();
        assertThat(failure.reason()).isEqualTo(UpstreamFailedException.Reason.TIMED_OUT);
        assertThat(upstream.countQueries(TestUpstream.Transport.HTTPS)).isEqualTo(1);
    }
}
