package dev.rpzgate.source;

import dev.rpzgate.source.transfer.ZoneSnapshot;
import java.io.IOException;
import java.io.InputStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.xbill.DNS.Master;
import org.xbill.DNS.Record;

/**
 * The last good copy of each transferred zone, kept in {@link ZoneCache} so that a restart
 * enforces the zone before a primary responds.
 *
 * <p>The text is zone-file format with one record a line and absolute names, the apex SOA first,
 * in the order of {@link ZoneSnapshot#records()}. The modification time of the text file is when a
 * primary last confirmed the copy's serial, by a transfer or by an SOA check, as a secondary
 * server keeps it, so the expire interval goes on counting across restarts.
 */
final class TransferCopies {

    /** TTL for a record without one, which a copy written here never has. */
    private static final long DEFAULT_TTL_SECONDS = 3600;

    private final ZoneCache cache;

    TransferCopies(ZoneCache cache) {
        this.cache = Objects.requireNonNull(cache, "cache");
    }

    /**
     * A copy read from the cache.
     *
     * @param snapshot the records and the zone built from them, confirmed at
     *     {@link ZoneSnapshot#loadedAt()}
     * @param text the file the records came from
     * @param bytes size of that file
     */
    record Saved(ZoneSnapshot snapshot, Path text, long bytes) {}

    /**
     * Reads the copy of the zone that {@code spec} configures, if there is one from {@code source}.
     *
     * @param source the description of the zone's primaries; a copy from other primaries is
     *     ignored, because their serials need not follow the same sequence
     * @throws IOException if the copy cannot be read or parsed
     * @throws IllegalArgumentException if the copy does not start with the zone's SOA record
     */
    Optional<Saved> load(ZoneSpec spec, String source) throws IOException {
        Optional<ZoneCache.Copy> copy = cache.find(spec.zoneName(), source);
        if (copy.isEmpty()) {
            return Optional.empty();
        }
        Path text = copy.get().text();
        Instant confirmed = Files.getLastModifiedTime(text).toInstant();
        List<Record> records = new ArrayList<>();
        // A null directory makes the stream reject $INCLUDE, so a copy never reads another file.
        try (InputStream in = new LineCountingZoneStream(Files.newInputStream(text), null)) {
            Master master = new Master(in, spec.origin(), DEFAULT_TTL_SECONDS);
            Record record;
            while ((record = master.nextRecord()) != null) {
                records.add(record);
            }
        } catch (IllegalArgumentException | IllegalStateException e) {
            // dnsjava reports bad names and values with unchecked exceptions.
            throw new IOException("invalid record in " + text + ": " + e.getMessage(), e);
        }
        ZoneSnapshot snapshot = ZoneSnapshot.fromSavedRecords(spec.origin(), spec.settings(), records, source,
                confirmed);
        return Optional.of(new Saved(snapshot, text, Files.size(text)));
    }

    /**
     * Replaces the copy of zone {@code zoneName} with {@code snapshot}, through a temporary file
     * that is renamed into place.
     *
     * @throws IOException if the copy cannot be written; the old copy then stays
     */
    void save(String zoneName, String source, ZoneSnapshot snapshot) throws IOException {
        Path temp = cache.newTempFile(zoneName);
        try {
            try (Writer out = Files.newBufferedWriter(temp, StandardCharsets.UTF_8)) {
                for (Record record : snapshot.records()) {
                    out.write(record.toString());
                    out.write('\n');
                }
            }
            cache.store(zoneName, temp, source, ZoneCache.Validators.NONE);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /**
     * Records that a primary confirmed the copy of zone {@code zoneName} at {@code when}.
     *
     * @throws IOException if the modification time cannot be set
     */
    void markConfirmed(String zoneName, Instant when) throws IOException {
        Files.setLastModifiedTime(cache.textFile(zoneName), FileTime.from(when));
    }
}
