package dev.rpzgate.wire;

import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * One name of the CNAME chain in an upstream answer: the query name, or a CNAME target, with the
 * CNAMEs that led to it and the A and AAAA addresses it owns. A DNAME answer carries the CNAME it
 * synthesizes (RFC 6672), so it is followed the same way.
 *
 * @param chain     the CNAME records from the query name up to this name
 * @param addresses the addresses of the A and AAAA records owned by this name
 *
 * <p>The answer cache computes the stages once per entry and every hit reads them, so nothing
 * here may change after {@link #of} returns.
 */
public record AnswerStage(Name name, List<Record> chain, List<InetAddress> addresses) {

    /** Maximum number of CNAMEs followed; resolvers cut longer chains too. */
    private static final int MAX_CHAIN = 16;

    /** Splits {@code answer} into its stages, starting at {@code qname}. */
    public static List<AnswerStage> of(Name qname, Message answer) {
        List<Record> records = answer.getSection(Section.ANSWER);
        List<AnswerStage> stages = new ArrayList<>(2);
        List<Record> chain = new ArrayList<>();
        Name current = qname;
        for (int hop = 0; hop <= MAX_CHAIN; hop++) {
            stages.add(new AnswerStage(current, List.copyOf(chain), List.copyOf(addresses(records, current))));
            CNAMERecord next = cname(records, current);
            if (next == null) {
                break;
            }
            chain.add(next);
            current = next.getTarget();
        }
        return List.copyOf(stages);
    }

    private static CNAMERecord cname(List<Record> records, Name owner) {
        for (Record record : records) {
            if (record instanceof CNAMERecord cname && cname.getName().equals(owner)) {
                return cname;
            }
        }
        return null;
    }

    private static List<InetAddress> addresses(List<Record> records, Name owner) {
        List<InetAddress> addresses = new ArrayList<>(0);
        for (Record record : records) {
            if (!record.getName().equals(owner)) {
                continue;
            }
            if (record instanceof ARecord a) {
                addresses.add(a.getAddress());
            } else if (record instanceof AAAARecord aaaa) {
                addresses.add(aaaa.getAddress());
            }
        }
        return addresses;
    }
}
