package dev.rpzgate.policy;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import org.xbill.DNS.Name;

/**
 * Decodes the owner labels of {@code rpz-ip}, {@code rpz-client-ip} and {@code rpz-nsip} triggers
 * as draft-vixie-dnsop-dns-rpz encodes them: first the prefix length in decimal, then the address
 * labels in reverse order. IPv4 takes exactly four decimal octets, for example
 * {@code 24.0.2.0.192} for 192.0.2.0/24. IPv6 takes eight hexadecimal groups, where one
 * {@code zz} label stands for a run of zero groups as {@code ::} does, for example
 * {@code 48.zz.db8.2001} for 2001:db8::/48.
 *
 * <p>Like BIND, the decoder accepts groups with leading zeros and a {@code zz} that is not the
 * longest zero run, so it does not enforce the canonical form of RFC 5952.
 */
final class IpTriggerDecoder {

    /** Decoded address block, or the reason why the labels are not one. */
    record Result(InetAddress address, int prefixLength, String error) {

        static Result invalid(String error) {
            return new Result(null, 0, error);
        }
    }

    private IpTriggerDecoder() {}

    /**
     * Decodes labels {@code 0} to {@code triggerLabelIndex - 1} of {@code owner}.
     *
     * @param owner owner name of the record
     * @param triggerLabelIndex index of the {@code rpz-ip}, {@code rpz-client-ip} or
     *     {@code rpz-nsip} label in {@code owner}
     */
    static Result decode(Name owner, int triggerLabelIndex) {
        if (triggerLabelIndex < 2) {
            return Result.invalid("no prefix length and address labels before the trigger label");
        }
        String prefixText = owner.getLabelString(0);
        int prefixLength = parseNumber(prefixText, 10, 3);
        if (prefixLength < 0) {
            return Result.invalid("prefix length '" + prefixText + "' is not a decimal number");
        }

        int addressLabels = triggerLabelIndex - 1;
        boolean hasZz = false;
        for (int i = 1; i < triggerLabelIndex; i++) {
            hasZz |= owner.getLabelString(i).equalsIgnoreCase("zz");
        }
        if (addressLabels == 4 && !hasZz) {
            return decodeIpv4(owner, prefixLength);
        }
        if (!hasZz && addressLabels != 8 || hasZz && addressLabels > 8) {
            return Result.invalid(addressLabels
                    + " address labels, but IPv4 needs 4 and IPv6 needs 8 or fewer with zz");
        }
        return decodeIpv6(owner, triggerLabelIndex, prefixLength);
    }

    private static Result decodeIpv4(Name owner, int prefixLength) {
        if (prefixLength < 1 || prefixLength > 32) {
            return Result.invalid("prefix length " + prefixLength + " is out of range 1..32 for IPv4");
        }
        byte[] address = new byte[4];
        for (int i = 1; i <= 4; i++) {
            String label = owner.getLabelString(i);
            int octet = parseNumber(label, 10, 3);
            if (octet < 0 || octet > 255) {
                return Result.invalid("IPv4 octet '" + label + "' is not a decimal number 0..255");
            }
            address[4 - i] = (byte) octet;
        }
        return toResult(address, prefixLength);
    }

    private static Result decodeIpv6(Name owner, int triggerLabelIndex, int prefixLength) {
        if (prefixLength < 1 || prefixLength > 128) {
            return Result.invalid("prefix length " + prefixLength + " is out of range 1..128 for IPv6");
        }

        // Labels run from the last group to the first, so the walk goes from the trigger label
        // down to label 1 and fills groups in address order.
        int groupCount = triggerLabelIndex - 1;
        int zeroGroups = 8 - (groupCount - 1);
        byte[] address = new byte[16];
        int group = 0;
        boolean seenZz = false;
        for (int i = triggerLabelIndex - 1; i >= 1; i--) {
            String label = owner.getLabelString(i);
            if (label.equalsIgnoreCase("zz")) {
                if (seenZz) {
                    return Result.invalid("more than one zz label");
                }
                seenZz = true;
                group += zeroGroups;
                continue;
            }
            int value = parseNumber(label, 16, 4);
            if (value < 0) {
                return Result.invalid("IPv6 group '" + label + "' is not 1 to 4 hexadecimal digits");
            }
            address[2 * group] = (byte) (value >>> 8);
            address[2 * group + 1] = (byte) value;
            group++;
        }
        return toResult(address, prefixLength);
    }

    private static Result toResult(byte[] address, int prefixLength) {
        for (int bit = prefixLength; bit < address.length * 8; bit++) {
            if ((address[bit / 8] & (0x80 >>> (bit % 8))) != 0) {
                return Result.invalid("address has bits set beyond prefix length " + prefixLength);
            }
        }
        try {
            // Inet6Address keeps an IPv4-mapped address as IPv6, but InetAddress would make it IPv4.
            InetAddress inet = address.length == 4
                    ? InetAddress.getByAddress(address)
                    : Inet6Address.getByAddress(null, address, -1);
            return new Result(inet, prefixLength, null);
        } catch (UnknownHostException e) {
            // Only thrown for arrays that are neither 4 nor 16 bytes long.
            throw new IllegalStateException(e);
        }
    }

    /** Parses 1 to {@code maxDigits} ASCII digits of {@code radix}. Returns -1 for anything else. */
    private static int parseNumber(String text, int radix, int maxDigits) {
        if (text.isEmpty() || text.length() > maxDigits) {
            return -1;
        }
        int value = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            int digit = c < 128 ? Character.digit(c, radix) : -1;
            if (digit < 0) {
                return -1;
            }
            value = value * radix + digit;
        }
        return value;
    }
}
