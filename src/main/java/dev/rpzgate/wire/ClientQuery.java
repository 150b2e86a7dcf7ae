package dev.rpzgate.wire;

import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Record;

import java.net.InetSocketAddress;

/**
 * A query as a client sent it: the parsed message, its question and what its EDNS OPT record
 * asked for. Everything the answer must mirror back (ID, RD, CD, DO) is read from here.
 */
public final class ClientQuery {

    /** UDP payload size that rpzgate advertises and the largest UDP answer it sends (DNS Flag Day 2020). */
    public static final int ADVERTISED_UDP_PAYLOAD = 1232;

    /** Largest UDP answer to a client without EDNS (RFC 1035 section 4.2.1). */
    public static final int CLASSIC_UDP_PAYLOAD = 512;

    private final Message message;
    private final Record question;
    private final InetSocketAddress client;
    private final Transport transport;
    private final OPTRecord opt;
    private final byte[] packet;

    public ClientQuery(Message message, InetSocketAddress client, Transport transport) {
        this(message, null, client, transport);
    }

    /** Builds the query parsed from {@code packet}, which the answer cache copies the question from. */
    public ClientQuery(Message message, byte[] packet, InetSocketAddress client, Transport transport) {
        this.packet = packet;
        this.message = message;
        this.question = message.getQuestion();
        this.client = client;
        this.transport = transport;
        this.opt = message.getOPT();
    }

    public Message message() {
        return message;
    }

    /** Returns the packet that the client sent, or null when the query was built without one. */
    public byte[] packet() {
        return packet;
    }

    public int id() {
        return message.getHeader().getID();
    }

    public Name qname() {
        return question.getName();
    }

    public int qtype() {
        return question.getType();
    }

    public int qclass() {
        return question.getDClass();
    }

    public Record question() {
        return question;
    }

    public InetSocketAddress client() {
        return client;
    }

    public Transport transport() {
        return transport;
    }

    public boolean recursionDesired() {
        return message.getHeader().getFlag(Flags.RD);
    }

    public boolean checkingDisabled() {
        return message.getHeader().getFlag(Flags.CD);
    }

    /** Whether the client sent an OPT record, so the answer carries one too (RFC 6891 section 7). */
    public boolean hasEdns() {
        return opt != null;
    }

    public int ednsVersion() {
        return opt == null ? 0 : opt.getVersion();
    }

    /** Whether the client set the DNSSEC OK bit (RFC 3225), which the answer must echo. */
    public boolean dnssecOk() {
        return opt != null && (opt.getFlags() & ExtendedFlags.DO) != 0;
    }

    /** Largest UDP answer this client takes: its advertised size, capped at ours, never below 512. */
    public int udpAnswerLimit() {
        if (opt == null) {
            return CLASSIC_UDP_PAYLOAD;
        }
        return Math.max(CLASSIC_UDP_PAYLOAD, Math.min(opt.getPayloadSize(), ADVERTISED_UDP_PAYLOAD));
    }

    /** Largest answer on this query's transport. */
    public int answerLimit() {
        return transport == Transport.UDP ? udpAnswerLimit() : 65535;
    }

    @Override
    public String toString() {
        return qname() + " " + org.xbill.DNS.Type.string(qtype()) + " from " + client + " over " + transport.label();
    }

    /** Whether the header flags mark a query, as opposed to a response sent to our port. */
    public static boolean isQuery(Message message) {
        return !message.getHeader().getFlag(Flags.QR);
    }
}
