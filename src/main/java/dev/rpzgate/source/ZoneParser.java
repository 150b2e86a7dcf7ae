package dev.rpzgate.source;

import dev.rpzgate.policy.PolicyZone;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads the text of a configured zone in the zone's format. Blocking; call it off the event loops. */
final class ZoneParser {

    private ZoneParser() {
    }

    /**
     * Reads the zone from a local file: the zone file itself, or a downloaded copy.
     *
     * @param source the file path or URL, for skipped records and messages
     * @param local whether {@code file} is the configured zone file, whose {@code $INCLUDE}
     *     directives may read other local files; a downloaded copy may not
     * @throws ZoneLoadException if the file cannot be read or an RPZ zone has a syntax error
     */
    static LoadedZone parse(ZoneSpec spec, Path file, String source, boolean local) throws ZoneLoadException {
        return parse(spec, file, source, local, null);
    }

    /**
     * Reads the zone from a local file into a new version of {@code inForce}, sharing the rules
     * that did not change with it.
     *
     * @param inForce the version of the zone in force, or null
     * @see #parse(ZoneSpec, Path, String, boolean)
     */
    static LoadedZone parse(ZoneSpec spec, Path file, String source, boolean local, PolicyZone inForce)
            throws ZoneLoadException {
        InputStream text;
        try {
            text = Files.newInputStream(file);
        } catch (IOException e) {
            String kind = local ? "policy zone file " : "policy zone " + source + ": local copy ";
            throw new ZoneLoadException("cannot read " + kind + file + ": " + e, local ? file : null, 0, e);
        }
        Path includeDirectory = local ? file.toAbsolutePath().getParent() : null;
        return parse(spec, text, source, local ? file : null, includeDirectory, inForce);
    }

    /**
     * Reads a zone written in the configuration.
     *
     * @throws ZoneLoadException if an RPZ zone has a syntax error
     */
    static LoadedZone parse(ZoneSpec spec, ZoneSource.Inline inline) throws ZoneLoadException {
        InputStream text = new ByteArrayInputStream(inline.text().getBytes(StandardCharsets.UTF_8));
        return parse(spec, text, inline.setting(), null, null, null);
    }

    private static LoadedZone parse(ZoneSpec spec, InputStream text, String source, Path file,
                                    Path includeDirectory, PolicyZone inForce) throws ZoneLoadException {
        if (spec.format() == ZoneFormat.RPZ) {
            return RpzZoneFileLoader.parse(text, source, file, includeDirectory, spec.origin(), spec.settings(),
                    inForce);
        }
        try (InputStream in = text) {
            return NameListLoader.load(in, source, spec.origin(), spec.settings(), spec.format(), spec.subdomains(),
                    spec.listAction(), inForce);
        } catch (IOException e) {
            String where = (file != null ? "policy zone file " : "policy zone ") + source;
            throw new ZoneLoadException("cannot read " + where + ": " + e, file, 0, e);
        }
    }
}
