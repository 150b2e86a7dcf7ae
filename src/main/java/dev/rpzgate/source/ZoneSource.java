package dev.rpzgate.source;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Source of a policy zone's text: exactly one of the {@code file}, {@code url} and
 * {@code rules} settings of a zone.
 *
 * <p>A zone transfer from a primary server ({@code transfer}) will be another kind of source.
 * Like {@link Url} it is remote, so it will keep its last good copy in {@link ZoneCache} and be
 * refreshed by {@link PolicyReloader}; the configuration rejects it until then.
 */
public sealed interface ZoneSource {

    /** Returns the file path, URL or setting name that log lines and skipped records show. */
    String describe();

    /** A zone file on the local file system, watched for changes. */
    record File(Path path) implements ZoneSource {

        public File {
            Objects.requireNonNull(path, "path");
        }

        @Override
        public String describe() {
            return path.toString();
        }
    }

    /**
     * A zone downloaded over HTTP or HTTPS.
     *
     * @param uri absolute {@code http} or {@code https} URI
     * @param refresh time between two downloads, and the longest wait between retries
     * @param timeout time allowed for one download
     * @param maxBytes largest body accepted
     */
    record Url(URI uri, Duration refresh, Duration timeout, long maxBytes) implements ZoneSource {

        public Url {
            Objects.requireNonNull(uri, "uri");
            Objects.requireNonNull(refresh, "refresh");
            Objects.requireNonNull(timeout, "timeout");
        }

        @Override
        public String describe() {
            return uri.toString();
        }
    }

    /**
     * A zone written in the configuration itself.
     *
     * @param setting name of the setting, such as {@code rpzgate.policy.zones[2].rules}
     * @param text the records or names
     */
    record Inline(String setting, String text) implements ZoneSource {

        public Inline {
            Objects.requireNonNull(setting, "setting");
            Objects.requireNonNull(text, "text");
        }

        @Override
        public String describe() {
            return setting;
        }
    }
}
