package dev.rpzgate.source;

import static dev.rpzgate.source.TestZones.SETTINGS;
import static dev.rpzgate.source.TestZones.zoneFile;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rpzgate.policy.PolicyAction;
import dev.rpzgate.policy.PolicySet;
import dev.rpzgate.policy.PolicyZone;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Name;

class ZoneFileSpecTest {

    private static Name name(String text) {
        return Name.fromConstantString(text);
    }

    @Test
    void plainPathHasNoOrigin() {
        ZoneFileSpec spec = RpzZoneFileLoader.parseSpec(" /etc/rpz/urlhaus.conf ");
        assertThat(spec.origin()).isNull();
        assertThat(spec.path()).isEqualTo(Path.of("/etc/rpz/urlhaus.conf"));
    }

    @Test
    void originPrefixSetsOrigin() {
        ZoneFileSpec spec = RpzZoneFileLoader.parseSpec("rpz.example = /etc/rpz/zone.db");
        assertThat(spec.origin()).isEqualTo(name("rpz.example."));
        assertThat(spec.path()).isEqualTo(Path.of("/etc/rpz/zone.db"));
    }

    @Test
    void equalsInsidePathIsPath() {
        ZoneFileSpec spec = RpzZoneFileLoader.parseSpec("/srv/a=b.zone");
        assertThat(spec.origin()).isNull();
        assertThat(spec.path()).isEqualTo(Path.of("/srv/a=b.zone"));
    }

    @Test
    void malformedEntriesAreRejected() {
        assertThatThrownBy(() -> RpzZoneFileLoader.parseSpec("  "))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty");
        assertThatThrownBy(() -> RpzZoneFileLoader.parseSpec("rpz.example="))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("origin=path");
        assertThatThrownBy(() -> RpzZoneFileLoader.parseSpec("=/etc/rpz/zone.db"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("origin=path");
        assertThatThrownBy(() -> RpzZoneFileLoader.parseSpec("bad..origin=/etc/rpz/zone.db"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("invalid origin");
    }

    @Test
    void defaultOriginIsBaseNameToFirstDot() throws ZoneLoadException {
        assertThat(RpzZoneFileLoader.defaultOrigin(Path.of("/data/urlhaus-filter-rpz.conf")))
                .isEqualTo(name("urlhaus-filter-rpz."));
        assertThat(RpzZoneFileLoader.defaultOrigin(Path.of("hagezi-rpz-fake.txt")))
                .isEqualTo(name("hagezi-rpz-fake."));
        assertThat(RpzZoneFileLoader.defaultOrigin(Path.of("/data/plain")))
                .isEqualTo(name("plain."));
        assertThat(RpzZoneFileLoader.defaultOrigin(Path.of("/data/a.b.c")))
                .isEqualTo(name("a."));
    }

    @Test
    void hiddenFileNeedsExplicitOrigin() {
        assertThatThrownBy(() -> RpzZoneFileLoader.defaultOrigin(Path.of("/data/.zone")))
                .isInstanceOf(ZoneLoadException.class)
                .hasMessageContaining("/data/.zone")
                .hasMessageContaining("origin=path");
    }

    @Test
    void loadWithoutOriginUsesFileName() throws ZoneLoadException {
        PolicyZone zone = RpzZoneFileLoader.load(zoneFile("actions.rpz"), null, SETTINGS);

        assertThat(zone.name()).isEqualTo(name("actions."));
        assertThat(zone.matchQname(name("nxdomain.example.")).owner()).isEqualTo(name("nxdomain.example.actions."));
        assertThat(zone.skipped()).isEmpty();
    }

    @Test
    void loadAllKeepsEntryOrder(@TempDir Path directory) throws Exception {
        Path first = directory.resolve("first.rpz");
        Path second = directory.resolve("second.rpz");
        Files.writeString(first, "shared.example CNAME rpz-passthru.\n");
        Files.writeString(second, "shared.example CNAME .\nonly-second.example CNAME .\n");

        PolicySet set = RpzZoneFileLoader.loadAll(
                List.of(first.toString(), "custom.zone=" + second), SETTINGS);

        assertThat(set.zones()).extracting(PolicyZone::name)
                .containsExactly(name("first."), name("custom.zone."));
        assertThat(set.matchQname(name("shared.example.")).rule().action()).isEqualTo(PolicyAction.PASSTHRU);
        assertThat(set.matchQname(name("only-second.example.")).zone().name()).isEqualTo(name("custom.zone."));
    }

    @Test
    void loadAllRejectsDuplicateZoneNames(@TempDir Path directory) throws Exception {
        Path a = Files.createDirectories(directory.resolve("a")).resolve("feed.rpz");
        Path b = Files.createDirectories(directory.resolve("b")).resolve("feed.rpz");
        Files.writeString(a, "x.example CNAME .\n");
        Files.writeString(b, "y.example CNAME .\n");

        assertThatThrownBy(() -> RpzZoneFileLoader.loadAll(List.of(a.toString(), b.toString()), SETTINGS))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("duplicate policy zone name feed.");
    }
}
