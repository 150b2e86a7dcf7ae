package dev.rpzgate.source;

import static dev.rpzgate.source.TestZones.SETTINGS;
import static dev.rpzgate.source.TestZones.lineOf;
import static dev.rpzgate.source.TestZones.readLines;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.rpzgate.policy.PolicyAction;
import dev.rpzgate.policy.PolicyMatch;
import dev.rpzgate.policy.PolicyRule;
import dev.rpzgate.policy.PolicySet;
import dev.rpzgate.policy.PolicyZone;
import dev.rpzgate.policy.SkippedRecord;
import dev.rpzgate.testing.SharedData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Name;
import org.xbill.DNS.TextParseException;

/**
 * Loads the published feeds kept outside the repository. The data directory is the system
 * property {@code shared.data}, else the first {@code shared/data} found walking up from
 * the working directory. Without either, the tests are skipped.
 */
class RealFeedsTest {

    /** One {@code name CNAME .} line of a feed, as the reference parser reads it. */
    private static final Pattern NXDOMAIN_LINE = Pattern.compile("^(\\S+)\\s+CNAME\\s+\\.\\s*$");

    private static Path feeds;
    private static Path queries;
    private static PolicyZone urlhaus;
    private static PolicyZone fake;

    @BeforeAll
    static void loadFeeds() throws ZoneLoadException {
        Path data = SharedData.find();
        assumeTrue(data != null,
                "no shared/data/feeds found: set -Dshared.data=/path/to/shared/data to run the feed tests");
        feeds = data.resolve("feeds");
        queries = data.resolve("queries");
        urlhaus = RpzZoneFileLoader.load(feeds.resolve("urlhaus-filter-rpz.conf"), null, SETTINGS);
        fake = RpzZoneFileLoader.load(feeds.resolve("hagezi-rpz-fake.txt"), null, SETTINGS);
    }

    private static Name name(String text) {
        try {
            return Name.fromString(text, Name.root);
        } catch (TextParseException e) {
            throw new IllegalArgumentException(text, e);
        }
    }

    private static boolean isValidName(String text) {
        try {
            Name.fromString(text, Name.root);
            return true;
        } catch (TextParseException e) {
            return false;
        }
    }

    /**
     * Reference matcher built from the feed text alone: exact names and {@code *.} suffixes of
     * every {@code name CNAME .} line, compared in lowercase.
     */
    private record ReferenceFeed(Set<String> exact, Set<String> wildcardSuffixes, int records) {

        static ReferenceFeed parse(Path file) {
            Set<String> exact = new HashSet<>();
            Set<String> suffixes = new HashSet<>();
            int records = 0;
            for (String line : readLines(file)) {
                Matcher matcher = NXDOMAIN_LINE.matcher(line);
                if (!matcher.matches()) {
                    continue;
                }
                records++;
                String owner = matcher.group(1).toLowerCase(Locale.ROOT);
                if (owner.startsWith("*.")) {
                    suffixes.add(owner.substring(2));
                } else {
                    exact.add(owner);
                }
            }
            return new ReferenceFeed(exact, suffixes, records);
        }

        boolean matches(String query) {
            String lower = query.toLowerCase(Locale.ROOT);
            if (exact.contains(lower)) {
                return true;
            }
            for (int dot = lower.indexOf('.'); dot >= 0; dot = lower.indexOf('.', dot + 1)) {
                if (wildcardSuffixes.contains(lower.substring(dot + 1))) {
                    return true;
                }
            }
            return false;
        }
    }

    private static List<String> matchedBy(PolicyZone zone, List<String> names) {
        List<String> matched = new ArrayList<>();
        for (String query : names) {
            if (zone.matchQname(name(query)) != null) {
                matched.add(query);
            }
        }
        return matched;
    }

    private static List<String> matchedBy(ReferenceFeed reference, List<String> names) {
        return names.stream().filter(reference::matches).toList();
    }

    /** Returns every 53rd name of the feed as listed, with a subdomain and a parent of each. */
    private static List<String> sampleQueries(ReferenceFeed reference) {
        List<String> listed = new ArrayList<>(reference.exact());
        listed.addAll(reference.wildcardSuffixes());
        listed.sort(null);
        List<String> sample = new ArrayList<>();
        for (int i = 0; i < listed.size(); i += 53) {
            String listedName = listed.get(i);
            sample.add(listedName);
            sample.add("www." + listedName);
            sample.add(listedName.substring(listedName.indexOf('.') + 1));
        }
        return sample;
    }

    @Test
    void urlhausLoadsEveryRule() {
        ReferenceFeed reference = ReferenceFeed.parse(feeds.resolve("urlhaus-filter-rpz.conf"));

        assertThat(urlhaus.name()).isEqualTo(name("urlhaus-filter-rpz."));
        assertThat(urlhaus.serial()).isEqualTo(1752927088L);
        assertThat(urlhaus.skipped()).isEmpty();
        assertThat(urlhaus.ruleCount()).isEqualTo(2689).isEqualTo(reference.records());
    }

