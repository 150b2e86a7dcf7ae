package dev.rpzgate.policy;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.xbill.DNS.Name;

/**
 * Immutable, ordered list of policy zones. As in BIND's {@code response-policy} statement, the
 * first zone with a matching rule decides, even when its action is PASSTHRU.
 */
public final class PolicySet {

    /** A set without zones, which matches nothing. */
    public static final PolicySet EMPTY = new PolicySet(List.of());

    private final List<PolicyZone> zones;
    private final PolicyZone[] zoneArray;

    /**
     * Creates a set that consults {@code zones} in list order.
     *
     * @throws IllegalArgumentException if two zones have the same name, because log lines and
     *     metrics tell zones apart by name
     */
    public PolicySet(List<PolicyZone> zones) {
        this.zones = List.copyOf(zones);
        this.zoneArray = this.zones.toArray(new PolicyZone[0]);
        Set<Name> names = new HashSet<>();
        for (PolicyZone zone : zoneArray) {
            if (!names.add(zone.name())) {
                throw new IllegalArgumentException(
                        "duplicate policy zone name " + zone.name() + " (from " + zone.source() + ")");
            }
        }
    }

    /** Returns the zones in precedence order. */
    public List<PolicyZone> zones() {
        return zones;
    }

    /** Returns the number of rules in all zones. */
    public int ruleCount() {
        int count = 0;
        for (PolicyZone zone : zoneArray) {
            count += zone.ruleCount();
        }
        return count;
    }

    /**
     * Finds the QNAME rule of the first zone that has one for {@code qname}.
     *
     * @param qname query name, absolute
     * @return the zone and rule, or null if no zone matches
     */
    public PolicyMatch matchQname(Name qname) {
        for (PolicyZone zone : zoneArray) {
            PolicyRule rule = zone.matchQname(qname);
            if (rule != null) {
                return new PolicyMatch(zone, rule);
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return "PolicySet" + zones;
    }
}
