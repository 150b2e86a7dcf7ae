package dev.rpzgate.policy;

import static dev.rpzgate.policy.IpPrefixTableTest.ip;
import static dev.rpzgate.policy.ZoneBuilding.name;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rpzgate.source.RpzZoneFileLoader;
import java.net.URL;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Matches the special triggers of zones/triggers.rpz, loaded by the zone file loader. */
class TriggerZoneFileTest {

    private static PolicyZone zone;

    @BeforeAll
    static void load() throws Exception {
        URL url = TriggerZoneFileTest.class.getResource("/zones/triggers.rpz");
        assertThat(url).as("test resource zones/triggers.rpz").isNotNull();
        zone = RpzZoneFileLoader.load(Path.of(url.toURI()), name("rpz.local."), ZoneBuilding.SETTINGS);
    }

    @Test
    void everyRecordBecomesRule() {
        assertThat(zone.skipped()).isEmpty();
        assertThat(zone.clientIpRules()).hasSize(3);
        assertThat(zone.ipRules()).hasSize(7);
        assertThat(zone.nsdnameRules()).hasSize(3);
        assertThat(zone.nsipRules()).hasSize(2);
    }

    @ParameterizedTest(name = "client {0} -> {1}")
    @CsvSource({
        "198.51.100.1,   drop",
        "198.51.100.53,  passthru",
        "2001:db8:bad::1, tcp-only",
        "198.51.101.1,   none",
        "2001:db8:bad:1::1, none",
    })
    void clientIp(String client, String action) {
        PolicyRule rule = zone.matchClientIp(ip(client));
        assertThat(rule == null ? "none" : rule.action().label()).isEqualTo(action);
    }

    @ParameterizedTest(name = "answer {0} -> {1}")
    @CsvSource({
        "203.0.113.34,              32.34.113.0.203.rpz-ip.,             nxdomain",
        "203.0.113.35,              24.0.113.0.203.rpz-ip.,              nodata",
        "2001:db8::1,               128.1.zz.db8.2001.rpz-ip.,           nxdomain",
        "2001:db8:1::,              128.zz.1.db8.2001.rpz-ip.,           drop",
        "2001:db8:beef::80,         48.zz.beef.db8.2001.rpz-ip.,         local-data",
        "2001:db8:beef:1:2:3:4:ffff, 112.0.4.3.2.1.beef.db8.2001.rpz-ip., nxdomain",
        "2001:db8:beef:1:2:3:5:0,   48.zz.beef.db8.2001.rpz-ip.,         local-data",
        "192.0.2.200,               32.200.2.0.192.rpz-ip.,              passthru",
    })
    void responseIp(String address, String trigger, String action) {
        IpTriggerMatch match = zone.matchResponseIp(ip(address));
        assertThat(match.rule().trigger()).isEqualTo(name(trigger));
        assertThat(match.rule().action().label()).isEqualTo(action);
    }

    @Test
    void responseIpMisses() {
        assertThat(zone.matchResponseIp(ip("2001:db8::2"))).isNull();
        assertThat(zone.matchResponseIp(ip("2001:db8:1::1"))).isNull();
        assertThat(zone.matchResponseIp(ip("192.0.2.201"))).isNull();
    }

    @ParameterizedTest(name = "name server {0} -> {1}")
    @CsvSource({
        "ns1.bulletproof.example., ns1.bulletproof.example.rpz-nsdname., nxdomain",
        "ns2.bulletproof.example., *.bulletproof.example.rpz-nsdname.,   nxdomain",
        "a.b.dyn.example.,         *.dyn.example.rpz-nsdname.,           drop",
    })
    void nsdname(String nameServer, String trigger, String action) {
        PolicyRule rule = zone.matchNsdname(name(nameServer));
        assertThat(rule.trigger()).isEqualTo(name(trigger));
        assertThat(rule.action().label()).isEqualTo(action);
    }

    @Test
    void nsdnameMisses() {
        assertThat(zone.matchNsdname(name("bulletproof.example."))).isNull();
        assertThat(zone.matchNsdname(name("dyn.example."))).isNull();
        assertThat(zone.matchNsdname(name("ns1.example.net."))).isNull();
    }

    @Test
    void nsip() {
        assertThat(zone.matchNsip(ip("198.51.3.255")).prefixLength()).isEqualTo(22);
        assertThat(zone.matchNsip(ip("198.51.4.0"))).isNull();
        assertThat(zone.matchNsip(ip("2001:db8:dead::53")).prefixLength()).isEqualTo(128);
        assertThat(zone.matchNsip(ip("2001:db8:dead::54"))).isNull();
    }

    @Test
    void stageAcrossTriggerTypes() {
        PolicySet set = new PolicySet(List.of(zone));

        PolicyMatch match = set.matchStage(
                name("www.example.com."),
                ip("192.0.2.1"),
                List.of(ip("203.0.113.99"), ip("203.0.113.34")),
                List.of(name("ns1.bulletproof.example.")),
                List.of(ip("198.51.0.1")));

        assertThat(match.trigger()).isEqualTo(TriggerType.RESPONSE_IP);
        assertThat(match.rule().trigger()).isEqualTo(name("32.34.113.0.203.rpz-ip."));
    }
}
