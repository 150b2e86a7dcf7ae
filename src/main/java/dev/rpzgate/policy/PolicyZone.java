package dev.rpzgate.policy;

import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.xbill.DNS.Name;
import org.xbill.DNS.SOARecord;

/**
 * One loaded response policy zone. Instances are immutable and safe to share between threads.
 * {@link PolicyZoneBuilder} creates them.
 *
 * <p>QNAME and NSDNAME rules live in {@link NameTriggerTable}s and the rules of each IP trigger
 * type in an {@link IpPrefixTable}, all built once when the zone is loaded and read without locks.
 */
public final class PolicyZone {

    private final Name name;
    private final String label;
    private final SOARecord soa;
    private final SOARecord negativeAnswerSoa;
    private final byte[] negativeAnswerSoaWire;
    private final ZoneSettings settings;
    private final String source;
    private final NameTriggerTable<PolicyRule> qnameRules;
    private final IpPrefixTable ipRules;
    private final IpPrefixTable clientIpRules;
    private final List<NsdnameRule> nsdnameRules;
    private final NameTriggerTable<NsdnameRule> nsdnameTable;
    private final IpPrefixTable nsipRules;
    private final List<SkippedRecord> skipped;
    private final int skippedCount;
    private final Map<String, Integer> skippedByCategory;

    /**
     * Creates a zone from tables that {@link PolicyZoneBuilder#build()} made.
     *
     * @param nsdnameRules the NSDNAME rules in file order, the same rules that {@code nsdnameTable}
     *     contains
     */
    PolicyZone(
            Name name,
            SOARecord soa,
            ZoneSettings settings,
            String source,
            NameTriggerTable<PolicyRule> qnameRules,
            IpPrefixTable ipRules,
            IpPrefixTable clientIpRules,
            List<NsdnameRule> nsdnameRules,
            NameTriggerTable<NsdnameRule> nsdnameTable,
            IpPrefixTable nsipRules,
            SkippedTally skipped) {
        this.name = Objects.requireNonNull(name, "name");
        this.label = name.toString(true);
        this.soa = soa;
        if (soa == null) {
            this.negativeAnswerSoa = null;
            this.negativeAnswerSoaWire = null;
        } else {
            // RFC 2308 section 3: a negative answer's SOA lives for the smaller of its TTL and minimum field.
            this.negativeAnswerSoa = new SOARecord(name, soa.getDClass(), Math.min(soa.getTTL(), soa.getMinimum()),
                    soa.getHost(), soa.getAdmin(), soa.getSerial(), soa.getRefresh(), soa.getRetry(), soa.getExpire(),
                    soa.getMinimum());
            this.negativeAnswerSoaWire = negativeAnswerSoa.toWire(org.xbill.DNS.Section.ADDITIONAL);
        }
        this.settings = Objects.requireNonNull(settings, "settings");
        this.source = Objects.requireNonNull(source, "source");
        this.qnameRules = Objects.requireNonNull(qnameRules, "qnameRules");
        this.ipRules = Objects.requireNonNull(ipRules, "ipRules");
        this.clientIpRules = Objects.requireNonNull(clientIpRules, "clientIpRules");
        this.nsdnameRules = List.copyOf(nsdnameRules);
        this.nsdnameTable = Objects.requireNonNull(nsdnameTable, "nsdnameTable");
        this.nsipRules = Objects.requireNonNull(nsipRules, "nsipRules");
        this.skipped = List.copyOf(skipped.kept());
        this.skippedCount = skipped.count();
        this.skippedByCategory = skipped.byCategory();
    }

    /** Returns the zone origin, absolute. */
    public Name name() {
        return name;
    }

    /**
     * Returns the zone name without the final dot, as metrics and the hit log show it, built once
     * because every policy hit needs it.
     */
    public String label() {
        return label;
    }

    /** Returns the SOA serial, or 0 if the zone has no SOA record. */
    public long serial() {
        return soa == null ? 0 : soa.getSerial();
    }

