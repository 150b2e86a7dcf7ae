package dev.rpzgate.server;

import dev.rpzgate.observability.DnsMetrics;
import dev.rpzgate.observability.PolicyHitLog;
import dev.rpzgate.policy.PolicyAction;
import dev.rpzgate.policy.PolicyMatch;
import dev.rpzgate.policy.PolicyRule;
import dev.rpzgate.policy.PolicyStore;
import dev.rpzgate.upstream.UpstreamResolver;
import dev.rpzgate.wire.ClientQuery;
import dev.rpzgate.wire.Responses;
import dev.rpzgate.wire.Transport;
import org.jboss.logging.Logger;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.function.Consumer;

/**
 * The path of one query, top to bottom: parse the packet, look the query name up in the policy
 * snapshot, then either answer from the policy (NXDOMAIN, NODATA, local data, TCP-only), say
 * nothing (DROP), or forward to the upstream (no match, PASSTHRU, the target of a CNAME rewrite);
 * last, shape the answer for the client and count it.
 *
 * <p>One instance serves one event loop. Nothing here blocks or locks: the policy is an immutable
 * snapshot and the upstream resolver calls back on the same loop.
 */
public final class QueryPipeline {

    private static final Logger LOG = Logger.getLogger(QueryPipeline.class);

    private final PolicyStore policy;
    private final UpstreamResolver upstream;
    private final DnsMetrics metrics;
    private final PolicyHitLog hitLog;
    private final PolicyAnswers policyAnswers;

    public QueryPipeline(PolicyStore policy, UpstreamResolver upstream, DnsMetrics metrics, PolicyHitLog hitLog) {
        this.policy = policy;
        this.upstream = upstream;
        this.metrics = metrics;
        this.hitLog = hitLog;
        this.policyAnswers = new PolicyAnswers();
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

        PolicyMatch match = policy.current().matchQname(query.qname());
        if (match == null) {
            forward(query, reply);
            return;
        }

        PolicyRule rule = match.rule();
        recordHit(query, match);
        switch (rule.action()) {
            case PASSTHRU -> forward(query, reply);
            case DROP -> metrics.queryWithoutAnswer(transport);
            case TCP_ONLY -> {
                if (transport == Transport.UDP) {
                    send(query, policyAnswers.truncated(query), reply);
                } else {
                    forward(query, reply);
                }
            }
            case NXDOMAIN -> send(query, policyAnswers.nxdomain(query, match), reply);
            case NODATA -> send(query, policyAnswers.nodata(query, match), reply);
            case LOCAL_DATA -> answerLocalData(query, match, reply);
        }
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
        if (message.getHeader().getOpcode() != Opcode.QUERY) {
            replyFromHeader(packet, Rcode.NOTIMP, transport, reply);
            return null;
        }
        if (message.getHeader().getCount(Section.QUESTION) != 1) {
            replyFromHeader(packet, Rcode.FORMERR, transport, reply);
            return null;
        }

        ClientQuery query = new ClientQuery(message, client, transport);
        if (query.hasEdns() && query.ednsVersion() > 0) {
            send(query, Responses.newAnswer(query, Rcode.BADVERS), reply); // RFC 6891 section 6.1.3
            return null;
        }
        if (query.qtype() == Type.AXFR || query.qtype() == Type.IXFR) {
            send(query, Responses.newAnswer(query, Rcode.REFUSED), reply); // a resolver serves no zones
            return null;
        }
        return query;
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

    private void forward(ClientQuery query, Consumer<byte[]> reply) {
        upstream.resolve(query.question(), query.dnssecOk(), query.checkingDisabled()).onComplete(result -> {
            if (result.failed()) {
                LOG.debugf("answering SERVFAIL to %s: %s", query, result.cause().getMessage());
                send(query, Responses.newAnswer(query, Rcode.SERVFAIL), reply);
                return;
            }
            Message answer = result.result();
            // rpzgate is not authoritative for what it forwards, and the question goes back as the
            // client wrote it, letter case included.
            answer.getHeader().unsetFlag(Flags.AA);
            answer.removeAllRecords(Section.QUESTION);
            answer.addRecord(query.question(), Section.QUESTION);
            send(query, answer, reply);
        });
    }

    /** Answers from the rule's records; a CNAME rewrite is then resolved through the upstream. */
    private void answerLocalData(ClientQuery query, PolicyMatch match, Consumer<byte[]> reply) {
        PolicyAnswers.LocalAnswer local = policyAnswers.localData(query, match);
        if (local.cnameTarget() == null) {
            send(query, local.answer(), reply);
            return;
        }
        Record targetQuestion = Record.newRecord(local.cnameTarget(), query.qtype(), query.qclass());
        upstream.resolve(targetQuestion, query.dnssecOk(), query.checkingDisabled()).onComplete(result -> {
            if (result.failed()) {
                LOG.debugf("answering SERVFAIL to %s: CNAME target %s: %s", query, local.cnameTarget(),
                        result.cause().getMessage());
                send(query, Responses.newAnswer(query, Rcode.SERVFAIL), reply);
                return;
            }
            send(query, policyAnswers.appendCnameTarget(local.answer(), result.result()), reply);
        });
    }

    private void recordHit(ClientQuery query, PolicyMatch match) {
        String zone = match.zone().name().toString(true);
        String action = PolicyAnswers.actionLabel(match.rule());
        metrics.policyHit(zone, action);
        hitLog.hit(query.client().getAddress().getHostAddress(), query.qname().toString(),
                Type.string(query.qtype()), zone, match.rule().owner().toString(), action);
    }

    private void send(ClientQuery query, Message answer, Consumer<byte[]> reply) {
        int rcode = answer.getRcode();
        byte[] wire = Responses.encode(answer, query, List.of());
        metrics.query(query.transport(), rcode);
        reply.accept(wire);
    }
}
