package dev.rpzgate.policy;

import static dev.rpzgate.policy.ZoneBuilding.name;
import static dev.rpzgate.policy.ZoneBuilding.zone;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class IpPrefixTableTest {

    /** Builds a table from {@code rpz-ip} owners, each with action NXDOMAIN, in the order given. */
    private static IpPrefixTable table(String... ipLabels) {
        ZoneBuilding building = zone("rpz.local.");
        for (String labels : ipLabels) {
            building.add(labels + ".rpz-ip", "CNAME", ".");
        }
        PolicyZone zone = building.build();
        assertThat(zone.skipped()).as("skipped records").isEmpty();
        return new IpPrefixTable(zone.ipRules());
    }

    /** Parses an address literal. Literals never reach a resolver. */
    static InetAddress ip(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(literal, e);
        }
    }

    /** Returns ::ffff:a.b.c.d as an Inet6Address, which InetAddress.getByName would turn into IPv4. */
    static InetAddress mapped(String ipv4Literal) {
        byte[] ipv4 = ip(ipv4Literal).getAddress();
        byte[] bytes = new byte[16];
        bytes[10] = (byte) 0xff;
        bytes[11] = (byte) 0xff;
        System.arraycopy(ipv4, 0, bytes, 12, 4);
        try {
            return Inet6Address.getByAddress(null, bytes, -1);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Returns the owner labels of the rule matching {@code address}, or "none". */
    private static String lookup(IpPrefixTable table, InetAddress address) {
        IpTriggerRule rule = table.lookup(IpAddressKey.of(address));
        if (rule == null) {
            return "none";
        }
        return rule.rule().trigger().relativize(name("rpz-ip.")).toString();
    }

    private static final IpPrefixTable IPV4 = table(
            "8.0.0.0.10",
            "16.0.0.10.10",
            "24.0.2.0.192",
            "32.1.2.0.192",
            "32.255.255.255.255",
            "1.0.0.0.128",
            "30.100.113.0.203");

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "10.1.2.3,        8.0.0.0.10",
        "10.10.0.1,       16.0.0.10.10",
        "10.10.255.255,   16.0.0.10.10",
        "192.0.2.1,       32.1.2.0.192",
        "192.0.2.2,       24.0.2.0.192",
        "192.0.2.255,     24.0.2.0.192",
        "192.0.3.1,       1.0.0.0.128",
        "203.0.113.100,   30.100.113.0.203",
        "203.0.113.103,   30.100.113.0.203",
        "203.0.113.104,   1.0.0.0.128",
        "255.255.255.255, 32.255.255.255.255",
        "255.255.255.254, 1.0.0.0.128",
        "127.0.0.1,       none",
        "0.0.0.0,         none",
        "11.0.0.1,        none",
    })
    void ipv4LongestPrefix(String address, String expected) {
        assertThat(lookup(IPV4, ip(address))).isEqualTo(expected);
    }

    private static final IpPrefixTable IPV6 = table(
            "128.1.zz.db8.2001",
            "48.zz.db8.2001",
            "32.zz.db8.2001",
            "64.zz.5.db8.2001",
            "65.zz.8000.0.0.db8.2001",
            "96.zz.1.0.0.0.db8.2001",
            "1.zz.8000",
            "128.ffff.ffff.ffff.ffff.ffff.ffff.ffff.ffff");

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "2001:db8::1,                             128.1.zz.db8.2001",
        "2001:db8::2,                             48.zz.db8.2001",
        "2001:db8:0:ffff::,                       48.zz.db8.2001",
        "2001:db8:1::1,                           32.zz.db8.2001",
        "2001:db8:5::9,                           64.zz.5.db8.2001",
        "2001:db8:5:0:ffff:ffff:ffff:ffff,        64.zz.5.db8.2001",
        "2001:db8:5:1::,                          32.zz.db8.2001",
        "2001:db8::8000:0:0:1,                    65.zz.8000.0.0.db8.2001",
        "2001:db8::7fff:0:0:1,                    48.zz.db8.2001",
        "2001:db8::1:0:5,                         96.zz.1.0.0.0.db8.2001",
        "2001:db8::2:0:5,                         48.zz.db8.2001",
        "8000::1,                                 1.zz.8000",
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff, 128.ffff.ffff.ffff.ffff.ffff.ffff.ffff.ffff",
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe, 1.zz.8000",
        "2001:db9::,                              none",
        "::1,                                     none",
    })
    void ipv6LongestPrefix(String address, String expected) {
        assertThat(lookup(IPV6, ip(address))).isEqualTo(expected);
    }

    @Test
    void ipv4AddressNeverMatchesIpv6Rule() {
        IpPrefixTable table = table("1.zz", "8.zz.ff00");

        assertThat(lookup(table, ip("::1"))).isEqualTo("1.zz");
        assertThat(lookup(table, ip("ff00::1"))).isEqualTo("8.zz.ff00");
        // ::/1 spans ::ffff:0:0/96, but IPv4 addresses stay in their own family.
        assertThat(lookup(table, ip("192.0.2.1"))).isEqualTo("none");
        assertThat(lookup(table, mapped("192.0.2.1"))).isEqualTo("none");
    }

    @Test
    void ipv6AddressNeverMatchesIpv4Rule() {
        IpPrefixTable table = table("1.0.0.0.0", "1.0.0.0.128");

        assertThat(lookup(table, ip("10.0.0.1"))).isEqualTo("1.0.0.0.0");
        assertThat(lookup(table, ip("200.0.0.1"))).isEqualTo("1.0.0.0.128");
        assertThat(lookup(table, ip("::1"))).isEqualTo("none");
        assertThat(lookup(table, ip("2001:db8::1"))).isEqualTo("none");
        assertThat(lookup(table, ip("ffff::1"))).isEqualTo("none");
    }

    @Test
    void mappedAddressMatchesIpv4Rule() {
        IpPrefixTable table = table("32.1.2.0.192", "24.0.2.0.192");

        assertThat(mapped("192.0.2.1")).isInstanceOf(Inet6Address.class);
        assertThat(lookup(table, mapped("192.0.2.1"))).isEqualTo("32.1.2.0.192");
        assertThat(lookup(table, mapped("192.0.2.9"))).isEqualTo("24.0.2.0.192");
        assertThat(lookup(table, mapped("192.0.3.1"))).isEqualTo("none");
    }

    @Test
    void mappedRuleIsIpv4Rule() {
        // ::ffff:192.0.2.201/128 is 192.0.2.201/32 and ::ffff:198.51.100.0/120 is 198.51.100.0/24.
        IpPrefixTable table = table("128.2c9.c000.ffff.zz", "120.6400.c633.ffff.zz");

        assertThat(lookup(table, ip("192.0.2.201"))).isEqualTo("128.2c9.c000.ffff.zz");
        assertThat(lookup(table, mapped("192.0.2.201"))).isEqualTo("128.2c9.c000.ffff.zz");
        assertThat(lookup(table, ip("198.51.100.77"))).isEqualTo("120.6400.c633.ffff.zz");
        assertThat(lookup(table, ip("192.0.2.202"))).isEqualTo("none");
        assertThat(lookup(table, ip("::c000:2c9"))).isEqualTo("none");
    }

    @Test
    void mapped96RuleMatchesEveryIpv4Address() {
        IpPrefixTable table = table("96.0.0.ffff.zz", "32.1.2.0.192");

        assertThat(lookup(table, ip("192.0.2.1"))).isEqualTo("32.1.2.0.192");
        assertThat(lookup(table, ip("8.8.8.8"))).isEqualTo("96.0.0.ffff.zz");
        assertThat(lookup(table, ip("0.0.0.0"))).isEqualTo("96.0.0.ffff.zz");
        assertThat(lookup(table, ip("255.255.255.255"))).isEqualTo("96.0.0.ffff.zz");
        assertThat(lookup(table, ip("2001:db8::1"))).isEqualTo("none");
    }

    @Test
    void blockAroundMappedRangeStaysIpv6() {
        // ::fffe:0:0/95 contains all of ::ffff:0:0/96 but is shorter than /96, so it is an IPv6
        // rule and IPv4 addresses, mapped or not, do not match it.
        IpPrefixTable table = table("95.0.0.fffe.zz");

        assertThat(lookup(table, ip("::fffe:1:1"))).isEqualTo("95.0.0.fffe.zz");
        assertThat(lookup(table, ip("192.0.2.1"))).isEqualTo("none");
        assertThat(lookup(table, mapped("192.0.2.1"))).isEqualTo("none");
    }

    @Test
    void duplicateBlockKeepsFirstRule() {
        IpPrefixTable table = table("24.0.2.0.192", "24.000.2.0.192", "32.1.2.0.192", "128.201.c000.ffff.zz");

        assertThat(table.rules()).hasSize(4);
        assertThat(lookup(table, ip("192.0.2.7"))).isEqualTo("24.0.2.0.192");
        assertThat(lookup(table, ip("192.0.2.1"))).isEqualTo("32.1.2.0.192");

        IpPrefixTable reversed = table("24.000.2.0.192", "24.0.2.0.192", "128.201.c000.ffff.zz", "32.1.2.0.192");
        assertThat(lookup(reversed, ip("192.0.2.7"))).isEqualTo("24.000.2.0.192");
        assertThat(lookup(reversed, ip("192.0.2.1"))).isEqualTo("128.201.c000.ffff.zz");
    }

    @Test
    void duplicateIpv6SpellingKeepsFirstRule() {
        IpPrefixTable table = table("48.zz.0db8.2001", "48.0.0.0.0.0.0.db8.2001");

        assertThat(lookup(table, ip("2001:db8::1"))).isEqualTo("48.zz.0db8.2001");
    }

    @Test
    void emptyTableMatchesNothing() {
        assertThat(IpPrefixTable.EMPTY.isEmpty()).isTrue();
        assertThat(IpPrefixTable.EMPTY.lookup(IpAddressKey.of(ip("192.0.2.1")))).isNull();
        assertThat(IpPrefixTable.EMPTY.lookup(IpAddressKey.of(ip("2001:db8::1")))).isNull();
        assertThat(IpPrefixTable.EMPTY.bestMatch(new IpAddressKey[] {IpAddressKey.of(ip("192.0.2.1"))})).isNull();
    }

    @Test
    void bestMatchPrefersLongestPrefix() {
        IpPrefixTable table = table("8.0.0.0.10", "24.0.2.0.192", "64.zz.5.db8.2001");
        IpAddressKey[] addresses = {
            IpAddressKey.of(ip("10.0.0.1")), IpAddressKey.of(ip("2001:db8:5::1")), IpAddressKey.of(ip("192.0.2.1"))
        };

        IpTriggerMatch best = table.bestMatch(addresses);

        // IPv4 /24 counts as 120 IPv6 bits, so it beats the IPv6 /64.
        assertThat(best.rule().trigger()).isEqualTo(name("24.0.2.0.192.rpz-ip."));
        assertThat(best.address()).isEqualTo(ip("192.0.2.1"));
        assertThat(best.prefixLength()).isEqualTo(24);
        assertThat(best.ipv6PrefixLength()).isEqualTo(120);
    }
}
