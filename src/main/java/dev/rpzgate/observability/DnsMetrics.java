package dev.rpzgate.observability;

import dev.rpzgate.cache.CacheListener;
import dev.rpzgate.wire.Transport;
import dev.rpzgate.policy.PolicyStore;
import dev.rpzgate.policy.PolicyZone;
import dev.rpzgate.policy.SkippedRecord;
import dev.rpzgate.upstream.NameServerFinder;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.xbill.DNS.Rcode;

import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import java.util.function.ToDoubleFunction;

/**
 * Prometheus counters of the query path. Every counter is looked up once and kept, because
 * building a tagged Micrometer meter per query would allocate on every query.
 *
 * <p>What is counted on every client query (queries by rcode, cache hits and misses, policy hits)
 * goes to a {@link LongAdder} that a {@link FunctionCounter} reads at scrape time. Quarkus injects a
 * composite registry, and its {@link Counter#increment()} walks the child registries' meters on
 * every call, which took about 6% of a cache hit's CPU time in a JFR profile.
 * Names follow {@code rpzgate_<what>_total} with a small fixed set of tags.
 */
public final class DnsMetrics {

    /** rcode tag of a query that got no answer at all (DROP, or a packet too short to answer). */
    public static final String NO_ANSWER = "NONE";

    private static final int RCODES = 24;

    private final MeterRegistry registry;
    private final LongAdder[][] queries = new LongAdder[Transport.values().length][RCODES];
    private final LongAdder[] droppedQueries = new LongAdder[Transport.values().length];
    private final Map<String, Map<String, LongAdder>> policyHits = new ConcurrentHashMap<>();
    private final Map<String, Map<String, LongAdder>> wouldHits = new ConcurrentHashMap<>();
    /** The adders of per-query counters by name and tags, so that a counter registered twice shares one adder. */
    private final Map<String, LongAdder> adders = new ConcurrentHashMap<>();
    private final Map<String, UpstreamCounters> upstreams = new ConcurrentHashMap<>();
    private final Map<String, ZoneCounters> zones = new ConcurrentHashMap<>();
    /** Zones, and zone and reason pairs, whose gauges are registered. */
    private final Set<String> registeredGauges = ConcurrentHashMap.newKeySet();

    public DnsMetrics(MeterRegistry registry) {
        this.registry = registry;
        for (Transport transport : Transport.values()) {
            droppedQueries[transport.ordinal()] = queryCounter(transport, NO_ANSWER);
            for (int rcode : new int[] {Rcode.NOERROR, Rcode.NXDOMAIN, Rcode.SERVFAIL}) {
                queries[transport.ordinal()][rcode] = queryCounter(transport, Rcode.string(rcode));
            }
        }
    }

    private LongAdder queryCounter(Transport transport, String rcode) {
        return adder("rpzgate_queries", "Client queries answered, by transport and response code",
                "protocol", transport.label(), "rcode", rcode);
    }

    /**
     * Returns the adder of the counter {@code name} with {@code tags} (key, value, ...), registering
     * the counter on first use. The registry holds the adder weakly and this map strongly.
     */
    private LongAdder adder(String name, String description, String... tags) {
        return adders.computeIfAbsent(name + Arrays.toString(tags), key -> {
            LongAdder adder = new LongAdder();
            FunctionCounter.builder(name, adder, LongAdder::doubleValue)
                    .description(description)
                    .tags(tags)
                    .register(registry);
            return adder;
        });
    }

    /**
     * Counts a query answered with {@code rcode} over {@code transport}. Counters of rarer rcodes
     * are registered on first use, so that the metrics show no empty series for unused codes; two
     * event loops racing to register one get the same meter back.
     */
    public void query(Transport transport, int rcode) {
        if (rcode < 0 || rcode >= RCODES) {
            queryCounter(transport, Rcode.string(rcode)).increment();
            return;
        }
        LongAdder counter = queries[transport.ordinal()][rcode];
        if (counter == null) {
            counter = queryCounter(transport, Rcode.string(rcode));
            queries[transport.ordinal()][rcode] = counter;
        }
        counter.increment();
    }

