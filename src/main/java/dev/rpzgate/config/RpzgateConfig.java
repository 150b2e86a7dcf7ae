package dev.rpzgate.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Settings of the resolver, read from {@code application.properties}, system properties or
 * environment variables ({@code rpzgate.upstream.timeout} is {@code RPZGATE_UPSTREAM_TIMEOUT}).
 * The javadoc of each method is the reference that {@code docs/configuration.md} repeats.
 */
@ConfigMapping(prefix = "rpzgate")
public interface RpzgateConfig {

    /**
     * Address and port of the UDP and TCP listeners, as {@code host:port} or {@code [v6]:port}.
     * Port 0 picks a free port (tests use this).
     */
    @WithDefault("0.0.0.0:5353")
    String listen();

    /**
     * Upstream resolvers as {@code host[:port]}, in order of preference. When unset, the
     * {@code nameserver} lines of {@link #resolvConf()} are used, as CoreDNS does.
     */
    Optional<List<String>> upstreams();

    /** Resolver configuration file read when {@link #upstreams()} is unset. */
    @WithDefault("/etc/resolv.conf")
    String resolvConf();

    /** Upstream settings. */
    Upstream upstream();

    /** TCP listener settings. */
    Tcp tcp();

    /** Response policy settings. */
    Policy policy();

    /** Upstream settings. */
    interface Upstream {

        /** Time to wait for one upstream before the query goes to the next one. */
        @WithDefault("2s")
        Duration timeout();
    }

    /** TCP listener settings. */
    interface Tcp {

        /** A client connection with no traffic for this long is closed (RFC 7766 section 6.2.3). */
        @WithDefault("10s")
        Duration idleTimeout();
    }

    /** Response policy settings. */
    interface Policy {

        /**
         * RPZ zone files in precedence order (the first wins), each {@code path} or
         * {@code origin=path}. Without an origin, the zone is named after the file's base name
         * up to the first dot.
         */
        Optional<List<String>> files();

        /** Upper bound on the TTL of every rewritten answer, as BIND's {@code max-policy-ttl}. */
        @WithDefault("5s")
        Duration maxPolicyTtl();
    }
}
