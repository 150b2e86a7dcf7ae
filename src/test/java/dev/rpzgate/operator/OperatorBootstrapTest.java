package dev.rpzgate.operator;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class OperatorBootstrapTest {

    @Test
    void noZonesWithoutOperatorWarns() {
        assertThat(OperatorBootstrap.noPolicyWarning(0)).hasValueSatisfying(warning -> assertThat(warning)
                .startsWith("no policy zones are configured")
                .contains("every query is forwarded unfiltered", "rpzgate.policy.files"));
    }

    @Test
    void configuredZoneGivesNoWarning() {
        assertThat(OperatorBootstrap.noPolicyWarning(1)).isEmpty();
    }
}