    /** Counts a query that got no answer: DROP policy or an unreadable packet. */
    public void queryWithoutAnswer(Transport transport) {
        droppedQueries[transport.ordinal()].increment();
    }

    /** Counts a policy hit of {@code zone} whose action is {@code action}. */
    public void policyHit(String zone, String action) {
        hitCounter(policyHits, "rpzgate_policy_hits", "Queries rewritten by a policy zone, by zone and action",
                zone, action).increment();
    }

    /**
     * Returns the counter of {@code zone} and {@code action} from {@code counters}, registering it on
     * first use. Two map lookups by the strings the caller already has, so a hit allocates nothing.
     */
    private LongAdder hitCounter(Map<String, Map<String, LongAdder>> counters, String name, String description,
                                 String zone, String action) {
        return counters.computeIfAbsent(zone, key -> new ConcurrentHashMap<>())
                .computeIfAbsent(action, key -> adder(name, description, "zone", zone, "action", action));
    }

    /**
     * Registers the per-zone gauges of {@code zone}: serial, rules and skipped records. Each
     * gauge reads the zone of that name from the zones loaded at scrape time, so it follows
     * reloads; a zone not loaded yet reads NaN.
     */
    public void registerZone(String zone, PolicyStore store) {
        // Each reload of a PolicyZone registers its zone again; Micrometer would warn about every repeat.
        if (!registeredGauges.add(zone)) {
            registerSkippedReasonsOf(zone, store);
            return;
        }
        gauge("rpzgate_policy_zone_serial", "SOA serial of the policy zone in force", zone, store,
                PolicyZone::serial);
        gauge("rpzgate_policy_zone_rules", "Rules of the policy zone in force", zone, store, PolicyZone::ruleCount);
        gauge("rpzgate_policy_zone_skipped_records", "Records of the policy zone skipped because they cannot be policy",
                zone, store, PolicyZone::skippedCount);
        registerSkippedReasonsOf(zone, store);
    }

    private void registerSkippedReasonsOf(String zone, PolicyStore store) {
        for (PolicyZone loaded : store.loadedZones().zones()) {
            if (loaded.name().toString(true).equals(zone)) {
                registerSkippedReasons(loaded, store);
            }
        }
    }

    /**
     * Registers the skipped-record gauge of each kind of problem that {@code loaded} has. Call it
     * after every load, because a new version of a zone can have kinds the old one had not; a
     * gauge that exists already is kept.
     */
    public void registerSkippedReasons(PolicyZone loaded, PolicyStore store) {
        String zone = loaded.name().toString(true);
        loaded.skippedByCategory().keySet().forEach(reason -> skippedByReason(zone, reason, store));
    }

    /** Registers the gauge of one zone's skipped records of one kind, {@link SkippedRecord#category()}. */
    private void skippedByReason(String zone, String reason, PolicyStore store) {
        if (!registeredGauges.add(zone + " " + reason)) {
            return;
        }
        Gauge.builder("rpzgate_policy_zone_skipped_records_by_reason", store, current -> {
                    for (PolicyZone loaded : current.loadedZones().zones()) {
                        if (loaded.name().toString(true).equals(zone)) {
                            return loaded.skippedByCategory().getOrDefault(reason, 0);
                        }
                    }
                    return Double.NaN;
                })
                .description("Records of the policy zone skipped because they cannot be policy, by kind of problem")
                .tag("zone", zone)
                .tag("reason", reason)
                .register(registry);
    }

    private void gauge(String name, String description, String zone, PolicyStore store,
                       ToDoubleFunction<PolicyZone> value) {
        Gauge.builder(name, store, current -> {
                    for (PolicyZone loaded : current.loadedZones().zones()) {
                        if (loaded.name().toString(true).equals(zone)) {
                            return value.applyAsDouble(loaded);
                        }
                    }
                    return Double.NaN;
                })
                .description(description)
                .tag("zone", zone)
                .register(registry);
    }

    /** Counts a hit of a disabled rule: logged as what it would have done, the answer unchanged. */
    public void wouldHit(String zone, String action) {
        hitCounter(wouldHits, "rpzgate_policy_disabled_hits",
                "Queries that a disabled rule matched, by zone and the action it would have taken", zone, action)
                .increment();
    }

