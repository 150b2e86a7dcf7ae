package dev.rpzgate.policy;

import java.util.Map;
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
 * @param <T> the rule type stored for each trigger
 */
final class NameTriggerTable<T> {

    private final Map<Name, T> exactRules;
    private final Map<Name, T> wildcardRules;
    private final int maxWildcardKeyLabels;

    /**
     * Creates a table that takes ownership of both maps; the caller must not change them later.
     *
     * @param exactRules rules by trigger, absolute
     * @param wildcardRules rules by trigger without its {@code *} label, absolute
     */
    NameTriggerTable(Map<Name, T> exactRules, Map<Name, T> wildcardRules) {
        this.exactRules = exactRules;
        this.wildcardRules = wildcardRules;
        int maxLabels = 0;
        for (Name key : wildcardRules.keySet()) {
            maxLabels = Math.max(maxLabels, key.labels());
        }
        this.maxWildcardKeyLabels = maxLabels;
    }

    /** Returns the number of triggers, exact and wildcard. */
    int size() {
        return exactRules.size() + wildcardRules.size();
    }

    /**
     * Finds the rule for a name: the exact rule if there is one, else the wildcard rule of the
     * closest ancestor. {@code *.example.} therefore matches {@code a.example.} and
     * {@code a.b.example.} but never {@code example.} itself, and {@code *.b.example.} wins over
     * {@code *.example.} for {@code a.b.example.}. Matching ignores ASCII case.
     *
     * @param name the name to match, absolute
     * @return the rule, or null if none matches
     */
    T match(Name name) {
        T rule = exactRules.get(name);
        if (rule != null || maxWildcardKeyLabels == 0) {
            return rule;
        }

        // Ancestors with more labels than the longest wildcard key cannot match, so the walk
        // starts at the first ancestor that is short enough.
        int labels = name.labels();
        int firstStrip = Math.max(1, labels - maxWildcardKeyLabels);
        for (int strip = firstStrip; strip < labels; strip++) {
            rule = wildcardRules.get(new Name(name, strip));
            if (rule != null) {
                return rule;
            }
        }
        return null;
    }
}
