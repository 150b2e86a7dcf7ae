package dev.rpzgate.source;

import dev.rpzgate.policy.PolicySet;
import dev.rpzgate.policy.PolicyZone;
import dev.rpzgate.policy.PolicyZoneBuilder;
import dev.rpzgate.policy.SkippedRecord;
import dev.rpzgate.policy.ZoneSettings;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;
import org.xbill.DNS.Master;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;
import org.xbill.DNS.TextParseException;

/**
 * Loads RPZ zone files in BIND zone-file format with dnsjava's {@link Master}, which handles
 * {@code $ORIGIN}, {@code $TTL}, {@code $INCLUDE}, {@code $GENERATE}, relative names and
 * comments. Records without a TTL get 3600 seconds until a {@code $TTL} directive sets another
 * default. A record that cannot be a policy rule is skipped and logged; a syntax error fails the
 * whole zone with a {@link ZoneLoadException} that names the file and the line.
 *
 * <p>Line numbers come from {@link LineCountingZoneStream}. They are exact for one-line records;
 * a record in parentheses over several lines reports the line where it ends. Records read through
 * {@code $INCLUDE} report the line of the directive in the including file, because dnsjava reads
 * the included file itself.
 */
public final class RpzZoneFileLoader {

    private static final Logger LOG = Logger.getLogger(RpzZoneFileLoader.class);

    /** TTL of records before the first {@code $TTL} directive, in seconds. */
    static final long DEFAULT_TTL_SECONDS = 3600;

    private static final int LOGGED_SKIPPED_RECORDS = 5;

    /** dnsjava's parse error prefix: file name ({@code <none>} for a stream), line, message. */
    private static final Pattern DNSJAVA_POSITION = Pattern.compile("(.*?):(\\d+): (.*)", Pattern.DOTALL);

    private RpzZoneFileLoader() {}

    /**
     * Loads one RPZ zone file.
     *
     * @param file path of the zone file
     * @param origin zone origin, absolute, or null for the file's base name up to the first dot,
     *     so {@code urlhaus-filter-rpz.conf} becomes {@code urlhaus-filter-rpz.}
     * @param settings settings of the zone
     * @throws ZoneLoadException if the file cannot be read or has a syntax error
     */
    public static PolicyZone load(Path file, Name origin, ZoneSettings settings) throws ZoneLoadException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(settings, "settings");
        Name zoneOrigin = origin != null ? origin : defaultOrigin(file);
        if (!zoneOrigin.isAbsolute()) {
            throw new IllegalArgumentException("zone origin must be absolute: " + zoneOrigin);
        }

