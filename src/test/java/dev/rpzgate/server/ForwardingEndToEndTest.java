package dev.rpzgate.server;

import dev.rpzgate.testing.DnsTestClient;
import dev.rpzgate.testing.EncryptedTestUpstream;
import dev.rpzgate.testing.TestCertificate;
import dev.rpzgate.testing.TestUpstream;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static dev.rpzgate.testing.DnsTestClient.query;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;

/**
 * Runs rpzgate with forward zones from configuration: {@code cluster.local} to its own plain DNS
 * upstream, {@code corp.example} over DNS over TLS and {@code doh.example} over DNS over HTTPS, both
 * with a certificate trusted through {@code rpzgate.upstream.tls.ca-file}.
 */
@QuarkusTest
@TestProfile(ForwardingEndToEndTest.Profile.class)
@QuarkusTestResource(value = ForwardingEndToEndTest.Upstreams.class, restrictToAnnotatedClass = true)
class ForwardingEndToEndTest {

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            // The policy file is written by Upstreams, with a rule inside a forward zone.
            return Map.of();
        }
    }

    /** The default, cluster and encrypted upstreams, each answering every name with its own address. */
    public static class Upstreams implements QuarkusTestResourceLifecycleManager {
        static TestUpstream fallback;
        static TestUpstream cluster;
        static TestUpstream encrypted;
        static EncryptedTestUpstream frontEnd;
        private Path directory;

        @Override
        public Map<String, String> start() {
            try {
                fallback = TestUpstream.start().answerAnyName("192.0.2.1", null, 300);
                cluster = TestUpstream.start().answerAnyName("192.0.2.50", null, 300);
                encrypted = TestUpstream.start().answerAnyName("192.0.2.60", null, 300);
                directory = Files.createTempDirectory("rpzgate-forwarding");
                TestCertificate certificate = TestCertificate.generate(directory, "dns.example", "127.0.0.1");
                frontEnd = EncryptedTestUpstream.start(encrypted, certificate);
                Path policy = directory.resolve("forward-policy.zone");
                Files.writeString(policy, String.join("\n",
                        "$TTL 300",
                        "@ SOA localhost. hostmaster.localhost. 1 3600 600 86400 60",
                        "  NS localhost.",
                        "blocked.corp.example CNAME .",
                        ""));
                Map<String, String> config = new HashMap<>();
                config.put("rpzgate.policy.files", policy.toString());
                config.put("rpzgate.upstreams", fallback.address());
                config.put("rpzgate.upstream.tls.ca-file", certificate.certificateFile().toString());
                config.put("rpzgate.forward-zones[0].name", "cluster.local");
                config.put("rpzgate.forward-zones[0].upstreams", cluster.address());
                config.put("rpzgate.forward-zones[0].selection", "random");
                config.put("rpzgate.forward-zones[1].name", "corp.example");
                config.put("rpzgate.forward-zones[1].upstreams", "tls://127.0.0.1:" + frontEnd.tlsPort() + "#dns.example");
                config.put("rpzgate.forward-zones[2].name", "doh.example");
                config.put("rpzgate.forward-zones[2].upstreams",
                        "https://127.0.0.1:" + frontEnd.httpsPort() + "/dns-query#dns.example");
                return config;
            } catch (Exception e) {
                throw new IllegalStateException("cannot start the test upstreams", e);
            }
        }

        @Override
        public void stop() {
            try {
                frontEnd.close();
            } catch (Exception e) {
                throw new IllegalStateException("cannot stop the DNS over TLS and HTTPS front ends", e);
            }
            encrypted.close();
            cluster.close();
            fallback.close();
        }
    }

    @Inject
    DnsServer server;

    private DnsTestClient client;

    @BeforeEach
    void setUp() throws IOException {
        client = new DnsTestClient(server.port());
    }

    private static String address(Message answer) {
        assertThat(answer.getRcode()).isEqualTo(Rcode.NOERROR);
        return ((ARecord) answer.getSection(Section.ANSWER).get(0)).getAddress().getHostAddress();
    }

    @Test
    void forwardZoneGoesToItsOwnUpstream() throws Exception {
        assertThat(address(client.udp(query("kube-dns.kube-system.svc.cluster.local.", Type.A))))
                .isEqualTo("192.0.2.50");
        assertThat(address(client.udp(query("www.example.org.", Type.A)))).isEqualTo("192.0.2.1");
        assertThat(Upstreams.cluster.countQueries("kube-dns.kube-system.svc.cluster.local.", Type.A)).isEqualTo(1);
        assertThat(Upstreams.fallback.countQueries("kube-dns.kube-system.svc.cluster.local.", Type.A)).isZero();
    }

    @Test
    void tlsForwardZoneAnswersOverOneConnectionPerLoop() throws Exception {
        for (int i = 0; i < 10; i++) {
            assertThat(address(client.udp(query("host" + i + ".corp.example.", Type.A)))).isEqualTo("192.0.2.60");
        }

        assertThat(Upstreams.encrypted.countQueries(TestUpstream.Transport.TLS)).isGreaterThanOrEqualTo(10);
        // Each event loop keeps its own connection, so there are at most as many as loops.
        assertThat(Upstreams.frontEnd.tlsConnections())
                .isBetween(1, Runtime.getRuntime().availableProcessors());
    }

    @Test
    void httpsForwardZoneAnswers() throws Exception {
        assertThat(address(client.tcp(query("www.doh.example.", Type.A)))).isEqualTo("192.0.2.60");
        assertThat(Upstreams.encrypted.countQueries("www.doh.example.", Type.A, TestUpstream.Transport.HTTPS))
                .isEqualTo(1);
    }

    @Test
    void policyAppliesInForwardZones() throws Exception {
        Message answer = client.udp(query("blocked.corp.example.", Type.A));

        assertThat(answer.getRcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(Upstreams.encrypted.countQueries("blocked.corp.example.", Type.A))
                .as("a QNAME rule answers before the zone's upstream is asked").isZero();
    }

    @Test
    void metricsShowUpstreamHealthAndLatency() throws Exception {
        client.udp(query("metrics.cluster.local.", Type.A));

        given().get("/q/metrics").then().statusCode(200)
                .body(containsString("rpzgate_upstream_up{upstream=\"" + Upstreams.cluster.address()
                        + "\",zone=\"cluster.local.\"} 1.0"))
                .body(containsString("rpzgate_upstream_latency_seconds_bucket{upstream=\""
                        + Upstreams.cluster.address() + "\",zone=\"cluster.local.\",le="))
                .body(containsString("rpzgate_upstream_queries_total{upstream=\"" + Upstreams.cluster.address()
                        + "\",zone=\"cluster.local.\"}"));
    }
}
