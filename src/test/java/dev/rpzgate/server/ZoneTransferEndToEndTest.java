package dev.rpzgate.server;

import static dev.rpzgate.testing.DnsTestClient.query;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;

import dev.rpzgate.policy.PolicyStore;
import dev.rpzgate.source.PolicyReloader;
import dev.rpzgate.source.transfer.KnotPrimary;
import dev.rpzgate.testing.DnsTestClient;
import dev.rpzgate.testing.KnotPrimaryResource;
import dev.rpzgate.testing.UpstreamResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Runs rpzgate with a policy zone transferred with TSIG from a Knot DNS primary, changes the zone
 * on the primary and waits for the NOTIFY that knotd sends to rpzgate's DNS port to bring the
 * change into the answers.
 */
@QuarkusTest
@QuarkusTestResource(value = UpstreamResource.class, restrictToAnnotatedClass = true)
@QuarkusTestResource(value = KnotPrimaryResource.class, restrictToAnnotatedClass = true)
class ZoneTransferEndToEndTest {

    private static final Duration AWAIT = Duration.ofSeconds(20);
    private static final List<String> SECOND_RULES = List.of("bad.transfer.test CNAME .", "new.transfer.test CNAME .");

    @Inject
    DnsServer server;

    @Inject
    PolicyStore store;

    @Inject
    PolicyReloader reloader;

    @Test
    void transferredZoneFollowsPrimary() throws Exception {
        await().atMost(AWAIT).until(store::loaded);
        DnsTestClient client = new DnsTestClient(server.port());
        Message blocked = client.udp(query("bad.transfer.test.", Type.A));
        assertThat(blocked.getRcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(blocked.getSection(Section.ADDITIONAL)).hasSize(1);
        SOARecord soa = (SOARecord) blocked.getSection(Section.ADDITIONAL).get(0);
        assertThat(soa.getName()).isEqualTo(KnotPrimary.ZONE);
        assertThat(soa.getSerial()).isEqualTo(1);
        assertThat(rcode(client, "old.transfer.test.")).isEqualTo(Rcode.NXDOMAIN);
        assertThat(rcode(client, "new.transfer.test.")).isEqualTo(Rcode.NOERROR);
        given().get("/q/health/ready").then().statusCode(200);
        given().get("/q/metrics").then().statusCode(200)
                .body(containsString("rpzgate_policy_zone_expired{zone=\"rpz.test\"} 0.0"))
                .body(containsString("rpzgate_policy_zone_serial{zone=\"rpz.test\"} 1.0"))
                .body(containsString("rpzgate_policy_zone_rules{zone=\"rpz.test\"} 2.0"));

        KnotPrimary primary = KnotPrimaryResource.primary();
        primary.updateZone(2, SECOND_RULES);

        // No refresh timer fires within the test, so only knotd's NOTIFY can bring serial 2.
        try {
            await("new.transfer.test. blocked after knotd's NOTIFY").atMost(AWAIT)
                    .until(() -> rcode(client, "new.transfer.test.") == Rcode.NXDOMAIN);
        } catch (ConditionTimeoutException e) {
            throw new AssertionError(e.getMessage() + "; knotd log:\n" + primary.logTail(), e);
        }
        assertThat(rcode(client, "old.transfer.test.")).isEqualTo(Rcode.NOERROR);
        assertThat(rcode(client, "bad.transfer.test.")).isEqualTo(Rcode.NXDOMAIN);
        PolicyReloader.ZoneStatus status = reloader.status("rpz.test").orElseThrow();
        assertThat(status.loads()).isEqualTo(2);
        assertThat(status.failures()).isZero();
        assertThat(status.inForce().serial()).isEqualTo(2);
    }

    @Test
    void unsignedNotifyIsNotAuthorized() throws Exception {
        Message notify = new Message();
        notify.getHeader().setOpcode(Opcode.NOTIFY);
        notify.getHeader().setFlag(Flags.AA);
        notify.addRecord(Record.newRecord(KnotPrimary.ZONE, Type.SOA, DClass.IN), Section.QUESTION);

        Message answer = new DnsTestClient(server.port()).udp(notify);

        assertThat(answer.getHeader().getID()).isEqualTo(notify.getHeader().getID());
        assertThat(answer.getHeader().getOpcode()).isEqualTo(Opcode.NOTIFY);
        assertThat(answer.getRcode()).as("the zone requires TSIG").isEqualTo(Rcode.NOTAUTH);
    }

    private static int rcode(DnsTestClient client, String name) throws IOException {
        return client.udp(query(name, Type.A)).getRcode();
    }
}