        long start = System.nanoTime();
        PolicyZone zone = parse(file, zoneOrigin, settings);
        long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        logLoaded(zone, elapsedMillis);
        return zone;
    }

    /** Loads the zone file of one {@code rpzgate.policy.files} entry. */
    public static PolicyZone load(ZoneFileSpec spec, ZoneSettings settings) throws ZoneLoadException {
        return load(spec.path(), spec.origin(), settings);
    }

    /**
     * Loads every entry of {@code rpzgate.policy.files} into one set, keeping the order of the
     * entries as the precedence order.
     *
     * @param entries entries in the form {@code path} or {@code origin=path}
     * @throws ZoneLoadException if any zone fails to load, so no partial set is returned
     * @throws IllegalArgumentException if an entry is malformed or two zones have the same name
     */
    public static PolicySet loadAll(List<String> entries, ZoneSettings settings) throws ZoneLoadException {
        List<PolicyZone> zones = new ArrayList<>(entries.size());
        for (String entry : entries) {
            zones.add(load(parseSpec(entry), settings));
        }
        return new PolicySet(zones);
    }

    /**
     * Parses one entry of {@code rpzgate.policy.files}: {@code path} or {@code origin=path}.
     * Text before the first {@code =} is an origin only if it contains no {@code /}, so a path
     * such as {@code /srv/a=b.zone} stays a path. A relative origin is taken as absolute.
     *
     * @throws IllegalArgumentException if the entry is blank, the path is empty or the origin is
     *     not a valid name
     */
    public static ZoneFileSpec parseSpec(String entry) {
        String text = Objects.requireNonNull(entry, "entry").strip();
        if (text.isEmpty()) {
            throw new IllegalArgumentException("policy file entry is empty");
        }
        int equals = text.indexOf('=');
        if (equals < 0 || text.substring(0, equals).contains("/")) {
            return new ZoneFileSpec(null, Path.of(text));
        }

        String originText = text.substring(0, equals).strip();
        String pathText = text.substring(equals + 1).strip();
        if (originText.isEmpty() || pathText.isEmpty()) {
            throw new IllegalArgumentException(
                    "policy file entry '" + entry + "' must be 'path' or 'origin=path'");
        }
        try {
            return new ZoneFileSpec(Name.fromString(originText, Name.root), Path.of(pathText));
        } catch (TextParseException e) {
            throw new IllegalArgumentException(
                    "policy file entry '" + entry + "' has an invalid origin: " + e.getMessage(), e);
        }
    }

    /**
     * Returns the zone origin named after the file: its base name up to the first dot, as an
     * absolute name.
     *
     * @throws ZoneLoadException if that part of the name is empty or not a valid DNS name
     */
    public static Name defaultOrigin(Path file) throws ZoneLoadException {
        Path fileName = file.getFileName();
        String baseName = fileName == null ? "" : fileName.toString();
        int dot = baseName.indexOf('.');
        String label = dot < 0 ? baseName : baseName.substring(0, dot);
        String fix = "; set the origin with an origin=path entry";
        if (label.isEmpty() || label.equals("@")) {
            throw new ZoneLoadException(
                    "cannot name policy zone file " + file + " after its file name" + fix, file, 0, null);
        }
        try {
            Name origin = Name.fromString(label + ".");
            if (!origin.isAbsolute()) {
                throw new ZoneLoadException(
                        "cannot name policy zone file " + file + " after its file name" + fix, file, 0, null);
            }
            return origin;
        } catch (TextParseException e) {
            throw new ZoneLoadException("cannot name policy zone file " + file + " after its file name: "
                    + e.getMessage() + fix, file, 0, e);
        }
    }

    /**
     * Reads an RPZ zone from a stream without logging, for sources other than a local file and
     * for callers that log the load themselves.
     *
     * @param text the zone text; read to its end and closed
     * @param source the file path or URL, for skipped records and error messages
     * @param file the local file, for {@link ZoneLoadException#file()}, or null
     * @param includeDirectory directory that relative {@code $INCLUDE} paths are resolved
     *     against, or null to reject {@code $INCLUDE}
     * @param origin zone origin, absolute
     * @throws ZoneLoadException if the text cannot be read or has a syntax error
     */
    public static LoadedZone parse(InputStream text, String source, Path file, Path includeDirectory, Name origin,
                                   ZoneSettings settings) throws ZoneLoadException {
        return parse(text, source, file, includeDirectory, origin, settings, null);
    }

    /**
     * Reads an RPZ zone from a stream into a new version of {@code inForce}, which shares the
     * rules and names that did not change with it. Each record becomes garbage once it is indexed,
     * so the reload of a mostly unchanged zone needs little more heap than the zone in force.
     *
     * @param inForce the version of the zone in force, or null
     * @see #parse(InputStream, String, Path, Path, Name, ZoneSettings)
     */
    public static LoadedZone parse(InputStream text, String source, Path file, Path includeDirectory, Name origin,
                                   ZoneSettings settings, PolicyZone inForce) throws ZoneLoadException {
        PolicyZoneBuilder builder = new PolicyZoneBuilder(origin, settings, source, inForce);
        CountingInputStream counted = new CountingInputStream(text);
        List<Path> includes;
        try (LineCountingZoneStream stream = new LineCountingZoneStream(counted, includeDirectory)) {
            Master master = new Master(stream, origin, DEFAULT_TTL_SECONDS);
            while (true) {
                Record record;
                try {
                    record = master.nextRecord();
                } catch (ZoneFileReadException e) {
                    throw cannotRead(source, file, (IOException) e.getCause());
                } catch (IOException | IllegalArgumentException | IllegalStateException e) {
                    // dnsjava throws IllegalArgumentException subclasses for relative names and
                    // out-of-range values, and IllegalStateException for nested $GENERATE.
                    // NOTE: Master.close() does not close an included file that is still open,
                    // so after an error inside an include its descriptor stays open until GC.
                    throw parseError(source, file, stream, e);
                }
                if (record == null) {
                    break;
                }
                if (record.getType() == Type.SOA && !record.getName().subdomain(origin)) {
                    throw foreignSoa(source, file, stream.currentLine(), record.getName(), origin);
                }
                builder.add(record, stream.currentLine());
            }
            includes = NestedIncludes.withNested(stream.includes());
        } catch (IOException e) {
            throw cannotRead(source, file, e);
        }
        return new LoadedZone(builder.build(), counted.count(), includes);
    }

    private static PolicyZone parse(Path file, Name origin, ZoneSettings settings) throws ZoneLoadException {
        InputStream source;
        try {
            source = Files.newInputStream(file);
        } catch (IOException e) {
            throw cannotRead(file.toString(), file, e);
        }
        Path directory = file.toAbsolutePath().getParent();
        return parse(source, file.toString(), file, directory, origin, settings).zone();
    }

    /**
     * Rejects a zone whose SOA record lies outside the zone origin, as BIND does. Such a file sets
     * another origin with {@code $ORIGIN} or absolute names, so without this check every record
     * would be skipped and the zone would load with no rules.
     */
    private static ZoneLoadException foreignSoa(String source, Path file, int line, Name soaOwner, Name origin) {
        String reason = "the SOA record of " + soaOwner + " is outside the zone origin " + origin
                + "; the text is zone " + soaOwner + ", so set the zone's origin to " + soaOwner;
        if (file != null) {
            reason += " (" + soaOwner + "=" + file + " in rpzgate.policy.files, or the origin setting of the zone)";
        }
        return new ZoneLoadException(describe(source, file, line, reason), file, line, null);
    }

    private static ZoneLoadException cannotRead(String source, Path file, IOException e) {
        String detail = e.getClass().getSimpleName();
        String message = e.getMessage();
        if (message != null && !message.equals(source)) {
            detail += ": " + message;
        }
        return new ZoneLoadException("cannot read " + describe(source, file) + ": " + detail, file, 0, e);
    }

    /**
     * Converts a dnsjava error into one that names the real source and line. dnsjava prefixes its
     * messages with {@code <none>:17:} for a stream and with the base name of an included file.
     */
    private static ZoneLoadException parseError(String source, Path file, LineCountingZoneStream stream,
                                                Exception e) {
        if (e instanceof LineCountingZoneStream.IncludeRejectedException rejected) {
            return new ZoneLoadException(describe(source, file, rejected.line(), rejected.getMessage()), file,
                    rejected.line(), e);
        }
        String message = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        Matcher position = DNSJAVA_POSITION.matcher(message);
        if (e instanceof TextParseException && position.matches()) {
            String where = position.group(1);
            int line = Integer.parseInt(position.group(2));
            String reason = position.group(3);
            if (where.equals("<none>")) {
                return new ZoneLoadException(describe(source, file, line, reason), file, line, e);
            }
            Path include = findInclude(stream, where);
            if (include != null) {
                String text = describe(include.toString(), include, line, reason)
                        + " (included from " + source + " line " + stream.currentLine() + ")";
                return new ZoneLoadException(text, include, line, e);
            }
        }
        int line = stream.currentLine();
        return new ZoneLoadException(describe(source, file, line, message), file, line, e);
    }

    /** Returns the most recent include whose base name is {@code fileName}, or null. */
    private static Path findInclude(LineCountingZoneStream stream, String fileName) {
        List<Path> includes = stream.includes();
        for (int i = includes.size() - 1; i >= 0; i--) {
            Path include = includes.get(i);
            if (include.getFileName() != null && include.getFileName().toString().equals(fileName)) {
                return include;
            }
        }
        return null;
    }

    private static String describe(String source, Path file, int line, String reason) {
        return describe(source, file) + " line " + line + ": " + reason;
    }

    private static String describe(String source, Path file) {
        return (file != null ? "policy zone file " : "policy zone ") + source;
    }

    private static void logLoaded(PolicyZone zone, long elapsedMillis) {
        List<SkippedRecord> skipped = zone.skipped();
        int logged = Math.min(skipped.size(), LOGGED_SKIPPED_RECORDS);
        for (int i = 0; i < logged; i++) {
            SkippedRecord record = skipped.get(i);
            LOG.warnf("zone %s: skipped record %s at %s line %d: %s",
                    zone.name(), record.owner(), record.file(), record.line(), record.reason());
        }
        if (zone.skippedCount() > logged) {
            LOG.warnf("zone %s: %d more records skipped", zone.name(), zone.skippedCount() - logged);
        }

        String first = "";
        if (!skipped.isEmpty()) {
            first = " (first: line " + skipped.get(0).line() + " " + skipped.get(0).reason() + ")";
        }
        LOG.infof("zone %s: serial %d loaded from %s, %d rules, %d records skipped, %d ms%s",
                zone.name(), zone.serial(), zone.source(), zone.ruleCount(), zone.skippedCount(),
                elapsedMillis, first);
    }
}
