package dev.rpzgate.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Name;

class IpTriggerDecoderTest {

    /** Decodes the labels before {@code rpz-ip} in the zone rpz.local., as the builder does. */
    private static IpTriggerDecoder.Result decode(String triggerLabels) {
        Name owner = Name.fromConstantString(triggerLabels + ".rpz-ip.rpz.local.");
        return IpTriggerDecoder.decode(owner, owner.labels() - 4);
    }

    private static void assertDecoded(String labels, String address, int prefixLength) throws Exception {
        IpTriggerDecoder.Result result = decode(labels);
        assertThat(result.error()).as("error for %s", labels).isNull();
        assertThat(result.address()).isEqualTo(InetAddress.getByName(address));
        assertThat(result.prefixLength()).isEqualTo(prefixLength);
    }

    private static void assertInvalid(String labels, String error) {
        IpTriggerDecoder.Result result = decode(labels);
        assertThat(result.address()).as("address for %s", labels).isNull();
        assertThat(result.error()).isEqualTo(error);
    }

    @Test
    void ipv4LabelsAreReversed() throws Exception {
        assertDecoded("32.1.2.0.192", "192.0.2.1", 32);
        assertDecoded("24.0.2.0.192", "192.0.2.0", 24);
        assertDecoded("8.0.0.0.10", "10.0.0.0", 8);
        assertDecoded("1.0.0.0.128", "128.0.0.0", 1);
        assertThat(decode("32.1.2.0.192").address()).isInstanceOf(Inet4Address.class);
    }

    @Test
    void ipv6GroupsAreReversed() throws Exception {
        assertDecoded("128.8.7.6.5.4.3.db8.2001", "2001:db8:3:4:5:6:7:8", 128);
        assertDecoded("128.1.zz.db8.2001", "2001:db8::1", 128);
        assertDecoded("48.zz.db8.2001", "2001:db8::", 48);
        assertDecoded("128.1.zz", "::1", 128);
        assertDecoded("16.zz.fe80", "fe80::", 16);
        assertDecoded("128.8.7.6.5.4.3.zz.2001", "2001:0:3:4:5:6:7:8", 128);
        assertDecoded("128.1.ZZ.DB8.2001", "2001:db8::1", 128);
        assertThat(decode("128.1.zz.db8.2001").address()).isInstanceOf(Inet6Address.class);
    }

    @Test
    void ipv4MappedStaysIpv6() throws Exception {
        IpTriggerDecoder.Result result = decode("128.2c9.c000.ffff.zz");
        assertThat(result.error()).isNull();
        assertThat(result.address()).isInstanceOf(Inet6Address.class);
        assertThat(result.address().getAddress())
                .isEqualTo(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, (byte) 0xc0, 0, 2, (byte) 0xc9});
    }

    @Test
    void prefixLengthOutOfRange() {
        assertInvalid("0.0.0.0.0", "prefix length 0 is out of range 1..32 for IPv4");
        assertInvalid("33.0.0.0.10", "prefix length 33 is out of range 1..32 for IPv4");
        assertInvalid("129.1.zz", "prefix length 129 is out of range 1..128 for IPv6");
        assertInvalid("0.zz", "prefix length 0 is out of range 1..128 for IPv6");
        assertInvalid("x.1.2.0.192", "prefix length 'x' is not a decimal number");
        assertInvalid("1000.1.2.0.192", "prefix length '1000' is not a decimal number");
    }

    @Test
    void hostBitsBeyondPrefix() {
        assertInvalid("24.1.2.0.192", "address has bits set beyond prefix length 24");
        assertInvalid("31.1.2.0.192", "address has bits set beyond prefix length 31");
        assertInvalid("64.1.zz.db8.2001", "address has bits set beyond prefix length 64");
        assertInvalid("1.0.0.0.192", "address has bits set beyond prefix length 1");
    }

    @Test
    void malformedAddresses() {
        assertInvalid("32.256.2.0.192", "IPv4 octet '256' is not a decimal number 0..255");
        assertInvalid("32.1.2.0.-1", "IPv4 octet '-1' is not a decimal number 0..255");
        assertInvalid("32.a.2.0.192", "IPv4 octet 'a' is not a decimal number 0..255");
        assertInvalid("1.0.218.230", "3 address labels, but IPv4 needs 4 and IPv6 needs 8 or fewer with zz");
        assertInvalid("32.1.2.3.4.5", "5 address labels, but IPv4 needs 4 and IPv6 needs 8 or fewer with zz");
        assertInvalid("128.1.2.3.4.5.6.7.8.zz", "9 address labels, but IPv4 needs 4 and IPv6 needs 8 or fewer with zz");
        assertInvalid("128.1.zz.zz.2001", "more than one zz label");
        assertInvalid("128.1g.zz.db8.2001", "IPv6 group '1g' is not 1 to 4 hexadecimal digits");
        assertInvalid("128.12345.zz.2001", "IPv6 group '12345' is not 1 to 4 hexadecimal digits");
    }

    @Test
    void triggerWithoutAddress() {
        Name owner = Name.fromConstantString("32.rpz-ip.rpz.local.");
        assertThat(IpTriggerDecoder.decode(owner, 1).error())
                .isEqualTo("no prefix length and address labels before the trigger label");
    }
}
