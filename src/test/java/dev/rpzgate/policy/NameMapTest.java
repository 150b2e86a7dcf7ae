package dev.rpzgate.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Name;

class NameMapTest {

    @Test
    void randomOperationsMatchHashMap() {
        Random random = new Random(7);
        List<Name> names = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            names.add(Name.fromConstantString("n" + i + ".example."));
        }
        NameMap map = new NameMap();
        Map<Name, Object> expected = new HashMap<>();

        for (int step = 0; step < 200_000; step++) {
            Name name = names.get(random.nextInt(names.size()));
            int operation = random.nextInt(3);
            if (operation == 0) {
                Integer value = step;
                map.put(name, value);
                expected.put(name, value);
            } else if (operation == 1) {
                assertThat(map.remove(name)).as("remove %s at step %d", name, step).isEqualTo(expected.remove(name));
            } else {
                assertThat(map.get(name)).as("get %s at step %d", name, step).isEqualTo(expected.get(name));
            }
        }

        assertThat(map.size()).isEqualTo(expected.size());
        for (Name name : names) {
            assertThat(map.get(name)).as("get %s", name).isEqualTo(expected.get(name));
            assertThat(map.containsKey(name)).isEqualTo(expected.containsKey(name));
        }
    }

    @Test
    void lookupIgnoresCaseAndKeepsStoredKey() {
        NameMap map = new NameMap();
        Name stored = Name.fromConstantString("Bad.Example.");
        map.put(stored, "rule");

        Name query = Name.fromConstantString("bad.EXAMPLE.");
        assertThat(map.get(query)).isEqualTo("rule");
        assertThat(map.storedKey(query)).isSameAs(stored);
        assertThat(map.storedKey(Name.fromConstantString("other.example."))).isNull();
    }

    @Test
    void copyIsIndependent() {
        NameMap map = new NameMap();
        Name a = Name.fromConstantString("a.example.");
        Name b = Name.fromConstantString("b.example.");
        map.put(a, "first");

        NameMap copy = map.copy();
        copy.put(b, "second");
        copy.remove(a);

        assertThat(map.get(a)).isEqualTo("first");
        assertThat(map.get(b)).isNull();
        assertThat(map.size()).isEqualTo(1);
        assertThat(copy.get(a)).isNull();
        assertThat(copy.get(b)).isEqualTo("second");
        assertThat(copy.size()).isEqualTo(1);
    }
}
