package dev.rpzgate.testing;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Master;
import org.xbill.DNS.Name;
import org.xbill.DNS.NameTooLongException;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * Records of the test upstream, with the lookup rules of an authoritative server for the root
 * zone: exact match, empty non-terminals, wildcards (RFC 4592), CNAME chains and negative
 * answers with the SOA of the closest enclosing zone (RFC 2308).
 *
 * <p>Thread-safe: every method locks the instance.
 */
final class ZoneData {

    /** Root SOA present from the start. Its negative TTL is min(3600, 300) = 300 seconds. */
    static final String DEFAULT_ROOT_SOA =
            ". 3600 IN SOA ns.upstream.test. hostmaster.upstream.test. 1 3600 600 86400 300";

    /** TTL in seconds of a parsed record whose line gives none. */
    static final long DEFAULT_TTL = 300;

    /** Longest CNAME chain that a lookup follows, so that a loop in the data ends. */
    private static final int MAX_CNAME_CHAIN = 16;

    private static final Name WILDCARD_LABEL = Name.fromConstantString("*");

    /** Record lists by owner name, then by type, in insertion order. */
    private final Map<Name, Map<Integer, List<Record>>> nodes = new LinkedHashMap<>();

    /** Records that answer a name absent from {@link #nodes}, or empty for NXDOMAIN. */
    private List<Record> unknownNameRecords = List.of();

    ZoneData() {
        parseZoneText(DEFAULT_ROOT_SOA).forEach(this::add);
    }

    /** Outcome of a lookup: the rcode and the records of the answer and authority sections. */
    record Answer(int rcode, List<Record> answer, List<Record> authority) {}

    /**
     * Adds a record. An SOA replaces the SOA of its owner, and a record already present with
     * the same data is kept once.
     *
     * @throws IllegalArgumentException if the class is not IN, or if the record would put a
     *     CNAME beside other data at one name (RFC 1034 section 3.6.2)
     */
    synchronized void add(Record record) {
        if (record.getDClass() != DClass.IN) {
            throw new IllegalArgumentException(
                    "Record class must be IN, got " + DClass.string(record.getDClass()) + ": " + record);
        }

        Map<Integer, List<Record>> node = nodes.computeIfAbsent(record.getName(), name -> new LinkedHashMap<>());
        int type = record.getType();
        boolean nodeHasCname = node.containsKey(Type.CNAME);
        boolean nodeHasOtherData = node.keySet().stream().anyMatch(existing -> existing != Type.CNAME);
        if (type == Type.CNAME && (nodeHasOtherData || nodeHasCname && !node.get(Type.CNAME).contains(record))) {
            throw new IllegalArgumentException(
                    "A CNAME must be the only record at its name, but " + record.getName() + " has other data: " + record);
        }
        if (type != Type.CNAME && nodeHasCname) {
            throw new IllegalArgumentException(
                    record.getName() + " has a CNAME, so no other record can be added there: " + record);
        }

        List<Record> records = node.computeIfAbsent(type, key -> new ArrayList<>());
        if (type == Type.SOA) {
            records.clear();
        }
        if (!records.contains(record)) {
            records.add(record);
        }
    }

    /** Sets the records that answer every name that does not exist; an empty list restores NXDOMAIN. */
    synchronized void setUnknownNameRecords(List<Record> records) {
        unknownNameRecords = List.copyOf(records);
    }

    /**
     * Looks up {@code qname}/{@code qtype} and follows CNAMEs in the data. As RFC 6604 states, the
     * rcode and the negative SOA belong to the last name of the chain.
     */
    /** Returns the RRSIG records at {@code owner} that cover {@code coveredType}, for DO queries. */
    synchronized List<Record> signatures(Name owner, int coveredType) {
        Map<Integer, List<Record>> rrsets = findNode(owner);
        if (rrsets == null || !rrsets.containsKey(Type.RRSIG)) {
            return List.of();
        }
        return rrsets.get(Type.RRSIG).stream()
                .filter(record -> ((org.xbill.DNS.RRSIGRecord) record).getTypeCovered() == coveredType)
                .toList();
    }

    synchronized Answer lookup(Name qname, int qtype) {
        List<Record> answer = new ArrayList<>();
        Set<Name> visited = new HashSet<>();
        Name current = qname;

        for (int hop = 0; hop <= MAX_CNAME_CHAIN && visited.add(current); hop++) {
            Map<Integer, List<Record>> rrsets = findNode(current);
            if (rrsets == null) {
                return new Answer(Rcode.NXDOMAIN, answer, negativeSoa(current));
            }

            if (qtype == Type.ANY && !rrsets.isEmpty()) {
                rrsets.values().forEach(answer::addAll);
                return new Answer(Rcode.NOERROR, answer, List.of());
            }

            List<Record> matching = rrsets.get(qtype);
            if (matching != null) {
                answer.addAll(matching);
                return new Answer(Rcode.NOERROR, answer, List.of());
            }

            List<Record> cname = rrsets.get(Type.CNAME);
            if (cname == null) {
                return new Answer(Rcode.NOERROR, answer, negativeSoa(current));
            }
            answer.addAll(cname);
            current = ((CNAMERecord) cname.get(0)).getTarget();
        }

        // NOTE: a CNAME loop or a chain longer than MAX_CNAME_CHAIN ends here with the CNAMEs
        // collected so far and NOERROR, which resembles an answer cut short by a server limit.
        return new Answer(Rcode.NOERROR, answer, List.of());
    }

