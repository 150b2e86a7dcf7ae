package dev.rpzgate.source;

import static dev.rpzgate.source.TestZones.RPZ_LOCAL;
import static dev.rpzgate.source.TestZones.SETTINGS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rpzgate.policy.PolicyAction;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Name;

/** Reads RPZ zones that come from a URL or the configuration rather than a local file. */
class RpzZoneStreamTest {

    private static final String SOURCE = "https://feeds.example/zone.rpz";

    private static InputStream text(String zone) {
        return new ByteArrayInputStream(zone.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void streamZoneCountsBytesAndNamesSource() throws Exception {
        String zone = """
                $TTL 60
                @ SOA localhost. root.localhost. 42 3600 600 86400 60
                bad.example CNAME .
                x.example DNAME target.example.
                """;

        LoadedZone loaded = RpzZoneFileLoader.parse(text(zone), SOURCE, null, null, RPZ_LOCAL, SETTINGS);

        assertThat(loaded.bytes()).isEqualTo(zone.getBytes(StandardCharsets.UTF_8).length);
        assertThat(loaded.zone().serial()).isEqualTo(42);
        assertThat(loaded.zone().source()).isEqualTo(SOURCE);
        assertThat(loaded.zone().matchQname(Name.fromConstantString("bad.example.")).action())
                .isEqualTo(PolicyAction.NXDOMAIN);
        assertThat(loaded.zone().skipped()).hasSize(1);
        assertThat(loaded.zone().skipped().get(0).file()).isEqualTo(SOURCE);
        assertThat(loaded.zone().skipped().get(0).line()).isEqualTo(4);
    }

    @Test
    void includeRejectedWithoutDirectory() {
        String zone = """
                ok.example CNAME .
                $INCLUDE /etc/passwd
                """;

        assertThatThrownBy(() -> RpzZoneFileLoader.parse(text(zone), SOURCE, null, null, RPZ_LOCAL, SETTINGS))
                .isInstanceOf(ZoneLoadException.class)
                .hasMessage("policy zone " + SOURCE
                        + " line 2: $INCLUDE is not allowed in a zone that is not read from a local file")
                .extracting(e -> ((ZoneLoadException) e).line()).isEqualTo(2);
    }

    @Test
    void syntaxErrorNamesSourceAndLine() {
        String zone = """
                ok.example CNAME .
                bad.example CNAMEX .
                """;

        assertThatThrownBy(() -> RpzZoneFileLoader.parse(text(zone), SOURCE, null, null, RPZ_LOCAL, SETTINGS))
                .isInstanceOf(ZoneLoadException.class)
                .hasMessageStartingWith("policy zone " + SOURCE + " line 2: ");
    }
}
