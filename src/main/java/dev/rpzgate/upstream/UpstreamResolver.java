package dev.rpzgate.upstream;

import dev.rpzgate.observability.DnsMetrics;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.impl.ContextInternal;
import org.jboss.logging.Logger;
import org.xbill.DNS.DClass;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Forwards questions to the upstreams of the longest matching forward zone. A query first goes to
 * the upstream that the zone's selection policy picks among the healthy ones; after a timeout, a
 * send error or REFUSED it fails over to the next, each try waiting at most
 * {@code rpzgate.upstream.timeout} and all of them together at most
 * {@code rpzgate.upstream.query-timeout}. An upstream at its in-flight cap is skipped; when all
 * are, the query waits briefly in a bounded queue and then fails.
 *
 * <p>Health comes from the answers: after {@code max-failures} failures in a row (timeouts, send
 * errors, SERVFAIL or REFUSED) an upstream is marked down for every event loop, and the loop that
 * marked it probes it until it answers again.
 *
 * <p>An instance belongs to one event loop: every method and callback runs on that loop's thread,
 * so the queues and the transports' maps need no lock. The health states are shared and atomic.
 */
public final class UpstreamResolver implements Attempt.Listener {

    private static final Logger LOG = Logger.getLogger(UpstreamResolver.class);

    /** How often a loop with queued queries looks for slots that other event loops freed. */
    private static final long QUEUE_POLL_MILLIS = 10;

    private final Vertx vertx;
    private final Forwarding forwarding;
    private final Forwarding.Settings settings;
    private final long tryTimeoutNanos;
    private final long queryTimeoutNanos;
    private final long queueTimeoutNanos;
    private final DnsMetrics.ZoneCounters[] zoneCounters;
    private final List<ArrayDeque<Exchange>> queues = new ArrayList<>();
    /** The periodic timer of each group's queue, -1 while the queue is empty. */
    private final long[] queuePollers;
    private final SecureRandom idRandom = new SecureRandom();
    private final SplittableRandom random = new SplittableRandom(idRandom.nextLong());
    private final UpstreamTransport[] transports = new UpstreamTransport[Upstream.Protocol.values().length];
    private final List<UpstreamState> probing = new ArrayList<>();
    private final Record probeQuestion;
    private final byte[] probeWire;
    private boolean closed;

    /**
     * Creates a resolver for {@code upstreams} alone, tried in order with the default settings and
     * {@code timeout} per try. Its health states are its own, so this suits a single event loop;
     * the server builds one {@link Forwarding} and shares it.
     */
    public UpstreamResolver(Vertx vertx, List<Upstream> upstreams, Duration timeout, DnsMetrics metrics) {
        this(vertx, Forwarding.of(upstreams, Selection.SEQUENTIAL, Forwarding.Settings.defaults(timeout), metrics),
                metrics);
    }

    public UpstreamResolver(Vertx vertx, Forwarding forwarding, DnsMetrics metrics) {
        this.vertx = vertx;
        this.forwarding = forwarding;
        this.settings = forwarding.settings();
        this.tryTimeoutNanos = Math.max(1, settings.tryTimeout().toNanos());
        this.queryTimeoutNanos = Math.max(tryTimeoutNanos, settings.queryTimeout().toNanos());
        this.queueTimeoutNanos = Math.max(0, settings.queueTimeout().toNanos());
        this.zoneCounters = new DnsMetrics.ZoneCounters[forwarding.groups().size()];
        this.queuePollers = new long[forwarding.groups().size()];
        Arrays.fill(queuePollers, -1);
        for (UpstreamGroup group : forwarding.groups()) {
            zoneCounters[group.id()] = metrics.forwardZone(group.zoneLabel());
            queues.add(new ArrayDeque<>());
        }
        this.probeQuestion = Record.newRecord(settings.probeName(), Type.NS, DClass.IN);
        this.probeWire = query(probeQuestion, false, false);
    }

