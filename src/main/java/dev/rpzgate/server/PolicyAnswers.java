package dev.rpzgate.server;

import dev.rpzgate.policy.PolicyZone;
import dev.rpzgate.wire.ClientQuery;
import dev.rpzgate.wire.Responses;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Builds the answers that a policy rule gives instead of the upstream's, as BIND 9 writes them:
 * AA clear, the rule's records under the query name with TTLs capped at the zone's
 * {@code max-policy-ttl}, and the policy zone's SOA in the additional section with the negative
 * TTL of RFC 2308 (the smaller of its TTL and its minimum field).
 */
final class PolicyAnswers {

    /** Answer to the query from local data, and the CNAME target still to resolve, if any. */
    record LocalAnswer(Message answer, Name cnameTarget) {
    }

    Message nxdomain(ClientQuery query, PolicyDecision decision) {
        Message answer = start(query, decision, Rcode.NXDOMAIN);
        addZoneSoa(answer, decision.zone());
        return answer;
    }

    Message nodata(ClientQuery query, PolicyDecision decision) {
        Message answer = start(query, decision, Rcode.NOERROR);
        addZoneSoa(answer, decision.zone());
        return answer;
    }

    /** An empty answer with TC set, so a UDP client asks again over TCP. */
    Message truncated(ClientQuery query) {
        Message answer = Responses.newAnswer(query, Rcode.NOERROR);
        answer.getHeader().setFlag(Flags.TC);
        return answer;
    }

    /**
     * Answers from the rule's local data: the RRset of the query type, else the rule's CNAME (whose
     * target the caller resolves), else NODATA; a query of type ANY gets every RRset.
     */
    LocalAnswer localData(ClientQuery query, PolicyDecision decision) {
        long maxTtl = decision.zone().settings().maxPolicyTtlSeconds();
        if (decision.cnameOverride()) {
            Message answer = start(query, decision, Rcode.NOERROR);
            Name target = decision.zone().settings().override().cnameTarget();
            answer.addRecord(new CNAMERecord(decision.name(), query.qclass(), maxTtl, target), Section.ANSWER);
            addZoneSoa(answer, decision.zone());
            return new LocalAnswer(answer, query.qtype() == Type.CNAME ? null : target);
        }
        dev.rpzgate.policy.LocalAnswer local = decision.rule().localAnswer(decision.name(), query.qtype(), maxTtl);
        Message answer = start(query, decision, local.rcode());
        Name cnameTarget = null;
        for (Record record : local.records()) {
            answer.addRecord(record, Section.ANSWER);
            if (record instanceof CNAMERecord cname && query.qtype() != Type.CNAME && query.qtype() != Type.ANY) {
                cnameTarget = cname.getTarget();
            }
        }
        addZoneSoa(answer, decision.zone());
        return new LocalAnswer(answer, cnameTarget);
    }

    /**
     * Adds the upstream's answer for the CNAME target and takes its rcode, as a resolver following
     * the CNAME would. A negative answer keeps the upstream's SOA in the authority section, so the
     * client can cache it.
     */
    Message appendCnameTarget(Message rewritten, Message targetAnswer) {
        for (Record record : targetAnswer.getSection(Section.ANSWER)) {
            rewritten.addRecord(record, Section.ANSWER);
        }
        boolean negative = targetAnswer.getRcode() == Rcode.NXDOMAIN
                || targetAnswer.getSection(Section.ANSWER).isEmpty();
        if (negative) {
            for (Record record : targetAnswer.getSection(Section.AUTHORITY)) {
                if (record instanceof SOARecord) {
                    rewritten.addRecord(record, Section.AUTHORITY);
                }
            }
        }
        rewritten.getHeader().setRcode(targetAnswer.getRcode() & 0xF);
        return rewritten;
    }

    /** Starts a rewritten answer: the question, then the upstream's CNAMEs that led to the rewritten name. */
    private static Message start(ClientQuery query, PolicyDecision decision, int rcode) {
        Message answer = Responses.newAnswer(query, rcode);
        for (Record record : decision.chain()) {
            answer.addRecord(record, Section.ANSWER);
        }
        return answer;
    }

    private static void addZoneSoa(Message answer, PolicyZone zone) {
        SOARecord soa = zone.negativeAnswerSoa();
        if (soa == null || !zone.settings().addSoa()) {
            return;
        }
        answer.addRecord(soa, Section.ADDITIONAL);
    }

    /**
     * Writes the NXDOMAIN or NODATA answer ({@code rcode} NXDOMAIN or NOERROR) that {@link #nxdomain}
     * or {@link #nodata} would build, straight into bytes: the header, the client's question copied
     * from its packet, the zone's SOA (built once per zone) and rpzgate's OPT without options.
     * Returns null when the answer needs more: CNAMEs from the upstream before the rewritten name,
     * an Extended DNS Error, a question that is not plain, or an answer over the client's limit.
     *
     * <p>Written by hand because it runs for every blocked query, where building a dnsjava message
     * and encoding it cost more than finding the rule.
     */
    byte[] negativeWire(ClientQuery query, PolicyDecision decision, int rcode) {
        byte[] packet = query.packet();
        PolicyZone zone = decision.zone();
        boolean edns = query.hasEdns();
        if (packet == null || !decision.chain().isEmpty()
                || (edns && zone.settings().ede() != dev.rpzgate.policy.ExtendedError.NONE)) {
            return null;
        }
        int nameEnd = Responses.questionNameEnd(packet);
        int questionEnd = nameEnd + 4; // past QTYPE and QCLASS
        if (nameEnd < 0 || questionEnd > packet.length) {
            return null;
        }
        byte[] soa = zone.settings().addSoa() ? zone.negativeAnswerSoaWire() : null;
        int soaLength = soa == null ? 0 : soa.length;
        int length = questionEnd + soaLength + (edns ? Responses.OPT_LENGTH : 0);
        if (length > query.answerLimit()) {
            return null;
        }
        byte[] answer = new byte[length];
        System.arraycopy(packet, 0, answer, 0, questionEnd);
        // QR set, opcode QUERY, AA and TC clear, the client's RD; RA set, the client's CD.
        answer[2] = (byte) (0x80 | (query.recursionDesired() ? 0x01 : 0));
        answer[3] = (byte) (0x80 | (query.checkingDisabled() ? 0x10 : 0) | (rcode & 0x0F));
        answer[4] = 0;
        answer[5] = 1;
        answer[6] = 0;
        answer[7] = 0;
        answer[8] = 0;
        answer[9] = 0;
        answer[10] = 0;
        answer[11] = (byte) ((soa == null ? 0 : 1) + (edns ? 1 : 0));
        if (soa != null) {
            System.arraycopy(soa, 0, answer, questionEnd, soaLength);
        }
        if (edns) {
            Responses.writeOpt(answer, questionEnd + soaLength, query.dnssecOk());
        }
        return answer;
    }
}
