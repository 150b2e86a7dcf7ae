package dev.rpzgate.server;

import dev.rpzgate.observability.DnsMetrics;
import dev.rpzgate.observability.PolicyHitLog;
import dev.rpzgate.policy.IpTriggerMatch;
import dev.rpzgate.policy.PolicyAction;
import dev.rpzgate.policy.PolicyRule;
import dev.rpzgate.policy.PolicySet;
import dev.rpzgate.policy.PolicyZone;
import dev.rpzgate.policy.ZoneSettings;
import dev.rpzgate.upstream.NameServerFinder.NameServers;
import dev.rpzgate.wire.AnswerStage;
import dev.rpzgate.wire.ClientQuery;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Finds the rule that decides a query in the order of the RPZ draft: earlier stage of the CNAME
 * chain first, then earlier zone, then trigger type (client IP, QNAME, response IP, NSDNAME,
 * NSIP); within one trigger type the zone's own matching ranks exact over wildcard and the longest
 * prefix first. It also records every hit.
 *
 * <p>A rule that its zone's settings disable (a {@code disabled} zone, or a rule without local
 * data in a {@code local-data-or-disabled} zone) is logged and counted as a "would" hit, and the
 * search goes on, as BIND does for {@code policy disabled}.
 */
final class PolicyEvaluator {

    private final DnsMetrics metrics;
    private final PolicyHitLog hitLog;

    PolicyEvaluator(DnsMetrics metrics, PolicyHitLog hitLog) {
        this.metrics = metrics;
        this.hitLog = hitLog;
    }

    /**
     * Returns the decision of the triggers known before asking the upstream, client IP and
     * QNAME, or null when none applies. QNAME rules apply without asking the upstream, as BIND
     * does with {@code qname-wait-recurse no}.
     */
    PolicyDecision matchQuery(ClientQuery query, PolicySet policy) {
        InetAddress client = query.client().getAddress();
        for (PolicyZone zone : policy.zones()) {
            if (skips(zone, query)) {
                continue;
            }
            PolicyDecision decision = null;
            if (!zone.clientIpRules().isEmpty()) {
                decision = consider(query, zone, zone.matchClientIp(client), query.qname(), List.of());
            }
            if (decision == null) {
                decision = consider(query, zone, zone.matchQname(query.qname()), query.qname(), List.of());
            }
            if (decision != null) {
                return decision;
            }
        }
        return null;
    }

    /**
     * Whether some zone among the first {@code zoneLimit} has NSDNAME or NSIP rules enabled, so the
     * name servers of the answer's names must be looked up first.
     */
    static boolean needsNameServers(PolicySet policy, int zoneLimit) {
        // A plain loop: this runs for every forwarded query, and a stream would allocate.
        for (PolicyZone zone : zones(policy, zoneLimit)) {
            if (needsNames(zone) || needsAddresses(zone)) {
                return true;
            }
        }
        return false;
    }