    /**
     * Returns the counters of name-server lookups for NSDNAME and NSIP triggers:
     * {@code rpzgate_nameserver_lookups_total} with {@code source} {@code cache} or {@code upstream}.
     */
    public NameServerFinder.Listener nameServerLookups() {
        Counter cached = Counter.builder("rpzgate_nameserver_lookups")
                .description("Name-server lookups for NSDNAME and NSIP triggers, by where the answer came from")
                .tag("source", "cache").register(registry);
        Counter asked = Counter.builder("rpzgate_nameserver_lookups")
                .description("Name-server lookups for NSDNAME and NSIP triggers, by where the answer came from")
                .tag("source", "upstream").register(registry);
        return new NameServerFinder.Listener() {
            @Override
            public void cacheHit() {
                cached.increment();
            }

            @Override
            public void upstreamQuery() {
                asked.increment();
            }
        };
    }

    /**
     * Returns the counters of the answer cache: {@code rpzgate_cache_hits_total},
     * {@code rpzgate_cache_misses_total}, {@code rpzgate_cache_coalesced_total},
     * {@code rpzgate_cache_stale_answers_total}, {@code rpzgate_cache_prefetches_total} and
     * {@code rpzgate_cache_evictions_total} with {@code reason} {@code size} or {@code expired}.
     */
    public CacheListener cacheListener() {
        LongAdder hits = adder("rpzgate_cache_hits", "Queries answered from a fresh cache entry");
        LongAdder misses = adder("rpzgate_cache_misses",
                "Queries without a fresh cache entry, sent upstream or, with RD clear, answered empty");
        Counter coalesced = cacheCounter("rpzgate_cache_coalesced",
                "Cache misses that waited for an upstream query already in flight for the same question");
        Counter stale = cacheCounter("rpzgate_cache_stale_answers",
                "Queries answered from an expired cache entry because the upstream failed");
        Counter prefetches = cacheCounter("rpzgate_cache_prefetches",
                "Popular cache entries refreshed in the background before they expired");
        Counter bySize = Counter.builder("rpzgate_cache_evictions")
                .description("Cache entries removed, by reason: size bound reached, or expired past the staleness bound")
                .tag("reason", "size").register(registry);
        Counter expired = Counter.builder("rpzgate_cache_evictions")
                .description("Cache entries removed, by reason: size bound reached, or expired past the staleness bound")
                .tag("reason", "expired").register(registry);
        return new CacheListener() {
            @Override
            public void hit() {
                hits.increment();
            }

            @Override
            public void miss() {
                misses.increment();
            }

            @Override
            public void coalesced() {
                coalesced.increment();
            }

            @Override
            public void staleAnswer() {
                stale.increment();
            }

            @Override
            public void prefetch() {
                prefetches.increment();
            }

            @Override
            public void evicted(boolean sizeBound) {
                (sizeBound ? bySize : expired).increment();
            }
        };
    }

    private Counter cacheCounter(String name, String description) {
        return Counter.builder(name).description(description).register(registry);
    }

    /** Registers {@code rpzgate_cache_entries}, the number of cached answers, fresh and stale. */
    public void registerCacheSize(LongSupplier entries) {
        Gauge.builder("rpzgate_cache_entries", entries, supplier -> supplier.getAsLong())
                .description("Answers in the cache, fresh and stale")
                // A gauge keeps only a weak reference to its object, and nothing else keeps this
                // method reference, so without a strong one the gauge vanishes at the first GC.
                .strongReference(true)
                .register(registry);
    }

    /**
     * Returns the meters of one upstream of one forward zone ({@code .} for the default upstreams),
     * registering them on first use: queries, answers by rcode, timeouts, response time, queries
     * turned away at the in-flight cap, and the gauges {@code up} and {@code inFlight} read from
     * {@code state} at scrape time.
     */
    public <T> UpstreamCounters upstream(String zone, String upstream, T state, ToDoubleFunction<T> up,
                                         ToDoubleFunction<T> inFlight) {
        return upstreams.computeIfAbsent(zone + " " + upstream, key -> {
            Gauge.builder("rpzgate_upstream_up", state, up)
                    .description("Whether the upstream is in rotation (1) or marked down and probed (0)")
                    .tag("zone", zone).tag("upstream", upstream)
                    .strongReference(true)
                    .register(registry);
            Gauge.builder("rpzgate_upstream_in_flight", state, inFlight)
                    .description("Queries sent to the upstream and not yet answered, across all forward zones")
                    .tag("zone", zone).tag("upstream", upstream)
                    .strongReference(true)
                    .register(registry);
            return new UpstreamCounters(registry, zone, upstream);
        });
    }

