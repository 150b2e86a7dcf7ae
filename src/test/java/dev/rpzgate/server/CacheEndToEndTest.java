package dev.rpzgate.server;

import dev.rpzgate.cache.AnswerCache;
import dev.rpzgate.cache.CacheKey;
import dev.rpzgate.testing.DnsTestClient;
import dev.rpzgate.testing.ManualCacheClock;
import dev.rpzgate.testing.TestUpstream;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.ExtendedErrorCodeOption;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static dev.rpzgate.testing.DnsTestClient.ednsQuery;
import static dev.rpzgate.testing.DnsTestClient.query;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;

/**
 * Runs rpzgate with its answer cache on a manual clock, one counting test upstream and a policy
 * zone file that the tests edit, and checks what the clients get and what reaches the upstream.
 */
@QuarkusTest
@TestProfile(CacheEndToEndTest.ManualClock.class)
@QuarkusTestResource(value = CacheEndToEndTest.CountingUpstream.class, restrictToAnnotatedClass = true)
class CacheEndToEndTest {

    private static final Duration AWAIT = Duration.ofSeconds(15);
    private static final Path DIRECTORY = createDirectory();
    private static final Path ZONE_FILE = DIRECTORY.resolve("cache-test.rpz");
    private static final String BASE_RULES = """
            blocked.cache.test CNAME .
            garden.cache.test CNAME walled.example.
            stale-garden.cache.test CNAME stale-walled.example.
            """;

    /** The manual cache clock, a short upstream timeout and the zone file. */
    public static class ManualClock implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            try {
                Files.writeString(ZONE_FILE, zone(1, BASE_RULES));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return Map.of("rpzgate.policy.zones[0].file", ZONE_FILE.toString(),
                    "rpzgate.policy.cache-dir", DIRECTORY.resolve("zone-copies").toString());
        }

