package dev.rpzgate.server;

import static dev.rpzgate.testing.DnsTestClient.query;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;

import dev.rpzgate.policy.PolicyStore;
import dev.rpzgate.source.PolicyReloader;
import dev.rpzgate.testing.DnsTestClient;
import dev.rpzgate.testing.UpstreamResource;
import dev.rpzgate.testing.ZoneFiles;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

/** Shrinks a guarded zone file past its max-removal share and confirms the held update through the admin API. */
@QuarkusTest
@TestProfile(RemovalGuardEndToEndTest.GuardedZone.class)
@QuarkusTestResource(value = UpstreamResource.class, restrictToAnnotatedClass = true)
class RemovalGuardEndToEndTest {

    private static final Duration AWAIT = Duration.ofSeconds(15);
    private static final Path DIRECTORY = ZoneFiles.createDirectory("rpzgate-guard-test");
    private static final Path ZONE_FILE = DIRECTORY.resolve("guarded.rpz");

    /** A zone of ten rules with the removal guard at 50 %. */
    public static class GuardedZone implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            ZoneFiles.write(ZONE_FILE, zone(1, 10));
            return Map.of("rpzgate.policy.zones[0].file", ZONE_FILE.toString(),
                    "rpzgate.policy.zones[0].removal-guard", "true",
                    "rpzgate.policy.zones[0].max-removal", "0.5",
                    "rpzgate.policy.cache-dir", DIRECTORY.resolve("cache").toString());
        }
    }

    @Inject
    DnsServer server;

    @Inject
    PolicyStore store;

    @Inject
    PolicyReloader reloader;

    @Test
    void largeRemovalIsHeldUntilConfirmed() throws Exception {
        DnsTestClient client = new DnsTestClient(server.port());
        assertThat(client.udp(query("name9.guard.test.", Type.A)).getRcode()).isEqualTo(Rcode.NXDOMAIN);

        ZoneFiles.replace(ZONE_FILE, zone(2, 9));
        await().atMost(AWAIT).until(() -> store.current().zones().get(0).serial() == 2);
        assertThat(client.udp(query("name9.guard.test.", Type.A)).getRcode())
                .as("removing 1 of 10 rules passes the guard").isEqualTo(Rcode.NOERROR);

        ZoneFiles.replace(ZONE_FILE, zone(3, 2));
        await().atMost(AWAIT).until(() -> reloader.heldSerial("guarded").isPresent());
        assertThat(reloader.heldSerial("guarded")).contains(3L);
        assertThat(store.current().zones().get(0).serial()).as("serial 2 stays in force").isEqualTo(2);
        assertThat(client.udp(query("name5.guard.test.", Type.A)).getRcode()).isEqualTo(Rcode.NXDOMAIN);
        given().get("/admin/zones").then().statusCode(200).body(containsString("\"heldSerial\" : 3"));

        given().post("/admin/zones/guarded/confirm").then().statusCode(200)
                .body(containsString("\"confirmedSerial\":3"));
        await().atMost(AWAIT).until(() -> store.current().zones().get(0).serial() == 3);
        assertThat(client.udp(query("name5.guard.test.", Type.A)).getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(reloader.heldSerial("guarded")).isEmpty();
        given().post("/admin/zones/guarded/confirm").then().statusCode(404);
    }

    /** Builds serial {@code serial} of the guarded zone with the rules name0 to name{count - 1}. */
    private static String zone(long serial, int count) {
        String[] names = new String[count];
        for (int i = 0; i < count; i++) {
            names[i] = "name" + i + ".guard.test";
        }
        return ZoneFiles.rpzZone(serial, names);
    }
}
