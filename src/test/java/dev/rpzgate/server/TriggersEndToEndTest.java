package dev.rpzgate.server;

import dev.rpzgate.testing.DnsTestClient;
import dev.rpzgate.observability.PolicyHitLog;
import dev.rpzgate.testing.HitLogCapture;
import dev.rpzgate.testing.UpstreamResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;

import static dev.rpzgate.testing.DnsAssertions.assertEmptyPolicyAnswer;
import static dev.rpzgate.testing.DnsTestClient.query;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;

/** Runs rpzgate with client-IP, response-IP, NSDNAME and NSIP rules and asks it over loopback. */
@QuarkusTest
@TestProfile(TriggersEndToEndTest.Triggers.class)
@QuarkusTestResource(value = UpstreamResource.class, restrictToAnnotatedClass = true)
class TriggersEndToEndTest {

    /** Loads the trigger zone alone. */
    public static class Triggers implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("rpzgate.policy.files", "src/test/resources/zones/triggers-policy.zone");
        }
    }

    @Inject
    DnsServer server;

    @Inject
    PolicyHitLog policyHitLog;

    private DnsTestClient client;

    @BeforeEach
    void setUp() throws IOException {
        client = new DnsTestClient(server.port());
        UpstreamResource.primary().reset();
    }

    @Test
    void clientIpRuleBlocksEveryName() throws Exception {
        Message answer = client.udpFrom(InetAddress.getByName("127.0.0.2"), query("anything.allowed.test.", Type.A));

        assertThat(answer.getRcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(UpstreamResource.primary().countQueries()).isZero();
    }

    @Test
    void otherClientIsNotBlocked() throws Exception {
        Message answer = client.udp(query("anything.allowed.test.", Type.A));

        assertThat(answer.getRcode()).isEqualTo(Rcode.NOERROR);
    }

    @Test
    void clientIpRuleBeatsQnameRuleInSameZone() throws Exception {
        Message fromExempt = client.udpFrom(InetAddress.getByName("127.0.0.3"), query("blocked.trig.test.", Type.A));
        Message fromOther = client.udp(query("blocked.trig.test.", Type.A));

        assertThat(fromExempt.getRcode()).as("client-IP PASSTHRU").isEqualTo(Rcode.NOERROR);
        assertThat(fromExempt.getSection(Section.ANSWER)).hasSize(1);
        assertThat(fromOther.getRcode()).as("QNAME NXDOMAIN").isEqualTo(Rcode.NXDOMAIN);
    }

    @Test
    void responseIpRuleRewritesIpv4Answer() throws Exception {
        Message answer = client.udp(query("respip.example.", Type.A));

        assertEmptyPolicyAnswer(answer, Rcode.NXDOMAIN);
    }

    @Test
    void responseIpRuleRewritesIpv6Answer() throws Exception {
        Message answer = client.udp(query("respip.example.", Type.AAAA));

        assertThat(answer.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(answer.getSection(Section.ANSWER)).isEmpty();
    }

    @Test
    void responseIpRuleAppliesBehindCname() throws Exception {
        Message answer = client.udp(query("cloak.example.", Type.A));

        List<Record> records = answer.getSection(Section.ANSWER);
        assertThat(records).hasSize(2);
        assertThat(records.get(0).getType()).isEqualTo(Type.CNAME);
        assertThat(records.get(0).rdataToString()).isEqualTo("tracker.bad.example.");
        assertThat(records.get(1).getName().toString()).isEqualTo("tracker.bad.example.");
        assertThat(records.get(1).rdataToString()).isEqualTo("192.0.2.99");
        assertThat(records.get(1).getTTL()).isEqualTo(5);
    }

    @Test
    void nsdnameRuleBlocksZoneServedByListedServer() throws Exception {
        Message answer = client.udp(query("www.evilzone.example.", Type.A));

        assertThat(answer.getRcode()).isEqualTo(Rcode.NXDOMAIN);
    }

    @Test
    void nsipRuleBlocksZoneServedFromListedAddress() throws Exception {
        Message answer = client.udp(query("host.badns.example.", Type.A));

        assertThat(answer.getRcode()).as("NSIP NODATA").isEqualTo(Rcode.NOERROR);
        assertThat(answer.getSection(Section.ANSWER)).isEmpty();
    }

    @Test
    void nameServerLookupsAreCached() throws Exception {
        // One source port, so SO_REUSEPORT hands both queries to the same event loop and its cache.
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0))) {
            socket.setSoTimeout(5000);
            client.send(socket, query("cached.evilzone.example.", Type.A).toWire());
            assertThat(new Message(DnsTestClient.receive(socket)).getRcode()).isEqualTo(Rcode.NXDOMAIN);
            int first = UpstreamResource.primary().countQueries("evilzone.example.", Type.NS);
            client.send(socket, query("cached.evilzone.example.", Type.A).toWire());
            assertThat(new Message(DnsTestClient.receive(socket)).getRcode()).isEqualTo(Rcode.NXDOMAIN);
            int second = UpstreamResource.primary().countQueries("evilzone.example.", Type.NS);

            assertThat(first).as("asked once, or found in the cache of an earlier test").isLessThanOrEqualTo(1);
            assertThat(second).as("the second query finds the servers in the cache").isEqualTo(first);
        }
        given().get("/q/metrics").then()
                .body(containsString("rpzgate_nameserver_lookups_total{source=\"cache\"}"));
    }

    @Test
    void hitLogNamesTriggerType() throws Exception {
        HitLogCapture capture = HitLogCapture.start(policyHitLog);
        client.udp(query("respip.example.", Type.A));
        List<String> lines = capture.lines();

        assertThat(lines).hasSize(1);
        assertThat(lines.get(0)).contains("\"trigger\":\"response-ip\"",
                "\"rule\":\"24.0.100.51.198.rpz-ip.triggers-policy.\"", "\"action\":\"nxdomain\"");
    }
}
