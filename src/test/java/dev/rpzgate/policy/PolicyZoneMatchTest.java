package dev.rpzgate.policy;

import static dev.rpzgate.policy.ZoneBuilding.name;
import static dev.rpzgate.policy.ZoneBuilding.zone;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PolicyZoneMatchTest {

    private static final PolicyZone ZONE = zone("rpz.local.")
            .add("exact.example", "CNAME", ".")
            .add("*.example", "CNAME", "*.")
            .add("*.sub.example", "CNAME", "rpz-drop.")
            .add("*.deep.sub.example", "CNAME", "rpz-tcp-only.")
            .add("listed.sub.example", "CNAME", "rpz-passthru.")
            .add("MiXeD.Case.test", "CNAME", ".")
            .build();

    private static PolicyAction actionFor(PolicyZone zone, String qname) {
        PolicyRule rule = zone.matchQname(name(qname));
        return rule == null ? null : rule.action();
    }

    @Test
    void exactNameMatches() {
        PolicyRule rule = ZONE.matchQname(name("exact.example."));
        assertThat(rule.trigger()).isEqualTo(name("exact.example."));
        assertThat(rule.action()).isEqualTo(PolicyAction.NXDOMAIN);
    }

    @Test
    void wildcardMatchesNamesBelow() {
        assertThat(ZONE.matchQname(name("a.example.")).trigger()).isEqualTo(name("*.example."));
        assertThat(ZONE.matchQname(name("a.b.c.example.")).trigger()).isEqualTo(name("*.example."));
        assertThat(actionFor(ZONE, "a.example.")).isEqualTo(PolicyAction.NODATA);
    }

    @Test
    void wildcardNeverMatchesItsApex() {
        assertThat(ZONE.matchQname(name("example."))).isNull();
        // sub.example. exists in the zone as the parent of *.sub.example., so, as in BIND and
        // RFC 4592, *.example. does not stand for it either.
        assertThat(ZONE.matchQname(name("sub.example."))).isNull();
    }

    @Test
    void exactBeatsWildcard() {
        assertThat(actionFor(ZONE, "listed.sub.example.")).isEqualTo(PolicyAction.PASSTHRU);
        assertThat(actionFor(ZONE, "exact.example.")).isEqualTo(PolicyAction.NXDOMAIN);
    }

    @Test
    void longerWildcardBeatsShorter() {
        assertThat(ZONE.matchQname(name("x.sub.example.")).trigger()).isEqualTo(name("*.sub.example."));
        assertThat(actionFor(ZONE, "x.y.sub.example.")).isEqualTo(PolicyAction.DROP);
        assertThat(ZONE.matchQname(name("x.deep.sub.example.")).trigger()).isEqualTo(name("*.deep.sub.example."));
        assertThat(actionFor(ZONE, "a.b.c.d.deep.sub.example.")).isEqualTo(PolicyAction.TCP_ONLY);
        // Below an exact rule the rule's name is the closest encloser, which has no wildcard.
        assertThat(actionFor(ZONE, "x.listed.sub.example.")).isNull();
    }

    @Test
    void matchingIgnoresCase() {
        assertThat(actionFor(ZONE, "EXACT.Example.")).isEqualTo(PolicyAction.NXDOMAIN);
        assertThat(actionFor(ZONE, "mixed.case.test.")).isEqualTo(PolicyAction.NXDOMAIN);
        assertThat(actionFor(ZONE, "WWW.SUB.EXAMPLE.")).isEqualTo(PolicyAction.DROP);
        assertThat(ZONE.matchQname(name("mixed.case.test.")).trigger().toString()).isEqualTo("MiXeD.Case.test.");
    }

    @Test
    void unlistedNamesDoNotMatch() {
        assertThat(ZONE.matchQname(name("example.org."))).isNull();
        assertThat(ZONE.matchQname(name("."))).isNull();
        assertThat(ZONE.matchQname(name("exact.example.org."))).isNull();
        assertThat(ZONE.matchQname(name("case.test."))).isNull();
    }

    @Test
    void wildcardAtOriginStopsAtNamesOfZone() {
        PolicyZone zone = zone("rpz.local.")
                .add("*", "CNAME", ".")
                .add("allowed.example", "CNAME", "rpz-passthru.")
                .build();

        assertThat(zone.matchQname(name("anything.test.")).trigger()).isEqualTo(name("*."));
        assertThat(actionFor(zone, "a.b.c.d.e.f.g.")).isEqualTo(PolicyAction.NXDOMAIN);
        // example. exists as the parent of allowed.example., and has no wildcard of its own.
        assertThat(zone.matchQname(name("anything.example."))).isNull();
        assertThat(actionFor(zone, "allowed.example.")).isEqualTo(PolicyAction.PASSTHRU);
        assertThat(zone.matchQname(name("."))).isNull();
    }

    @Test
    void rootOriginKeepsOwnersAsTriggers() {
        PolicyZone zone = zone(".")
                .add("blocked.example.", "CNAME", ".")
                .build();

        PolicyRule rule = zone.matchQname(name("blocked.example."));
        assertThat(rule.trigger()).isEqualTo(name("blocked.example."));
        assertThat(rule.owner()).isEqualTo(name("blocked.example."));
    }

    @Test
    void deepQueryBelowShallowWildcard() {
        String deep = "l1.l2.l3.l4.l5.l6.l7.l8.l9.l10.l11.l12.l13.l14.l15.l16.l17.l18.l19.l20.example.";
        assertThat(ZONE.matchQname(name(deep)).trigger()).isEqualTo(name("*.example."));
    }
}
