package dev.rpzgate.server;

import dev.rpzgate.cache.CachedAnswer;
import dev.rpzgate.cache.CachingResolver;
import dev.rpzgate.cache.ResolvedAnswer;
import dev.rpzgate.observability.DnsMetrics;
import dev.rpzgate.observability.PolicyHitLog;
import dev.rpzgate.policy.ExtendedError;
import dev.rpzgate.policy.PolicyAction;
import dev.rpzgate.policy.PolicySet;
import dev.rpzgate.policy.PolicyStore;
import dev.rpzgate.source.transfer.NotifyDispatcher;
import dev.rpzgate.upstream.NameServerFinder;
import dev.rpzgate.upstream.NameServerFinder.NameServers;
import dev.rpzgate.wire.AnswerStage;
import dev.rpzgate.wire.ClientQuery;
import dev.rpzgate.wire.Responses;
import dev.rpzgate.wire.Transport;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import org.jboss.logging.Logger;
import org.xbill.DNS.DClass;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.ExtendedErrorCodeOption;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.List;
import java.util.function.Consumer;

/**
 * The path of one query, top to bottom: parse the packet, look the query name up in the policy
 * snapshot, then either answer from the policy (NXDOMAIN, NODATA, local data, TCP-only), say
 * nothing (DROP), or resolve through the answer cache and the upstream (no match, PASSTHRU, the
 * target of a CNAME rewrite) and check the answer against the policy; last, shape the answer for
 * the client and count it.
 *
 * <p>The cache holds upstream answers only, and every answer out of it meets the policy snapshot
 * in force, so a rule added or removed applies to the next query. Rewritten answers never enter the
 * cache.
 *
 * <p>One instance serves one event loop. Nothing here blocks or locks: the policy is an immutable
 * snapshot and the caching resolver calls back on the same loop.
 */
public final class QueryPipeline {

    private static final Logger LOG = Logger.getLogger(QueryPipeline.class);

    /** EDNS options of an answer served stale because the upstream failed (RFC 8767, RFC 8914). */
    private static final List<EDNSOption> STALE_ANSWER =
            List.of(new ExtendedErrorCodeOption(ExtendedErrorCodeOption.STALE_ANSWER));

    private final PolicyStore policy;
    private final CachingResolver resolver;
    private final DnsMetrics metrics;
    private final PolicyHitLog hitLog;
    private final PolicyAnswers policyAnswers;
    private final PolicyEvaluator evaluator;
    private final NameServerFinder nameServers;
    private final NotifyRouting notifyRouting;

    public QueryPipeline(PolicyStore policy, CachingResolver resolver, NameServerFinder nameServers,
                         NotifyRouting notifyRouting, DnsMetrics metrics, PolicyHitLog hitLog) {
        this.policy = policy;
        this.resolver = resolver;
        this.metrics = metrics;
        this.hitLog = hitLog;
        this.policyAnswers = new PolicyAnswers();
        this.evaluator = new PolicyEvaluator(metrics, hitLog);
        this.nameServers = nameServers;
        this.notifyRouting = notifyRouting;
    }

    /**
     * Answers one packet from {@code client}. {@code reply} is called at most once, with the
     * answer in wire format; it is not called for DROP or for a packet with no readable header.
     */
    public void handle(byte[] packet, InetSocketAddress client, Transport transport, Consumer<byte[]> reply) {
        ClientQuery query = parse(packet, client, transport, reply);
        if (query == null) {
            return;
        }

        if (policy.failingClosed()) {
            // Not every zone has loaded yet, and rpzgate.policy.fail-mode=closed forbids
            // answering without the whole policy.
            send(query, Responses.newAnswer(query, Rcode.SERVFAIL), reply);
            return;
        }
        PolicySet snapshot = policy.current();
        PolicyDecision decision = evaluator.matchQuery(query, snapshot);
        if (decision == null) {
            forward(query, snapshot, snapshot.zones().size(), reply);
            return;
        }
        if (query.dnssecOk() && !decision.zone().settings().breakDnssec()
                && decision.action() != PolicyAction.PASSTHRU) {
            applyUnlessSigned(query, snapshot, decision, reply);
            return;
        }
        apply(query, snapshot, decision, reply);
    }

