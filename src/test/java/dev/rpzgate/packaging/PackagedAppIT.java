package dev.rpzgate.packaging;

import static dev.rpzgate.testing.DnsTestClient.query;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;

import dev.rpzgate.testing.DnsTestClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusIntegrationTest;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Queries the packaged rpzgate as a separate process: the native executable under
 * {@code -Pnative}, the jar with {@code -DskipITs=false}, configured by the application.yaml that
 * the Helm chart renders. It covers what a native image can lose that the JVM tests cannot see
 * (class initialization, reflection, the epoll transport) and the chart's way of passing settings.
 */
@QuarkusIntegrationTest
@QuarkusTestResource(value = PackagedAppResource.class, restrictToAnnotatedClass = true)
class PackagedAppIT {

    private DnsTestClient client;

    @BeforeEach
    void connect() throws Exception {
        client = new DnsTestClient(PackagedAppResource.dnsPort());
    }

    @Test
    void readyOnceZonesLoaded() {
        given().when().get("/q/health/ready").then().statusCode(200).body(containsString("UP"));
    }

    @Test
    void blockedNameGetsNxdomainOverUdp() throws Exception {
        Message answer = client.udp(query("www.malware.example.", Type.A));

        assertThat(answer.getRcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(answer.getSection(Section.ANSWER)).isEmpty();
    }

    @Test
    void inlineListBlocksOverTcp() throws Exception {
        Message answer = client.tcp(query("blocked-inline.example.", Type.A));

        assertThat(answer.getRcode()).isEqualTo(Rcode.NXDOMAIN);
    }

    @Test
    void localDataAnswers() throws Exception {
        Message answer = client.udp(query("local.example.", Type.A));

        assertThat(answer.getRcode()).isEqualTo(Rcode.NOERROR);
        List<Record> records = answer.getSection(Section.ANSWER);
        assertThat(records).hasSize(1);
        assertThat(((ARecord) records.get(0)).getAddress().getHostAddress()).isEqualTo("192.0.2.10");
    }

    @Test
    void unlistedNameForwardedToUpstream() throws Exception {
        Message answer = client.udp(query("example.org.", Type.A));

        assertThat(answer.getRcode()).isEqualTo(Rcode.NOERROR);
        List<Record> records = answer.getSection(Section.ANSWER);
        assertThat(records).hasSize(1);
        assertThat(((ARecord) records.get(0)).getAddress().getHostAddress()).isEqualTo("192.0.2.1");
    }

    @Test
    void metricsCountQueries() throws Exception {
        client.udp(query("metrics-probe.example.", Type.A));

        given().when().get("/q/metrics").then().statusCode(200).body(containsString("rpzgate_queries_total{"));
    }
}
