package dev.rpzgate.policy;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The client networks a policy zone applies to, the {@code client-cidrs} zone setting. An empty
 * set, {@link #ANY}, applies the zone to every client.
 *
 * <p>The query path calls {@link #contains} once per zone that has networks. The networks are kept
 * as plain numbers in arrays and scanned linearly rather than in a prefix tree, because a zone
 * lists a handful of networks, and a scan of a few array entries takes no lock. An IPv4 client
 * costs no allocation. NOTE: an IPv6 client costs one 16-byte copy of its address per zone
 * with networks, because Inet6Address offers its bytes only as a copy. An IPv4-mapped IPv6
 * client ({@code ::ffff:a.b.c.d}) is matched as the IPv4 address.
 */
public final class ClientCidrs {

    /** No networks: the zone applies to every client. */
    public static final ClientCidrs ANY = new ClientCidrs(List.of(), new int[0], new int[0], new long[0],
            new long[0], new long[0], new long[0]);

    private final List<String> text;
    private final int[] ipv4Networks;
    private final int[] ipv4Masks;
    private final long[] ipv6NetworksHigh;
    private final long[] ipv6NetworksLow;
    private final long[] ipv6MasksHigh;
    private final long[] ipv6MasksLow;

    private ClientCidrs(List<String> text, int[] ipv4Networks, int[] ipv4Masks, long[] ipv6NetworksHigh,
                        long[] ipv6NetworksLow, long[] ipv6MasksHigh, long[] ipv6MasksLow) {
        this.text = text;
        this.ipv4Networks = ipv4Networks;
        this.ipv4Masks = ipv4Masks;
        this.ipv6NetworksHigh = ipv6NetworksHigh;
        this.ipv6NetworksLow = ipv6NetworksLow;
        this.ipv6MasksHigh = ipv6MasksHigh;
        this.ipv6MasksLow = ipv6MasksLow;
    }

    /**
     * Parses networks written as {@code 10.0.0.0/8}, {@code 2001:db8::/32} or a bare address
     * (a /32 or /128). An empty list gives {@link #ANY}.
     *
     * @throws IllegalArgumentException naming the invalid entry, or an entry with bits set below
     *     its prefix, such as {@code 10.1.2.3/8}
     */
    public static ClientCidrs parse(List<String> cidrs) {
        if (cidrs.isEmpty()) {
            return ANY;
        }
        List<int[]> ipv4 = new ArrayList<>();
        List<long[]> ipv6 = new ArrayList<>();
        List<String> text = new ArrayList<>();
        for (String entry : cidrs) {
            String cidr = entry.strip();
            int slash = cidr.indexOf('/');
            String host = slash < 0 ? cidr : cidr.substring(0, slash);
            byte[] bytes = addressBytes(host, entry);
            int maxBits = bytes.length * 8;
            int bits = maxBits;
            if (slash >= 0) {
                String length = cidr.substring(slash + 1);
                // Integer.parseInt would also take a sign (10.0.0.0/+8) or non-ASCII digits, and CIDR
                // notation allows neither.
                bits = -1;
                if (!length.isEmpty() && length.length() <= 3 && length.chars().allMatch(c -> c >= '0' && c <= '9')) {
                    bits = Integer.parseInt(length);
                }
                if (bits < 0 || bits > maxBits) {
                    throw new IllegalArgumentException("invalid CIDR '" + entry + "': prefix length must be 0 to "
                            + maxBits);
                }
            }
            if (bytes.length == 4) {
                int address = IpAddressKey.readInt(bytes, 0);
                int mask = bits == 0 ? 0 : -1 << (32 - bits);
                checkHostBits((address & ~mask) != 0, entry);
                ipv4.add(new int[] {address, mask});
            } else {
                long high = IpAddressKey.readLong(bytes, 0);
                long low = IpAddressKey.readLong(bytes, 8);
                long maskHigh = prefixMask(Math.min(bits, 64));
                long maskLow = prefixMask(Math.max(bits - 64, 0));
                checkHostBits((high & ~maskHigh) != 0 || (low & ~maskLow) != 0, entry);
                ipv6.add(new long[] {high, low, maskHigh, maskLow});
            }
            text.add(cidr);
        }
        return new ClientCidrs(List.copyOf(text),
                ipv4.stream().mapToInt(pair -> pair[0]).toArray(),
                ipv4.stream().mapToInt(pair -> pair[1]).toArray(),
                ipv6.stream().mapToLong(quad -> quad[0]).toArray(),
                ipv6.stream().mapToLong(quad -> quad[1]).toArray(),
                ipv6.stream().mapToLong(quad -> quad[2]).toArray(),
                ipv6.stream().mapToLong(quad -> quad[3]).toArray());
    }

    /** Parses an address literal without ever resolving a name: IPv4 by hand, IPv6 by the JDK, which treats text with a colon as a literal only. */
    private static byte[] addressBytes(String host, String entry) {
        if (host.indexOf(':') >= 0) {
            try {
                return InetAddress.getByName(host).getAddress();
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("invalid CIDR '" + entry + "': not an IP address", e);
            }
        }
        String[] octets = host.split("\\.", -1);
        if (octets.length != 4) {
            throw new IllegalArgumentException("invalid CIDR '" + entry + "': not an IP address");
        }
        byte[] bytes = new byte[4];
        for (int i = 0; i < 4; i++) {
            String octet = octets[i];
            if (octet.isEmpty() || octet.length() > 3 || !octet.chars().allMatch(Character::isDigit)
                    || Integer.parseInt(octet) > 255) {
                throw new IllegalArgumentException("invalid CIDR '" + entry + "': not an IP address");
            }
            bytes[i] = (byte) Integer.parseInt(octet);
        }
        return bytes;
    }

    /** Returns a 64-bit mask with the top {@code bits} bits set, for 0 to 64 bits. */
    private static long prefixMask(int bits) {
        // Java shifts a long by the count modulo 64, so -1L << 64 would keep every bit set.
        if (bits == 0) {
            return 0;
        }
        return -1L << (64 - bits);
    }

    private static void checkHostBits(boolean set, String entry) {
        if (set) {
            throw new IllegalArgumentException("invalid CIDR '" + entry + "': bits are set after the prefix length; "
                    + "write the network address");
        }
    }

    /** Returns whether this set lists no networks, so the zone applies to every client. */
    public boolean isAny() {
        return text.isEmpty();
    }

    /** Returns whether {@code client} lies in one of the networks; always true for {@link #ANY}. */
    public boolean contains(InetAddress client) {
        if (text.isEmpty()) {
            return true;
        }
        Objects.requireNonNull(client, "client");
        if (client instanceof Inet4Address) {
            // OpenJDK's Inet4Address.hashCode() is the address as an int, which spares the copy
            // that getAddress() makes on every query; ClientCidrsTest pins this.
            return containsIpv4(client.hashCode());
        }
        byte[] bytes = client.getAddress();
        if (IpAddressKey.isIpv4Mapped(bytes)) {
            return containsIpv4(IpAddressKey.readInt(bytes, 12));
        }
        long high = IpAddressKey.readLong(bytes, 0);
        long low = IpAddressKey.readLong(bytes, 8);
        for (int i = 0; i < ipv6NetworksHigh.length; i++) {
            if ((high & ipv6MasksHigh[i]) == ipv6NetworksHigh[i] && (low & ipv6MasksLow[i]) == ipv6NetworksLow[i]) {
                return true;
            }
        }
        return false;
    }

    private boolean containsIpv4(int address) {
        for (int i = 0; i < ipv4Networks.length; i++) {
            if ((address & ipv4Masks[i]) == ipv4Networks[i]) {
                return true;
            }
        }
        return false;
    }

    /** Returns the networks as written, for logs and status. */
    public List<String> networks() {
        return text;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ClientCidrs cidrs && cidrs.text.equals(text);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }

    @Override
    public String toString() {
        return isAny() ? "any" : String.join(",", text);
    }
}
