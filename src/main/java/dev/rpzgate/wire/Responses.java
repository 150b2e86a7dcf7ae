package dev.rpzgate.wire;

import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Header;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.util.List;

/**
 * Builds answers to clients and turns them into wire format with the client's ID, RD flag and
 * EDNS state, truncated to what the client's transport takes.
 */
public final class Responses {

    private static final int HEADER_LENGTH = 12;

    /** Length of rpzgate's OPT record without options: root name, type, class, TTL, RDLENGTH. */
    public static final int OPT_LENGTH = 11;

    private Responses() {
    }

    /**
     * Returns the offset just past the question name that starts at byte 12 of {@code wire}, or -1
     * when the name is compressed or cut short, so that byte-level writers fall back to dnsjava.
     */
    public static int questionNameEnd(byte[] wire) {
        int position = HEADER_LENGTH;
        while (position < wire.length) {
            int length = wire[position] & 0xFF;
            if (length == 0) {
                return position + 1;
            }
            if ((length & 0xC0) != 0) {
                return -1;
            }
            position += 1 + length;
        }
        return -1;
    }

    /**
     * Writes rpzgate's OPT record without options at {@code at}, as {@link #encode} would: payload
     * size 1232, extended rcode 0, version 0 and the client's DO bit.
     */
    public static void writeOpt(byte[] answer, int at, boolean dnssecOk) {
        answer[at] = 0; // root owner name
        answer[at + 1] = 0;
        answer[at + 2] = (byte) Type.OPT;
        answer[at + 3] = (byte) (ClientQuery.ADVERTISED_UDP_PAYLOAD >>> 8);
        answer[at + 4] = (byte) ClientQuery.ADVERTISED_UDP_PAYLOAD;
        answer[at + 5] = 0;
        answer[at + 6] = 0;
        answer[at + 7] = (byte) (dnssecOk ? 0x80 : 0);
        answer[at + 8] = 0;
        answer[at + 9] = 0;
        answer[at + 10] = 0;
    }

    /**
     * Returns an answer with {@code rcode} built from the header of a packet that cannot be
     * answered normally (unparseable, several questions, an unknown opcode), or null when the packet
     * has no complete header or is itself a response; such packets are dropped.
     */
    public static byte[] errorFromHeader(byte[] packet, int rcode) {
        if (packet.length < HEADER_LENGTH) {
            return null;
        }
        boolean isResponse = (packet[2] & 0x80) != 0;
        if (isResponse) {
            return null; // answering a response could start a loop between two servers
        }
        byte[] answer = new byte[HEADER_LENGTH];
        answer[0] = packet[0];
        answer[1] = packet[1];
        // QR set; opcode and RD kept; AA and TC clear; RA set; every count zero.
        answer[2] = (byte) (0x80 | (packet[2] & 0x79));
        answer[3] = (byte) (0x80 | (rcode & 0xF));
        return answer;
    }

    /** Starts an answer to {@code query}: same ID, opcode, RD and CD, QR and RA set, the question copied. */
    public static Message newAnswer(ClientQuery query, int rcode) {
        Message answer = new Message(query.id());
        Header header = answer.getHeader();
        header.setFlag(Flags.QR);
        header.setFlag(Flags.RA);
        if (query.recursionDesired()) {
            header.setFlag(Flags.RD);
        }
        if (query.checkingDisabled()) {
            header.setFlag(Flags.CD);
        }
        header.setOpcode(Opcode.QUERY);
        header.setRcode(rcode & 0xF);
        answer.addRecord(query.question(), Section.QUESTION);
        if (rcode > 0xF) {
            // Extended rcodes live in the OPT record; encode() carries them over to rpzgate's OPT.
            answer.addRecord(new OPTRecord(ClientQuery.ADVERTISED_UDP_PAYLOAD, rcode >>> 4, 0), Section.ADDITIONAL);
        }
        return answer;
    }

    /**
     * Encodes {@code answer} for the client that sent {@code query}. The header gets the client's ID,
     * RD and CD flags; the OPT record is replaced by rpzgate's own (payload 1232, the client's DO bit,
     * {@code options}) or removed when the client sent none. Over UDP an answer larger than the client
     * takes is cut at an RRset boundary with TC set, so the client retries over TCP.
     */
    public static byte[] encode(Message answer, ClientQuery query, List<EDNSOption> options) {
        int rcode = answer.getRcode();
        Header header = answer.getHeader();
        header.setID(query.id());
        header.setFlag(Flags.QR);
        header.setFlag(Flags.RA);
        setFlag(header, Flags.RD, query.recursionDesired());
        setFlag(header, Flags.CD, query.checkingDisabled());

        removeOpt(answer);
        if (query.hasEdns()) {
            int flags = query.dnssecOk() ? org.xbill.DNS.ExtendedFlags.DO : 0;
            answer.addRecord(new OPTRecord(ClientQuery.ADVERTISED_UDP_PAYLOAD, rcode >>> 4, 0, flags, options),
                    Section.ADDITIONAL);
            header.setRcode(rcode & 0xF);
        } else if (rcode > 0xF) {
            // An extended rcode cannot be expressed without OPT.
            header.setRcode(Rcode.SERVFAIL);
        }
        return answer.toWire(query.answerLimit());
    }

    private static void removeOpt(Message message) {
        List<Record> additional = message.getSection(Section.ADDITIONAL);
        for (Record record : additional) {
            if (record instanceof OPTRecord) {
                message.removeRecord(record, Section.ADDITIONAL);
                return;
            }
        }
    }

    private static void setFlag(Header header, int flag, boolean value) {
        if (value) {
            header.setFlag(flag);
        } else {
            header.unsetFlag(flag);
        }
    }
}
