package dev.rpzgate.upstream;

import dev.rpzgate.config.RpzgateConfig;
import dev.rpzgate.observability.DnsMetrics;
import dev.rpzgate.wire.HostPort;
import org.xbill.DNS.Name;
import org.xbill.DNS.TextParseException;

import java.io.IOException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Works out the upstreams from configuration: the default list (or resolv.conf when none is
 * configured), the forward zones and the resolver settings.
 */
public final class Upstreams {

    private static final int DNS_PORT = 53;
    private static final int TLS_PORT = 853;
    private static final int HTTPS_PORT = 443;
    private static final String DEFAULT_DOH_PATH = "/dns-query";

    private Upstreams() {
    }

    /**
     * Returns the configured upstreams, or the nameservers of the resolv.conf file when
     * {@code rpzgate.upstreams} is unset.
     *
     * @throws IllegalStateException when there is no upstream, an entry is invalid, or an upstream is
     *                               rpzgate's own listening address (it would forward to itself)
     */
    public static List<Upstream> resolve(RpzgateConfig config, HostPort listen) {
        List<String> entries;
        String origin;
        if (config.upstreams().isPresent() && !config.upstreams().get().isEmpty()) {
            entries = config.upstreams().get();
            origin = "rpzgate.upstreams";
        } else {
            entries = nameservers(Path.of(config.resolvConf()));
            origin = config.resolvConf();
            if (entries.isEmpty()) {
                throw new IllegalStateException("no upstream: rpzgate.upstreams is unset and " + config.resolvConf()
                        + " has no nameserver line; set RPZGATE_UPSTREAMS to host[:port],...");
            }
        }
        return parseAll(entries, origin, listen);
    }

    private static List<Upstream> parseAll(List<String> entries, String origin, HostPort listen) {
        List<Upstream> upstreams = new ArrayList<>();
        for (String entry : entries) {
            Upstream upstream;
            try {
                upstream = parse(entry);
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException("invalid upstream '" + entry + "' in " + origin + ": " + e.getMessage(), e);
            }
            if (upstream.protocol() == Upstream.Protocol.DNS && isOwnAddress(upstream, listen)) {
                throw new IllegalStateException("upstream " + upstream.name() + " in " + origin
                        + " is rpzgate's own listening address " + listen + ", so queries would loop;"
                        + " set rpzgate.upstreams to another resolver");
            }
            upstreams.add(upstream);
        }
        if (upstreams.size() > UpstreamGroup.MAX_UPSTREAMS) {
            throw new IllegalStateException(origin + " lists " + upstreams.size() + " upstreams; at most "
                    + UpstreamGroup.MAX_UPSTREAMS + " are supported");
        }
        return upstreams;
    }

    /**
     * Parses one upstream: {@code host[:port]} (plain DNS, port 53), {@code tls://host[:port][#name]}
     * (port 853) or {@code https://host[:port][/path][#name]} (port 443, path {@code /dns-query}).
     * The host is an IP address; {@code name} is what the certificate must carry, the IP address when
     * it is missing.
     *
     * @throws IllegalArgumentException saying what is wrong with the entry
     */
    public static Upstream parse(String entry) {
        String text = entry.trim();
        int schemeEnd = text.indexOf("://");
        String scheme = schemeEnd < 0 ? "dns" : text.substring(0, schemeEnd).toLowerCase(java.util.Locale.ROOT);
        String rest = schemeEnd < 0 ? text : text.substring(schemeEnd + 3);
        String tlsName = null;
        int hash = rest.indexOf('#');
        if (hash >= 0) {
            tlsName = rest.substring(hash + 1);
            rest = rest.substring(0, hash);
            if (tlsName.isEmpty()) {
                throw new IllegalArgumentException("empty TLS name after '#'");
            }
        }
        String path = null;
        int slash = rest.indexOf('/');
        if (slash >= 0) {
            path = rest.substring(slash);
            rest = rest.substring(0, slash);
        }
        return switch (scheme) {
            case "dns", "udp" -> {
                if (tlsName != null || path != null) {
                    throw new IllegalArgumentException("a plain DNS upstream takes no '#name' or path;"
                            + " use tls:// or https:// for an encrypted one");
                }
                yield Upstream.of(HostPort.parse(rest, DNS_PORT));
            }
            case "tls" -> {
                if (path != null) {
                    throw new IllegalArgumentException("a DNS over TLS upstream takes no path");
                }
                HostPort hostPort = HostPort.parse(rest, TLS_PORT);
                yield new Upstream(text, hostPort.toSocketAddress(), Upstream.Protocol.TLS, tlsName, null);
            }
            case "https" -> {
                HostPort hostPort = HostPort.parse(rest, HTTPS_PORT);
                yield new Upstream(text, hostPort.toSocketAddress(), Upstream.Protocol.HTTPS, tlsName,
                        path == null ? DEFAULT_DOH_PATH : path);
            }
            default -> throw new IllegalArgumentException("unknown scheme '" + scheme
                    + "://'; use host[:port], tls://host[:port][#name] or https://host[:port][/path][#name]");
        };
    }