    /**
     * Returns the records at {@code name} by type: its own, an empty map for an empty
     * non-terminal, or records synthesized from a wildcard or from the unknown-name records.
     * Returns null when the name does not exist.
     */
    private Map<Integer, List<Record>> findNode(Name name) {
        Map<Integer, List<Record>> node = nodes.get(name);
        if (node != null) {
            return node;
        }
        if (isEmptyNonTerminal(name)) {
            return Map.of();
        }

        Map<Integer, List<Record>> wildcard = nodes.get(wildcardOfClosestEncloser(name));
        if (wildcard != null) {
            return synthesize(name, wildcard.values().stream().flatMap(List::stream).toList());
        }
        if (!unknownNameRecords.isEmpty()) {
            return synthesize(name, unknownNameRecords);
        }
        return null;
    }

    private boolean isEmptyNonTerminal(Name name) {
        for (Name owner : nodes.keySet()) {
            if (!owner.equals(name) && owner.subdomain(name)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Returns {@code *.<closest encloser>}, where the closest encloser is the longest existing
     * ancestor of {@code name} (RFC 4592). The root always exists because it has the SOA.
     */
    private Name wildcardOfClosestEncloser(Name name) {
        Name ancestor = name;
        while (ancestor.labels() > 1) {
            ancestor = new Name(ancestor, 1);
            if (nodes.containsKey(ancestor) || isEmptyNonTerminal(ancestor)) {
                break;
            }
        }
        try {
            return Name.concatenate(WILDCARD_LABEL, ancestor);
        } catch (NameTooLongException e) {
            throw new IllegalStateException("*." + ancestor + " cannot be longer than the name below it, " + name, e);
        }
    }

    private static Map<Integer, List<Record>> synthesize(Name owner, List<Record> source) {
        Map<Integer, List<Record>> node = new LinkedHashMap<>();
        for (Record record : source) {
            node.computeIfAbsent(record.getType(), key -> new ArrayList<>()).add(record.withName(owner));
        }
        return node;
    }

    /**
     * Returns the SOA of the closest zone that contains {@code name}, with the negative TTL of
     * RFC 2308 section 5: the lower of the SOA's own TTL and its MINIMUM field.
     */
    private List<Record> negativeSoa(Name name) {
        Name zone = name;
        while (true) {
            Map<Integer, List<Record>> node = nodes.get(zone);
            if (node != null && node.containsKey(Type.SOA)) {
                SOARecord soa = (SOARecord) node.get(Type.SOA).get(0);
                long negativeTtl = Math.min(soa.getTTL(), soa.getMinimum());
                return List.of(new SOARecord(soa.getName(), soa.getDClass(), negativeTtl, soa.getHost(), soa.getAdmin(),
                        soa.getSerial(), soa.getRefresh(), soa.getRetry(), soa.getExpire(), soa.getMinimum()));
            }
            if (zone.labels() <= 1) {
                return List.of();
            }
            zone = new Name(zone, 1);
        }
    }

    /**
     * Parses master-file text (RFC 1035 section 5) with the root as origin, so a name without
     * a final dot is still absolute. A line without a TTL gets {@link #DEFAULT_TTL}.
     *
     * @throws IllegalArgumentException if the text is not valid master-file syntax or contains no record
     */
    static List<Record> parseZoneText(String zoneText) {
        List<Record> records = new ArrayList<>();
        try (Master master = new Master(new ByteArrayInputStream(zoneText.getBytes(StandardCharsets.UTF_8)),
                Name.root, DEFAULT_TTL)) {
            master.disableIncludes();
            for (Record record = master.nextRecord(); record != null; record = master.nextRecord()) {
                records.add(record);
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("Invalid zone file text \"" + zoneText + "\": " + e.getMessage(), e);
        }
        if (records.isEmpty()) {
            throw new IllegalArgumentException("Zone file text contains no record: \"" + zoneText + "\"");
        }
        return records;
    }

    static Name parseName(String name) {
        try {
            return Name.fromString(name, Name.root);
        } catch (TextParseException e) {
            throw new IllegalArgumentException("Invalid domain name: " + name, e);
        }
    }
}
