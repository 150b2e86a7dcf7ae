package dev.rpzgate.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Name;

/**
 * Checks the allocation-free ancestor lookups of {@link NameSuffixes}, {@link NameMap} and
 * {@link NameTriggerTable} against dnsjava names built for each ancestor, on random names.
 */
class AncestorLookupTest {

    /** Few distinct labels, in mixed case, so that random names share ancestors and differ only in case. */
    private static final String[] LABELS = {"a", "B", "c", "ab", "Ab", "xyz", "XyZ", "*x", "m-1", "\\200", "\\193",
        "\\225", "\\000", "q.r"};

    private static Name randomName(Random random, int maxLabels) {
        int count = 1 + random.nextInt(maxLabels);
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < count; i++) {
            String label = LABELS[random.nextInt(LABELS.length)];
            text.append(label.equals("q.r") ? "q\\.r" : label).append('.');
        }
        return Name.fromConstantString(text.toString());
    }

    @Test
    void wireIsReadInPlace() {
        // Fails when dnsjava's layout changes, so that the fallback, which allocates, is not taken unnoticed.
        assertThat(NameSuffixes.readsInPlace()).isTrue();
    }

    @Test
    void suffixHashEqualsNameHash() {
        Random random = new Random(11);
        for (int i = 0; i < 20_000; i++) {
            Name name = randomName(random, 8);
            byte[] wire = NameSuffixes.wire(name);
            int offset = 0;
            int strippedHash = name.hashCode();
            for (int strip = 0; strip < name.labels(); strip++) {
                Name ancestor = strip == 0 ? name : new Name(name, strip);
                assertThat(NameSuffixes.hash(wire, offset)).as("hash of %s in %s", ancestor, name)
                        .isEqualTo(ancestor.hashCode());
                assertThat(strippedHash).as("hash of %s from %s by removing labels", ancestor, name)
                        .isEqualTo(ancestor.hashCode());
                strippedHash = NameSuffixes.stripLabel(wire, offset, strippedHash);
                offset = NameSuffixes.nextLabel(wire, offset);
            }
            assertThat(offset).isEqualTo(wire.length);
        }
    }

    @Test
    void mapAncestorLookupMatchesGet() {
        Random random = new Random(13);
        NameMap map = new NameMap();
        for (int i = 0; i < 2000; i++) {
            map.put(randomName(random, 4), i);
        }

        for (int i = 0; i < 50_000; i++) {
            Name name = randomName(random, 7);
            byte[] wire = NameSuffixes.wire(name);
            int offset = NameSuffixes.nextLabel(wire, 0);
            for (int strip = 1; strip < name.labels(); strip++) {
                Name ancestor = new Name(name, strip);
                int hash = NameSuffixes.hash(wire, offset);
                assertThat(map.getAncestor(name, strip, hash)).as("%s in %s", ancestor, name)
                        .isEqualTo(map.get(ancestor));
                assertThat(map.containsAncestor(name, strip, hash)).isEqualTo(map.containsKey(ancestor));
                offset = NameSuffixes.nextLabel(wire, offset);
            }
        }
    }

    @Test
    void tableMatchEqualsClosestEncloserRule() {
        Random random = new Random(17);
        for (int round = 0; round < 40; round++) {
            Map<Name, String> exact = new HashMap<>();
            Map<Name, String> wildcard = new HashMap<>();
            NameMap exactMap = new NameMap();
            NameMap wildcardMap = new NameMap();
            int rules = 1 + random.nextInt(300);
            for (int i = 0; i < rules; i++) {
                Name trigger = randomName(random, 4);
                boolean isWildcard = random.nextInt(3) == 0;
                String rule = (isWildcard ? "wild " : "exact ") + trigger;
                (isWildcard ? wildcard : exact).put(trigger, rule);
                (isWildcard ? wildcardMap : exactMap).put(trigger, rule);
            }
            NameTriggerTable<String> table = new NameTriggerTable<>(exactMap, wildcardMap, null);
            Set<Name> existing = existingNames(exact, wildcard);

            for (int i = 0; i < 5000; i++) {
                Name name = randomName(random, 6);
                assertThat(table.match(name)).as("round %d: %s", round, name)
                        .isEqualTo(closestEncloserRule(name, exact, wildcard, existing));
            }
        }
    }

    /** Returns every trigger and every ancestor of one, which exist in the zone by RFC 4592. */
    private static Set<Name> existingNames(Map<Name, String> exact, Map<Name, String> wildcard) {
        Set<Name> existing = new HashSet<>();
        List<Name> triggers = new ArrayList<>(exact.keySet());
        triggers.addAll(wildcard.keySet());
        for (Name trigger : triggers) {
            for (int strip = 0; strip < trigger.labels() - 1; strip++) {
                existing.add(new Name(trigger, strip));
            }
        }
        return existing;
    }

    /** The rule RFC 4592 picks, written as plainly as possible to compare with the table. */
    private static String closestEncloserRule(Name name, Map<Name, String> exact, Map<Name, String> wildcard,
                                              Set<Name> existing) {
        if (exact.containsKey(name)) {
            return exact.get(name);
        }
        if (existing.contains(name)) {
            return null;
        }
        for (int strip = 1; strip < name.labels(); strip++) {
            Name ancestor = new Name(name, strip);
            if (wildcard.containsKey(ancestor)) {
                return wildcard.get(ancestor);
            }
            if (existing.contains(ancestor)) {
                return null;
            }
        }
        return null;
    }
}
