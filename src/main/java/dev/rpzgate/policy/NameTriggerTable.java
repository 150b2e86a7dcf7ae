package dev.rpzgate.policy;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.xbill.DNS.Name;

/**
 * Exact and wildcard name triggers of one trigger type in one zone, for QNAME and NSDNAME rules.
 * Instances are immutable and safe to share between threads.
 *
 * <p>The triggers live in two {@link java.util.HashMap}s keyed by dnsjava {@link Name}: exact
 * triggers by the trigger, wildcard triggers by the trigger without its {@code *} label.
 * {@code Name.equals} and {@code Name.hashCode} ignore ASCII case and the hash is cached in the
 * name, so a lookup needs neither a lowercase copy nor a lock. The maps are never written after
 * construction, which makes concurrent reads from every event loop safe.
 *
 * <p>Wildcards follow the DNS rules of RFC 4592, as BIND 9 applies them to policy zones: a
 * wildcard {@code *.A} matches a name only when {@code A} is the name's closest encloser, the
 * nearest ancestor that exists in the zone. A name exists when it is a trigger or the parent of
 * one (an empty non-terminal), so {@code *.example} does not match {@code b.example} when the
 * zone has a rule for {@code a.b.example}, nor {@code x.b.example}.
 *
 * @param <T> the rule type stored for each trigger
 */
final class NameTriggerTable<T> {

    private final Map<Name, T> exactRules;
    private final Map<Name, T> wildcardRules;
    private final Set<Name> emptyNonTerminals;
    private final int maxNodeLabels;

    /**
     * Creates a table that takes ownership of both maps; the caller must not change them later.
     *
     * @param exactRules rules by trigger, absolute
     * @param wildcardRules rules by trigger without its {@code *} label, absolute
     */
    NameTriggerTable(Map<Name, T> exactRules, Map<Name, T> wildcardRules) {
        this.exactRules = exactRules;
        this.wildcardRules = wildcardRules;
        this.emptyNonTerminals = wildcardRules.isEmpty() ? Set.of() : emptyNonTerminals(exactRules, wildcardRules);
        int maxLabels = 0;
        for (Name key : wildcardRules.keySet()) {
            maxLabels = Math.max(maxLabels, key.labels());
        }
        if (!wildcardRules.isEmpty()) {
            for (Name key : exactRules.keySet()) {
                maxLabels = Math.max(maxLabels, key.labels());
            }
        }
        this.maxNodeLabels = maxLabels;
    }

    /**
     * Collects the ancestors of every trigger that are not triggers themselves. Only tables with
     * wildcards need them, because only wildcard matching asks whether a name exists.
     */
    private static Set<Name> emptyNonTerminals(Map<Name, ?> exactRules, Map<Name, ?> wildcardRules) {
        Set<Name> names = new HashSet<>();
        for (Map<Name, ?> rules : List.of(exactRules, wildcardRules)) {
            for (Name key : rules.keySet()) {
                for (int strip = 1; strip < key.labels() - 1; strip++) {
                    Name ancestor = new Name(key, strip);
                    if (exactRules.containsKey(ancestor) || wildcardRules.containsKey(ancestor)
                            || !names.add(ancestor)) {
                        break; // the ancestors above it are collected already
                    }
                }
            }
        }
        return names;
    }

    private boolean exists(Name name) {
        return exactRules.containsKey(name) || wildcardRules.containsKey(name) || emptyNonTerminals.contains(name);
    }

    /** Returns the number of triggers, exact and wildcard. */
    int size() {
        return exactRules.size() + wildcardRules.size();
    }

    /**
     * Finds the rule for a name: the exact rule if there is one, else the wildcard rule of the
     * name's closest encloser. {@code *.example.} therefore matches {@code a.example.} and
     * {@code a.b.example.} but never {@code example.} itself, and {@code *.b.example.} wins over
     * {@code *.example.} for {@code a.b.example.}. Matching ignores ASCII case.
     *
     * @param name the name to match, absolute
     * @return the rule, or null if none matches
     */
    T match(Name name) {
        T rule = exactRules.get(name);
        if (rule != null || wildcardRules.isEmpty()) {
            return rule;
        }
        int labels = name.labels();
        if (labels <= maxNodeLabels && exists(name)) {
            return null; // the name is in the zone, so no wildcard stands for it
        }

        // Ancestors with more labels than the longest name of the zone cannot exist in it, so the
        // walk starts at the first ancestor that is short enough.
        int firstStrip = Math.max(1, labels - maxNodeLabels);
        for (int strip = firstStrip; strip < labels; strip++) {
            Name ancestor = new Name(name, strip);
            rule = wildcardRules.get(ancestor);
            if (rule != null) {
                return rule;
            }
            if (exactRules.containsKey(ancestor) || emptyNonTerminals.contains(ancestor)) {
                return null; // the closest encloser has no wildcard
            }
        }
        return null;
    }
}
