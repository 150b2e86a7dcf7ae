package dev.rpzgate.wire;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HostPortTest {

    @Test
    void parsesHostWithPort() {
        assertThat(HostPort.parse("127.0.0.1:5300", 53)).isEqualTo(new HostPort("127.0.0.1", 5300));
    }

    @Test
    void takesDefaultPortWhenNoneGiven() {
        assertThat(HostPort.parse("10.0.0.2", 53)).isEqualTo(new HostPort("10.0.0.2", 53));
    }

    @Test
    void parsesBracketedIpv6WithPort() {
        HostPort parsed = HostPort.parse("[::1]:5353", 53);
        assertThat(parsed).isEqualTo(new HostPort("::1", 5353));
        assertThat(parsed.toString()).isEqualTo("[::1]:5353");
    }

    @Test
    void parsesBareIpv6WithoutPort() {
        assertThat(HostPort.parse("2001:db8::53", 53)).isEqualTo(new HostPort("2001:db8::53", 53));
    }

    @Test
    void rejectsPortOutOfRange() {
        assertThatThrownBy(() -> HostPort.parse("127.0.0.1:70000", 53))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("70000");
    }

    @Test
    void rejectsHostNameAsSocketAddress() {
        assertThatThrownBy(() -> HostPort.parse("dns.example:53", 53).toSocketAddress())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not an IP address");
    }

    @Test
    void recognisesIpLiterals() {
        assertThat(HostPort.isIpLiteral("192.0.2.1")).isTrue();
        assertThat(HostPort.isIpLiteral("::1")).isTrue();
        assertThat(HostPort.isIpLiteral("256.0.0.1")).isFalse();
        assertThat(HostPort.isIpLiteral("localhost")).isFalse();
    }
}
