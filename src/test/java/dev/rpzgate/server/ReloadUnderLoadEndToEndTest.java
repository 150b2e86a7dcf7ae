package dev.rpzgate.server;

import static dev.rpzgate.testing.DnsTestClient.query;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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
import java.io.UncheckedIOException;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

/**
 * Keeps UDP queries flowing from several client threads while a zone of 200,000 names is
 * reloaded again and again, and checks every answer: none may be missing, SERVFAIL or wrong.
 */
@QuarkusTest
@TestProfile(ReloadUnderLoadEndToEndTest.LargeZone.class)
@QuarkusTestResource(value = UpstreamResource.class, restrictToAnnotatedClass = true)
class ReloadUnderLoadEndToEndTest {

    private static final int NAMES = 200_000;
    private static final int RELOADS = 5;
    private static final int CLIENTS = 3;
    /** Upper bound on the queries of one client, so the test ends even if reloads stall. */
    private static final int MAX_QUERIES_PER_CLIENT = 50_000;
    private static final Duration AWAIT = Duration.ofSeconds(60);
    private static final Path DIRECTORY = ZoneFiles.createDirectory("rpzgate-load-test");
    private static final Path ZONE_FILE = DIRECTORY.resolve("large.txt");

    /** A domain list of 200,000 generated names. */
    public static class LargeZone implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            writeList(ZONE_FILE, 0);
            return Map.of("rpzgate.policy.zones[0].file", ZONE_FILE.toString(),
                    "rpzgate.policy.zones[0].format", "domains");
        }
    }

    @Inject
    DnsServer server;

    @Inject
    PolicyStore store;

    @Inject
    PolicyReloader reloader;

    /** Writes the 200,000 listed names and one marker name for {@code version}, replacing the file by rename. */
    private static void writeList(Path file, int version) {
        ZoneFiles.replace(file, out -> {
            out.write("# generated list, version " + version + "\n");
            for (int i = 0; i < NAMES; i++) {
                out.write("n" + i + ".load.test\n");
            }
            out.write("v" + version + ".marker.test\n");
        });
    }

    /** Answers seen by the clients, by outcome. */
    private static final class Tally {
        final AtomicLong sent = new AtomicLong();
        final AtomicLong expected = new AtomicLong();
        final AtomicLong lost = new AtomicLong();
        final AtomicLong servfail = new AtomicLong();
        final AtomicLong wrong = new AtomicLong();
    }

    @Test
    void queriesSurviveRepeatedReloads() throws Exception {
        assertThat(reloader.status("large").orElseThrow().inForce().qnameRuleCount()).isEqualTo(NAMES + 1);
        Tally tally = new Tally();
        AtomicBoolean done = new AtomicBoolean();
        List<Thread> clients = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            int client = c;
            Thread thread = new Thread(() -> sendQueries(client, done, tally), "load-client-" + c);
            thread.start();
            clients.add(thread);
        }

        for (int version = 1; version <= RELOADS; version++) {
            long sentBefore = tally.sent.get();
            writeList(ZONE_FILE, version);
            long loads = version + 1;
            await().atMost(AWAIT).until(() -> reloader.status("large").orElseThrow().loads() == loads);
            Name marker = Name.fromConstantString("v" + version + ".marker.test.");
            assertThat(store.current().matchQname(marker)).as("version %d in force", version).isNotNull();
            await().atMost(AWAIT).until(() -> tally.sent.get() > sentBefore + 100);
        }
        done.set(true);
        for (Thread thread : clients) {
            thread.join(AWAIT.toMillis());
        }

        assertThat(tally.sent.get()).isGreaterThan(RELOADS * 100L);
        assertThat(tally.lost.get()).as("queries without an answer").isZero();
        assertThat(tally.servfail.get()).as("SERVFAIL answers").isZero();
        assertThat(tally.wrong.get()).as("answers with the wrong rcode").isZero();
        assertThat(tally.expected.get()).isEqualTo(tally.sent.get());
        assertThat(reloader.status("large").orElseThrow().failures()).isZero();
    }

    /** Alternates a listed name (NXDOMAIN) and an unlisted one (forwarded, NOERROR) until {@code done}. */
    private void sendQueries(int client, AtomicBoolean done, Tally tally) {
        DnsTestClient dns;
        try {
            dns = new DnsTestClient(server.port());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (int i = 0; i < MAX_QUERIES_PER_CLIENT && !done.get(); i++) {
            boolean listed = i % 2 == 0;
            String name = listed ? "n" + ((i * 7919L + client) % NAMES) + ".load.test." : "u" + i + ".c" + client + ".other.test.";
            tally.sent.incrementAndGet();
            Message answer;
            try {
                answer = dns.udp(query(name, Type.A));
            } catch (SocketTimeoutException e) {
                tally.lost.incrementAndGet();
                continue;
            } catch (IOException e) {
                tally.lost.incrementAndGet();
                continue;
            }
            int rcode = answer.getRcode();
            if (rcode == Rcode.SERVFAIL) {
                tally.servfail.incrementAndGet();
            } else if (rcode == (listed ? Rcode.NXDOMAIN : Rcode.NOERROR)) {
                tally.expected.incrementAndGet();
            } else {
                tally.wrong.incrementAndGet();
            }
        }
    }
}