    /** Returns whether some zone among the first {@code zoneLimit} has NSIP rules enabled. */
    static boolean needsNameServerAddresses(PolicySet policy, int zoneLimit) {
        for (PolicyZone zone : zones(policy, zoneLimit)) {
            if (needsAddresses(zone)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Returns the decision that the upstream's answer, split into {@code stages}, triggers, or null
     * when none does; {@code signed} says whether its answer section carries RRSIG records.
     * The stages of the answer are checked in order, the query name then each CNAME target, so a
     * blocked name cannot hide behind a CNAME from an allowed one. At the query name, QNAME rules
     * were checked before forwarding. Only the first {@code zoneLimit} zones take part, because a
     * PASSTHRU in zone {@code zoneLimit} stops the later ones. A signed answer to a client that set
     * DO is left alone by zones without {@code break-dnssec}. {@code nameServers} holds what was
     * learned of each stage name's servers; a name missing from it skips NSDNAME and NSIP.
     */
    PolicyDecision matchAnswer(ClientQuery query, boolean signed, PolicySet policy, int zoneLimit,
                               List<AnswerStage> stages, Map<Name, NameServers> nameServers) {
        boolean signedForValidator = query.dnssecOk() && signed;
        List<PolicyZone> zones = zones(policy, zoneLimit);
        for (int index = 0; index < stages.size(); index++) {
            AnswerStage stage = stages.get(index);
            NameServers servers = nameServers.get(stage.name());
            for (PolicyZone zone : zones) {
                if (skips(zone, query) || (signedForValidator && !zone.settings().breakDnssec())) {
                    continue;
                }
                PolicyDecision decision = matchStage(query, zone, stage, index, servers);
                if (decision != null) {
                    return decision;
                }
            }
        }
        return null;
    }

    /**
     * Returns whether some rule, enabled or disabled, matches a stage of the answer under the
     * conditions of {@link #matchAnswer} without name servers. Records nothing, so a caller that
     * gets true can run {@link #matchAnswer} and have each hit logged once.
     */
    boolean answerMayMatch(ClientQuery query, boolean signed, PolicySet policy, int zoneLimit,
                           List<AnswerStage> stages) {
        boolean signedForValidator = query.dnssecOk() && signed;
        List<PolicyZone> zones = zones(policy, zoneLimit);
        for (int index = 0; index < stages.size(); index++) {
            AnswerStage stage = stages.get(index);
            for (int z = 0; z < zones.size(); z++) {
                PolicyZone zone = zones.get(z);
                if (skips(zone, query) || (signedForValidator && !zone.settings().breakDnssec())) {
                    continue;
                }
                if (index > 0 && zone.matchQname(stage.name()) != null) {
                    return true;
                }
                if (!zone.ipRules().isEmpty()) {
                    List<InetAddress> addresses = stage.addresses();
                    for (int a = 0; a < addresses.size(); a++) {
                        if (zone.matchResponseIp(addresses.get(a)) != null) {
                            return true;
                        }
                    }
                }
            }
        }
        return false;
    }

    private PolicyDecision matchStage(ClientQuery query, PolicyZone zone, AnswerStage stage, int index,
                                      NameServers servers) {
        PolicyDecision decision = null;
        if (index > 0) {
            decision = consider(query, zone, zone.matchQname(stage.name()), stage.name(), stage.chain());
        }
        if (decision == null && !zone.ipRules().isEmpty()) {
            decision = consider(query, zone, bestIpRule(stage.addresses(), zone::matchResponseIp), stage.name(), stage.chain());
        }
        if (decision == null && servers != null && needsNames(zone)) {
            for (Name server : servers.names()) {
                decision = consider(query, zone, zone.matchNsdname(server), stage.name(), stage.chain());
                if (decision != null) {
                    break;
                }
            }
        }
        if (decision == null && servers != null && needsAddresses(zone)) {
            decision = consider(query, zone, bestIpRule(servers.addresses(), zone::matchNsip), stage.name(), stage.chain());
        }
        return decision;
    }

    /** Returns the rule of the longest prefix that contains one of {@code addresses}; ties go to the smaller address. */
    /**
     * Returns the rule of the longest prefix that contains one of {@code addresses}, ties going to
     * the smaller address; {@code matcher} is the zone's response-IP or NSIP lookup.
     */
    private static PolicyRule bestIpRule(List<InetAddress> addresses, Function<InetAddress, IpTriggerMatch> matcher) {
        IpTriggerMatch best = null;
        for (InetAddress address : addresses) {
            IpTriggerMatch match = matcher.apply(address);
            if (match != null && (best == null || match.precedes(best))) {
                best = match;
            }
        }
        return best == null ? null : best.rule();
    }

    /**
     * Returns the decision of {@code rule} under its zone's override, or null when there is no rule
     * or the rule is disabled, after logging what it would have done.
     */
    private PolicyDecision consider(ClientQuery query, PolicyZone zone, PolicyRule rule, Name name,
                                    List<Record> chain) {
        if (rule == null) {
            return null;
        }
        PolicyAction action = zone.settings().override().actionFor(rule);
        if (action == null) {
            recordWouldHit(query, new PolicyDecision(zone, rule, rule.action(), name, chain));
            return null;
        }
        return new PolicyDecision(zone, rule, action, name, chain);
    }

    /** Whether the zone does not apply to this query: RD is clear under {@code recursive-only}, or the client is outside the zone's {@code client-cidrs}. */
    private static boolean skips(PolicyZone zone, ClientQuery query) {
        ZoneSettings settings = zone.settings();
        if (settings.recursiveOnly() && !query.recursionDesired()) {
            return true;
        }
        return !settings.clientCidrs().isAny() && !settings.clientCidrs().contains(query.client().getAddress());
    }

    private static boolean needsNames(PolicyZone zone) {
        return zone.settings().nsdnameEnable() && !zone.nsdnameRules().isEmpty();
    }

    private static boolean needsAddresses(PolicyZone zone) {
        return zone.settings().nsipEnable() && !zone.nsipRules().isEmpty();
    }

    private static List<PolicyZone> zones(PolicySet policy, int zoneLimit) {
        return policy.zones().subList(0, Math.min(zoneLimit, policy.zones().size()));
    }

    /** Counts an enforced hit and writes it to the hit log unless the zone's {@code log} is off. */
    void recordHit(ClientQuery query, PolicyDecision decision) {
        metrics.policyHit(decision.zoneLabel(), decision.actionLabel());
        writeHit(query, decision, true);
    }

    private void recordWouldHit(ClientQuery query, PolicyDecision decision) {
        metrics.wouldHit(decision.zoneLabel(), decision.actionLabel());
        writeHit(query, decision, false);
    }

    private void writeHit(ClientQuery query, PolicyDecision decision, boolean enforced) {
        // Checked before the fields are built: with the hit log off they would be thrown away.
        if (decision.zone().settings().log() && hitLog.enabled()) {
            hitLog.hit(query.client().getAddress().getHostAddress(), query.qname().toString(),
                    Type.string(query.qtype()), decision.zoneLabel(), decision.rule().triggerType().label(),
                    decision.rule().owner().toString(), decision.actionLabel(), enforced);
        }
    }
}