    @Test
    void urlhausBlocksListedNames() {
        for (String listed : List.of("0022a601.pphost.net", "1.izumisv1.cc", "1337smvids.xyz",
                "038d159d-b3bc-44dd-a0c4-bec68c0c4123.random.bb2023.duckdns.org")) {
            PolicyRule rule = urlhaus.matchQname(name(listed));
            assertThat(rule).as("rule for %s", listed).isNotNull();
            assertThat(rule.action()).isEqualTo(PolicyAction.NXDOMAIN);
            assertThat(rule.owner()).isEqualTo(name(listed + ".urlhaus-filter-rpz"));
        }
        // The feed lists exact names only, so neither subdomains nor parents match.
        assertThat(urlhaus.matchQname(name("www.0022a601.pphost.net"))).isNull();
        assertThat(urlhaus.matchQname(name("pphost.net"))).isNull();
    }

    @Test
    void fakeLoadsEveryRule() {
        ReferenceFeed reference = ReferenceFeed.parse(feeds.resolve("hagezi-rpz-fake.txt"));

        assertThat(fake.name()).isEqualTo(name("hagezi-rpz-fake."));
        assertThat(fake.serial()).isEqualTo(1765013400L);
        assertThat(fake.skipped()).isEmpty();
        assertThat(fake.ruleCount()).isEqualTo(27442).isEqualTo(reference.records());
        assertThat(reference.wildcardSuffixes()).hasSize(13721);
    }

    @Test
    void fakeBlocksNamesAndSubdomains() {
        for (String listed : List.of("degussa-goldhandel.ac", "prosperi.academy", "investir-dans-l-or.site.sitekick.ai")) {
            PolicyRule exact = fake.matchQname(name(listed));
            assertThat(exact).as("rule for %s", listed).isNotNull();
            assertThat(exact.wildcard()).isFalse();
            assertThat(exact.action()).isEqualTo(PolicyAction.NXDOMAIN);

            PolicyRule below = fake.matchQname(name("shop.www." + listed));
            assertThat(below).as("rule below %s", listed).isNotNull();
            assertThat(below.wildcard()).isTrue();
            assertThat(below.trigger()).isEqualTo(name("*." + listed));
        }
        assertThat(fake.matchQname(name("DEGUSSA-Goldhandel.AC"))).isNotNull();
    }

    @Test
    void feedSamplesAgreeWithReference() {
        for (String file : List.of("urlhaus-filter-rpz.conf", "hagezi-rpz-fake.txt")) {
            ReferenceFeed reference = ReferenceFeed.parse(feeds.resolve(file));
            PolicyZone zone = file.startsWith("urlhaus") ? urlhaus : fake;
            List<String> sample = sampleQueries(reference);

            List<String> expected = matchedBy(reference, sample);
            assertThat(expected).as("reference matches in %s", file).isNotEmpty();
            assertThat(matchedBy(zone, sample)).as("matches in %s", file).isEqualTo(expected);
        }
    }

    @Test
    void topSitesMatchOnlyWhatFeedsList() {
        List<String> lines = readLines(queries.resolve("moz-top-500.txt"));
        assertThat(lines).hasSize(500);
        // One entry, marketingplatform.google...., has empty labels and cannot be a query name.
        List<String> topSites = lines.stream().filter(RealFeedsTest::isValidName).toList();
        assertThat(topSites).hasSize(499);

        for (String file : List.of("urlhaus-filter-rpz.conf", "hagezi-rpz-fake.txt")) {
            ReferenceFeed reference = ReferenceFeed.parse(feeds.resolve(file));
            PolicyZone zone = file.startsWith("urlhaus") ? urlhaus : fake;
            assertThat(matchedBy(zone, topSites)).as("top sites matched by %s", file)
                    .isEqualTo(matchedBy(reference, topSites));
        }
    }

    @Test
    void forwardOrderIpTriggersAreSkipped() throws ZoneLoadException {
        Path file = feeds.resolve("hagezi-rpz-tif-ips.txt");
        long ipRecords = readLines(file).stream().filter(line -> line.contains(".rpz-ip CNAME")).count();

        PolicyZone zone = RpzZoneFileLoader.load(file, null, SETTINGS);

        assertThat(ipRecords).isEqualTo(44531);
        assertThat(zone.skippedCount()).isEqualTo((int) ipRecords);
        assertThat(zone.skippedByCategory()).isEqualTo(Map.of("invalid-trigger", (int) ipRecords));
        assertThat(zone.skipped()).as("the records kept with their reasons").hasSize(100);
        assertThat(zone.skipped()).extracting(SkippedRecord::reason).containsOnly(
                "invalid rpz-ip trigger: 3 address labels, but IPv4 needs 4 and IPv6 needs 8 or fewer with zz");
        assertThat(zone.skipped().get(0).owner()).isEqualTo(name("1.0.218.230.rpz-ip.hagezi-rpz-tif-ips"));
        assertThat(zone.skipped().get(0).line()).isEqualTo(lineOf(file, "1.0.218.230.rpz-ip"));
        assertThat(zone.ipRules()).isEmpty();
        assertThat(zone.ruleCount()).isZero();

        // The zone still loads with its SOA and works in a set beside other zones.
        assertThat(zone.serial()).isEqualTo(1765015260L);
        PolicySet set = new PolicySet(List.of(zone, urlhaus));
        assertThat(zone.matchQname(name("1.0.218.230"))).isNull();
        PolicyMatch match = set.matchQname(name("0022a601.pphost.net"));
        assertThat(match.zone()).isSameAs(urlhaus);
    }
}
