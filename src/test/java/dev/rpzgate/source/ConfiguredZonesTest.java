package dev.rpzgate.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rpzgate.policy.PolicyAction;
import dev.rpzgate.source.transfer.TransferLimits;
import dev.rpzgate.source.transfer.TsigKey;
import dev.rpzgate.source.transfer.ZoneTransferConfig;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Name;
import org.xbill.DNS.TSIG;

class ConfiguredZonesTest {

    /** A valid TSIG secret: 32 random bytes in base64. */
    private static final String SECRET = randomSecret();

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
    void clientCidrsBecomeZoneSetting() throws Exception {
        ZoneSpec spec = read(TestConfig.Zone.file("/srv/lab.zone").withClientCidrs("10.0.0.0/8", "2001:db8::/32"))
                .get(0);

        assertThat(spec.settings().clientCidrs().networks()).containsExactly("10.0.0.0/8", "2001:db8::/32");
        assertThat(spec.settings().clientCidrs().contains(java.net.InetAddress.getByName("10.9.9.9"))).isTrue();
        assertThat(read(TestConfig.Zone.file("/srv/all.zone")).get(0).settings().clientCidrs().isAny()).isTrue();
        assertRejected("rpzgate.policy.zones[0].client-cidrs: invalid CIDR '10.0.0.0/40': prefix length must be 0 to 32",
                TestConfig.Zone.file("/srv/lab.zone").withClientCidrs("10.0.0.0/40"));
    }

