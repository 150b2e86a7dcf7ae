package dev.rpzgate.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rpzgate.policy.PolicyAction;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Name;

class ConfiguredZonesTest {

    private static List<ZoneSpec> read(TestConfig.Zone... zones) {
        return ConfiguredZones.read(TestConfig.Policy.of("cache", zones));
    }

    private static void assertRejected(String message, TestConfig.Zone... zones) {
        assertThatThrownBy(() -> read(zones)).isInstanceOf(IllegalArgumentException.class).hasMessage(message);
    }

    @Test
    void filesEntriesStillWork() {
        List<ZoneSpec> specs = ConfiguredZones.read(TestConfig.Policy.ofFiles("/srv/urlhaus-filter-rpz.conf",
                "allow=/srv/allow.zone"));

        assertThat(specs).extracting(ZoneSpec::origin).containsExactly(
                Name.fromConstantString("urlhaus-filter-rpz."), Name.fromConstantString("allow."));
        assertThat(specs.get(0).source()).isEqualTo(new ZoneSource.File(Path.of("/srv/urlhaus-filter-rpz.conf")));
        assertThat(specs.get(0).format()).isEqualTo(ZoneFormat.RPZ);
    }

    @Test
    void urlZoneWithListSettings() {
        ZoneSpec spec = read(TestConfig.Zone.url("https://feeds.example/lists/hagezi-tif.mini-onlydomains.txt")
                .withFormat("domains").withSubdomains(true).withAction("nodata")
                .withRefresh(Duration.ofMinutes(10)).withTimeout(Duration.ofSeconds(5)).withMaxSize(1000)).get(0);

        assertThat(spec.origin()).isEqualTo(Name.fromConstantString("hagezi-tif."));
        assertThat(spec.setting()).isEqualTo("rpzgate.policy.zones[0]");
        assertThat(spec.format()).isEqualTo(ZoneFormat.DOMAINS);
        assertThat(spec.subdomains()).isTrue();
        assertThat(spec.listAction()).isEqualTo(PolicyAction.NODATA);
        assertThat(spec.source()).isEqualTo(new ZoneSource.Url(
                URI.create("https://feeds.example/lists/hagezi-tif.mini-onlydomains.txt"), Duration.ofMinutes(10),
                Duration.ofSeconds(5), 1000));
    }

    @Test
    void listDefaultsAreExactNamesAndNxdomain() {
        ZoneSpec spec = read(TestConfig.Zone.file("/srv/list.txt").withFormat("hosts")).get(0);

        assertThat(spec.subdomains()).isFalse();
        assertThat(spec.listAction()).isEqualTo(PolicyAction.NXDOMAIN);
    }

    @Test
    void inlineRulesNeedOrigin() {
        ZoneSpec spec = read(TestConfig.Zone.empty().withRules("bad.example CNAME .").withOrigin("inline")).get(0);

        assertThat(spec.source()).isEqualTo(new ZoneSource.Inline("rpzgate.policy.zones[0].rules", "bad.example CNAME ."));
        assertRejected("rpzgate.policy.zones[0].origin: required for a zone written in rules",
                TestConfig.Zone.empty().withRules("bad.example CNAME ."));
    }

    @Test
    void validationErrorsNameTheSetting() {
        TestConfig.Zone good = TestConfig.Zone.file("/srv/good.rpz");

        assertRejected("rpzgate.policy.zones[1]: no source; set one of file, url or rules",
                good, TestConfig.Zone.empty());
        assertRejected("rpzgate.policy.zones[0]: file and url are both set; set exactly one source",
                TestConfig.Zone.file("/srv/a.rpz").withUrl("https://feeds.example/a.rpz"));
        assertRejected("rpzgate.policy.zones[0].transfer: zone transfers are not supported yet; use file or url",
                TestConfig.Zone.empty().withTransfer("192.0.2.53").withOrigin("xfr"));
        assertRejected("rpzgate.policy.zones[1].url: 'ftp://feeds.example/a.rpz' is not an http or https URL",
                good, TestConfig.Zone.url("ftp://feeds.example/a.rpz"));
        assertRejected("rpzgate.policy.zones[0].format: unknown format 'adblock'; use rpz, hosts or domains",
                TestConfig.Zone.file("/srv/a.txt").withFormat("adblock"));
        assertRejected("rpzgate.policy.zones[0].action: unknown action 'block'; use nxdomain, nodata, drop, passthru "
                + "or tcp-only", TestConfig.Zone.file("/srv/a.txt").withFormat("domains").withAction("block"));
        assertRejected("rpzgate.policy.zones[0].subdomains: applies to the hosts and domains formats only; an RPZ "
                + "zone writes *.name rules for the names below a name",
                TestConfig.Zone.file("/srv/a.rpz").withSubdomains(true));
        assertRejected("rpzgate.policy.zones[0].action: applies to the hosts and domains formats only; use policy to "
                + "replace the actions of an RPZ zone", TestConfig.Zone.file("/srv/a.rpz").withAction("drop"));
        assertRejected("rpzgate.policy.zones[0].refresh: must be longer than 0, not PT0S",
                TestConfig.Zone.url("https://feeds.example/a.rpz").withRefresh(Duration.ZERO));
        assertRejected("rpzgate.policy.zones[0].max-size: must be more than 0 bytes",
                TestConfig.Zone.url("https://feeds.example/a.rpz").withMaxSize(0));
        assertRejected("rpzgate.policy.zones[0].origin: cannot name the zone after the URL https://feeds.example/; "
                + "set rpzgate.policy.zones[0].origin", TestConfig.Zone.url("https://feeds.example/"));
        assertRejected("rpzgate.policy.zones[1]: zone name a. is already used by rpzgate.policy.zones[0]; give one of "
                + "them another origin", TestConfig.Zone.file("/srv/a.rpz"),
                TestConfig.Zone.url("https://feeds.example/a.txt"));
    }
}