    /** Returns the SOA record at the apex, or null if the zone file has none. */
    public SOARecord soa() {
        return soa;
    }

    /**
     * Returns the SOA that policy answers carry in the additional section, owned by the zone name
     * with the negative TTL, or null if the zone file has none. Built once, because every rewritten
     * answer needs it.
     */
    public SOARecord negativeAnswerSoa() {
        return negativeAnswerSoa;
    }

    /** Returns {@link #negativeAnswerSoa()} in wire format without name compression, or null; callers must not change it. */
    public byte[] negativeAnswerSoaWire() {
        return negativeAnswerSoaWire;
    }

    /** Returns the settings the zone was loaded with. */
    public ZoneSettings settings() {
        return settings;
    }

    /** Returns where the zone came from, such as the file path, for log lines. */
    public String source() {
        return source;
    }

    /** Returns the number of rules of all trigger types. */
    public int ruleCount() {
        return qnameRuleCount()
                + ipRules.rules().size()
                + clientIpRules.rules().size()
                + nsdnameRules.size()
                + nsipRules.rules().size();
    }

    /** Returns the number of QNAME rules, exact and wildcard. */
    public int qnameRuleCount() {
        return qnameRules.size();
    }

    /**
     * Returns records that did not become part of a rule, ordered by line: all of them when there
     * are at most 100, else the 100 with the lowest line numbers. After an IXFR the list may hold
     * fewer than 100 although more were skipped, because the records past the first 100 are not
     * kept; {@link #skippedCount()} is always exact.
     */
    public List<SkippedRecord> skipped() {
        return skipped;
    }

    /** Returns the number of records that did not become part of a rule. */
    public int skippedCount() {
        return skippedCount;
    }

    /** Returns the number of skipped records by {@link SkippedRecord#category()}, for categories that occur. */
    public Map<String, Integer> skippedByCategory() {
        return skippedByCategory;
    }

    NameTriggerTable<PolicyRule> qnameTable() {
        return qnameRules;
    }

    /** Returns the {@code rpz-ip} rules, in file order. */
    public List<IpTriggerRule> ipRules() {
        return ipRules.rules();
    }

    /** Returns the {@code rpz-client-ip} rules, in file order. */
    public List<IpTriggerRule> clientIpRules() {
        return clientIpRules.rules();
    }

    /** Returns the {@code rpz-nsdname} rules, in file order. */
    public List<NsdnameRule> nsdnameRules() {
        return nsdnameRules;
    }

    /** Returns the {@code rpz-nsip} rules, in file order. */
    public List<IpTriggerRule> nsipRules() {
        return nsipRules.rules();
    }

    /**
     * Finds the QNAME rule for a query name: the exact rule if there is one, else the wildcard
     * rule of the closest ancestor. {@code *.example.} therefore matches {@code a.example.} and
     * {@code a.b.example.} but never {@code example.} itself, and {@code *.b.example.} wins over
     * {@code *.example.} for {@code a.b.example.}. Matching ignores ASCII case.
     *
     * @param qname query name, absolute
     * @return the rule, or null if none matches
     */
    public PolicyRule matchQname(Name qname) {
        return qnameRules.match(qname);
    }

    /**
     * Finds the {@code rpz-client-ip} rule with the longest prefix that contains {@code client}.
     * This and the other IP matchers treat an IPv4-mapped IPv6 address as IPv4, and never let an
     * IPv4 address match an IPv6 rule or the reverse. An IPv4-mapped IPv6 rule of /96 or longer
     * is an IPv4 rule.
     *
     * @return the rule, or null if none matches
     */
    public PolicyRule matchClientIp(InetAddress client) {
        IpTriggerRule rule = clientIpRules.lookup(IpAddressKey.of(client));
        return rule == null ? null : rule.rule();
    }