    @Test
    void validationErrorsNameTheSetting() {
        TestConfig.Zone good = TestConfig.Zone.file("/srv/good.rpz");

        assertRejected("rpzgate.policy.zones[1]: no source; set one of file, url, rules or transfer",
                good, TestConfig.Zone.empty());
        assertRejected("rpzgate.policy.zones[0].url: cannot be set together with rpzgate.policy.zones[0].file; "
                + "set exactly one of file, url, rules or transfer",
                TestConfig.Zone.file("/srv/a.rpz").withUrl("https://feeds.example/a.rpz"));
        assertRejected("rpzgate.policy.zones[0].transfer: cannot be set together with rpzgate.policy.zones[0].url; "
                + "set exactly one of file, url, rules or transfer",
                TestConfig.Zone.url("https://feeds.example/a.rpz").withTransfer("192.0.2.53").withOrigin("xfr"));
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

    @Test
    void transferZoneReadsEverySetting() throws Exception {
        ZoneSpec spec = read(TestConfig.Zone.transfer("192.0.2.53, 192.0.2.54:5300,[2001:db8::53]:53")
                .withOrigin("rpz.example").withTsigKeyName("xfr-key").withTsigAlgorithm("HMAC-SHA512")
                .withTsigSecret(SECRET).withNotifyFrom("192.0.2.60, 2001:db8::60")
                .withTransferTimeout(Duration.ofMinutes(10)).withTransferMaxRecords(1000)
                .withRefresh(Duration.ofMinutes(5)).withRetry(Duration.ofMinutes(1)).withExpire(Duration.ofDays(3)))
                .get(0);

        assertThat(spec.origin()).isEqualTo(Name.fromConstantString("rpz.example."));
        assertThat(spec.format()).isEqualTo(ZoneFormat.RPZ);
        ZoneTransferConfig config = ((ZoneSource.Transfer) spec.source()).config();
        assertThat(config.origin()).isEqualTo(spec.origin());
        assertThat(config.primaries()).containsExactly(
                new InetSocketAddress(InetAddress.getByName("192.0.2.53"), 53),
                new InetSocketAddress(InetAddress.getByName("192.0.2.54"), 5300),
                new InetSocketAddress(InetAddress.getByName("2001:db8::53"), 53));
        assertThat(config.tsigKey()).isEqualTo(new TsigKey(Name.fromConstantString("xfr-key."), TSIG.HMAC_SHA512,
                SECRET));
        assertThat(config.notifySources()).containsExactly(InetAddress.getByName("192.0.2.60"),
                InetAddress.getByName("2001:db8::60"));
        assertThat(config.limits()).isEqualTo(new TransferLimits(1000, Long.MAX_VALUE, Duration.ofMinutes(10)));
        assertThat(config.refresh()).isEqualTo(Duration.ofMinutes(5));
        assertThat(config.retry()).isEqualTo(Duration.ofMinutes(1));
        assertThat(config.expire()).isEqualTo(Duration.ofDays(3));
        assertThat(config.settings()).isEqualTo(spec.settings());
        assertThat(spec.source().describe())
                .isEqualTo("zone transfer from 192.0.2.53:53, 192.0.2.54:5300, [2001:db8:0:0:0:0:0:53]:53");
    }

    @Test
    void transferZoneDefaults() throws Exception {
        ZoneSpec spec = read(TestConfig.Zone.transfer("192.0.2.53").withOrigin("rpz.example")).get(0);

        ZoneTransferConfig config = ((ZoneSource.Transfer) spec.source()).config();
        assertThat(config.primaries()).containsExactly(new InetSocketAddress(InetAddress.getByName("192.0.2.53"), 53));
        assertThat(config.tsigKey()).isNull();
        assertThat(config.notifySources()).isEmpty();
        assertThat(config.allowedNotifySources()).containsExactly(InetAddress.getByName("192.0.2.53"));
        assertThat(config.limits().maxRecords()).isEqualTo(Long.MAX_VALUE);
        assertThat(config.limits().timeout()).isEqualTo(Duration.ofHours(2));
        assertThat(config.refresh()).isNull();
        assertThat(config.retry()).isNull();
        assertThat(config.expire()).isNull();
    }

    @Test
    void tsigKeyWithoutAlgorithmIsHmacSha256() {
        ZoneSpec spec = read(TestConfig.Zone.transfer("192.0.2.53").withOrigin("rpz.example")
                .withTsigKeyName("xfr-key.").withTsigSecret(SECRET)).get(0);

        TsigKey key = ((ZoneSource.Transfer) spec.source()).config().tsigKey();
        assertThat(key.algorithm()).isEqualTo(TSIG.HMAC_SHA256);
        assertThat(key.toString()).doesNotContain(SECRET);
    }

    @Test
    void transferErrorsNameTheSetting() {
        TestConfig.Zone zone = TestConfig.Zone.transfer("192.0.2.53").withOrigin("rpz.example");
        String setting = "rpzgate.policy.zones[0].";

        assertRejected(setting + "origin: required for a zone transfer, which requests the zone from the primaries "
                + "by name", TestConfig.Zone.transfer("192.0.2.53"));
        assertRejected(setting + "transfer: invalid primary 'ns1.example': give the primary as an IP address",
                zone.withTransfer("ns1.example"));
        assertRejected(setting + "transfer: empty entry in '192.0.2.53,,192.0.2.54'; separate IP addresses with "
                + "single commas", zone.withTransfer("192.0.2.53,,192.0.2.54"));
        assertRejected(setting + "transfer: invalid primary '192.0.2.53:0': port 0; give the port the primary "
                + "listens on, or none for 53", zone.withTransfer("192.0.2.53:0"));
        assertRejected(setting + "transfer: primary '192.0.2.53:53' is listed twice",
                zone.withTransfer("192.0.2.53, 192.0.2.53:53"));
        assertRejected(setting + "tsig-secret: missing; a TSIG key needs both tsig-key-name and tsig-secret",
                zone.withTsigKeyName("xfr-key"));
        assertRejected(setting + "tsig-key-name: missing; a TSIG key needs both tsig-key-name and tsig-secret",
                zone.withTsigSecret(SECRET));
        assertRejected(setting + "tsig-algorithm: set without a TSIG key; set tsig-key-name and tsig-secret too, "
                + "or remove it", zone.withTsigAlgorithm("hmac-sha256"));
        assertRejected(setting + "tsig-algorithm: unsupported TSIG algorithm 'hmac-sha3'; expected one of hmac-md5, "
                + "hmac-sha1, hmac-sha224, hmac-sha256, hmac-sha384, hmac-sha512",
                zone.withTsigKeyName("xfr-key").withTsigSecret(SECRET).withTsigAlgorithm("hmac-sha3"));
        assertRejected(setting + "tsig-secret: TSIG key xfr-key.: secret is not valid base64",
                zone.withTsigKeyName("xfr-key").withTsigSecret("not*base64"));
        assertRejected(setting + "notify-from: '192.0.2.60:53' has a port; give the address alone",
                zone.withNotifyFrom("192.0.2.60:53"));
        assertRejected(setting + "notify-from: invalid address 'primary.example'; give IP addresses such as "
                + "192.0.2.53 or 2001:db8::53", zone.withNotifyFrom("primary.example"));
        assertRejected(setting + "transfer-max-records: must be at least 1, not 0", zone.withTransferMaxRecords(0));
        assertRejected(setting + "transfer-timeout: must be longer than 0, not PT0S",
                zone.withTransferTimeout(Duration.ZERO));
        assertRejected(setting + "retry: must be longer than 0, not PT-1S", zone.withRetry(Duration.ofSeconds(-1)));
        assertRejected(setting + "format: a zone transfer carries an RPZ zone, not a domains list; remove format",
                zone.withFormat("domains"));
        assertRejected(setting + "tsig-key-name: applies to zone transfers only, and this zone is read from file; "
                + "remove it or set transfer in place of file",
                TestConfig.Zone.file("/srv/a.rpz").withTsigKeyName("xfr-key"));
        assertRejected(setting + "expire: applies to zone transfers only, and this zone is read from url; remove it "
                + "or set transfer in place of url",
                TestConfig.Zone.url("https://feeds.example/a.rpz").withExpire(Duration.ofDays(1)));
    }

    @Test
    void badSecretIsNotInMessage() {
        String secret = "c2VjcmV0*";
        TestConfig.Zone zone = TestConfig.Zone.transfer("192.0.2.53").withOrigin("rpz.example")
                .withTsigKeyName("xfr-key").withTsigSecret(secret);

        assertThatThrownBy(() -> read(zone)).isInstanceOf(IllegalArgumentException.class)
                .message().doesNotContain("c2VjcmV0");
    }

    private static String randomSecret() {
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        return Base64.getEncoder().encodeToString(secret);
    }
}
