package dev.rpzgate.policy;

import static dev.rpzgate.policy.ZoneBuilding.name;
import static dev.rpzgate.policy.ZoneBuilding.zone;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class PolicySetTest {

    private static final PolicyZone ALLOW = zone("allow.rpz.")
            .add("shared.example", "CNAME", "rpz-passthru.")
            .build();
    private static final PolicyZone BLOCK = zone("block.rpz.")
            .add("shared.example", "CNAME", ".")
            .add("*.blocked.example", "CNAME", ".")
            .build();

    @Test
    void firstZoneWins() {
        PolicySet set = new PolicySet(List.of(ALLOW, BLOCK));

        PolicyMatch match = set.matchQname(name("shared.example."));
        assertThat(match.zone()).isSameAs(ALLOW);
        assertThat(match.rule().action()).isEqualTo(PolicyAction.PASSTHRU);

        PolicyMatch reversed = new PolicySet(List.of(BLOCK, ALLOW)).matchQname(name("shared.example."));
        assertThat(reversed.zone()).isSameAs(BLOCK);
        assertThat(reversed.rule().action()).isEqualTo(PolicyAction.NXDOMAIN);
    }

    @Test
    void laterZoneMatchesWhenEarlierMisses() {
        PolicyMatch match = new PolicySet(List.of(ALLOW, BLOCK)).matchQname(name("www.blocked.example."));
        assertThat(match.zone()).isSameAs(BLOCK);
        assertThat(match.rule().trigger()).isEqualTo(name("*.blocked.example."));
    }

    @Test
    void noZoneMatches() {
        assertThat(new PolicySet(List.of(ALLOW, BLOCK)).matchQname(name("example.org."))).isNull();
    }

    @Test
    void emptySetMatchesNothing() {
        assertThat(PolicySet.EMPTY.zones()).isEmpty();
        assertThat(PolicySet.EMPTY.ruleCount()).isZero();
        assertThat(PolicySet.EMPTY.matchQname(name("shared.example."))).isNull();
    }

    @Test
    void ruleCountAddsZones() {
        assertThat(new PolicySet(List.of(ALLOW, BLOCK)).ruleCount()).isEqualTo(3);
    }

    @Test
    void duplicateZoneNamesAreRejected() {
        PolicyZone again = zone("allow.rpz.").build();
        assertThatThrownBy(() -> new PolicySet(List.of(ALLOW, again)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("duplicate policy zone name allow.rpz.");
    }

    @Test
    void zonesListIsImmutable() {
        PolicySet set = new PolicySet(List.of(ALLOW));
        assertThatThrownBy(() -> set.zones().add(BLOCK)).isInstanceOf(UnsupportedOperationException.class);
    }
}