    /** Opens the sockets and clients that the upstreams need; call on the event loop that will use this resolver. */
    public Future<Void> start() {
        ContextInternal context = (ContextInternal) vertx.getOrCreateContext();
        int connectTimeout = (int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(tryTimeoutNanos));
        TlsTrust trust = new TlsTrust(settings.caFile());
        long idleMillis = settings.idleTimeout().toMillis();
        List<Upstream> all = forwarding.groups().stream().flatMap(group -> group.upstreams().stream()).toList();
        List<Future<Void>> started = new ArrayList<>();
        if (forwarding.uses(Upstream.Protocol.DNS)) {
            boolean ipv4 = all.stream().anyMatch(u -> u.protocol() == Upstream.Protocol.DNS && !u.isIpv6());
            boolean ipv6 = all.stream().anyMatch(u -> u.protocol() == Upstream.Protocol.DNS && u.isIpv6());
            transports[Upstream.Protocol.DNS.ordinal()] = new UdpTransport(vertx, context, this, idRandom,
                    connectTimeout, ipv4, ipv6);
        }
        if (forwarding.uses(Upstream.Protocol.TLS)) {
            transports[Upstream.Protocol.TLS.ordinal()] = new TlsTransport(vertx,
                    TlsTransport.options(trust, connectTimeout, idleMillis), this, idRandom);
        }
        if (forwarding.uses(Upstream.Protocol.HTTPS)) {
            transports[Upstream.Protocol.HTTPS.ordinal()] = new HttpsTransport(vertx,
                    HttpsTransport.options(trust, connectTimeout, idleMillis), this);
        }
        for (UpstreamTransport transport : transports) {
            if (transport != null) {
                started.add(transport.start());
            }
        }
        return Future.all(started).onSuccess(done -> {
            for (Upstream upstream : all) {
                transports[upstream.protocol().ordinal()].warmUp(upstream);
            }
        }).mapEmpty();
    }

    /** Closes the transports, fails queued queries and stops this loop's probes; pending tries end by their timers. */
    public Future<Void> close() {
        closed = true;
        for (UpstreamState state : probing) {
            state.stopProbing();
        }
        for (int id = 0; id < queues.size(); id++) {
            if (queuePollers[id] >= 0) {
                vertx.cancelTimer(queuePollers[id]);
                queuePollers[id] = -1;
            }
            Exchange exchange;
            while ((exchange = queues.get(id).poll()) != null) {
                fail(exchange, UpstreamFailedException.Reason.CLOSED, "the resolver is closing");
            }
        }
        List<Future<Void>> closing = new ArrayList<>();
        for (UpstreamTransport transport : transports) {
            if (transport != null) {
                closing.add(transport.close());
            }
        }
        return Future.join(closing).mapEmpty();
    }

    /**
     * Asks the upstreams {@code question} with RD set, EDNS with a 1232-byte payload and the
     * client's DO and CD bits. Fails with {@link UpstreamFailedException} when no upstream answers
     * in the query's time budget.
     */
    public Future<Message> resolve(Record question, boolean dnssecOk, boolean checkingDisabled) {
        UpstreamGroup group = forwarding.groupFor(question.getName());
        Exchange exchange = new Exchange(question, query(question, dnssecOk, checkingDisabled), group,
                System.nanoTime() + queryTimeoutNanos);
        next(exchange);
        return exchange.result.future();
    }

    /** Builds the query in wire format with ID 0; the transports set the ID they need. */
    private static byte[] query(Record question, boolean dnssecOk, boolean checkingDisabled) {
        Message query = new Message(0);
        query.getHeader().setFlag(Flags.RD);
        if (checkingDisabled) {
            query.getHeader().setFlag(Flags.CD);
        }
        query.addRecord(question, Section.QUESTION);
        query.addRecord(new OPTRecord(1232, 0, 0, dnssecOk ? ExtendedFlags.DO : 0), Section.ADDITIONAL);
        return query.toWire();
    }

