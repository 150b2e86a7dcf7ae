package dev.rpzgate.upstream;

import dev.rpzgate.config.RpzgateConfig;
import dev.rpzgate.wire.HostPort;

import java.io.IOException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Works out the upstream list from configuration, or from resolv.conf when none is configured. */
public final class Upstreams {

    private static final int DNS_PORT = 53;

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
        List<Upstream> upstreams = new ArrayList<>();
        for (String entry : entries) {
            Upstream upstream;
            try {
                upstream = Upstream.of(HostPort.parse(entry, DNS_PORT));
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException("invalid upstream '" + entry + "' in " + origin + ": " + e.getMessage(), e);
            }
            if (isOwnAddress(upstream, listen)) {
                throw new IllegalStateException("upstream " + upstream.name() + " in " + origin
                        + " is rpzgate's own listening address " + listen + ", so queries would loop;"
                        + " set rpzgate.upstreams to another resolver");
            }
            upstreams.add(upstream);
        }
        return upstreams;
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
