package dev.rpzgate.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Name;

class PolicyStoreTest {

    private static PolicySet oneZone() {
        PolicyZoneBuilder builder = new PolicyZoneBuilder(Name.fromConstantString("zone."), ZoneBuilding.SETTINGS,
                "test");
        builder.addQnameAction(Name.fromConstantString("bad.example."), false, PolicyAction.NXDOMAIN, 1);
        return new PolicySet(List.of(builder.build()));
    }

    @Test
    void incompleteZonesAreNotInForce() {
        PolicyStore store = new PolicyStore();
        PolicySet partial = oneZone();

        store.replaceIncomplete(partial);

        assertThat(store.loaded()).isFalse();
        assertThat(store.current()).isSameAs(PolicySet.EMPTY);
        assertThat(store.loadedZones()).isSameAs(partial);
    }

    @Test
    void completeZonesAreInForce() {
        PolicyStore store = new PolicyStore();
        PolicySet all = oneZone();

        store.replace(all);

        assertThat(store.loaded()).isTrue();
        assertThat(store.current()).isSameAs(all);
        assertThat(store.loadedZones()).isSameAs(all);
    }

    @Test
    void failModeDecidesServfailBeforeLoad() {
        PolicyStore store = new PolicyStore();

        assertThat(store.failMode()).isEqualTo(PolicyStore.FailMode.CLOSED);
        assertThat(store.failingClosed()).isTrue();
        store.setFailMode(PolicyStore.FailMode.OPEN);
        assertThat(store.failingClosed()).isFalse();
        store.setFailMode(PolicyStore.FailMode.CLOSED);
        store.replace(oneZone());
        assertThat(store.failingClosed()).isFalse();
    }
}