    /** Returns the counters of queries of one forward zone that met every upstream at its in-flight cap. */
    public ZoneCounters forwardZone(String zone) {
        return zones.computeIfAbsent(zone, key -> new ZoneCounters(registry, zone));
    }

    /** Counters of one upstream, held by the resolver so that no lookup happens per query. */
    public static final class UpstreamCounters {
        private final MeterRegistry registry;
        private final String zone;
        private final String upstream;
        private final Counter queries;
        private final Counter[] answers = new Counter[RCODES];
        private final Counter timeouts;
        private final Counter overCapacity;
        private final Timer latency;

        UpstreamCounters(MeterRegistry registry, String zone, String upstream) {
            this.registry = registry;
            this.zone = zone;
            this.upstream = upstream;
            answers[Rcode.NOERROR] = answerCounter(Rcode.NOERROR);
            this.queries = Counter.builder("rpzgate_upstream_queries")
                    .description("Queries sent to an upstream, probes included")
                    .tag("zone", zone).tag("upstream", upstream)
                    .register(registry);
            this.timeouts = Counter.builder("rpzgate_upstream_timeouts")
                    .description("Queries to an upstream that got no usable answer in time or could not be sent")
                    .tag("zone", zone).tag("upstream", upstream)
                    .register(registry);
            this.overCapacity = Counter.builder("rpzgate_upstream_over_capacity")
                    .description("Queries that found an upstream at rpzgate.upstream.max-in-flight and went elsewhere or waited")
                    .tag("zone", zone).tag("upstream", upstream)
                    .register(registry);
            this.latency = Timer.builder("rpzgate_upstream_latency")
                    .description("Time from sending a query to an upstream to its answer")
                    .tag("zone", zone).tag("upstream", upstream)
                    .publishPercentileHistogram(true)
                    .register(registry);
        }

        private Counter answerCounter(int rcode) {
            return Counter.builder("rpzgate_upstream_responses")
                    .description("Answers received from an upstream, by response code")
                    .tag("zone", zone)
                    .tag("upstream", upstream)
                    .tag("rcode", Rcode.string(rcode))
                    .register(registry);
        }

        /** Counts a query sent. */
        public void query() {
            queries.increment();
        }

        /** Counts an answer with {@code rcode} that came {@code nanos} after the query left. */
        public void answer(int rcode, long nanos) {
            latency.record(nanos, TimeUnit.NANOSECONDS);
            if (rcode < 0 || rcode >= RCODES) {
                answerCounter(rcode).increment();
                return;
            }
            Counter counter = answers[rcode];
            if (counter == null) {
                counter = answerCounter(rcode);
                answers[rcode] = counter;
            }
            counter.increment();
        }

        /** Counts a query that got no usable answer in time. */
        public void timeout() {
            timeouts.increment();
        }

        /** Counts a query that found the upstream at its in-flight cap. */
        public void overCapacity() {
            overCapacity.increment();
        }
    }

    /** Counters of the queries of one forward zone that found every upstream at its in-flight cap. */
    public static final class ZoneCounters {
        private final Counter queued;
        private final Counter rejected;

        ZoneCounters(MeterRegistry registry, String zone) {
            this.queued = Counter.builder("rpzgate_upstream_queued")
                    .description("Queries that waited for a free slot because every upstream was at its in-flight cap")
                    .tag("zone", zone)
                    .register(registry);
            this.rejected = Counter.builder("rpzgate_upstream_rejected")
                    .description("Queries that failed because every upstream stayed at its in-flight cap")
                    .tag("zone", zone)
                    .register(registry);
        }

        public void queued() {
            queued.increment();
        }

        public void rejected() {
            rejected.increment();
        }
    }
}
