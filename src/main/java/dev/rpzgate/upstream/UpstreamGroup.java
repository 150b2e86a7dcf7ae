package dev.rpzgate.upstream;

import org.xbill.DNS.Name;

import java.util.List;
import java.util.SplittableRandom;

/**
 * The upstreams of one forward zone (the root for the default upstreams) with their shared health
 * and the zone's selection policy. Immutable apart from the states, which are thread-safe, so every
 * event loop uses the same instance.
 *
 * <p>A query remembers the upstreams it has tried as bits of a {@code long}, which is why a zone
 * has at most {@value #MAX_UPSTREAMS} upstreams.
 */
public final class UpstreamGroup {

    public static final int MAX_UPSTREAMS = 64;

    /** One query in this many goes to a random healthy upstream under {@link Selection#FASTEST}. */
    static final int EXPLORE_ONE_IN = 20;

    private final int id;
    private final Name zone;
    private final String zoneLabel;
    private final Upstream[] upstreams;
    private final UpstreamState[] states;
    private final Selection selection;

    UpstreamGroup(int id, Name zone, List<Upstream> upstreams, List<UpstreamState> states, Selection selection) {
        if (upstreams.isEmpty() || upstreams.size() > MAX_UPSTREAMS) {
            throw new IllegalArgumentException("forward zone " + zone + " has " + upstreams.size()
                    + " upstreams; give 1 to " + MAX_UPSTREAMS);
        }
        this.id = id;
        this.zone = zone;
        this.zoneLabel = zone.toString();
        this.upstreams = upstreams.toArray(new Upstream[0]);
        this.states = states.toArray(new UpstreamState[0]);
        this.selection = selection;
    }

    /** Index of this group in its {@link Forwarding}, for per-loop arrays. */
    int id() {
        return id;
    }

    public Name zone() {
        return zone;
    }

    /** The zone as written in metrics and logs, {@code .} for the default upstreams. */
    public String zoneLabel() {
        return zoneLabel;
    }

    public int size() {
        return upstreams.length;
    }

    public Upstream upstream(int index) {
        return upstreams[index];
    }

    public UpstreamState state(int index) {
        return states[index];
    }

    public List<Upstream> upstreams() {
        return List.of(upstreams);
    }

    public Selection selection() {
        return selection;
    }

    /**
     * Returns the upstream to try next, or -1 when every upstream is in {@code excluded} (a bit per
     * index). Healthy upstreams come first, chosen by the policy; when none is left, those marked
     * down follow in configured order, because a query that no healthy upstream can take is better
     * tried on a possibly recovered one than failed outright.
     */
    int select(long excluded, boolean firstTry, SplittableRandom random) {
        int healthy = 0;
        for (int i = 0; i < upstreams.length; i++) {
            if ((excluded & (1L << i)) == 0 && states[i].isUp()) {
                healthy++;
            }
        }
        if (healthy > 0) {
            return switch (selection) {
                case SEQUENTIAL -> nthHealthy(excluded, 0);
                case RANDOM -> nthHealthy(excluded, random.nextInt(healthy));
                case FASTEST -> firstTry && healthy > 1 && random.nextInt(EXPLORE_ONE_IN) == 0
                        ? nthHealthy(excluded, random.nextInt(healthy))
                        : fastestHealthy(excluded);
            };
        }
        for (int i = 0; i < upstreams.length; i++) {
            if ((excluded & (1L << i)) == 0) {
                return i;
            }
        }
        return -1;
    }

    private int nthHealthy(long excluded, int n) {
        int seen = 0;
        for (int i = 0; i < upstreams.length; i++) {
            if ((excluded & (1L << i)) == 0 && states[i].isUp() && seen++ == n) {
                return i;
            }
        }
        return -1;
    }

    /** An upstream without a measured time (0) counts as fastest, so that each gets measured once. */
    private int fastestHealthy(long excluded) {
        int best = -1;
        long bestRtt = Long.MAX_VALUE;
        for (int i = 0; i < upstreams.length; i++) {
            if ((excluded & (1L << i)) == 0 && states[i].isUp() && states[i].smoothedRttNanos() < bestRtt) {
                best = i;
                bestRtt = states[i].smoothedRttNanos();
            }
        }
        return best;
    }
}