    /**
     * Finds the {@code rpz-ip} rule with the longest prefix that contains {@code address}, an
     * address from an A or AAAA record of the answer.
     *
     * @return the rule and the address, or null if none matches
     */
    public IpTriggerMatch matchResponseIp(InetAddress address) {
        IpTriggerRule rule = ipRules.lookup(IpAddressKey.of(address));
        return rule == null ? null : new IpTriggerMatch(rule, address);
    }

    /**
     * Finds the {@code rpz-nsip} rule with the longest prefix that contains {@code address}, an
     * address of an authoritative name server.
     *
     * @return the rule and the address, or null if none matches
     */
    public IpTriggerMatch matchNsip(InetAddress address) {
        IpTriggerRule rule = nsipRules.lookup(IpAddressKey.of(address));
        return rule == null ? null : new IpTriggerMatch(rule, address);
    }

    /**
     * Finds the {@code rpz-nsdname} rule for a name server name the way {@link #matchQname}
     * matches query names: the exact rule first, else the wildcard of the closest ancestor, so
     * {@code *.example.rpz-nsdname} matches {@code ns1.example.} but not {@code example.}.
     *
     * @param nameServer name server name from an NS record, absolute
     * @return the rule, or null if none matches
     */
    public PolicyRule matchNsdname(Name nameServer) {
        NsdnameRule rule = nsdnameTable.match(nameServer);
        return rule == null ? null : rule.rule();
    }

    /**
     * Finds the rule of this zone that wins for one stage of a query, checking the trigger types
     * in RPZ order: client IP, QNAME, response IP, NSDNAME, NSIP. A null argument skips its
     * trigger type. Among several addresses or names of one type, {@link IpTriggerMatch#precedes}
     * and {@link NsdnameMatch#precedes} decide.
     *
     * @return the match, or null if no rule of this zone matches
     */
    PolicyMatch matchStage(
            Name qname,
            IpAddressKey client,
            IpAddressKey[] responseAddresses,
            List<Name> nameServers,
            IpAddressKey[] nameServerAddresses) {
        if (client != null) {
            IpTriggerRule rule = clientIpRules.lookup(client);
            if (rule != null) {
                return new PolicyMatch(this, rule.rule(), TriggerType.CLIENT_IP);
            }
        }
        if (qname != null) {
            PolicyRule rule = qnameRules.match(qname);
            if (rule != null) {
                return new PolicyMatch(this, rule, TriggerType.QNAME);
            }
        }
        if (responseAddresses != null) {
            IpTriggerMatch match = ipRules.bestMatch(responseAddresses);
            if (match != null) {
                return new PolicyMatch(this, match.rule(), TriggerType.RESPONSE_IP);
            }
        }
        if (nameServers != null) {
            NsdnameMatch match = bestNsdname(nameServers);
            if (match != null) {
                return new PolicyMatch(this, match.trigger().rule(), TriggerType.NSDNAME);
            }
        }
        if (nameServerAddresses != null) {
            IpTriggerMatch match = nsipRules.bestMatch(nameServerAddresses);
            if (match != null) {
                return new PolicyMatch(this, match.rule(), TriggerType.NSIP);
            }
        }
        return null;
    }

    private NsdnameMatch bestNsdname(List<Name> nameServers) {
        if (nsdnameRules.isEmpty()) {
            return null;
        }
        NsdnameMatch best = null;
        for (Name nameServer : nameServers) {
            NsdnameRule rule = nsdnameTable.match(Objects.requireNonNull(nameServer, "name server name"));
            if (rule == null) {
                continue;
            }
            NsdnameMatch match = new NsdnameMatch(rule, nameServer);
            if (best == null || match.precedes(best)) {
                best = match;
            }
        }
        return best;
    }

    @Override
    public String toString() {
        return "PolicyZone[" + name + " serial " + serial() + " from " + source + ", "
                + ruleCount() + " rules, " + skippedCount + " skipped]";
    }
}
