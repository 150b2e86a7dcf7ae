package dev.rpzgate.source;

import static dev.rpzgate.source.TestZones.SETTINGS;
import static dev.rpzgate.source.TestZones.readLines;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.rpzgate.policy.PolicyAction;
import dev.rpzgate.policy.PolicyRule;
import dev.rpzgate.policy.PolicyZone;
import dev.rpzgate.testing.SharedData;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Name;
import org.xbill.DNS.TextParseException;

/**
 * Loads the published hosts file and domain lists kept outside the repository and checks every
 * listed name against the loaded zone. Skipped without the shared data directory.
 */
class ListFeedsTest {

    private static Path feeds;
    private static List<String> topSites;

    @BeforeAll
    static void findFeeds() {
        Path data = SharedData.find();
        assumeTrue(data != null,
                "no shared/data/feeds found: set -Dshared.data=/path/to/shared/data to run the feed tests");
        feeds = data.resolve("feeds");
        topSites = readLines(data.resolve("queries").resolve("moz-top-500.txt"));
    }

    private static PolicyZone loadList(String file, ZoneFormat format, boolean subdomains) throws IOException {
        Path path = feeds.resolve(file);
        try (InputStream in = Files.newInputStream(path)) {
            return NameListLoader.load(in, path.toString(), Name.fromConstantString("list."), SETTINGS, format,
                    subdomains, PolicyAction.NXDOMAIN).zone();
        }
    }

    /** Returns the names of a list: every line that is neither blank nor a comment, in lowercase. */
    private static List<String> listedNames(String file, boolean hosts) {
        List<String> names = new ArrayList<>();
        for (String line : readLines(feeds.resolve(file))) {
            String text = line.strip();
            if (text.isEmpty() || text.startsWith("#")) {
                continue;
            }
            String[] fields = text.split("\\s+");
            names.add(fields[hosts ? 1 : 0].toLowerCase(Locale.ROOT) + ".");
        }
        return names;
    }

    private static Name name(String text) {
        return Name.fromConstantString(text);
    }

    @Test
    void urlhausHostsGivesRpzVerdicts() throws Exception {
        PolicyZone hosts = loadList("urlhaus-filter-hosts.txt", ZoneFormat.HOSTS, false);
        PolicyZone rpz = RpzZoneFileLoader.load(feeds.resolve("urlhaus-filter-rpz.conf"), null, SETTINGS);
        List<String> names = listedNames("urlhaus-filter-hosts.txt", true);

        assertThat(names).hasSize(2689);
        assertThat(hosts.qnameRuleCount()).isEqualTo(2689);
        assertThat(hosts.skipped()).isEmpty();
        for (String listed : names) {
            for (String query : new String[] {listed, "www." + listed}) {
                PolicyRule fromHosts = hosts.matchQname(name(query));
                PolicyRule fromRpz = rpz.matchQname(name(query));
                assertThat(fromHosts == null).as(query).isEqualTo(fromRpz == null);
                if (fromRpz != null) {
                    assertThat(fromHosts.action()).as(query).isEqualTo(fromRpz.action());
                    assertThat(fromHosts.trigger()).as(query).isEqualTo(fromRpz.trigger());
                }
            }
        }
    }

    @Test
    void hageziDomainsCoverSubdomains() throws Exception {
        PolicyZone zone = loadList("hagezi-tif.mini-onlydomains.txt", ZoneFormat.DOMAINS, true);
        List<String> names = listedNames("hagezi-tif.mini-onlydomains.txt", false);

        assertThat(names).hasSize(105_331);
        assertThat(zone.skipped()).isEmpty();
        assertThat(zone.qnameRuleCount()).isEqualTo(2 * 105_331);
        for (String listed : names) {
            assertThat(zone.matchQname(name(listed))).as(listed).isNotNull();
            assertThat(zone.matchQname(name("sub." + listed))).as("sub." + listed).isNotNull();
        }
        assertUnlistedNotMatched(zone, new HashSet<>(names), true);
    }

    @Test
    void blocklistProjectNamesAreExact() throws Exception {
        PolicyZone zone = loadList("blocklistproject-phishing-nl.txt", ZoneFormat.DOMAINS, false);
        List<String> names = listedNames("blocklistproject-phishing-nl.txt", false);
        Set<String> listed = new HashSet<>(names);

        assertThat(names).hasSize(190_215);
        assertThat(zone.skipped()).isEmpty();
        assertThat(zone.qnameRuleCount()).isEqualTo(listed.size());
        int subdomainsChecked = 0;
        for (String name : names) {
            assertThat(zone.matchQname(name(name))).as(name).isNotNull();
            String below = "zz-not-listed." + name;
            if (!listed.contains(below)) {
                assertThat(zone.matchQname(name(below))).as(below).isNull();
                subdomainsChecked++;
            }
        }
        assertThat(subdomainsChecked).isEqualTo(190_215);
        assertUnlistedNotMatched(zone, listed, false);
    }

    /** Checks that top sites that the list does not name, nor any parent of, get no rule. */
    private static void assertUnlistedNotMatched(PolicyZone zone, Set<String> listed, boolean subdomains) {
        int checked = 0;
        for (String site : topSites) {
            String query = site.strip().toLowerCase(Locale.ROOT) + ".";
            if (site.isBlank() || !isName(query) || isListed(query, listed, subdomains)) {
                continue;
            }
            assertThat(zone.matchQname(name(query))).as(query).isNull();
            checked++;
        }
        assertThat(checked).isGreaterThan(400);
    }

    private static boolean isName(String text) {
        try {
            Name.fromString(text);
            return true;
        } catch (TextParseException e) {
            return false;
        }
    }

    private static boolean isListed(String query, Set<String> listed, boolean subdomains) {
        if (listed.contains(query)) {
            return true;
        }
        if (!subdomains) {
            return false;
        }
        for (int dot = query.indexOf('.'); dot >= 0 && dot < query.length() - 1; dot = query.indexOf('.', dot + 1)) {
            if (listed.contains(query.substring(dot + 1))) {
                return true;
            }
        }
        return false;
    }
}