    /** Answers as the decision, taken before asking the upstream, says. */
    private void apply(ClientQuery query, PolicySet snapshot, PolicyDecision decision, Consumer<byte[]> reply) {
        evaluator.recordHit(query, decision);
        switch (decision.action()) {
            case PASSTHRU -> forward(query, snapshot, snapshot.zones().indexOf(decision.zone()), reply);
            case DROP -> metrics.queryWithoutAnswer(query.transport());
            case TCP_ONLY -> {
                if (query.transport() == Transport.UDP) {
                    send(query, policyAnswers.truncated(query), reply);
                } else {
                    forward(query, snapshot, snapshot.zones().indexOf(decision.zone()), reply);
                }
            }
            case NXDOMAIN -> sendNegative(query, decision, Rcode.NXDOMAIN, reply);
            case NODATA -> sendNegative(query, decision, Rcode.NOERROR, reply);
            case LOCAL_DATA -> answerLocalData(query, decision, reply);
        }
    }

    /** Sends an NXDOMAIN or NODATA rewrite, written as bytes when nothing unusual is needed. */
    private void sendNegative(ClientQuery query, PolicyDecision decision, int rcode, Consumer<byte[]> reply) {
        byte[] wire = policyAnswers.negativeWire(query, decision, rcode);
        if (wire != null) {
            metrics.query(query.transport(), rcode);
            reply.accept(wire);
            return;
        }
        Message answer = rcode == Rcode.NXDOMAIN ? policyAnswers.nxdomain(query, decision)
                : policyAnswers.nodata(query, decision);
        sendRewrite(query, decision, answer, reply);
    }

    /**
     * Asks the upstream first and keeps its answer when it is signed, because a client that set DO
     * may validate it and would reject a rewrite ({@code break-dnssec no}, BIND's default).
     */
    private void applyUnlessSigned(ClientQuery query, PolicySet snapshot, PolicyDecision decision,
                                   Consumer<byte[]> reply) {
        resolver.resolve(query.question(), true, query.checkingDisabled(), query.recursionDesired())
                .onComplete(guarded(query, reply, result -> {
            if (result.succeeded() && result.result().signed()) {
                sendForwarded(query, result.result(), reply);
            } else {
                apply(query, snapshot, decision, reply);
            }
        }));
    }

    /**
     * Wraps a step that runs when an upstream answer arrives, so that an unexpected error in it
     * answers SERVFAIL instead of leaving the client waiting. The listeners catch errors only in the
     * synchronous part of a query.
     */
    private <T> Handler<AsyncResult<T>> guarded(ClientQuery query, Consumer<byte[]> reply,
                                                Handler<AsyncResult<T>> step) {
        return result -> {
            try {
                step.handle(result);
            } catch (RuntimeException e) {
                LOG.errorf(e, "unexpected error answering %s; answering SERVFAIL", query);
                send(query, Responses.newAnswer(query, Rcode.SERVFAIL), reply);
            }
        };
    }

    /** Returns the parsed query, or null after answering (or dropping) a packet that is not one. */
    private ClientQuery parse(byte[] packet, InetSocketAddress client, Transport transport, Consumer<byte[]> reply) {
        Message message;
        try {
            message = new Message(packet);
        } catch (IOException | RuntimeException e) {
            replyFromHeader(packet, Rcode.FORMERR, transport, reply);
            return null;
        }
        if (!ClientQuery.isQuery(message)) {
            metrics.queryWithoutAnswer(transport);
            return null;
        }
        if (message.getHeader().getOpcode() == Opcode.NOTIFY) {
            answerNotify(message, packet, client, transport, reply);
            return null;
        }
        if (message.getHeader().getOpcode() != Opcode.QUERY) {
            replyFromHeader(packet, Rcode.NOTIMP, transport, reply);
            return null;
        }
        if (message.getHeader().getCount(Section.QUESTION) != 1) {
            replyFromHeader(packet, Rcode.FORMERR, transport, reply);
            return null;
        }

        ClientQuery query = new ClientQuery(message, packet, client, transport);
        if (query.hasEdns() && query.ednsVersion() > 0) {
            send(query, Responses.newAnswer(query, Rcode.BADVERS), reply); // RFC 6891 section 6.1.3
            return null;
        }
        if (query.qclass() != DClass.IN) {
            // Policy zones and upstreams are class IN; BIND refuses other classes as a resolver.
            send(query, Responses.newAnswer(query, Rcode.REFUSED), reply);
            return null;
        }
        if (query.qtype() == Type.AXFR || query.qtype() == Type.IXFR) {
            send(query, Responses.newAnswer(query, Rcode.REFUSED), reply); // a resolver serves no zones
            return null;
        }
        return query;
    }

