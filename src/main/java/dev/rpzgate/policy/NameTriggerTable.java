package dev.rpzgate.policy;

import java.util.List;
import java.util.Map;
import org.xbill.DNS.Name;

/**
 * Exact and wildcard name triggers of one trigger type in one zone, for QNAME and NSDNAME rules.
 * Instances are immutable and safe to share between threads.
 *
 * <p>The triggers live in two {@link NameMap}s keyed by dnsjava {@link Name}: exact triggers by
 * the trigger, wildcard triggers by the trigger without its {@code *} label. {@code Name.equals}
 * and {@code Name.hashCode} ignore ASCII case and the hash is cached in the name, so an exact
 * lookup needs neither a lowercase copy nor a lock, and allocates nothing. The maps are never
 * written after construction, which makes concurrent reads from every event loop safe.
 *
 * <p>Wildcards follow the DNS rules of RFC 4592, as BIND 9 applies them to policy zones: a
 * wildcard {@code *.A} matches a name only when {@code A} is the name's closest encloser, the
 * nearest ancestor that exists in the zone. A name exists when it is a trigger or the parent of
 * one (an empty non-terminal), so {@code *.example} does not match {@code b.example} when the
 * zone has a rule for {@code a.b.example}, nor {@code x.b.example}. Only tables with wildcards
 * keep the empty non-terminals, because only wildcard matching asks whether a name exists. They
 * are kept with the number of triggers below each, so that {@link #withChanges} can update them
 * for the triggers it adds and removes without visiting the others.
 *
 * @param <T> the rule type stored for each trigger
 */
final class NameTriggerTable<T> {

    private static final NameMap NO_ANCESTORS = new NameMap();

    private final NameMap exactRules;
    private final NameMap wildcardRules;
    // Ancestor (without the root) of any trigger -> Integer count of the triggers below it.
    private final NameMap ancestors;
    // Upper bound of the label count of every name in the zone; exact after a full build.
    private final int maxNodeLabels;

    /**
     * Creates a table that takes ownership of both maps; the caller must not change them later.
     *
     * @param exactRules rules by trigger, absolute
     * @param wildcardRules rules by trigger without its {@code *} label, absolute
     * @param base a table whose ancestor names this one shares where they are equal, or null
     */
    NameTriggerTable(NameMap exactRules, NameMap wildcardRules, NameTriggerTable<T> base) {
        this.exactRules = exactRules;
        this.wildcardRules = wildcardRules;
        this.ancestors = wildcardRules.isEmpty() ? NO_ANCESTORS : countAncestors(base);
        this.maxNodeLabels = wildcardRules.isEmpty() ? 0 : Math.max(maxLabels(exactRules), maxLabels(wildcardRules));
    }

    private NameTriggerTable(NameMap exactRules, NameMap wildcardRules, NameMap ancestors, int maxNodeLabels) {
        this.exactRules = exactRules;
        this.wildcardRules = wildcardRules;
        this.ancestors = ancestors;
        this.maxNodeLabels = maxNodeLabels;
    }

    /** Creates an empty table. */
    static <T> NameTriggerTable<T> empty() {
        return new NameTriggerTable<>(new NameMap(), new NameMap(), null);
    }

    private NameMap countAncestors(NameTriggerTable<T> base) {
        NameMap counts = new NameMap();
        NameMap[] shared = base == null
                ? new NameMap[] {exactRules, wildcardRules}
                : new NameMap[] {exactRules, wildcardRules, base.ancestors};
        for (NameMap rules : new NameMap[] {exactRules, wildcardRules}) {
            for (int i = 0; i < rules.capacity(); i++) {
                Name key = rules.keyAt(i);
                if (key != null) {
                    adjustAncestors(counts, key, 1, shared);
                }
            }
        }
        return counts;
    }

    /**
     * Adds {@code delta} to the count of every ancestor of {@code key} but the root, dropping
     * ancestors whose count reaches 0. A new ancestor keeps the equal name that one of the
     * {@code shared} maps stores, if any, instead of a copy of its own.
     */
    private static void adjustAncestors(NameMap counts, Name key, int delta, NameMap... shared) {
        for (int strip = 1; strip < key.labels() - 1; strip++) {
            Name ancestor = new Name(key, strip);
            Integer count = (Integer) counts.get(ancestor);
            int updated = (count == null ? 0 : count) + delta;
            if (updated <= 0) {
                counts.remove(ancestor);
                continue;
            }
            Name stored = null;
            for (int i = 0; count == null && stored == null && i < shared.length; i++) {
                stored = shared[i].storedKey(ancestor);
            }
            counts.put(stored != null ? stored : ancestor, updated);
        }
    }