    /** Sends the exchange to the next upstream the policy picks, queues it, or ends it. */
    private void next(Exchange exchange) {
        if (closed) {
            fail(exchange, UpstreamFailedException.Reason.CLOSED, "the resolver is closing");
            return;
        }
        long now = System.nanoTime();
        long remaining = exchange.deadline - now;
        if (remaining <= 0) {
            fail(exchange, UpstreamFailedException.Reason.TIMED_OUT, "the time budget of "
                    + settings.queryTimeout().toMillis() + " ms ran out" + lastCause(exchange));
            return;
        }
        UpstreamGroup group = exchange.group;
        long full = 0;
        int index;
        while ((index = group.select(exchange.tried | full, exchange.tries == 0, random)) >= 0) {
            if (full != 0 && !group.state(index).isUp()) {
                // The upstreams that are up are busy, not failing: waiting for one of them beats a
                // try at one that is marked down.
                break;
            }
            if (group.state(index).tryAcquire()) {
                exchange.tried |= 1L << index;
                exchange.tries++;
                send(new Attempt(exchange, group, index, exchange.question, exchange.wire, now),
                        Math.min(tryTimeoutNanos, remaining));
                return;
            }
            forwarding.counters(group, index).overCapacity();
            full |= 1L << index;
        }
        if (full != 0) {
            enqueue(exchange, remaining);
        } else if (exchange.refused != null) {
            exchange.result.tryComplete(exchange.refused);
        } else {
            fail(exchange, exchange.timedOut ? UpstreamFailedException.Reason.TIMED_OUT
                    : UpstreamFailedException.Reason.FAILED, "every upstream failed" + lastCause(exchange));
        }
    }

    private void send(Attempt attempt, long timeoutNanos) {
        forwarding.counters(attempt.group, attempt.index).query();
        // Rounded up, because a timer that ends before the budget would leave a sliver of it for one
        // more try, which cannot get an answer in time and would count as a failure of that upstream.
        long timeoutMillis = Math.max(1, (timeoutNanos + 999_999) / 1_000_000);
        attempt.timer = vertx.setTimer(timeoutMillis, timer -> onTimeout(attempt));
        transports[attempt.upstream.protocol().ordinal()].send(attempt);
    }

    private void onTimeout(Attempt attempt) {
        if (attempt.finished) {
            return;
        }
        attempt.finished = true;
        transports[attempt.upstream.protocol().ordinal()].abandon(attempt);
        forwarding.counters(attempt.group, attempt.index).timeout();
        if (attempt.isProbe()) {
            scheduleProbe(attempt.group, attempt.index);
            return;
        }
        LOG.debugf("upstream %s timed out on %s, trying the next upstream", attempt.upstream.name(),
                attempt.question.getName());
        attempt.exchange.timedOut = true;
        attempt.exchange.lastCause = attempt.upstream.name() + " timed out";
        endTry(attempt, false, tryTimeoutNanos, "timed out");
        next(attempt.exchange);
    }

    @Override
    public void onAnswer(Attempt attempt, Message answer) {
        if (attempt.finished) {
            return;
        }
        attempt.finished = true;
        vertx.cancelTimer(attempt.timer);
        long rtt = System.nanoTime() - attempt.startNanos;
        int rcode = answer.getRcode();
        forwarding.counters(attempt.group, attempt.index).answer(rcode, rtt);
        boolean failure = rcode == Rcode.SERVFAIL || rcode == Rcode.REFUSED;
        if (attempt.isProbe()) {
            onProbeAnswer(attempt, failure);
            return;
        }
        endTry(attempt, !failure, rtt, Rcode.string(rcode));
        if (rcode == Rcode.REFUSED) {
            attempt.exchange.refused = answer;
            attempt.exchange.lastCause = attempt.upstream.name() + " answered REFUSED";
            next(attempt.exchange);
        } else {
            attempt.exchange.result.tryComplete(answer);
        }
    }