    /**
     * Answers a NOTIFY (RFC 1996) through the zone-transfer sources, which check the sender and
     * the TSIG signature and start a refresh; without transfer sources it is REFUSED. The answer
     * goes out as the source built it, because it may carry a TSIG signature over these bytes.
     */
    private void answerNotify(Message notify, byte[] packet, InetSocketAddress client, Transport transport,
                              Consumer<byte[]> reply) {
        NotifyDispatcher dispatcher = notifyRouting.dispatcher();
        if (dispatcher == null) {
            replyFromHeader(packet, Rcode.REFUSED, transport, reply);
            return;
        }
        Message answer = dispatcher.handleNotify(notify, packet, client.getAddress());
        metrics.query(transport, answer.getRcode());
        reply.accept(answer.toWire());
    }

    private void replyFromHeader(byte[] packet, int rcode, Transport transport, Consumer<byte[]> reply) {
        byte[] answer = Responses.errorFromHeader(packet, rcode);
        if (answer == null) {
            metrics.queryWithoutAnswer(transport);
            return;
        }
        metrics.query(transport, rcode);
        reply.accept(answer);
    }

    /**
     * Resolves the query through the cache and the upstream, and checks the answer against the
     * triggers that need it, in the first {@code zoneLimit} zones of {@code snapshot}, the policy in
     * force when the query arrived. With RD clear only the cache answers, as BIND does.
     */
    private void forward(ClientQuery query, PolicySet snapshot, int zoneLimit, Consumer<byte[]> reply) {
        resolver.resolve(query.question(), query.dnssecOk(), query.checkingDisabled(), query.recursionDesired())
                .onComplete(guarded(query, reply, result -> {
            if (result.failed()) {
                LOG.debugf("answering SERVFAIL to %s: %s", query, result.cause().getMessage());
                send(query, Responses.newAnswer(query, Rcode.SERVFAIL), reply);
                return;
            }
            ResolvedAnswer resolved = result.result();
            if (resolved.entry() != null && sendFromEntry(query, snapshot, zoneLimit, resolved, reply)) {
                return;
            }
            if (zoneLimit == 0) {
                sendForwarded(query, resolved, reply);
                return;
            }
            Message answer = resolved.message();
            List<AnswerStage> stages = AnswerStage.of(query.qname(), answer);
            lookUpNameServers(stages, snapshot, zoneLimit).onComplete(guarded(query, reply, servers -> {
                PolicyDecision decision = evaluator.matchAnswer(query, resolved.signed(), snapshot,
                        zoneLimit, stages, servers.result());
                if (decision == null) {
                    sendForwarded(query, resolved, reply);
                } else {
                    applyToAnswer(query, decision, resolved, reply);
                }
            }));
        }));
    }

    /**
     * Sends a fresh cache entry's bytes without parsing them, when no rule matches its answer and
     * no name servers must be looked up, and returns whether it did. The stages that the policy
     * checks come from the entry. A match, or an answer that needs more than copying bytes, returns
     * false and takes the general path, which splits the answer again with the client's letter case.
     */
    private boolean sendFromEntry(ClientQuery query, PolicySet snapshot, int zoneLimit, ResolvedAnswer resolved,
                                  Consumer<byte[]> reply) {
        CachedAnswer entry = resolved.entry();
        if (zoneLimit > 0) {
            if (PolicyEvaluator.needsNameServers(snapshot, zoneLimit)
                    || evaluator.answerMayMatch(query, entry.signed(), snapshot, zoneLimit, entry.stages())) {
                return false;
            }
        }
        byte[] wire = entry.toClientWire(query, resolved.readAtMillis());
        if (wire == null) {
            return false;
        }
        metrics.query(query.transport(), entry.rcode());
        reply.accept(wire);
        return true;
    }

    /**
     * Looks up the name servers of every stage name when a zone has NSDNAME or NSIP rules enabled;
     * otherwise costs nothing. A failed lookup leaves the name out, so its NS triggers do not match.
     */
    private Future<Map<Name, NameServers>> lookUpNameServers(List<AnswerStage> stages, PolicySet snapshot,
                                                             int zoneLimit) {
        if (!PolicyEvaluator.needsNameServers(snapshot, zoneLimit)) {
            return Future.succeededFuture(Map.of());
        }
        boolean withAddresses = PolicyEvaluator.needsNameServerAddresses(snapshot, zoneLimit);
        Map<Name, NameServers> found = new HashMap<>();
        List<Future<NameServers>> lookups = new ArrayList<>();
        for (AnswerStage stage : stages) {
            lookups.add(nameServers.find(stage.name(), withAddresses)
                    .onSuccess(servers -> found.put(stage.name(), servers)));
        }
        return Future.join(lookups).transform(done -> Future.succeededFuture(found));
    }