    private static int maxLabels(NameMap rules) {
        int max = 0;
        for (int i = 0; i < rules.capacity(); i++) {
            Name key = rules.keyAt(i);
            if (key != null) {
                max = Math.max(max, key.labels());
            }
        }
        return max;
    }

    private boolean exists(Name name) {
        return exactRules.containsKey(name) || wildcardRules.containsKey(name) || ancestors.containsKey(name);
    }

    /** Returns the number of triggers, exact and wildcard. */
    int size() {
        return exactRules.size() + wildcardRules.size();
    }

    /** Returns the rule stored for an exact trigger, or null. */
    @SuppressWarnings("unchecked")
    T exact(Name trigger) {
        return (T) exactRules.get(trigger);
    }

    /** Returns the rule stored for a wildcard trigger given without its {@code *} label, or null. */
    @SuppressWarnings("unchecked")
    T wildcard(Name triggerBase) {
        return (T) wildcardRules.get(triggerBase);
    }

    /**
     * Returns a new table with the changes applied, sharing every rule and name that the changes
     * do not touch. This table stays as it is.
     *
     * @param exactChanges new rule by exact trigger, or null to remove the trigger
     * @param wildcardChanges the same for wildcard triggers, keyed without the {@code *} label
     */
    NameTriggerTable<T> withChanges(Map<Name, T> exactChanges, Map<Name, T> wildcardChanges) {
        if (exactChanges.isEmpty() && wildcardChanges.isEmpty()) {
            return this;
        }
        NameMap exact = exactChanges.isEmpty() ? exactRules : exactRules.copy();
        NameMap wildcard = wildcardChanges.isEmpty() ? wildcardRules : wildcardRules.copy();
        boolean hadAncestors = !wildcardRules.isEmpty();
        NameMap counts = hadAncestors ? ancestors.copy() : null;
        int maxLabels = maxNodeLabels;
        for (Map<Name, T> changes : List.of(exactChanges, wildcardChanges)) {
            NameMap rules = changes == exactChanges ? exact : wildcard;
            for (Map.Entry<Name, T> change : changes.entrySet()) {
                Name key = change.getKey();
                boolean present = rules.containsKey(key);
                if (change.getValue() == null) {
                    if (present) {
                        rules.remove(key);
                        if (counts != null) {
                            adjustAncestors(counts, key, -1);
                        }
                    }
                    continue;
                }
                rules.put(key, change.getValue());
                maxLabels = Math.max(maxLabels, key.labels());
                if (!present && counts != null) {
                    adjustAncestors(counts, key, 1, exact, wildcard);
                }
            }
        }
        if (wildcard.isEmpty()) {
            return new NameTriggerTable<>(exact, wildcard, NO_ANCESTORS, 0);
        }
        if (!hadAncestors) {
            // The first wildcard arrived, so the table now needs the empty non-terminals of every trigger.
            return new NameTriggerTable<>(exact, wildcard, this);
        }
        return new NameTriggerTable<>(exact, wildcard, counts, maxLabels);
    }

    /**
     * Finds the rule for a name: the exact rule if there is one, else the wildcard rule of the
     * name's closest encloser. {@code *.example.} therefore matches {@code a.example.} and
     * {@code a.b.example.} but never {@code example.} itself, and {@code *.b.example.} wins over
     * {@code *.example.} for {@code a.b.example.}. Matching ignores ASCII case.
     *
     * <p>NOTE: the walk up to the closest encloser makes one dnsjava {@link Name} per ancestor it
     * visits, because dnsjava offers no allocation-free view of a suffix. Exact matches and tables
     * without wildcards allocate nothing.
     *
     * @param name the name to match, absolute
     * @return the rule, or null if none matches
     */
    @SuppressWarnings("unchecked")
    T match(Name name) {
        T rule = (T) exactRules.get(name);
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
            rule = (T) wildcardRules.get(ancestor);
            if (rule != null) {
                return rule;
            }
            if (exactRules.containsKey(ancestor) || ancestors.containsKey(ancestor)) {
                return null; // the closest encloser has no wildcard
            }
        }
        return null;
    }
}
