package dev.rpzgate.policy;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Objects;

/**
 * An address as the unsigned numbers that {@link IpPrefixTable} searches and compares, made once
 * per address and reused for every zone.
 *
 * <p>An IPv4-mapped IPv6 address ({@code ::ffff:a.b.c.d}) becomes the IPv4 address. BIND 9 keys
 * every IPv4 address and rule as exactly this mapped IPv6 address ({@code lib/dns/rpz.c}), so
 * there both forms find the same rules.
 */
final class IpAddressKey implements Comparable<IpAddressKey> {

    private final InetAddress address;
    private final boolean ipv4;
    // The IPv4 address as 32 bits, used only when ipv4 is true.
    private final int ipv4Bits;
    // The first and last 64 bits of an IPv6 address, used only when ipv4 is false.
    private final long ipv6High;
    private final long ipv6Low;

    private IpAddressKey(InetAddress address, boolean ipv4, int ipv4Bits, long ipv6High, long ipv6Low) {
        this.address = address;
        this.ipv4 = ipv4;
        this.ipv4Bits = ipv4Bits;
        this.ipv6High = ipv6High;
        this.ipv6Low = ipv6Low;
    }

    /** Makes the key of a query address. An IPv4-mapped IPv6 address becomes IPv4. */
    static IpAddressKey of(InetAddress address) {
        Objects.requireNonNull(address, "address");
        byte[] bytes = address.getAddress();
        if (bytes.length == 4) {
            return new IpAddressKey(address, true, readInt(bytes, 0), 0, 0);
        }
        if (isIpv4Mapped(bytes)) {
            return new IpAddressKey(address, true, readInt(bytes, 12), 0, 0);
        }
        return new IpAddressKey(address, false, 0, readLong(bytes, 0), readLong(bytes, 8));
    }

    /**
     * Makes the key of the first address of a rule's block. An IPv4-mapped IPv6 block becomes
     * IPv4 only when its prefix covers the whole ::ffff:0:0/96 prefix, as BIND's
     * {@code KEY_IS_IPV4} decides.
     */
    static IpAddressKey ofBlock(IpTriggerRule block) {
        byte[] bytes = block.address().getAddress();
        if (bytes.length == 4) {
            return new IpAddressKey(block.address(), true, readInt(bytes, 0), 0, 0);
        }
        if (block.prefixLength() >= 96 && isIpv4Mapped(bytes)) {
            return new IpAddressKey(block.address(), true, readInt(bytes, 12), 0, 0);
        }
        return new IpAddressKey(block.address(), false, 0, readLong(bytes, 0), readLong(bytes, 8));
    }

    /** Returns whether {@code block} holds IPv4 addresses, counting IPv4-mapped blocks of /96 or longer. */
    static boolean isIpv4Block(IpTriggerRule block) {
        return block.address() instanceof Inet4Address
                || block.prefixLength() >= 96 && isIpv4Mapped(block.address().getAddress());
    }

    /** Returns whether {@code bytes} is an IPv4-mapped IPv6 address, {@code ::ffff:a.b.c.d}. */
    static boolean isIpv4Mapped(byte[] bytes) {
        if (bytes.length != 16) {
            return false;
        }
        for (int i = 0; i < 10; i++) {
            if (bytes[i] != 0) {
                return false;
            }
        }
        return bytes[10] == (byte) 0xff && bytes[11] == (byte) 0xff;
    }

    /** Returns the big-endian 32-bit value at {@code offset}. */
    static int readInt(byte[] bytes, int offset) {
        return (bytes[offset] & 0xff) << 24
                | (bytes[offset + 1] & 0xff) << 16
                | (bytes[offset + 2] & 0xff) << 8
                | bytes[offset + 3] & 0xff;
    }

    /** Returns the big-endian 64-bit value at {@code offset}. */
    static long readLong(byte[] bytes, int offset) {
        return (long) readInt(bytes, offset) << 32 | readInt(bytes, offset + 4) & 0xffffffffL;
    }

    /** Returns the address the key was made from, as the caller passed it. */
    InetAddress address() {
        return address;
    }

    boolean isIpv4() {
        return ipv4;
    }

    int ipv4Bits() {
        return ipv4Bits;
    }

    long ipv6High() {
        return ipv6High;
    }

    long ipv6Low() {
        return ipv6Low;
    }

    /** Orders IPv4 before IPv6, then by address as an unsigned number. */
    @Override
    public int compareTo(IpAddressKey other) {
        if (ipv4 != other.ipv4) {
            return ipv4 ? -1 : 1;
        }
        if (ipv4) {
            return Integer.compareUnsigned(ipv4Bits, other.ipv4Bits);
        }
        int high = Long.compareUnsigned(ipv6High, other.ipv6High);
        return high != 0 ? high : Long.compareUnsigned(ipv6Low, other.ipv6Low);
    }

    @Override
    public String toString() {
        return address.getHostAddress();
    }
}