    @Override
    public void onFailure(Attempt attempt, String cause) {
        if (attempt.finished) {
            return;
        }
        attempt.finished = true;
        vertx.cancelTimer(attempt.timer);
        forwarding.counters(attempt.group, attempt.index).timeout();
        if (attempt.isProbe()) {
            scheduleProbe(attempt.group, attempt.index);
            return;
        }
        LOG.debugf("upstream %s failed on %s (%s), trying the next upstream", attempt.upstream.name(),
                attempt.question.getName(), cause);
        attempt.exchange.lastCause = attempt.upstream.name() + ": " + cause;
        endTry(attempt, false, 0, cause);
        next(attempt.exchange);
    }

    /** Frees the try's slot, records its outcome in the shared health and lets a queued query in. */
    private void endTry(Attempt attempt, boolean success, long rttNanos, String outcome) {
        UpstreamState state = attempt.group.state(attempt.index);
        state.release();
        if (success) {
            if (state.recordSuccess(rttNanos)) {
                LOG.infof("upstream %s of zone %s answered again and is back in rotation", attempt.upstream.name(),
                        attempt.group.zoneLabel());
            }
        } else if (state.recordFailure(rttNanos)) {
            onMarkedDown(attempt.group, attempt.index, outcome);
        }
        drainQueue(attempt.group);
    }

    private void onMarkedDown(UpstreamGroup group, int index, String lastOutcome) {
        LOG.warnf("upstream %s of zone %s marked down after %d failed queries in a row (last: %s); queries go to the"
                        + " other upstreams, and it is probed with '%s NS' every %d ms until it answers",
                group.upstream(index).name(), group.zoneLabel(), settings.maxFailures(), lastOutcome,
                settings.probeName(), settings.probeInterval().toMillis());
        UpstreamState state = group.state(index);
        if (state.startProbing()) {
            probing.add(state);
            scheduleProbe(group, index);
        }
    }

    private void scheduleProbe(UpstreamGroup group, int index) {
        vertx.setTimer(Math.max(1, settings.probeInterval().toMillis()), timer -> probe(group, index));
    }

    private void probe(UpstreamGroup group, int index) {
        UpstreamState state = group.state(index);
        if (closed || state.isUp()) {
            // Recovered through an answer to a query, or this loop is stopping.
            state.stopProbing();
            probing.remove(state);
            if (closed || state.isUp() || !state.startProbing()) {
                return;
            }
            // Another loop marked it down again between the check and the release, and its claim
            // failed while this loop still held the probes, so this loop takes them back.
            probing.add(state);
        }
        send(new Attempt(null, group, index, probeQuestion, probeWire, System.nanoTime()), tryTimeoutNanos);
    }

    private void onProbeAnswer(Attempt probe, boolean failure) {
        UpstreamState state = probe.group.state(probe.index);
        if (failure) {
            scheduleProbe(probe.group, probe.index);
            return;
        }
        state.stopProbing();
        probing.remove(state);
        if (state.markUp()) {
            LOG.infof("upstream %s of zone %s answers probes again and is back in rotation", probe.upstream.name(),
                    probe.group.zoneLabel());
        }
    }

