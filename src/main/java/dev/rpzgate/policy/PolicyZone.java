package dev.rpzgate.policy;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.xbill.DNS.Name;
import org.xbill.DNS.SOARecord;

/**
 * One loaded response policy zone. Instances are immutable and safe to share between threads.
 * {@link PolicyZoneBuilder} creates them.
 *
 * <p>QNAME rules live in two {@link java.util.HashMap}s keyed by dnsjava {@link Name}: exact
 * triggers by the trigger, wildcard triggers by the trigger without its {@code *} label.
 * {@code Name.equals} and {@code Name.hashCode} ignore ASCII case and the hash is cached in the
 * name, so a lookup needs neither a lowercase copy nor a lock. The maps are never written after
 * construction, which makes concurrent reads from every event loop safe.
 */
public final class PolicyZone {

    private final Name name;
    private final SOARecord soa;
    private final ZoneSettings settings;
    private final String source;
    private final Map<Name, PolicyRule> exactRules;
    private final Map<Name, PolicyRule> wildcardRules;
    private final int maxWildcardKeyLabels;
    private final List<IpTriggerRule> ipRules;
    private final List<IpTriggerRule> clientIpRules;
    private final List<NsdnameRule> nsdnameRules;
    private final List<IpTriggerRule> nsipRules;
    private final List<SkippedRecord> skipped;

    PolicyZone(
            Name name,
            SOARecord soa,
            ZoneSettings settings,
            String source,
            Map<Name, PolicyRule> exactRules,
            Map<Name, PolicyRule> wildcardRules,
            List<IpTriggerRule> ipRules,
            List<IpTriggerRule> clientIpRules,
            List<NsdnameRule> nsdnameRules,
            List<IpTriggerRule> nsipRules,
            List<SkippedRecord> skipped) {
        this.name = Objects.requireNonNull(name, "name");
        this.soa = soa;
        this.settings = Objects.requireNonNull(settings, "settings");
        this.source = Objects.requireNonNull(source, "source");
        this.exactRules = exactRules;
        this.wildcardRules = wildcardRules;
        int maxLabels = 0;
        for (Name key : wildcardRules.keySet()) {
            maxLabels = Math.max(maxLabels, key.labels());
        }
        this.maxWildcardKeyLabels = maxLabels;
        this.ipRules = List.copyOf(ipRules);
        this.clientIpRules = List.copyOf(clientIpRules);
        this.nsdnameRules = List.copyOf(nsdnameRules);
        this.nsipRules = List.copyOf(nsipRules);
        this.skipped = List.copyOf(skipped);
    }

    /** Returns the zone origin, absolute. */
    public Name name() {
        return name;
    }

    /** Returns the SOA serial, or 0 if the zone has no SOA record. */
    public long serial() {
        return soa == null ? 0 : soa.getSerial();
    }

    /** Returns the SOA record at the apex, or null if the zone file has none. */
    public SOARecord soa() {
        return soa;
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
                + ipRules.size()
                + clientIpRules.size()
                + nsdnameRules.size()
                + nsipRules.size();
    }

    /** Returns the number of QNAME rules, exact and wildcard. */
    public int qnameRuleCount() {
        return exactRules.size() + wildcardRules.size();
    }

    /** Returns every record that did not become part of a rule, ordered by line. */
    public List<SkippedRecord> skipped() {
        return skipped;
    }

    /** Returns the {@code rpz-ip} rules, in file order. */
    public List<IpTriggerRule> ipRules() {
        return ipRules;
    }

    /** Returns the {@code rpz-client-ip} rules, in file order. */
    public List<IpTriggerRule> clientIpRules() {
        return clientIpRules;
    }

    /** Returns the {@code rpz-nsdname} rules, in file order. */
    public List<NsdnameRule> nsdnameRules() {
        return nsdnameRules;
    }

    /** Returns the {@code rpz-nsip} rules, in file order. */
    public List<IpTriggerRule> nsipRules() {
        return nsipRules;
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
        PolicyRule rule = exactRules.get(qname);
        if (rule != null || maxWildcardKeyLabels == 0) {
            return rule;
        }

        // Ancestors with more labels than the longest wildcard key cannot match, so the walk
        // starts at the first ancestor that is short enough.
        int labels = qname.labels();
        int firstStrip = Math.max(1, labels - maxWildcardKeyLabels);
        for (int strip = firstStrip; strip < labels; strip++) {
            rule = wildcardRules.get(new Name(qname, strip));
            if (rule != null) {
                return rule;
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return "PolicyZone[" + name + " serial " + serial() + " from " + source + ", "
                + ruleCount() + " rules, " + skipped.size() + " skipped]";
    }
}
