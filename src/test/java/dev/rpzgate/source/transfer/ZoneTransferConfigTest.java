package dev.rpzgate.source.transfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rpzgate.policy.ZoneSettings;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Name;

class ZoneTransferConfigTest {

    private static final Name ZONE = Name.fromConstantString("rpz.test.");
    private static final ZoneSettings SETTINGS = new ZoneSettings(ZoneSettings.DEFAULT_MAX_POLICY_TTL);

    @Test
    void primaryWithPortParses() throws Exception {
        assertThat(ZoneTransferConfig.parsePrimary("192.0.2.1:5300"))
                .isEqualTo(new InetSocketAddress(InetAddress.getByName("192.0.2.1"), 5300));
    }

    @Test
    void primaryWithoutPortTakes53() throws Exception {
        assertThat(ZoneTransferConfig.parsePrimary("[2001:db8::1]"))
                .isEqualTo(new InetSocketAddress(InetAddress.getByName("2001:db8::1"), 53));
    }

    @Test
    void primaryHostNameIsRejected() {
        assertThatThrownBy(() -> ZoneTransferConfig.parsePrimary("ns1.example:53"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid primary 'ns1.example:53': give the primary as an IP address");
    }

    @Test
    void noPrimaryIsRejected() {
        assertThatThrownBy(() -> ZoneTransferConfig.of(ZONE, List.of(), SETTINGS))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("zone rpz.test. has no primary");
    }

    @Test
    void notifySourcesDefaultToPrimaries() throws Exception {
        ZoneTransferConfig config = ZoneTransferConfig.of(ZONE, List.of(
                ZoneTransferConfig.parsePrimary("192.0.2.1:5300"), ZoneTransferConfig.parsePrimary("192.0.2.2")),
                SETTINGS);

        assertThat(config.allowedNotifySources())
                .containsExactlyInAnyOrder(InetAddress.getByName("192.0.2.1"), InetAddress.getByName("192.0.2.2"));
    }

    @Test
    void mappedAddressIsNormalizedToIpv4() throws Exception {
        byte[] mapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xFF, (byte) 0xFF, (byte) 192, 0, 2, 1};

        assertThat(ZoneTransferConfig.normalize(InetAddress.getByAddress(mapped)))
                .isEqualTo(InetAddress.getByName("192.0.2.1"));
    }

    @Test
    void nonPositiveTimerIsRejected() {
        ZoneTransferConfig config = ZoneTransferConfig.of(ZONE, List.of(ZoneTransferConfig.parsePrimary("192.0.2.1")),
                SETTINGS);

        assertThatThrownBy(() -> config.withTimers(java.time.Duration.ZERO, null, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("refresh must be positive: PT0S");
    }
}
