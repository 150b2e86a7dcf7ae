package dev.rpzgate.config;

import dev.rpzgate.policy.PolicyStore;
import dev.rpzgate.upstream.Selection;
import io.quarkus.runtime.configuration.MemorySize;
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
     * Upstream resolvers, each {@code host[:port]} for DNS over UDP and TCP,
     * {@code tls://host[:port][#name]} for DNS over TLS or {@code https://host[:port][/path][#name]}
     * for DNS over HTTPS, where host is an IP address and name is what the certificate must carry.
     * When unset, the {@code nameserver} lines of {@link #resolvConf()} are used, as CoreDNS does.
     */
    Optional<List<String>> upstreams();

    /**
     * Domains forwarded to their own upstreams instead of {@link #upstreams()}, such as
     * {@code cluster.local} to kube-dns; the longest matching domain wins. Written as
     * {@code rpzgate.forward-zones[0].name=...} in properties, as a YAML list, or as
     * {@code RPZGATE_FORWARD_ZONES_0__NAME} in the environment (two underscores after the index).
     */
    Optional<List<ForwardZone>> forwardZones();

    /** Resolver configuration file read when {@link #upstreams()} is unset. */
    @WithDefault("/etc/resolv.conf")
    String resolvConf();

    /** Upstream settings. */
    Upstream upstream();

    /** TCP listener settings. */
    Tcp tcp();

    /** Response policy settings. */
    Policy policy();

    /** Answer cache settings. */
    Cache cache();

    /** Upstream settings. */
    interface Upstream {

        /** Time to wait for one upstream before the query goes to the next one. */
        @WithDefault("2s")
        Duration timeout();

        /**
         * Time a query may spend on upstreams in all, across failovers and the wait for a free slot
         * under {@link #maxInFlight()}; past it the query fails, and the client gets SERVFAIL.
         */
        @WithDefault("4s")
        Duration queryTimeout();

        /**
         * Policy that picks the healthy upstream a query goes to first: {@code sequential} (the first
         * in configured order), {@code random}, or {@code fastest} (lowest smoothed response time, with
         * a share of queries sent elsewhere to keep the other times current).
         */
        @WithDefault("sequential")
        Selection selection();

        /**
         * Maximum number of queries in flight to one upstream address, counted across every event loop
         * of one rpzgate instance and every forward zone that lists it. Past it, a query goes to
         * another upstream or waits in a queue.
         */
        @WithDefault("1000")
        int maxInFlight();

        /** Queries that may wait for a free slot, per event loop and forward zone, when every upstream is at its cap. */
        @WithDefault("100")
        int maxQueued();

        /** Time a query waits for a free slot before it fails; {@link #queryTimeout()} still applies. */
        @WithDefault("250ms")
        Duration queueTimeout();

        /** Health checks. */
        Health health();

        /** DNS over TLS and DNS over HTTPS settings. */
        Tls tls();
    }

    /** Health checks of upstreams. */
    interface Health {

        /**
         * Failures in a row (timeouts, send errors, SERVFAIL or REFUSED answers) after which an
         * upstream is marked down and probed until it answers again.
         */
        @WithDefault("3")
        int maxFailures();

        /** Time between two probes of an upstream that is marked down. */
        @WithDefault("1s")
        Duration probeInterval();

        /** Name asked, with type NS, to probe an upstream that is marked down. */
        @WithDefault(".")
        String probeName();
    }

    /** DNS over TLS and DNS over HTTPS settings. */
    interface Tls {

        /**
         * PEM file of the certificate authorities that upstream certificates must chain to; the
         * JVM's default trust store when unset.
         */
        Optional<String> caFile();

        /** An upstream connection with no traffic for this long is closed, and opened again on the next query. */
        @WithDefault("30s")
        Duration idleTimeout();
    }

    /** A domain forwarded to its own upstreams, as Unbound's {@code forward-zone}. */
    interface ForwardZone {

        /** Domain; queries for it and every name below it go to {@link #upstreams()}. */
        String name();

        /** Upstreams of this domain, in the syntax of {@code rpzgate.upstreams}. */
        List<String> upstreams();

        /** Selection policy of this domain; {@code rpzgate.upstream.selection} when unset. */
        Optional<Selection> selection();
    }

    /**
     * Answer cache settings. The cache holds the upstream's answers, shared by every event loop;
     * policy is applied to every answer that comes out of it.
     */
    interface Cache {

        /** Whether upstream answers are cached. Off, every query goes to the upstream and RD=0 queries are forwarded too. */
        @WithDefault("true")
        boolean enabled();

        /**
         * Bound on the memory of the cached answers, such as {@code 64M}, each counted as its wire
         * size plus 200 bytes, an estimate of the objects around it. Past it, the entries least likely
         * to be asked again are evicted (Caffeine's W-TinyLFU).
         */
        @WithDefault("64M")
        MemorySize maxSize();

        /** Floor on the TTL of a positive answer; 0 keeps the upstream's TTLs. */
        @WithDefault("0s")
        Duration minTtl();

        /** Ceiling on the TTL of every cached answer. */
        @WithDefault("24h")
        Duration maxTtl();

        /**
         * Ceiling on how long an NXDOMAIN or NODATA answer is cached. Below it, the negative TTL is the
         * smaller of the SOA's TTL and its minimum field (RFC 2308 section 5).
         */
        @WithDefault("1h")
        Duration maxNegativeTtl();

        /** Prefetch settings. */
        Prefetch prefetch();

        /** Serve-stale settings (RFC 8767). */
        ServeStale serveStale();

        /** Prefetch settings. */
        interface Prefetch {

            /** Whether a popular entry asked in the last tenth of its TTL is refreshed in the background, once. */
            @WithDefault("true")
            boolean enabled();

            /** Hits an entry needs, counted since it was stored, before it is prefetched. */
            @WithDefault("3")
            int minHits();
        }

        /** Serve-stale settings (RFC 8767). */
        interface ServeStale {

            /** Whether expired answers are served when the upstream fails or answers SERVFAIL. */
            @WithDefault("true")
            boolean enabled();

            /** How long after it expired an answer may still be served stale; it is kept that long. */
            @WithDefault("24h")
            Duration maxStaleness();

            /** TTL of every record in a stale answer; RFC 8767 suggests 30 seconds. */
            @WithDefault("30s")
            Duration answerTtl();

            /**
             * After a failed refresh, how long further queries for that answer get it stale at once,
             * without waiting for the upstream again (the failure recheck timer of RFC 8767).
             */
            @WithDefault("30s")
            Duration failureRecheck();
        }
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
         * {@code origin=path}, with default zone settings. Without an origin, the zone is named after
         * the file's base name up to the first dot. Use {@link #zones()} to give settings per zone.
         */
        Optional<List<String>> files();

        /**
         * Policy zones with their own settings, in precedence order (the first wins). Written as
         * {@code rpzgate.policy.zones[0].file=...} in properties, as a YAML list, or as
         * {@code RPZGATE_POLICY_ZONES_0__FILE} in the environment. Set either this or {@link #files()}.
         */
        Optional<List<Zone>> zones();

        /** Upper bound on the TTL of every rewritten answer, as BIND's {@code max-policy-ttl}. */
        @WithDefault("5s")
        Duration maxPolicyTtl();

        /**
         * Directory that keeps the last good copy of every zone downloaded from a URL or
         * transferred from a primary, so that a restart enforces it before the source responds.
         * Created when missing.
         */
        @WithDefault("rpzgate-cache")
        String cacheDir();

        /**
         * What queries get until every zone has loaded once: {@code closed} answers SERVFAIL,
         * {@code open} forwards them without policy.
         */
        @WithDefault("closed")
        PolicyStore.FailMode failMode();
    }

    /**
     * One policy zone and its settings, named after BIND's {@code response-policy} zone options.
     * Exactly one of {@link #file()}, {@link #url()}, {@link #rules()} and {@link #transfer()} is
     * set.
     */
    interface Zone {

        /**
         * Whether an update that would remove more than {@link #maxRemoval()} of the zone's rules at
         * once is held back, the old zone staying in force, until an operator confirms it with
         * {@code POST /admin/zones/NAME/confirm} on the management port. Guards against a broken feed.
         */
        @WithDefault("false")
        boolean removalGuard();

        /** Share of the rules, above 0 and below 1, that one update may remove when {@link #removalGuard()} is on. */
        @WithDefault("0.5")
        double maxRemoval();

        /** Zone file on the local file system, reloaded when it changes. */
        Optional<String> file();

        /** HTTP or HTTPS address of the zone, downloaded at start-up and every {@link #refresh()}. */
        Optional<String> url();

        /** The zone itself as text: RPZ records, or one name a line for the list formats. */
        Optional<String> rules();

        /**
         * Primary servers to transfer the zone from with AXFR and IXFR, comma-separated, tried in
         * this order: {@code 192.0.2.53}, {@code 192.0.2.53:5300} or {@code [2001:db8::53]:53}, port
         * 53 when none is given. IP addresses only, because rpzgate does not use the system
         * resolver. Requires {@link #origin()}.
         */
        Optional<String> transfer();

        /** For a transfer: name of the TSIG key that signs SOA queries, transfers and NOTIFY, as the primary names it. */
        Optional<String> tsigKeyName();

        /**
         * For a transfer: TSIG algorithm, {@code hmac-sha256} when unset; also {@code hmac-md5},
         * {@code hmac-sha1}, {@code hmac-sha224}, {@code hmac-sha384} or {@code hmac-sha512}.
         */
        Optional<String> tsigAlgorithm();

        /**
         * For a transfer: the TSIG secret in base64. Never logged. Pass it from an environment
         * variable or a Kubernetes Secret, not from a file under version control.
         */
        Optional<String> tsigSecret();

        /**
         * For a transfer: IP addresses allowed to send NOTIFY for the zone, comma-separated; the
         * addresses of the primaries when unset.
         */
        Optional<String> notifyFrom();

        /** For a transfer: time one AXFR or IXFR may take, from connecting to the last message. */
        @WithDefault("2h")
        Duration transferTimeout();

        /**
         * For a transfer: maximum records one AXFR or IXFR may carry, and that the zone may have after
         * an IXFR; a larger transfer is aborted. No limit when unset.
         */
        Optional<Long> transferMaxRecords();

        /** Format of the zone's text: {@code rpz} (a zone file), {@code hosts} or {@code domains}. */
        @WithDefault("rpz")
        String format();

        /**
         * For the {@code hosts} and {@code domains} formats: whether each name also covers every
         * name below it. Defaults to {@code false}.
         */
        Optional<Boolean> subdomains();

        /**
         * For the {@code hosts} and {@code domains} formats: the action of every listed name,
         * {@code nxdomain}, {@code nodata}, {@code drop}, {@code passthru} or {@code tcp-only}.
         * Defaults to {@code nxdomain}.
         */
        Optional<String> action();

        /**
         * For a URL: time between two downloads, and the longest wait between retries after a
         * failure; {@code 1h} when unset. For a transfer: time between two SOA checks, the refresh
         * field of the zone's SOA record when unset.
         */
        Optional<Duration> refresh();

        /** For a transfer: time between SOA checks after a failed one; the retry field of the zone's SOA record when unset. */
        Optional<Duration> retry();

        /**
         * For a transfer: time without a successful check after which the zone is reported expired;
         * the expire field of the zone's SOA record when unset. An expired zone stays in force.
         */
        Optional<Duration> expire();

        /** For a URL: time allowed for one download, from connecting to the last byte. */
        @WithDefault("30s")
        Duration timeout();

        /** For a URL: largest response body accepted, such as {@code 256M}; a larger download fails. */
        @WithDefault("256M")
        MemorySize maxSize();

        /**
         * Zone name; defaults to the base name of the file or of the URL's path, up to the first dot.
         * Required for {@link #rules()} and {@link #transfer()}.
         */
        Optional<String> origin();

        /**
         * Action that replaces every rule's own: {@code given} (keep them), {@code disabled} (log
         * only), {@code passthru}, {@code drop}, {@code nxdomain}, {@code nodata}, {@code tcp-only},
         * {@code cname NAME}, {@code local-data-or-passthru} or {@code local-data-or-disabled}.
         */
        @WithDefault("given")
        String policy();

        /** Upper bound on the TTL of records this zone's rules supply; defaults to {@code rpzgate.policy.max-policy-ttl}. */
        Optional<Duration> maxPolicyTtl();

        /** Whether rewritten answers carry this zone's SOA in the additional section. */
        @WithDefault("true")
        boolean addSoa();

        /** Whether hits of this zone are written to the policy-hit log. */
        @WithDefault("true")
        boolean log();

        /** Whether answers are rewritten even when the client set DO and the upstream's answer is signed. */
        @WithDefault("false")
        boolean breakDnssec();

        /** Whether this zone applies only to queries with RD set. */
        @WithDefault("true")
        boolean recursiveOnly();

        /** Whether NSDNAME rules are evaluated; they cost upstream queries for the name servers. */
        @WithDefault("true")
        boolean nsdnameEnable();

        /** Whether NSIP rules are evaluated; they cost upstream queries for the name server addresses. */
        @WithDefault("true")
        boolean nsipEnable();

        /**
         * Client networks this zone applies to, comma-separated CIDRs such as
         * {@code 10.0.0.0/8,2001:db8::/32}; a query from any other client skips the zone as if it
         * were not configured. Every client when unset.
         */
        Optional<List<String>> clientCidrs();

        /** Extended DNS Error on rewritten answers: {@code none}, {@code blocked}, {@code censored} or {@code filtered}. */
        @WithDefault("none")
        String ede();
    }
}
