package dev.rpzgate.upstream;

import dev.rpzgate.observability.DnsMetrics;
import org.xbill.DNS.Name;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Forwarding plan: the default upstreams (zone {@code .}) and the forward zones with their own
 * upstreams, with the settings of the upstream resolvers. Built once per instance and shared by
 * every event loop, so that each upstream of each zone has one health state.
 */
public final class Forwarding {

    /** Settings shared by every upstream; see {@code rpzgate.upstream.*} for their meaning. */
    public record Settings(Duration tryTimeout, Duration queryTimeout, int maxInFlight, int maxQueued,
                           Duration queueTimeout, int maxFailures, Duration probeInterval, Name probeName,
                           Optional<Path> caFile, Duration idleTimeout) {

        /** Settings with {@code tryTimeout} per try, a budget of two tries, and the configuration's other defaults. */
        public static Settings defaults(Duration tryTimeout) {
            return new Settings(tryTimeout, tryTimeout.multipliedBy(2), 1000, 100, Duration.ofMillis(250), 3,
                    Duration.ofSeconds(1), Name.root, Optional.empty(), Duration.ofSeconds(30));
        }
    }

    /** The upstreams of one zone as configured. */
    public record ZoneUpstreams(Name zone, List<Upstream> upstreams, Selection selection) {
    }

    private final List<UpstreamGroup> groups;
    /** The groups by decreasing number of labels, so that the first match is the longest. */
    private final UpstreamGroup[] byDepth;
    private final DnsMetrics.UpstreamCounters[][] counters;
    private final Settings settings;

    private Forwarding(List<UpstreamGroup> groups, Settings settings, DnsMetrics metrics) {
        this.groups = List.copyOf(groups);
        this.byDepth = groups.stream()
                .sorted(Comparator.comparingInt((UpstreamGroup group) -> group.zone().labels()).reversed())
                .toArray(UpstreamGroup[]::new);
        this.settings = settings;
        this.counters = new DnsMetrics.UpstreamCounters[groups.size()][];
        for (UpstreamGroup group : groups) {
            counters[group.id()] = new DnsMetrics.UpstreamCounters[group.size()];
            for (int i = 0; i < group.size(); i++) {
                UpstreamState state = group.state(i);
                counters[group.id()][i] = metrics.upstream(group.zoneLabel(), group.upstream(i).name(),
                        state, s -> s.isUp() ? 1 : 0, UpstreamState::inFlight);
            }
        }
    }

    /**
     * Builds the plan from the zones as configured; exactly one of them is the root.
     *
     * @throws IllegalArgumentException when the root is missing, a zone appears twice, or a zone has
     *                                  no upstream or more than {@value UpstreamGroup#MAX_UPSTREAMS}
     */
    public static Forwarding of(List<ZoneUpstreams> zones, Settings settings, DnsMetrics metrics) {
        Map<Name, ZoneUpstreams> byZone = new LinkedHashMap<>();
        for (ZoneUpstreams zone : zones) {
            if (byZone.put(zone.zone(), zone) != null) {
                throw new IllegalArgumentException("forward zone " + zone.zone() + " is configured twice");
            }
        }
        if (!byZone.containsKey(Name.root)) {
            throw new IllegalArgumentException("no default upstreams for the root zone");
        }
        // Keyed by address rather than by name, because tls://192.0.2.1 and tls://192.0.2.1:853#dns.example
        // are two names for one endpoint, and the cap protects the endpoint.
        Map<InetSocketAddress, AtomicInteger> inFlightByAddress = new HashMap<>();
        List<UpstreamGroup> groups = new ArrayList<>();
        for (ZoneUpstreams zone : byZone.values()) {
            List<UpstreamState> states = new ArrayList<>();
            for (Upstream upstream : zone.upstreams()) {
                AtomicInteger inFlight = inFlightByAddress.computeIfAbsent(upstream.address(),
                        address -> new AtomicInteger());
                states.add(new UpstreamState(settings.maxFailures(), settings.maxInFlight(), inFlight,
                        zone.selection() == Selection.FASTEST));
            }
            groups.add(new UpstreamGroup(groups.size(), zone.zone(), zone.upstreams(), states, zone.selection()));
        }
        return new Forwarding(groups, settings, metrics);
    }

    /** Returns a plan with only default upstreams, for callers without forward zones. */
    public static Forwarding of(List<Upstream> upstreams, Selection selection, Settings settings, DnsMetrics metrics) {
        return of(List.of(new ZoneUpstreams(Name.root, upstreams, selection)), settings, metrics);
    }

    /** Returns the group of the longest zone that {@code qname} is in or below; the root group at least. */
    public UpstreamGroup groupFor(Name qname) {
        for (UpstreamGroup group : byDepth) {
            // Name.subdomain compares labels without regard to case, as DNS names are compared.
            if (qname.subdomain(group.zone())) {
                return group;
            }
        }
        return byDepth[byDepth.length - 1];
    }

    public List<UpstreamGroup> groups() {
        return groups;
    }

    public Settings settings() {
        return settings;
    }

    DnsMetrics.UpstreamCounters counters(UpstreamGroup group, int index) {
        return counters[group.id()][index];
    }

    /** Whether any upstream uses {@code protocol}, so that a loop opens only the transports it needs. */
    boolean uses(Upstream.Protocol protocol) {
        return groups.stream().flatMap(group -> group.upstreams().stream()).anyMatch(u -> u.protocol() == protocol);
    }
}
