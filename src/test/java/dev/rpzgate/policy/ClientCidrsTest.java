package dev.rpzgate.policy;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ClientCidrsTest {

    private static InetAddress address(String text) throws Exception {
        return InetAddress.getByName(text);
    }

    @Test
    void emptyListMatchesEveryClient() throws Exception {
        assertThat(ClientCidrs.parse(List.of())).isSameAs(ClientCidrs.ANY);
        assertThat(ClientCidrs.ANY.contains(address("203.0.113.9"))).isTrue();
        assertThat(ClientCidrs.ANY.contains(address("2001:db8::9"))).isTrue();
    }

    @Test
    void ipv4PrefixesMatchByMask() throws Exception {
        ClientCidrs cidrs = ClientCidrs.parse(List.of("10.0.0.0/8", "192.0.2.128/25", "198.51.100.7"));

        assertThat(cidrs.contains(address("10.255.1.2"))).isTrue();
        assertThat(cidrs.contains(address("11.0.0.1"))).isFalse();
        assertThat(cidrs.contains(address("192.0.2.128"))).isTrue();
        assertThat(cidrs.contains(address("192.0.2.127"))).isFalse();
        assertThat(cidrs.contains(address("198.51.100.7"))).isTrue();
        assertThat(cidrs.contains(address("198.51.100.8"))).isFalse();
        assertThat(cidrs.contains(address("2001:db8::1"))).as("IPv6 client, IPv4 networks only").isFalse();
    }

    @Test
    void inet4HashCodeIsTheAddress() throws Exception {
        // ClientCidrs reads an IPv4 client's address through hashCode() to avoid a copy.
        assertThat(address("10.1.2.3").hashCode()).isEqualTo(0x0a010203);
        assertThat(address("255.254.253.252").hashCode()).isEqualTo(0xfffefdfc);
    }

    @Test
    void ipv4MappedClientMatchesIpv4Network() throws Exception {
        ClientCidrs cidrs = ClientCidrs.parse(List.of("10.0.0.0/8"));

        InetAddress mapped = InetAddress.getByAddress(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff,
                (byte) 0xff, 10, 1, 2, 3});
        assertThat(cidrs.contains(mapped)).isTrue();
    }

    @Test
    void ipv6PrefixesAcrossTheHalves() throws Exception {
        ClientCidrs cidrs = ClientCidrs.parse(List.of("2001:db8::/32", "2001:db8:ffff:ffff:ffff::/80", "::/0"));
        ClientCidrs narrow = ClientCidrs.parse(List.of("2001:db8:1:2:3::/80"));

        assertThat(cidrs.contains(address("fe80::1"))).as("::/0").isTrue();
        assertThat(narrow.contains(address("2001:db8:1:2:3:0:0:1"))).isTrue();
        assertThat(narrow.contains(address("2001:db8:1:2:4::1"))).isFalse();
        assertThat(narrow.contains(address("10.0.0.1"))).isFalse();
    }

    @Test
    void ipv6PrefixesAtHalfBoundaries() throws Exception {
        ClientCidrs half = ClientCidrs.parse(List.of("2001:db8:1:2::/64"));
        ClientCidrs host = ClientCidrs.parse(List.of("2001:db8::1/128"));

        assertThat(half.contains(address("2001:db8:1:2:ffff:ffff:ffff:ffff"))).isTrue();
        assertThat(half.contains(address("2001:db8:1:3::"))).isFalse();
        assertThat(host.contains(address("2001:db8::1"))).isTrue();
        assertThat(host.contains(address("2001:db8::2"))).isFalse();
    }

    @Test
    void invalidEntriesAreNamed() {
        assertThatThrownBy(() -> ClientCidrs.parse(List.of("10.0.0.0/33")))
                .hasMessage("invalid CIDR '10.0.0.0/33': prefix length must be 0 to 32");
        assertThatThrownBy(() -> ClientCidrs.parse(List.of("10.1.2.3/8")))
                .hasMessageContaining("invalid CIDR '10.1.2.3/8': bits are set after the prefix length");
        assertThatThrownBy(() -> ClientCidrs.parse(List.of("intranet.example")))
                .hasMessage("invalid CIDR 'intranet.example': not an IP address");
        assertThatThrownBy(() -> ClientCidrs.parse(List.of("999.1.1.1")))
                .hasMessage("invalid CIDR '999.1.1.1': not an IP address");
        assertThatThrownBy(() -> ClientCidrs.parse(List.of("2001:db8::g/64")))
                .hasMessage("invalid CIDR '2001:db8::g/64': not an IP address");
        assertThatThrownBy(() -> ClientCidrs.parse(List.of("10.0.0.0/+8")))
                .hasMessage("invalid CIDR '10.0.0.0/+8': prefix length must be 0 to 32");
    }
}