    /**
     * Holds an exchange that found every remaining upstream at its cap, up to the queue's bound and
     * time. An exchange that was woken but found no slot goes back to the head, keeping its deadline.
     */
    private void enqueue(Exchange exchange, long remainingNanos) {
        int id = exchange.group.id();
        ArrayDeque<Exchange> queue = queues.get(id);
        if (exchange.queued) {
            queue.addFirst(exchange);
            return;
        }
        DnsMetrics.ZoneCounters counters = zoneCounters[id];
        if (queue.size() >= settings.maxQueued() || queueTimeoutNanos == 0) {
            counters.rejected();
            String queueState = "the queue is full (rpzgate.upstream.max-queued " + settings.maxQueued() + ")";
            if (queueTimeoutNanos == 0) {
                queueState = "queueing is off (rpzgate.upstream.queue-timeout is 0)";
            }
            fail(exchange, UpstreamFailedException.Reason.OVER_CAPACITY, "every upstream of zone "
                    + exchange.group.zoneLabel() + " is at rpzgate.upstream.max-in-flight and " + queueState);
            return;
        }
        counters.queued();
        exchange.queued = true;
        exchange.queuedAt = System.nanoTime();
        exchange.queuedUntil = exchange.queuedAt + Math.min(queueTimeoutNanos, remainingNanos);
        queue.add(exchange);
        if (queuePollers[id] < 0) {
            UpstreamGroup group = exchange.group;
            queuePollers[id] = vertx.setPeriodic(QUEUE_POLL_MILLIS, timer -> pollQueue(group));
        }
    }

    /**
     * Fails the queued exchanges of {@code group} whose wait is over, then lets the others try
     * again, which is how slots that other event loops freed reach this loop's queue. Runs every
     * {@value #QUEUE_POLL_MILLIS} ms while the queue is not empty.
     */
    private void pollQueue(UpstreamGroup group) {
        ArrayDeque<Exchange> queue = queues.get(group.id());
        long now = System.nanoTime();
        Iterator<Exchange> waiting = queue.iterator();
        while (waiting.hasNext()) {
            Exchange exchange = waiting.next();
            if (exchange.queuedUntil - now <= 0) {
                waiting.remove();
                zoneCounters[group.id()].rejected();
                fail(exchange, UpstreamFailedException.Reason.OVER_CAPACITY, "every upstream of zone "
                        + group.zoneLabel() + " stayed at rpzgate.upstream.max-in-flight for "
                        + TimeUnit.NANOSECONDS.toMillis(now - exchange.queuedAt) + " ms");
            }
        }
        while (!queue.isEmpty() && !drainQueue(group)) {
            // Each round sent the head on; stop at the first that finds no slot.
        }
        if (queue.isEmpty()) {
            vertx.cancelTimer(queuePollers[group.id()]);
            queuePollers[group.id()] = -1;
        }
    }

    /**
     * Lets the oldest queued query of {@code group} try again, after this loop freed a slot or on
     * the queue's poll. Returns true when it found no slot and is back at the head of the queue.
     */
    private boolean drainQueue(UpstreamGroup group) {
        ArrayDeque<Exchange> queue = queues.get(group.id());
        Exchange head = queue.poll();
        if (head == null) {
            return true;
        }
        next(head);
        return queue.peekFirst() == head;
    }

    private static String lastCause(Exchange exchange) {
        return exchange.lastCause == null ? "" : " (last: " + exchange.lastCause + ")";
    }

    private static void fail(Exchange exchange, UpstreamFailedException.Reason reason, String why) {
        Record question = exchange.question;
        exchange.result.tryFail(new UpstreamFailedException(reason, "no upstream answered " + question.getName()
                + " " + Type.string(question.getType()) + ": " + why));
    }

    /** One question on its way through the upstreams of its zone. */
    static final class Exchange {
        final Record question;
        final byte[] wire;
        final UpstreamGroup group;
        final long deadline;
        final Promise<Message> result = Promise.promise();
        /** Upstreams tried so far, a bit per index in the group. */
        long tried;
        int tries;
        boolean timedOut;
        Message refused;
        String lastCause;
        /** Whether the exchange has waited in the queue; it is counted and timed once. */
        boolean queued;
        long queuedAt;
        long queuedUntil;

        Exchange(Record question, byte[] wire, UpstreamGroup group, long deadline) {
            this.question = question;
            this.wire = wire;
            this.group = group;
            this.deadline = deadline;
        }
    }
}
