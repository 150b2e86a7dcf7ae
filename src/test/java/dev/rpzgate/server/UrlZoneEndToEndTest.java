package dev.rpzgate.server;

import static dev.rpzgate.testing.DnsTestClient.query;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;

import dev.rpzgate.policy.PolicyStore;
import dev.rpzgate.source.PolicyReloader;
import dev.rpzgate.testing.DnsTestClient;
import dev.rpzgate.testing.FeedResource;
import dev.rpzgate.testing.FeedServer;
import dev.rpzgate.testing.UpstreamResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/** Runs rpzgate with a hosts file served over HTTP that is unavailable at start-up. */
@QuarkusTest
@QuarkusTestResource(value = UpstreamResource.class, restrictToAnnotatedClass = true)
@QuarkusTestResource(value = FeedResource.class, restrictToAnnotatedClass = true)
class UrlZoneEndToEndTest {

    private static final Duration AWAIT = Duration.ofSeconds(15);
    private static final String HOSTS = "# test feed\n127.0.0.1 localhost\n0.0.0.0 bad.feed.test other.feed.test\n";

    @Inject
    DnsServer server;

    @Inject
    PolicyStore store;

    @Inject
    PolicyReloader reloader;

    @Test
    void notReadyUntilFeedLoads() throws Exception {
        FeedServer feed = FeedResource.feed();
        await().atMost(AWAIT).until(() -> reloader.status("feed").orElseThrow().failures() >= 1);
        assertThat(store.loaded()).isFalse();
        given().get("/q/health/ready").then().statusCode(503);
        assertThat(new DnsTestClient(server.port()).udp(query("unlisted.test.", Type.A)).getRcode())
                .as("fail-mode closed").isEqualTo(Rcode.SERVFAIL);

        feed.respond(FeedServer.Response.feed(HOSTS, "\"v1\""));

        await().atMost(AWAIT).until(store::loaded);
        given().get("/q/health/ready").then().statusCode(200);
        DnsTestClient client = new DnsTestClient(server.port());
        Message answer = client.udp(query("other.feed.test.", Type.A));
        assertThat(answer.getRcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(answer.getSection(Section.ADDITIONAL)).hasSize(1);
        SOARecord soa = (SOARecord) answer.getSection(Section.ADDITIONAL).get(0);
        CRC32 crc = new CRC32();
        crc.update(HOSTS.getBytes(StandardCharsets.UTF_8));
        assertThat(soa.getName().toString()).isEqualTo("feed.");
        assertThat(soa.getSerial()).isEqualTo(crc.getValue());
        assertThat(soa.getTTL()).isEqualTo(60);
        assertThat(client.udp(query("www.bad.feed.test.", Type.A)).getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(client.udp(query("localhost.", Type.A)).getRcode()).isEqualTo(Rcode.NOERROR);
        given().get("/q/metrics").then().statusCode(200)
                .body(containsString("rpzgate_policy_zone_rules{zone=\"feed\"} 2.0"))
                .body(containsString("rpzgate_policy_zone_loads_total{zone=\"feed\"} 1.0"));
        assertThat(reloader.status("feed").orElseThrow().lastSuccessSeconds()).isGreaterThan(0);
    }
}
