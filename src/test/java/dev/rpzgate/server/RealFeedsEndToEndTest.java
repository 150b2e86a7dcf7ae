package dev.rpzgate.server;

import dev.rpzgate.policy.PolicyStore;
import dev.rpzgate.policy.PolicyZone;
import dev.rpzgate.testing.DnsTestClient;
import dev.rpzgate.testing.SharedData;
import dev.rpzgate.testing.TestUpstream;
import dev.rpzgate.testing.UpstreamResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import static dev.rpzgate.testing.DnsTestClient.query;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Runs rpzgate with three published feeds, in this order: URLhaus (exact NXDOMAIN rules), HaGeZi
 * fake (exact and wildcard pairs) and HaGeZi TIF IPs (every record misencoded), and asks it for
 * names from the feeds and from the Moz top 500 list.
 */
@QuarkusTest
@TestProfile(RealFeedsEndToEndTest.Feeds.class)
@QuarkusTestResource(value = UpstreamResource.class, restrictToAnnotatedClass = true)
class RealFeedsEndToEndTest {

    /** Points rpzgate at the feeds in the shared data directory. */
    public static class Feeds implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            Path data = SharedData.find();
            if (data == null) {
                return Map.of(); // every test then stops at its assumption
            }
            Path feeds = data.resolve("feeds");
            return Map.of("rpzgate.policy.files", String.join(",",
                    feeds.resolve("urlhaus-filter-rpz.conf").toString(),
                    feeds.resolve("hagezi-rpz-fake.txt").toString(),
                    feeds.resolve("hagezi-rpz-tif-ips.txt").toString()));
        }
    }

    @Inject
    DnsServer server;

    @Inject
    PolicyStore policyStore;

    private DnsTestClient client;
    private TestUpstream upstream;

    @BeforeEach
    void setUp() throws IOException {
        assumeTrue(SharedData.find() != null,
                "no shared/data/feeds found above the working directory: set -Dshared.data=/path/to/shared/data");
        client = new DnsTestClient(server.port());
        upstream = UpstreamResource.primary();
        upstream.reset();
    }

    @Test
    void urlhausNamesAreBlocked() throws Exception {
        for (String name : List.of("0022a601.pphost.net.", "activity-cha53sp.duckdns.org.")) {
            assertBlocked(name, "urlhaus-filter-rpz.");
        }
        List<String> names = feedNames(feed("urlhaus-filter-rpz.conf"), false);
        assertThat(names).hasSize(2689);
        for (int i = 0; i < names.size(); i += 269) {
            assertBlocked(names.get(i), "urlhaus-filter-rpz.");
        }
        assertThat(upstream.countQueries()).isZero();
    }

    @Test
    void hageziNamesAndSubdomainsAreBlocked() throws Exception {
        List<String> names = feedNames(feed("hagezi-rpz-fake.txt"), false);
        assertThat(names).hasSize(13721);
        for (int i = 0; i < names.size(); i += 1372) {
            assertBlocked(names.get(i), "hagezi-rpz-fake.");
            assertBlocked("www." + names.get(i), "hagezi-rpz-fake.");
        }
    }

    @Test
    void topSitesNotListedAreForwarded() throws Exception {
        Set<String> listed = new HashSet<>(feedNames(feed("urlhaus-filter-rpz.conf"), false));
        listed.addAll(feedNames(feed("hagezi-rpz-fake.txt"), false));
        List<String> sites = Files.readAllLines(SharedData.find().resolve("queries").resolve("moz-top-500.txt"));
        int forwarded = 0;
        for (String site : sites.subList(0, 100)) {
            String name = site.trim().toLowerCase(Locale.ROOT) + ".";
            if (site.isBlank() || listed.contains(name) || !isName(name)) {
                continue;
            }
            Message answer = client.udp(query(name, Type.A));
            assertThat(answer.getRcode()).as(name).isEqualTo(Rcode.NOERROR);
            assertThat(answer.getSection(Section.ANSWER)).as(name).hasSize(1);
            forwarded++;
        }
        assertThat(forwarded).isGreaterThan(90);
        assertThat(upstream.countQueries()).isEqualTo(forwarded);
    }

    @Test
    void misencodedIpRulesAreSkippedAndCounted() {
        PolicyZone ips = policyStore.current().zones().get(2);

        assertThat(ips.name().toString()).isEqualTo("hagezi-rpz-tif-ips.");
        assertThat(ips.serial()).isEqualTo(1765015260L);
        assertThat(ips.ruleCount()).isZero();
        assertThat(ips.skippedCount()).isEqualTo(44531);
        assertThat(ips.skipped()).as("the records kept with their reasons").hasSize(100);
        given().get("/q/metrics").then().statusCode(200)
                .body(containsString("rpzgate_policy_zone_skipped_records{zone=\"hagezi-rpz-tif-ips\"} 44531.0"))
                .body(containsString("rpzgate_policy_zone_rules{zone=\"urlhaus-filter-rpz\"} 2689.0"));
    }

    private void assertBlocked(String name, String zone) throws IOException {
        Message answer = client.udp(query(name, Type.A));
        assertThat(answer.getRcode()).as(name).isEqualTo(Rcode.NXDOMAIN);
        assertThat(answer.getSection(Section.ADDITIONAL)).as(name).hasSize(1);
        assertThat(answer.getSection(Section.ADDITIONAL).get(0).getName()).as(name).isEqualTo(Name.fromString(zone));
    }

    private static Path feed(String file) {
        return SharedData.find().resolve("feeds").resolve(file);
    }

    /** Reads the owners of the {@code name CNAME .} lines of a feed, wildcards left out. */
    private static List<String> feedNames(Path file, boolean wildcards) throws IOException {
        return Files.readAllLines(file).stream()
                .map(String::trim)
                .filter(line -> line.matches("\\S+\\s+CNAME\\s+\\.$"))
                .map(line -> line.split("\\s+")[0].toLowerCase(Locale.ROOT))
                .filter(owner -> wildcards || !owner.startsWith("*."))
                .map(owner -> owner + ".")
                .toList();
    }

    private static boolean isName(String text) {
        try {
            Name.fromString(text);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