    /** Answers as a decision that the upstream's answer triggered says. */
    private void applyToAnswer(ClientQuery query, PolicyDecision decision, ResolvedAnswer answer,
                               Consumer<byte[]> reply) {
        evaluator.recordHit(query, decision);
        switch (decision.action()) {
            case PASSTHRU -> sendForwarded(query, answer, reply);
            case DROP -> metrics.queryWithoutAnswer(query.transport());
            case TCP_ONLY -> {
                if (query.transport() == Transport.UDP) {
                    send(query, policyAnswers.truncated(query), reply);
                } else {
                    sendForwarded(query, answer, reply);
                }
            }
            case NXDOMAIN -> sendRewrite(query, decision, policyAnswers.nxdomain(query, decision), reply);
            case NODATA -> sendRewrite(query, decision, policyAnswers.nodata(query, decision), reply);
            case LOCAL_DATA -> answerLocalData(query, decision, reply);
        }
    }

    private void sendForwarded(ClientQuery query, ResolvedAnswer resolved, Consumer<byte[]> reply) {
        // rpzgate is not authoritative for what it forwards, and the question goes back as the
        // client wrote it, letter case included.
        Message answer = resolved.message();
        answer.getHeader().unsetFlag(Flags.AA);
        answer.removeAllRecords(Section.QUESTION);
        answer.addRecord(query.question(), Section.QUESTION);
        send(query, answer, resolved.stale() && query.hasEdns() ? STALE_ANSWER : List.of(), reply);
    }

    /** Answers from the rule's records; a CNAME rewrite is then resolved through the upstream. */
    private void answerLocalData(ClientQuery query, PolicyDecision decision, Consumer<byte[]> reply) {
        PolicyAnswers.LocalAnswer local = policyAnswers.localData(query, decision);
        if (local.cnameTarget() == null) {
            sendRewrite(query, decision, local.answer(), reply);
            return;
        }
        Record targetQuestion = Record.newRecord(local.cnameTarget(), query.qtype(), query.qclass());
        resolver.resolve(targetQuestion, query.dnssecOk(), query.checkingDisabled(), query.recursionDesired())
                .onComplete(guarded(query, reply, result -> {
            if (result.failed()) {
                LOG.debugf("answering SERVFAIL to %s: CNAME target %s: %s", query, local.cnameTarget(),
                        result.cause().getMessage());
                send(query, Responses.newAnswer(query, Rcode.SERVFAIL), reply);
                return;
            }
            ResolvedAnswer target = result.result();
            sendRewrite(query, decision, policyAnswers.appendCnameTarget(local.answer(), target.message()),
                    target.stale(), reply);
        }));
    }

    private void sendRewrite(ClientQuery query, PolicyDecision decision, Message answer, Consumer<byte[]> reply) {
        sendRewrite(query, decision, answer, false, reply);
    }

    /**
     * Sends an answer that a rule wrote, with the zone's Extended DNS Error when it has one. With
     * {@code stale}, the records of a CNAME rewrite's target came from an expired cache entry
     * because the upstream failed, and the answer also carries Stale Answer.
     */
    private void sendRewrite(ClientQuery query, PolicyDecision decision, Message answer, boolean stale,
                             Consumer<byte[]> reply) {
        if (!query.hasEdns()) {
            send(query, answer, List.of(), reply);
            return;
        }
        ExtendedError ede = decision.zone().settings().ede();
        List<EDNSOption> options;
        if (ede == ExtendedError.NONE) {
            options = stale ? STALE_ANSWER : List.of();
        } else {
            String text = "zone " + decision.zoneLabel() + " serial " + decision.zone().serial() + " rule "
                    + decision.rule().trigger().toString(true);
            ExtendedErrorCodeOption zoneError = new ExtendedErrorCodeOption(ede.infoCode(), text);
            // RFC 8914 section 3 lets a response carry several Extended DNS Errors.
            options = stale ? List.of(zoneError, STALE_ANSWER.get(0)) : List.of(zoneError);
        }
        send(query, answer, options, reply);
    }

    private void send(ClientQuery query, Message answer, Consumer<byte[]> reply) {
        send(query, answer, List.of(), reply);
    }

    private void send(ClientQuery query, Message answer, List<EDNSOption> options, Consumer<byte[]> reply) {
        int rcode = answer.getRcode();
        byte[] wire = Responses.encode(answer, query, options);
        metrics.query(query.transport(), rcode);
        reply.accept(wire);
    }
}
