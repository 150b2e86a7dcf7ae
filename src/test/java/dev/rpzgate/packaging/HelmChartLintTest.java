package dev.rpzgate.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import org.junit.jupiter.api.Test;

/** Runs {@code helm lint --strict} on the chart, so that a warning fails the build too. */
class HelmChartLintTest {

    @Test
    void chartPassesStrictLint() {
        LintResult result = new Helm(RenderedChart.CHART).lint().strict().call();

        assertThat(result.getMessages())
                .as("lint messages")
                .noneMatch(message -> message.contains("[ERROR]"))
                .noneMatch(message -> message.contains("[WARNING]"));
        assertThat(result.isFailed()).as("lint failed: %s", result.getMessages()).isFalse();
    }
}
