package dev.rpzgate.bind;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Name;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Checks BindServer's input validation. BindComparisonTest runs a real named. */
class BindServerTest {

    private static final Name ORIGIN = Name.fromConstantString("first.rpz.");
    private static final Path ZONE_FILE = Path.of("/tmp/first.zone");

    @AfterEach
    void clearNamedProperty() {
        System.clearProperty("rpzgate.named");
    }

    @Test
    void missingNamedTellsHowToInstallIt() {
        System.setProperty("rpzgate.named", "/nonexistent/named");

        assertThatThrownBy(BindServer::findNamed)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("/nonexistent/named is not an executable file");
    }

    @Test
    void zoneOptionsAreKeptInOrder() {
        BindServer.ResponsePolicyZone zone = BindServer.ResponsePolicyZone.of(ORIGIN, ZONE_FILE)
                .with("policy", "cname walled-garden.example.")
                .with("max-policy-ttl", "30")
                .with("log", "no");

        assertThat(zone.options().keySet()).containsExactly("policy", "max-policy-ttl", "log");
    }

    @Test
    void unknownOrInvalidZoneOptionsAreRejected() {
        BindServer.ResponsePolicyZone zone = BindServer.ResponsePolicyZone.of(ORIGIN, ZONE_FILE);

        assertThatThrownBy(() -> zone.with("qname-wait-recurse", "no")).hasMessageContaining("unknown");
        assertThatThrownBy(() -> zone.with("log", "maybe")).hasMessageContaining("invalid value");
        assertThatThrownBy(() -> zone.with("policy", "block")).hasMessageContaining("invalid value");
        assertThatThrownBy(() -> zone.with("max-policy-ttl", "5 minutes")).hasMessageContaining("invalid value");
    }

    @Test
    void relativeZoneFileIsRejected() {
        assertThatThrownBy(() -> new BindServer.ResponsePolicyZone(ORIGIN, Path.of("first.zone"), Map.of()))
                .hasMessageContaining("absolute");
    }

    @Test
    void forwarderMustBeLoopback() {
        assertThatThrownBy(() -> BindServer.builder(Path.of("target/unused"))
                .forwarder(new InetSocketAddress("192.0.2.53", 53)))
                .hasMessageContaining("loopback");
    }
}
