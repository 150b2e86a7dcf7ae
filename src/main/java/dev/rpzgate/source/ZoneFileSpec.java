package dev.rpzgate.source;

import java.nio.file.Path;
import java.util.Objects;
import org.xbill.DNS.Name;

/**
 * One entry of {@code rpzgate.policy.files}.
 *
 * @param origin zone origin, absolute, or null to name the zone after the file
 * @param path path of the zone file
 */
public record ZoneFileSpec(Name origin, Path path) {

    public ZoneFileSpec {
        Objects.requireNonNull(path, "path");
        if (origin != null && !origin.isAbsolute()) {
            throw new IllegalArgumentException("zone origin must be absolute: " + origin);
        }
    }
}
