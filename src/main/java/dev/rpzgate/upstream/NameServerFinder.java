package dev.rpzgate.upstream;

import io.vertx.core.Future;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.NSRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Finds the name servers of the zone that holds a name, for NSDNAME and NSIP triggers. A
 * forwarder never sees delegations, so it asks the upstream: NS at the name, else NS at the apex
 * that the SOA of a negative answer names, then A and AAAA of each server when addresses are
 * wanted. What it learns is cached per zone apex and per name for the NS TTL, at most
 * {@value #MAX_TTL_SECONDS} seconds, in a bounded LRU map.
 *
 * <p>An instance belongs to one event loop, like the {@link UpstreamResolver} it uses, so the
 * cache needs no lock. Known limitation: the servers are those the upstream reports for the
 * zone's apex, which are the zone's own NS records, not the parent's delegation that an
 * iterative resolver such as BIND would see.
 */
public final class NameServerFinder {

    /** Upper bound on how long learned name servers are kept. */
    static final long MAX_TTL_SECONDS = 300;

    private static final int MAX_ENTRIES = 10_000;

    /** Name servers of one zone, with their addresses when they were asked for. */
    public record NameServers(Name apex, List<Name> names, List<InetAddress> addresses, boolean withAddresses,
                              long expiresAtMillis) {
        static NameServers none(long expiresAtMillis) {
            return new NameServers(null, List.of(), List.of(), true, expiresAtMillis);
        }
    }

    /** Counts what the lookups cost, for the metrics. */
    public interface Listener {
        void cacheHit();

        void upstreamQuery();
    }

    private final UpstreamResolver upstream;
    private final LongSupplier clock;
    private final Listener listener;
    private final Map<Name, NameServers> cache = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Name, NameServers> eldest) {
            return size() > MAX_ENTRIES;
        }
    };

    public NameServerFinder(UpstreamResolver upstream, LongSupplier clock, Listener listener) {
        this.upstream = upstream;
        this.clock = clock;
        this.listener = listener;
    }

    /**
     * Returns the name servers of the zone holding {@code name}, with their addresses when
     * {@code withAddresses} is set. A failed lookup gives an empty result, so the triggers
     * simply do not match.
     */
    public Future<NameServers> find(Name name, boolean withAddresses) {
        NameServers cached = cache.get(name);
        if (cached != null && cached.expiresAtMillis() > clock.getAsLong()
                && (cached.withAddresses() || !withAddresses)) {
            listener.cacheHit();
            return Future.succeededFuture(cached);
        }
        return askNs(name, true)
                .compose(servers -> withAddresses && servers.apex() != null ? addAddresses(servers)
                        : Future.succeededFuture(servers))
                .otherwise(error -> NameServers.none(clock.getAsLong() + 1000 * 30))
                .map(servers -> {
                    cache.put(name, servers);
                    if (servers.apex() != null) {
                        cache.put(servers.apex(), servers);
                    }
                    return servers;
                });
    }

    /** Asks NS at {@code name}; a NODATA or NXDOMAIN answer leads to the apex its SOA names. */
    private Future<NameServers> askNs(Name name, boolean followSoa) {
        NameServers cached = cache.get(name);
        if (cached != null && cached.expiresAtMillis() > clock.getAsLong()) {
            listener.cacheHit();
            return Future.succeededFuture(cached);
        }
        listener.upstreamQuery();
        return upstream.resolve(Record.newRecord(name, Type.NS, DClass.IN), false, false).compose(answer -> {
            List<Name> servers = new ArrayList<>();
            long ttl = MAX_TTL_SECONDS;
            for (Record record : answer.getSection(Section.ANSWER)) {
                if (record instanceof NSRecord ns && ns.getName().equals(name)) {
                    servers.add(ns.getTarget());
                    ttl = Math.min(ttl, ns.getTTL());
                }
            }
            if (!servers.isEmpty()) {
                return Future.succeededFuture(new NameServers(name, List.copyOf(servers), List.of(), false,
                        clock.getAsLong() + ttl * 1000));
            }
            SOARecord soa = negativeSoa(answer);
            if (followSoa && soa != null && !soa.getName().equals(name)) {
                return askNs(soa.getName(), false);
            }
            return Future.succeededFuture(NameServers.none(clock.getAsLong() + MAX_TTL_SECONDS * 1000));
        });
    }

    private Future<NameServers> addAddresses(NameServers servers) {
        List<Future<Message>> lookups = new ArrayList<>();
        for (Name server : servers.names()) {
            listener.upstreamQuery();
            lookups.add(upstream.resolve(Record.newRecord(server, Type.A, DClass.IN), false, false));
            listener.upstreamQuery();
            lookups.add(upstream.resolve(Record.newRecord(server, Type.AAAA, DClass.IN), false, false));
        }
        return Future.join(lookups).transform(done -> {
            List<InetAddress> addresses = new ArrayList<>();
            for (Future<Message> lookup : lookups) {
                if (lookup.succeeded()) {
                    addAddresses(lookup.result(), addresses);
                }
            }
            return Future.succeededFuture(new NameServers(servers.apex(), servers.names(), List.copyOf(addresses),
                    true, servers.expiresAtMillis()));
        });
    }

    private static void addAddresses(Message answer, List<InetAddress> addresses) {
        for (Record record : answer.getSection(Section.ANSWER)) {
            if (record instanceof ARecord a) {
                addresses.add(a.getAddress());
            } else if (record instanceof AAAARecord aaaa) {
                addresses.add(aaaa.getAddress());
            }
        }
    }

    private static SOARecord negativeSoa(Message answer) {
        for (Record record : answer.getSection(Section.AUTHORITY)) {
            if (record instanceof SOARecord soa) {
                return soa;
            }
        }
        return null;
    }
}
