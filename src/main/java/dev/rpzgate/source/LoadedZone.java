package dev.rpzgate.source;

import dev.rpzgate.policy.PolicyZone;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * A zone read from its source.
 *
 * @param zone the zone
 * @param bytes size of the text it was read from, for log lines
 * @param includes files that the zone file read through {@code $INCLUDE}, first those its own
 *     directives name, in their order, then those that included files name, at any depth
 */
public record LoadedZone(PolicyZone zone, long bytes, List<Path> includes) {

    public LoadedZone {
        Objects.requireNonNull(zone, "zone");
        includes = List.copyOf(includes);
    }

    /** Creates a loaded zone that read no other file. */
    public LoadedZone(PolicyZone zone, long bytes) {
        this(zone, bytes, List.of());
    }
}
