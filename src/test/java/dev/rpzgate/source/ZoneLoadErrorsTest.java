package dev.rpzgate.source;

import static dev.rpzgate.source.TestZones.RPZ_LOCAL;
import static dev.rpzgate.source.TestZones.SETTINGS;
import static dev.rpzgate.source.TestZones.lineOf;
import static dev.rpzgate.source.TestZones.zoneFile;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.rpzgate.policy.PolicyZone;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Name;

class ZoneLoadErrorsTest {

    @Test
    void syntaxErrorNamesFileAndLine() {
        Path file = zoneFile("syntax-error.rpz");
        int line = lineOf(file, "broken.example");

        ZoneLoadException error = catchThrowableOfType(ZoneLoadException.class,
                () -> RpzZoneFileLoader.load(file, RPZ_LOCAL, SETTINGS));

        assertThat(error.getMessage())
                .isEqualTo("policy zone file " + file + " line " + line + ": Invalid type 'CNAMEX'");
        assertThat(error.file()).isEqualTo(file);
        assertThat(error.line()).isEqualTo(line);
        assertThat(error.getMessage()).doesNotContain("<none>");
    }

    @Test
    void soaOutsideOriginNamesTheFilesZone(@TempDir Path directory) throws Exception {
        Path file = directory.resolve("rpz100k.zone");
        Files.writeString(file, "$ORIGIN rpz.bench.\n$TTL 300\n"
                + "@ SOA ns.rpz.bench. admin.rpz.bench. 7 3600 600 86400 60\n"
                + "@ NS ns.rpz.bench.\nbad.example CNAME .\n", StandardCharsets.US_ASCII);

        ZoneLoadException error = catchThrowableOfType(ZoneLoadException.class,
                () -> RpzZoneFileLoader.load(file, Name.fromString("rpz100k."), SETTINGS));

        assertThat(error.getMessage()).isEqualTo("policy zone file " + file + " line 3: the SOA record of rpz.bench."
                + " is outside the zone origin rpz100k.; the text is zone rpz.bench., so set the zone's origin to"
                + " rpz.bench. (rpz.bench.=" + file + " in rpzgate.policy.files, or the origin setting of the zone)");
        assertThat(error.line()).isEqualTo(3);
        assertThat(RpzZoneFileLoader.load(file, Name.fromString("rpz.bench."), SETTINGS).ruleCount())
                .as("loads under the zone the file names").isEqualTo(1);
    }

    @Test
    void errorInIncludeNamesIncludedFile() {
        Path file = zoneFile("include-error.rpz");
        Path included = zoneFile("included/broken.rpz");
        int includedLine = lineOf(included, "broken.example");
        int directiveLine = lineOf(file, "$INCLUDE");

        ZoneLoadException error = catchThrowableOfType(ZoneLoadException.class,
                () -> RpzZoneFileLoader.load(file, RPZ_LOCAL, SETTINGS));

        assertThat(error.file()).isEqualTo(included);
        assertThat(error.line()).isEqualTo(includedLine);
        assertThat(error.getMessage())
                .startsWith("policy zone file " + included + " line " + includedLine + ": ")
                .contains("not-an-address")
                .endsWith("(included from " + file + " line " + directiveLine + ")");
    }

    @Test
    void missingIncludeNamesDirectiveLine(@TempDir Path directory) throws Exception {
        Path file = directory.resolve("missing-include.rpz");
        Files.writeString(file, "a.example CNAME .\n$INCLUDE nowhere.rpz\n", StandardCharsets.US_ASCII);

        ZoneLoadException error = catchThrowableOfType(ZoneLoadException.class,
                () -> RpzZoneFileLoader.load(file, RPZ_LOCAL, SETTINGS));

        assertThat(error.line()).isEqualTo(2);
        assertThat(error.getMessage())
                .startsWith("policy zone file " + file + " line 2: ")
                .contains(directory.resolve("nowhere.rpz").toString());
    }

    @Test
    void missingFileNamesPath(@TempDir Path directory) {
        Path file = directory.resolve("absent.rpz");

        ZoneLoadException error = catchThrowableOfType(ZoneLoadException.class,
                () -> RpzZoneFileLoader.load(file, RPZ_LOCAL, SETTINGS));

        assertThat(error.getMessage()).isEqualTo("cannot read policy zone file " + file + ": NoSuchFileException");
        assertThat(error.getCause()).isInstanceOf(NoSuchFileException.class);
        assertThat(error.file()).isEqualTo(file);
        assertThat(error.line()).isZero();
    }

    @Test
    void directoryCannotBeRead(@TempDir Path directory) {
        ZoneLoadException error = catchThrowableOfType(ZoneLoadException.class,
                () -> RpzZoneFileLoader.load(directory, RPZ_LOCAL, SETTINGS));

        assertThat(error.getMessage()).startsWith("cannot read policy zone file " + directory + ": ");
    }

    @Test
    void lastLineWithoutNewlineIsRead() throws ZoneLoadException {
        Path file = zoneFile("no-final-newline.rpz");

        PolicyZone zone = RpzZoneFileLoader.load(file, RPZ_LOCAL, SETTINGS);

        assertThat(zone.matchQname(Name.fromConstantString("last-line.example."))).isNotNull();
        assertThat(zone.skipped()).singleElement().satisfies(skipped -> {
            assertThat(skipped.owner()).isEqualTo(Name.fromConstantString("no-newline.example.rpz.local."));
            assertThat(skipped.line()).isEqualTo(2);
        });
    }

    @Test
    void relativeOriginIsRejected() {
        assertThatThrownBy(() -> RpzZoneFileLoader.load(
                        zoneFile("actions.rpz"), Name.fromConstantString("relative"), SETTINGS))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("absolute");
    }
}