    /**
     * Returns the forwarding plan: the default upstreams for the root and each
     * {@code rpzgate.forward-zones} entry for its domain, with the resolver settings.
     *
     * @throws IllegalStateException naming the setting that is invalid
     */
    public static Forwarding forwarding(RpzgateConfig config, HostPort listen, DnsMetrics metrics) {
        RpzgateConfig.Upstream upstream = config.upstream();
        List<Forwarding.ZoneUpstreams> zones = new ArrayList<>();
        zones.add(new Forwarding.ZoneUpstreams(Name.root, resolve(config, listen), upstream.selection()));
        List<RpzgateConfig.ForwardZone> forwardZones = config.forwardZones().orElse(List.of());
        for (int i = 0; i < forwardZones.size(); i++) {
            RpzgateConfig.ForwardZone zone = forwardZones.get(i);
            String key = "rpzgate.forward-zones[" + i + "]";
            Name name;
            try {
                name = Name.fromString(zone.name(), Name.root);
            } catch (TextParseException e) {
                throw new IllegalStateException("invalid domain '" + zone.name() + "' in " + key + ".name: "
                        + e.getMessage(), e);
            }
            if (name.equals(Name.root)) {
                throw new IllegalStateException(key + ".name is the root; set the default upstreams with"
                        + " rpzgate.upstreams instead");
            }
            if (zones.stream().anyMatch(other -> other.zone().equals(name))) {
                throw new IllegalStateException(key + ".name " + name + " is configured twice");
            }
            if (zone.upstreams().isEmpty()) {
                throw new IllegalStateException(key + ".upstreams is empty; give at least one upstream");
            }
            zones.add(new Forwarding.ZoneUpstreams(name, parseAll(zone.upstreams(), key + ".upstreams", listen),
                    zone.selection().orElse(upstream.selection())));
        }
        return Forwarding.of(zones, settings(upstream), metrics);
    }

    private static Forwarding.Settings settings(RpzgateConfig.Upstream upstream) {
        requirePositive(upstream.timeout(), "rpzgate.upstream.timeout");
        requirePositive(upstream.queryTimeout(), "rpzgate.upstream.query-timeout");
        requirePositive(upstream.health().probeInterval(), "rpzgate.upstream.health.probe-interval");
        requirePositive(upstream.tls().idleTimeout(), "rpzgate.upstream.tls.idle-timeout");
        if (upstream.queueTimeout().isNegative()) {
            throw new IllegalStateException("rpzgate.upstream.queue-timeout is negative: " + upstream.queueTimeout());
        }
        if (upstream.maxInFlight() < 1) {
            throw new IllegalStateException("rpzgate.upstream.max-in-flight must be at least 1, not "
                    + upstream.maxInFlight());
        }
        if (upstream.maxQueued() < 0) {
            throw new IllegalStateException("rpzgate.upstream.max-queued must be 0 or more, not " + upstream.maxQueued());
        }
        if (upstream.health().maxFailures() < 1) {
            throw new IllegalStateException("rpzgate.upstream.health.max-failures must be at least 1, not "
                    + upstream.health().maxFailures());
        }
        Name probeName;
        try {
            probeName = Name.fromString(upstream.health().probeName(), Name.root);
        } catch (TextParseException e) {
            throw new IllegalStateException("invalid name '" + upstream.health().probeName()
                    + "' in rpzgate.upstream.health.probe-name: " + e.getMessage(), e);
        }
        Optional<Path> caFile = upstream.tls().caFile().map(Path::of);
        try {
            caFile.ifPresent(TlsTrust::check);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
        return new Forwarding.Settings(upstream.timeout(), upstream.queryTimeout(), upstream.maxInFlight(),
                upstream.maxQueued(), upstream.queueTimeout(), upstream.health().maxFailures(),
                upstream.health().probeInterval(), probeName, caFile, upstream.tls().idleTimeout());
    }

    private static void requirePositive(Duration value, String key) {
        if (value.isZero() || value.isNegative()) {
            throw new IllegalStateException(key + " must be positive, not " + value);
        }
    }

    /** Reads the {@code nameserver} lines of a resolv.conf file; a missing file gives an empty list. */
    static List<String> nameservers(Path resolvConf) {
        List<String> servers = new ArrayList<>();
        List<String> lines;
        try {
            lines = Files.readAllLines(resolvConf);
        } catch (IOException e) {
            return servers;
        }
        for (String line : lines) {
            String[] fields = line.trim().split("\\s+");
            if (fields.length >= 2 && fields[0].equals("nameserver")) {
                String address = fields[1];
                int zone = address.indexOf('%');
                servers.add(zone < 0 ? address : address.substring(0, zone));
            }
        }
        return servers;
    }

    private static boolean isOwnAddress(Upstream upstream, HostPort listen) {
        if (upstream.port() != listen.port()) {
            return false;
        }
        InetAddress target = upstream.address().getAddress();
        InetAddress listenAddress;
        try {
            listenAddress = listen.toSocketAddress().getAddress();
        } catch (IllegalArgumentException e) {
            return false;
        }
        if (listenAddress.equals(target)) {
            return true;
        }
        if (!listenAddress.isAnyLocalAddress()) {
            return false;
        }
        // A wildcard listener also answers on every local address.
        if (target.isLoopbackAddress() || target.isAnyLocalAddress()) {
            return true;
        }
        try {
            return NetworkInterface.getByInetAddress(target) != null;
        } catch (SocketException e) {
            return false;
        }
    }
}
