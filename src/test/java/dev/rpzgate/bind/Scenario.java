package dev.rpzgate.bind;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

import org.xbill.DNS.Name;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * One line of the scenario table: a question to ask both rpzgate and BIND, how to send it, what
 * it checks, and whether rpzgate is known to answer differently.
 *
 * <p>Line syntax: {@code name type [tcp] [src=127.0.0.x] [do | noedns] [nord]
 * [expect-differs: reason] # what it checks}. Without options the query goes over UDP from
 * 127.0.0.1 with RD set and an EDNS0 OPT record (payload 1232, DO clear), as dig sends it.
 *
 * @param key the query part of the line with single spaces, which names the scenario in
 *     known-differences.txt and must be unique in the table
 * @param line number of the line in the table, for messages
 * @param qname query name, absolute, with the letter case of the table
 * @param qtype query type, a {@link Type} constant
 * @param tcp whether the query goes over TCP instead of UDP
 * @param source client address the query is sent from, in 127.0.0.0/8
 * @param edns whether the query carries an OPT record
 * @param dnssecOk whether the OPT record has the DO bit set
 * @param recursionDesired whether the RD flag is set
 * @param expectedDifference why rpzgate answers differently from BIND, or null when the answers
 *     must match
 * @param description the comment after {@code #}: what the scenario checks
 */
public record Scenario(
        String key,
        int line,
        Name qname,
        int qtype,
        boolean tcp,
        InetAddress source,
        boolean edns,
        boolean dnssecOk,
        boolean recursionDesired,
        String expectedDifference,
        String description) {

    private static final String EXPECT_DIFFERS = "expect-differs:";
    private static final String SOURCE_PREFIX = "src=";
    private static final Pattern LOOPBACK_LITERAL =
            Pattern.compile("127\\.(25[0-5]|2[0-4]\\d|1?\\d?\\d)(\\.(25[0-5]|2[0-4]\\d|1?\\d?\\d)){2}");

    public Scenario {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(qname, "qname");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(description, "description");
        if (dnssecOk && !edns) {
            throw new IllegalArgumentException("the DO bit needs an OPT record: " + key);
        }
    }

    /** Returns whether the table marks this scenario as a known deviation from BIND. */
    public boolean expectsDifference() {
        return expectedDifference != null;
    }

    /**
     * Parses one table line that is neither blank nor a comment.
     *
     * @throws IllegalArgumentException naming the line when a token is invalid or missing
     */
    public static Scenario parse(String text, int line) {
        String query = text;
        String description = "";
        int hash = text.indexOf('#');
        if (hash >= 0) {
            query = text.substring(0, hash);
            description = text.substring(hash + 1).strip();
        }

        String expectedDifference = null;
        int marker = query.indexOf(EXPECT_DIFFERS);
        if (marker >= 0) {
            expectedDifference = query.substring(marker + EXPECT_DIFFERS.length()).strip();
            query = query.substring(0, marker);
            if (expectedDifference.isEmpty()) {
                throw invalid(line, text, "expect-differs: needs a reason");
            }
        }

        List<String> tokens = List.of(query.strip().split("\\s+"));
        if (tokens.size() < 2) {
            throw invalid(line, text, "expected at least a name and a type");
        }
        Name qname = parseName(tokens.get(0), line, text);
        int qtype = Type.value(tokens.get(1).toUpperCase(Locale.ROOT));
        if (qtype < 0) {
            throw invalid(line, text, "unknown type " + tokens.get(1));
        }

        boolean tcp = false;
        InetAddress source = loopback("127.0.0.1");
        boolean edns = true;
        boolean dnssecOk = false;
        boolean recursionDesired = true;
        for (String option : tokens.subList(2, tokens.size())) {
            switch (option) {
                case "tcp" -> tcp = true;
                case "do" -> dnssecOk = true;
                case "noedns" -> edns = false;
                case "nord" -> recursionDesired = false;
                default -> {
                    if (!option.startsWith(SOURCE_PREFIX)) {
                        throw invalid(line, text, "unknown option " + option
                                + " (expected tcp, src=127.0.0.x, do, noedns or nord)");
                    }
                    source = parseSource(option.substring(SOURCE_PREFIX.length()), line, text);
                }
            }
        }
        if (dnssecOk && !edns) {
            throw invalid(line, text, "do and noedns exclude each other");
        }

        return new Scenario(String.join(" ", tokens), line, qname, qtype, tcp, source, edns, dnssecOk,
                recursionDesired, expectedDifference, description);
    }

    private static Name parseName(String token, int line, String text) {
        try {
            return Name.fromString(token, Name.root);
        } catch (TextParseException e) {
            throw invalid(line, text, "invalid name " + token + ": " + e.getMessage());
        }
    }

    private static InetAddress parseSource(String address, int line, String text) {
        // Only a literal is accepted, so getByName never asks a resolver.
        if (!LOOPBACK_LITERAL.matcher(address).matches()) {
            throw invalid(line, text, "source address must be an IPv4 literal in 127.0.0.0/8, got " + address);
        }
        try {
            return InetAddress.getByName(address);
        } catch (UnknownHostException e) {
            throw invalid(line, text, "invalid source address " + address);
        }
    }

    private static InetAddress loopback(String address) {
        try {
            return InetAddress.getByName(address);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("cannot parse the literal " + address, e);
        }
    }

    private static IllegalArgumentException invalid(int line, String text, String problem) {
        return new IllegalArgumentException("scenario line " + line + " is invalid: " + problem + ": " + text);
    }

    /** Returns the query part and the description, which JUnit shows as the test name. */
    @Override
    public String toString() {
        String name = key;
        if (!description.isEmpty()) {
            name += " # " + description;
        }
        return name;
    }
}
