package dev.rpzgate.policy;

import java.net.Inet4Address;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Longest-prefix match over the address blocks of one trigger type in one zone. Instances are
 * immutable and safe to share between threads, and a lookup takes no lock and allocates nothing.
 *
 * <p>The blocks sit in sorted primitive arrays, grouped by prefix length from longest to
 * shortest, and a lookup masks the address to each group's length and binary-searches that
 * group. The first hit is the longest prefix.
 *
 * <p>This layout was chosen over a binary trie because it needs no node objects. A block costs
 * two longs and one reference, about 20 bytes with compressed references, so 100,000 blocks
 * take about 2 MB. A trie without path compression needs up to 32 or 128 nodes per block. A
 * lookup costs one binary search per distinct prefix length in the table, at most 33 for IPv4
 * and 128 for IPv6.
 *
 * <p>IPv4 and IPv6 are separate groups, so an IPv4 address never matches an IPv6 block. As in
 * BIND 9, an IPv4-mapped IPv6 address is looked up as IPv4, and an IPv4-mapped IPv6 block of /96
 * or longer is stored as the IPv4 block of its last 32 bits, so {@code 128.2c9.c000.ffff.zz}
 * and {@code 32.201.2.0.192} are one block. An IPv4-mapped block of exactly /96 matches every
 * IPv4 address.
 *
 * <p>NOTE: BIND 9.12 ({@code lib/dns/rpz.c}, {@code lib/ns/query.c}) differs in edge cases. It
 * looks an IPv4-mapped address up only in zones that also have IPv6 rules of the trigger type,
 * and an IPv4 address can match a short IPv6 block such as {@code ::/8} in a zone that also has
 * IPv4 rules. After a hit it reads the rule by its canonical owner name, so a rule written in
 * another form, such as the IPv4-mapped form above or with leading zeros, never produces a hit
 * there. Here all of these match by address and family as described above.
 */
final class IpPrefixTable {

    static final IpPrefixTable EMPTY = new IpPrefixTable(List.of());

    private final List<IpTriggerRule> rules;
    private final Family ipv4;
    private final Family ipv6;

    /**
     * Builds the table. When two rules have the same block, such as {@code 24.0.2.0.192} and a
     * second spelling with leading zeros, the first in {@code rules} wins.
     *
     * @param rules rules in zone file order
     */
    IpPrefixTable(List<IpTriggerRule> rules) {
        this.rules = List.copyOf(rules);
        List<Block> ipv4Blocks = new ArrayList<>();
        List<Block> ipv6Blocks = new ArrayList<>();
        for (IpTriggerRule rule : this.rules) {
            IpAddressKey network = IpAddressKey.ofBlock(rule);
            if (network.isIpv4()) {
                // A mapped IPv6 block counts the 96 bits of ::ffff:0:0/96 in its prefix length.
                int prefixLength = rule.address() instanceof Inet4Address ? rule.prefixLength() : rule.prefixLength() - 96;
                ipv4Blocks.add(new Block(0, network.ipv4Bits() & 0xffffffffL, prefixLength, rule));
            } else {
                ipv6Blocks.add(new Block(network.ipv6High(), network.ipv6Low(), rule.prefixLength(), rule));
            }
        }
        this.ipv4 = Family.of(ipv4Blocks);
        this.ipv6 = Family.of(ipv6Blocks);
    }

    /** Returns the rules in zone file order, including any that lost to an earlier duplicate block. */
    List<IpTriggerRule> rules() {
        return rules;
    }

    boolean isEmpty() {
        return rules.isEmpty();
    }

    /** Returns the rule with the longest prefix that contains {@code address}, or null if none does. */
    IpTriggerRule lookup(IpAddressKey address) {
        if (address.isIpv4()) {
            return ipv4.lookup(0, address.ipv4Bits() & 0xffffffffL, 32);
        }
        return ipv6.lookup(address.ipv6High(), address.ipv6Low(), 128);
    }

    /**
     * Returns the match that wins among {@code addresses} by {@link IpTriggerMatch#precedes}, or
     * null if no address matches. Among equal matches the earliest address wins.
     */
    IpTriggerMatch bestMatch(IpAddressKey[] addresses) {
        if (rules.isEmpty()) {
            return null;
        }
        IpTriggerMatch best = null;
        for (IpAddressKey address : addresses) {
            IpTriggerRule rule = lookup(address);
            if (rule == null) {
                continue;
            }
            IpTriggerMatch match = new IpTriggerMatch(rule, address.address());
            if (best == null || match.precedes(best)) {
                best = match;
            }
        }
        return best;
    }

