package dev.rpzgate.source;

import dev.rpzgate.source.transfer.ZoneTransferConfig;
import dev.rpzgate.source.transfer.ZoneTransferSource;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.StringJoiner;

/**
 * Source of a policy zone's text: exactly one of the {@code file}, {@code url}, {@code rules} and
 * {@code transfer} settings of a zone. The remote sources, {@link Url} and {@link Transfer}, keep
 * their last good copy in {@link ZoneCache}.
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
     * A zone transferred from primary servers with AXFR and IXFR and kept in sync by a
     * {@link ZoneTransferSource}.
     *
     * @param config the transfer settings, with the zone's name and policy settings
     */
    record Transfer(ZoneTransferConfig config) implements ZoneSource {

        public Transfer {
            Objects.requireNonNull(config, "config");
        }

        /** Returns {@code zone transfer from} and the primaries in the order they are tried. */
        @Override
        public String describe() {
            StringJoiner primaries = new StringJoiner(", ", "zone transfer from ", "");
            for (InetSocketAddress primary : config.primaries()) {
                String host = primary.getAddress().getHostAddress();
                primaries.add(primary.getAddress() instanceof Inet6Address
                        ? "[" + host + "]:" + primary.getPort()
                        : host + ":" + primary.getPort());
            }
            return primaries.toString();
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
