package dev.rpzgate.source;

import dev.rpzgate.policy.PolicyAction;
import dev.rpzgate.policy.PolicyZone;
import dev.rpzgate.policy.PolicyZoneBuilder;
import dev.rpzgate.policy.ZoneSettings;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import org.xbill.DNS.Address;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Name;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.TextParseException;

/**
 * Reads a hosts file or a domain list into a policy zone whose rules all have one action.
 *
 * <p>Both formats take {@code #} comments, at the start of a line or after a name, and blank
 * lines. A hosts-file line is a sink address ({@code 0.0.0.0}, {@code ::} or a loopback address
 * such as {@code 127.0.0.1} or {@code ::1}) followed by one or more names. The entries that every
 * hosts file carries for the machine itself ({@code localhost}, {@code localhost.localdomain},
 * {@code local}, {@code broadcasthost}, {@code ip6-*} and the name {@code 0.0.0.0}) are ignored.
 * A domain list has one name a line; {@code *.name} there covers only the names below
 * {@code name}.
 *
 * <p>A line that gives no valid name is skipped with its line number and reason, as a record of
 * an RPZ zone is, and never fails the zone. Only a read error fails it.
 *
 * <p>Such a source has no SOA record, so the zone gets one: {@code localhost.
 * hostmaster.localhost.} with a TTL and minimum of 60 seconds, and as serial the CRC-32 of the
 * source's bytes. Equal content therefore gives an equal serial on every replica and after a
 * restart, but the serial does not grow from one version to the next.
 */
public final class NameListLoader {

    /** TTL and negative-caching minimum of the SOA record that a list zone gets, in seconds. */
    static final long SOA_TTL_SECONDS = 60;

    private static final Name SOA_HOST = Name.fromConstantString("localhost.");
    private static final Name SOA_ADMIN = Name.fromConstantString("hostmaster.localhost.");
    private static final Set<String> MACHINE_NAMES = Set.of(
            "localhost", "localhost.localdomain", "local", "broadcasthost", "0.0.0.0");

    private final ZoneFormat format;
    private final boolean subdomains;
    private final PolicyAction action;
    private final PolicyZoneBuilder builder;

    private NameListLoader(ZoneFormat format, boolean subdomains, PolicyAction action, PolicyZoneBuilder builder) {
        this.format = format;
        this.subdomains = subdomains;
        this.action = action;
        this.builder = builder;
    }

    /**
     * Reads a list into a zone.
     *
     * @param text the list, UTF-8; read to its end but not closed
     * @param source the file path or URL, for skipped lines and log lines
     * @param origin zone origin, absolute
     * @param format {@link ZoneFormat#HOSTS} or {@link ZoneFormat#DOMAINS}
     * @param subdomains whether each name also covers the names below it
     * @param action the action of every rule, not {@link PolicyAction#LOCAL_DATA}
     * @return the zone and the number of bytes read
     * @throws IOException if reading fails
     */
    public static LoadedZone load(InputStream text, String source, Name origin, ZoneSettings settings,
                                  ZoneFormat format, boolean subdomains, PolicyAction action) throws IOException {
        return load(text, source, origin, settings, format, subdomains, action, null);
    }

    /**
     * Reads a list into a new version of {@code inForce}, which shares the rules and names that
     * did not change with it, as {@link PolicyZoneBuilder#PolicyZoneBuilder(Name, ZoneSettings,
     * String, PolicyZone)} describes.
     *
     * @param inForce the version of the zone in force, or null
     */
    public static LoadedZone load(InputStream text, String source, Name origin, ZoneSettings settings,
                                  ZoneFormat format, boolean subdomains, PolicyAction action, PolicyZone inForce)
            throws IOException {
        Objects.requireNonNull(text, "text");
        if (!format.isNameList()) {
            throw new IllegalArgumentException("not a name list format: " + format.label());
        }
        if (action == PolicyAction.LOCAL_DATA) {
            throw new IllegalArgumentException("a name list has no local data");
        }
        PolicyZoneBuilder builder = new PolicyZoneBuilder(origin, settings, source, inForce);
        NameListLoader loader = new NameListLoader(format, subdomains, action, builder);

        CountingInputStream counted = new CountingInputStream(text);
        // Malformed bytes become U+FFFD, so such a line is skipped as a bad name instead of failing the zone.
        var decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPLACE)
                .onUnmappableCharacter(CodingErrorAction.REPLACE);
        BufferedReader reader = new BufferedReader(new InputStreamReader(counted, decoder), 64 * 1024);
        int lineNumber = 0;
        for (String line = reader.readLine(); line != null; line = reader.readLine()) {
            lineNumber++;
            loader.addLine(line, lineNumber);
        }