    /**
     * One block as two unsigned 64-bit halves, the high half first. IPv4 blocks use only the low
     * half, so both families share the search code.
     */
    private record Block(long high, long low, int prefixLength, IpTriggerRule rule) {}

    /** The blocks of one address family, grouped by prefix length from longest to shortest. */
    private static final class Family {

        private static final Comparator<Block> LONGEST_FIRST = Comparator
                .comparingInt((Block block) -> -block.prefixLength())
                .thenComparing(Block::high, Long::compareUnsigned)
                .thenComparing(Block::low, Long::compareUnsigned);

        // Group g has prefix length prefixLengths[g] and covers indexes groupStart[g] to
        // groupStart[g + 1] - 1 of the block arrays, sorted by block address as unsigned numbers.
        private final int[] prefixLengths;
        private final int[] groupStart;
        private final long[] highs;
        private final long[] lows;
        private final IpTriggerRule[] rules;

        private Family(int[] prefixLengths, int[] groupStart, long[] highs, long[] lows, IpTriggerRule[] rules) {
            this.prefixLengths = prefixLengths;
            this.groupStart = groupStart;
            this.highs = highs;
            this.lows = lows;
            this.rules = rules;
        }

        static Family of(List<Block> blocks) {
            // List.sort is stable, so of two equal blocks the one from earlier in the zone comes
            // first and survives the duplicate check below.
            blocks.sort(LONGEST_FIRST);
            List<Block> unique = new ArrayList<>(blocks.size());
            List<Integer> lengths = new ArrayList<>();
            List<Integer> starts = new ArrayList<>();
            Block previous = null;
            for (Block block : blocks) {
                if (previous != null && LONGEST_FIRST.compare(previous, block) == 0) {
                    continue;
                }
                if (previous == null || previous.prefixLength() != block.prefixLength()) {
                    lengths.add(block.prefixLength());
                    starts.add(unique.size());
                }
                unique.add(block);
                previous = block;
            }
            starts.add(unique.size());

            long[] highs = new long[unique.size()];
            long[] lows = new long[unique.size()];
            IpTriggerRule[] rules = new IpTriggerRule[unique.size()];
            for (int i = 0; i < unique.size(); i++) {
                highs[i] = unique.get(i).high();
                lows[i] = unique.get(i).low();
                rules[i] = unique.get(i).rule();
            }
            return new Family(
                    lengths.stream().mapToInt(Integer::intValue).toArray(),
                    starts.stream().mapToInt(Integer::intValue).toArray(),
                    highs,
                    lows,
                    rules);
        }

        /**
         * Returns the rule of the longest block that contains the address, or null.
         *
         * @param addressBits width of the family, 32 or 128. An IPv4 address sits in the low 32
         *     bits of {@code low}.
         */
        IpTriggerRule lookup(long high, long low, int addressBits) {
            for (int group = 0; group < prefixLengths.length; group++) {
                int hostBits = addressBits - prefixLengths[group];
                long maskedHigh = high & highMask(hostBits);
                long maskedLow = low & lowMask(hostBits);
                int index = search(groupStart[group], groupStart[group + 1], maskedHigh, maskedLow);
                if (index >= 0) {
                    return rules[index];
                }
            }
            return null;
        }

        /** Returns the mask for the high half that clears the last {@code hostBits} bits of the address. */
        private static long highMask(int hostBits) {
            if (hostBits <= 64) {
                return -1L;
            }
            return hostBits >= 128 ? 0 : -1L << (hostBits - 64);
        }

        /** Returns the mask for the low half that clears the last {@code hostBits} bits of the address. */
        private static long lowMask(int hostBits) {
            // Java shifts a long by the count modulo 64, so 64 host bits need their own case.
            return hostBits >= 64 ? 0 : -1L << hostBits;
        }

        /** Binary-searches indexes {@code from} to {@code to - 1}. Returns the index, or -1. */
        private int search(int from, int to, long high, long low) {
            int lowIndex = from;
            int highIndex = to - 1;
            while (lowIndex <= highIndex) {
                int middle = (lowIndex + highIndex) >>> 1;
                int order = Long.compareUnsigned(highs[middle], high);
                if (order == 0) {
                    order = Long.compareUnsigned(lows[middle], low);
                }
                if (order < 0) {
                    lowIndex = middle + 1;
                } else if (order > 0) {
                    highIndex = middle - 1;
                } else {
                    return middle;
                }
            }
            return -1;
        }
    }
}