        @Override
        public Set<Class<?>> getEnabledAlternatives() {
            return Set.of(ManualCacheClock.class);
        }
    }

    /** One test upstream on 127.0.0.1 without wildcard answers, so that it can answer NXDOMAIN. */
    public static class CountingUpstream implements QuarkusTestResourceLifecycleManager {
        static volatile TestUpstream upstream;

        @Override
        public Map<String, String> start() {
            try {
                upstream = TestUpstream.start();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            upstream.add("""
                    example. 3600 IN SOA ns.example. hostmaster.example. 1 3600 600 86400 60
                    many.example. 300 IN A 192.0.2.10
                    ttl.example. 300 IN A 192.0.2.11
                    www.example. 300 IN A 192.0.2.12
                    slow.example. 300 IN A 192.0.2.13
                    stale.example. 300 IN A 192.0.2.14
                    pf.example. 300 IN A 192.0.2.15
                    flags.example. 300 IN A 192.0.2.16
                    rd.example. 300 IN A 192.0.2.17
                    respip.example. 300 IN A 198.51.100.7
                    walled.example. 300 IN A 192.0.2.200
                    stale-walled.example. 300 IN A 192.0.2.201
                    """);
            upstream.add("blocked.cache.test. 300 IN A 192.0.2.18");
            return Map.of("rpzgate.upstreams", upstream.address(),
                    "rpzgate.upstream.timeout", "300ms");
        }

        @Override
        public void stop() {
            if (upstream != null) {
                upstream.close();
            }
        }
    }

    @Inject
    DnsServer server;

    @Inject
    AnswerCache answerCache;

    @Inject
    ManualCacheClock clock;

    private DnsTestClient client;
    private TestUpstream upstream;

    private static Path createDirectory() {
        try {
            return Files.createTempDirectory("rpzgate-cache-test");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String zone(long serial, String rules) {
        return "$TTL 60\n@ SOA localhost. root.localhost. " + serial + " 3600 600 86400 60\n" + rules;
    }

    private static void saveZone(long serial, String rules) throws IOException {
        Path temp = DIRECTORY.resolve("cache-test.rpz.swp");
        Files.writeString(temp, zone(serial, rules));
        Files.move(temp, ZONE_FILE, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    @BeforeEach
    void setUp() {
        client = newClient(server.port());
        upstream = CountingUpstream.upstream;
    }

    private static DnsTestClient newClient(int port) {
        try {
            return new DnsTestClient(port);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @AfterEach
    void resetUpstream() {
        upstream.reset();
    }

    private static List<String> answerLines(Message answer) {
        List<String> lines = new ArrayList<>();
        for (Record record : answer.getSection(Section.ANSWER)) {
            lines.add(record.getName() + " " + record.getTTL() + " " + Type.string(record.getType()) + " "
                    + record.rdataToString());
        }
        return lines;
    }

    private static Integer ede(Message answer) {
        if (answer.getOPT() == null) {
            return null;
        }
        for (EDNSOption option : answer.getOPT().getOptions(EDNSOption.Code.EDNS_EXTENDED_ERROR)) {
            return ((ExtendedErrorCodeOption) option).getErrorCode();
        }
        return null;
    }

    private static List<Integer> edeCodes(Message answer) {
        List<Integer> codes = new ArrayList<>();
        if (answer.getOPT() != null) {
            for (EDNSOption option : answer.getOPT().getOptions(EDNSOption.Code.EDNS_EXTENDED_ERROR)) {
                codes.add(((ExtendedErrorCodeOption) option).getErrorCode());
            }
        }
        return codes;
    }

    @Test
    void manyClientsOneUpstreamQuery() throws Exception {
        for (int i = 0; i < 10; i++) {
            Message answer = client.udp(query("many.example.", Type.A));
            assertThat(answerLines(answer)).containsExactly("many.example. 300 A 192.0.2.10");
        }
        for (int i = 0; i < 5; i++) {
            Message answer = client.tcp(query("MANY.Example.", Type.A));
            // Name compression points the owner at the question, so it takes the client's case.
            assertThat(answerLines(answer)).containsExactly("MANY.Example. 300 A 192.0.2.10");
            assertThat(answer.getQuestion().getName().toString()).isEqualTo("MANY.Example.");
        }

        assertThat(upstream.countQueries("many.example.", Type.A)).isEqualTo(1);
    }

    @Test
    void answerIdFollowsEachQuery() throws Exception {
        client.udp(query("www.example.", Type.A));
        Message second = query("www.example.", Type.A);

        Message answer = client.udp(second);

        assertThat(answer.getHeader().getID()).isEqualTo(second.getHeader().getID());
        assertThat(answer.getHeader().getFlag(Flags.AA)).isFalse();
        assertThat(answer.getHeader().getFlag(Flags.RA)).isTrue();
    }

    @Test
    void ttlCountsDown() throws Exception {
        assertThat(answerLines(client.udp(query("ttl.example.", Type.A))))
                .containsExactly("ttl.example. 300 A 192.0.2.11");

        clock.advance(Duration.ofSeconds(100));

        assertThat(answerLines(client.udp(query("ttl.example.", Type.A))))
                .containsExactly("ttl.example. 200 A 192.0.2.11");
        assertThat(answerLines(client.tcp(query("ttl.example.", Type.A))))
                .containsExactly("ttl.example. 200 A 192.0.2.11");
        assertThat(upstream.countQueries("ttl.example.", Type.A)).isEqualTo(1);
    }

    @Test
    void nxdomainCachedForSoaMinimum() throws Exception {
        Message first = client.udp(query("gone.example.", Type.A));
        clock.advance(Duration.ofSeconds(20));
        Message second = client.udp(query("gone.example.", Type.A));

        assertThat(first.getRcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(second.getRcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(second.getSection(Section.AUTHORITY)).hasSize(1);
        assertThat(second.getSection(Section.AUTHORITY).get(0).getTTL()).as("SOA minimum 60, 20 s later").isEqualTo(40);
        assertThat(upstream.countQueries("gone.example.", Type.A)).isEqualTo(1);

        clock.advance(Duration.ofSeconds(40));
        assertThat(client.udp(query("gone.example.", Type.A)).getRcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(upstream.countQueries("gone.example.", Type.A)).isEqualTo(2);
    }

    @Test
    void nodataCachedForSoaMinimum() throws Exception {
        Message first = client.udp(query("www.example.", Type.MX));
        Message second = client.tcp(query("www.example.", Type.MX));

        assertThat(first.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(first.getSection(Section.ANSWER)).isEmpty();
        assertThat(second.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(second.getSection(Section.ANSWER)).isEmpty();
        assertThat(second.getSection(Section.AUTHORITY).get(0).getType()).isEqualTo(Type.SOA);
        assertThat(second.getSection(Section.AUTHORITY).get(0).getTTL()).isEqualTo(60);
        assertThat(upstream.countQueries("www.example.", Type.MX)).isEqualTo(1);
    }

    @Test
    void staleAnswerWhileUpstreamIsGone() throws Exception {
        client.udp(ednsQuery("stale.example.", Type.A, 1232, false));
        clock.advance(Duration.ofSeconds(400));
        upstream.drop();

        Message stale = client.udp(ednsQuery("stale.example.", Type.A, 1232, false));

        assertThat(stale.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(answerLines(stale)).containsExactly("stale.example. 30 A 192.0.2.14");
        assertThat(ede(stale)).isEqualTo(ExtendedErrorCodeOption.STALE_ANSWER);
        assertThat(upstream.countQueries("stale.example.", Type.A)).isEqualTo(2);

        Message withinRecheck = client.udp(ednsQuery("stale.example.", Type.A, 1232, false));
        assertThat(ede(withinRecheck)).isEqualTo(ExtendedErrorCodeOption.STALE_ANSWER);
        assertThat(upstream.countQueries("stale.example.", Type.A)).as("not asked again within 30 s").isEqualTo(2);

        upstream.reset();
        clock.advance(Duration.ofSeconds(30));
        Message fresh = client.udp(ednsQuery("stale.example.", Type.A, 1232, false));

        assertThat(answerLines(fresh)).containsExactly("stale.example. 300 A 192.0.2.14");
        assertThat(ede(fresh)).isNull();
        assertThat(upstream.countQueries("stale.example.", Type.A)).isEqualTo(1);
    }

    @Test
    void unknownNameGetsServfailWhileUpstreamIsGone() throws Exception {
        upstream.drop();

        Message answer = client.udp(query("never-cached.example.", Type.A));

        assertThat(answer.getRcode()).isEqualTo(Rcode.SERVFAIL);
    }

    @Test
    void parallelMissesShareOneUpstreamQuery() throws Exception {
        upstream.delay("slow.example.", Duration.ofMillis(200));
        ExecutorService clients = Executors.newFixedThreadPool(10);
        try {
            List<Callable<Message>> queries = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                queries.add(() -> client.udp(query("slow.example.", Type.A)));
            }
            for (Future<Message> answer : clients.invokeAll(queries)) {
                assertThat(answerLines(answer.get())).containsExactly("slow.example. 300 A 192.0.2.13");
            }
        } finally {
            clients.shutdownNow();
        }

        assertThat(upstream.countQueries("slow.example.", Type.A)).isEqualTo(1);
    }

    @Test
    void popularEntryPrefetchedBeforeExpiry() throws Exception {
        for (int i = 0; i < 4; i++) {
            client.udp(query("pf.example.", Type.A));
        }
        clock.advance(Duration.ofSeconds(271));

        Message nearExpiry = client.udp(query("pf.example.", Type.A));

        assertThat(answerLines(nearExpiry)).containsExactly("pf.example. 29 A 192.0.2.15");
        await().atMost(AWAIT).until(() -> upstream.countQueries("pf.example.", Type.A) == 2);
        await().atMost(AWAIT).until(() -> answerLines(client.udp(query("pf.example.", Type.A)))
                .equals(List.of("pf.example. 300 A 192.0.2.15")));
        assertThat(upstream.countQueries("pf.example.", Type.A)).isEqualTo(2);
    }

    @Test
    void dnssecOkAndCheckingDisabledCachedApart() throws Exception {
        Message checkingDisabled = query("flags.example.", Type.A);
        checkingDisabled.getHeader().setFlag(Flags.CD);
        for (int round = 0; round < 2; round++) {
            client.udp(query("flags.example.", Type.A));
            client.udp(ednsQuery("flags.example.", Type.A, 1232, true));
            client.udp(checkingDisabled);
        }

        List<TestUpstream.ReceivedQuery> received = upstream.receivedQueries();
        assertThat(received).hasSize(3);
        assertThat(received.get(0).message().getOPT().getFlags() & org.xbill.DNS.ExtendedFlags.DO).isZero();
        assertThat(received.get(1).message().getOPT().getFlags() & org.xbill.DNS.ExtendedFlags.DO).isNotZero();
        assertThat(received.get(2).message().getHeader().getFlag(Flags.CD)).isTrue();
    }

    @Test
    void recursionNotDesiredAnsweredFromCacheOnly() throws Exception {
        Message missQuery = query("rd.example.", Type.A);
        missQuery.getHeader().unsetFlag(Flags.RD);
        Message miss = client.udp(missQuery);
        assertThat(miss.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(miss.getSection(Section.ANSWER)).isEmpty();
        assertThat(upstream.countQueries()).isZero();

        client.udp(query("rd.example.", Type.A));
        Message hitQuery = query("rd.example.", Type.A);
        hitQuery.getHeader().unsetFlag(Flags.RD);
        Message hit = client.udp(hitQuery);

        assertThat(answerLines(hit)).containsExactly("rd.example. 300 A 192.0.2.17");
        assertThat(hit.getHeader().getFlag(Flags.RD)).isFalse();
        assertThat(upstream.countQueries()).isEqualTo(1);
    }

    @Test
    void cnameRewriteTargetComesFromCache() throws Exception {
        for (int i = 0; i < 3; i++) {
            Message answer = client.udp(query("garden.cache.test.", Type.A));
            assertThat(answerLines(answer)).containsExactly(
                    "garden.cache.test. 5 CNAME walled.example.", "walled.example. 300 A 192.0.2.200");
        }

        assertThat(upstream.countQueries("walled.example.", Type.A)).isEqualTo(1);
        assertThat(answerCache.get(new CacheKey(Name.fromConstantString("garden.cache.test."), Type.A, DClass.IN,
                false, false))).as("the rewritten answer is not cached").isNull();
    }

    @Test
    void cnameRewriteToStaleTargetCarriesStaleEde() throws Exception {
        Message fresh = client.udp(ednsQuery("stale-garden.cache.test.", Type.A, 1232, false));
        assertThat(answerLines(fresh)).containsExactly(
                "stale-garden.cache.test. 5 CNAME stale-walled.example.", "stale-walled.example. 300 A 192.0.2.201");
        assertThat(edeCodes(fresh)).isEmpty();
        clock.advance(Duration.ofSeconds(400));
        upstream.drop();

        Message stale = client.udp(ednsQuery("stale-garden.cache.test.", Type.A, 1232, false));

        assertThat(stale.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(answerLines(stale)).containsExactly(
                "stale-garden.cache.test. 5 CNAME stale-walled.example.", "stale-walled.example. 30 A 192.0.2.201");
        assertThat(edeCodes(stale)).containsExactly(ExtendedErrorCodeOption.STALE_ANSWER);
        assertThat(upstream.countQueries("stale-walled.example.", Type.A))
                .as("asked when fresh, then once more for the refresh that failed").isEqualTo(2);
    }

    @Test
    void ruleChangesApplyToCachedAnswers() throws Exception {
        assertThat(answerLines(client.udp(query("respip.example.", Type.A))))
                .containsExactly("respip.example. 300 A 198.51.100.7");
        assertThat(client.udp(query("blocked.cache.test.", Type.A)).getRcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(upstream.countQueries("blocked.cache.test.", Type.A)).isZero();

        saveZone(2, "garden.cache.test CNAME walled.example.\n32.7.100.51.198.rpz-ip CNAME .\n");
        await().atMost(AWAIT).until(() -> client.udp(query("respip.example.", Type.A)).getRcode() == Rcode.NXDOMAIN);
        assertThat(upstream.countQueries("respip.example.", Type.A))
                .as("the response-IP rule applies to the cached answer").isEqualTo(1);

        Message unblocked = client.udp(query("blocked.cache.test.", Type.A));
        assertThat(answerLines(unblocked)).as("the removed rule's NXDOMAIN was never cached")
                .containsExactly("blocked.cache.test. 300 A 192.0.2.18");
        assertThat(upstream.countQueries("blocked.cache.test.", Type.A)).isEqualTo(1);

        saveZone(3, BASE_RULES);
        await().atMost(AWAIT).until(() -> client.udp(query("respip.example.", Type.A)).getRcode() == Rcode.NOERROR);
        assertThat(answerLines(client.udp(query("respip.example.", Type.A))))
                .containsExactly("respip.example. 300 A 198.51.100.7");
        assertThat(upstream.countQueries("respip.example.", Type.A)).isEqualTo(1);
    }

    @Test
    void metricsCountCacheEvents() throws Exception {
        client.udp(query("www.example.", Type.A));
        client.udp(query("www.example.", Type.A));

        given().get("/q/metrics").then().statusCode(200)
                .body(containsString("rpzgate_cache_hits_total"))
                .body(containsString("rpzgate_cache_misses_total"))
                .body(containsString("rpzgate_cache_coalesced_total"))
                .body(containsString("rpzgate_cache_stale_answers_total"))
                .body(containsString("rpzgate_cache_prefetches_total"))
                .body(containsString("rpzgate_cache_evictions_total{reason=\"size\"}"))
                .body(containsString("rpzgate_cache_entries"));
        assertThat(answerCache.size()).isPositive();
    }
}
