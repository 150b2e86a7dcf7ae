package dev.rpzgate.server;

import static dev.rpzgate.testing.DnsTestClient.query;
import static dev.rpzgate.testing.ZoneFiles.replace;
import static dev.rpzgate.testing.ZoneFiles.rpzZone;
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
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/** Runs rpzgate with a zone file in a temporary directory, edits the file and asks DNS questions about the change. */
@QuarkusTest
@TestProfile(FileReloadEndToEndTest.WatchedZone.class)
@QuarkusTestResource(value = UpstreamResource.class, restrictToAnnotatedClass = true)
class FileReloadEndToEndTest {

    private static final Duration AWAIT = Duration.ofSeconds(15);
    private static final Path DIRECTORY = ZoneFiles.createDirectory("rpzgate-reload-test");
    private static final Path ZONE_FILE = DIRECTORY.resolve("watched.rpz");

    /** One zone file, written before rpzgate starts. */
    public static class WatchedZone implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            ZoneFiles.write(ZONE_FILE, rpzZone(1, "old.reload.test"));
            return Map.of("rpzgate.policy.zones[0].file", ZONE_FILE.toString(),
                    "rpzgate.policy.cache-dir", DIRECTORY.resolve("cache").toString());
        }
    }

    @Inject
    DnsServer server;

    @Inject
    PolicyStore store;

    @Inject
    PolicyReloader reloader;

    private int rcode(DnsTestClient client, String name) throws IOException {
        return client.udp(query(name, Type.A)).getRcode();
    }

    private PolicyReloader.ZoneStatus status() {
        return reloader.status("watched").orElseThrow();
    }

    @Test
    void editedZoneChangesAnswers() throws Exception {
        DnsTestClient client = new DnsTestClient(server.port());
        assertThat(rcode(client, "old.reload.test.")).isEqualTo(Rcode.NXDOMAIN);
        assertThat(rcode(client, "new.reload.test.")).isEqualTo(Rcode.NOERROR);

        replace(ZONE_FILE, rpzZone(2, "old.reload.test", "new.reload.test"));

        await().atMost(AWAIT).until(() -> store.current().matchQname(Name.fromConstantString("new.reload.test.")) != null);
        Message answer = client.udp(query("new.reload.test.", Type.A));
        assertThat(answer.getRcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(answer.getSection(Section.ADDITIONAL)).hasSize(1);
        assertThat(answer.getSection(Section.ADDITIONAL).get(0).rdataToString())
                .isEqualTo("localhost. root.localhost. 2 3600 600 86400 60");
        assertThat(status().loads()).isEqualTo(2);

        replace(ZONE_FILE, rpzZone(3, "new.reload.test") + "broken.reload.test CNAMEX .\n");

        await().atMost(AWAIT).until(() -> status().failures() == 1);
        assertThat(status().lastError()).isEqualTo("policy zone file " + ZONE_FILE + " line 4: Invalid type 'CNAMEX'");
        assertThat(rcode(client, "new.reload.test.")).isEqualTo(Rcode.NXDOMAIN);
        assertThat(rcode(client, "old.reload.test.")).as("the last good zone stays in force").isEqualTo(Rcode.NXDOMAIN);
        assertThat(store.current().zones().get(0).serial()).isEqualTo(2);
        given().get("/q/metrics").then().statusCode(200)
                .body(containsString("rpzgate_policy_zone_load_failures_total{zone=\"watched\"} 1.0"))
                .body(containsString("rpzgate_policy_zone_loads_total{zone=\"watched\"} 2.0"))
                .body(containsString("rpzgate_policy_zone_serial{zone=\"watched\"} 2.0"));

        replace(ZONE_FILE, rpzZone(4, "new.reload.test"));

        await().atMost(AWAIT).until(() -> rcode(client, "old.reload.test.") == Rcode.NOERROR);
        assertThat(rcode(client, "new.reload.test.")).isEqualTo(Rcode.NXDOMAIN);
        assertThat(status().loads()).isEqualTo(3);
    }
}