        builder.add(new SOARecord(origin, DClass.IN, SOA_TTL_SECONDS, SOA_HOST, SOA_ADMIN, counted.crc32(),
                3600, 600, 86400, SOA_TTL_SECONDS), 0);
        return new LoadedZone(builder.build(), counted.count());
    }

    private void addLine(String line, int lineNumber) {
        String content = withoutComment(line);
        if (content.isEmpty()) {
            return;
        }
        String[] fields = content.split("\\s+");
        if (format == ZoneFormat.HOSTS) {
            addHostsLine(fields, lineNumber);
            return;
        }
        if (fields.length > 1) {
            String hint = isAddress(fields[0]) ? "; this looks like a hosts file, set format: hosts" : "";
            builder.skipLine(lineNumber, null, "expected one name, found " + fields.length + " fields" + hint);
            return;
        }
        addName(fields[0], lineNumber, true);
    }

    private void addHostsLine(String[] fields, int lineNumber) {
        List<String> names = new ArrayList<>(fields.length - 1);
        for (int i = 1; i < fields.length; i++) {
            if (!isMachineName(fields[i])) {
                names.add(fields[i]);
            }
        }
        if (fields.length > 1 && names.isEmpty()) {
            // Entries such as "255.255.255.255 broadcasthost" or "fe80::1%lo0 localhost" describe
            // the machine that wrote the file, whatever their address.
            return;
        }

        InetAddress address;
        try {
            address = Address.getByAddress(fields[0]);
        } catch (UnknownHostException e) {
            builder.skipLine(lineNumber, null, "'" + fields[0] + "' is not an IP address; a hosts-file line "
                    + "starts with an address such as 0.0.0.0");
            return;
        }
        if (!address.isAnyLocalAddress() && !address.isLoopbackAddress()) {
            builder.skipLine(lineNumber, null, "address " + fields[0] + " is not 0.0.0.0, :: or a loopback address; "
                    + "rpzgate blocks listed names but does not answer with other addresses");
            return;
        }
        if (names.isEmpty()) {
            builder.skipLine(lineNumber, null, "no name after the address " + fields[0]);
            return;
        }
        for (String name : names) {
            addName(name, lineNumber, false);
        }
    }

    /** Adds the rules of one name, or skips it with the reason. */
    private void addName(String text, int lineNumber, boolean wildcardAllowed) {
        boolean wildcardOnly = wildcardAllowed && text.startsWith("*.");
        String nameText = wildcardOnly ? text.substring(2) : text;
        String problem = nameProblem(nameText);
        if (problem != null) {
            builder.skipLine(lineNumber, null, "invalid name '" + text + "': " + problem);
            return;
        }
        Name name;
        try {
            name = Name.fromString(nameText, Name.root);
        } catch (TextParseException e) {
            builder.skipLine(lineNumber, null, "invalid name '" + text + "': " + e.getMessage());
            return;
        }
        if (name.equals(Name.root)) {
            builder.skipLine(lineNumber, null, "invalid name '" + text + "': the root");
            return;
        }

        if (!wildcardOnly) {
            builder.addQnameAction(name, false, action, lineNumber);
        }
        if (wildcardOnly || subdomains) {
            builder.addQnameAction(name, true, action, lineNumber);
        }
    }

    /** Returns why {@code text} is not a host name that a list may contain, or null if it may be one. */
    private static String nameProblem(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '_' || c == '.';
            if (c > 0x7f) {
                return "not ASCII; write international names in punycode (xn--)";
            }
            if (!allowed) {
                return "character '" + c + "' is not allowed in a host name";
            }
        }
        if (text.startsWith(".") || text.contains("..")) {
            return "empty label";
        }
        if (Address.isDottedQuad(text)) {
            return "an IPv4 address, not a name; use an rpz-ip rule in an RPZ zone to block an address";
        }
        return null;
    }

    private static boolean isMachineName(String text) {
        String lower = text.toLowerCase(Locale.ROOT);
        if (lower.endsWith(".") && lower.length() > 1) {
            lower = lower.substring(0, lower.length() - 1);
        }
        return MACHINE_NAMES.contains(lower) || lower.startsWith("ip6-");
    }

    private static boolean isAddress(String text) {
        try {
            Address.getByAddress(text);
            return true;
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static String withoutComment(String line) {
        // '#' never appears in a host name, so the first one starts the comment.
        int hash = line.indexOf('#');
        return (hash < 0 ? line : line.substring(0, hash)).strip();
    }
}
