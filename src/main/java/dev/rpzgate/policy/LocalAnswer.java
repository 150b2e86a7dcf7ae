package dev.rpzgate.policy;

import java.util.ArrayList;
import java.util.List;
import org.xbill.DNS.RRset;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;

/**
 * Answer built from the local data of a rule for one query.
 *
 * @param rcode {@link Rcode#NOERROR}, or {@link Rcode#YXDOMAIN} when expanding a wildcard CNAME
 *     target would exceed 255 octets, as RFC 6672 answers for an overlong DNAME substitution
 * @param rrsets RRsets for the answer section, owned by the query name with capped TTLs; empty
 *     means NODATA when the rcode is NOERROR
 */
public record LocalAnswer(int rcode, List<RRset> rrsets) {

    static final LocalAnswer NAME_TOO_LONG = new LocalAnswer(Rcode.YXDOMAIN, List.of());

    public LocalAnswer {
        rrsets = List.copyOf(rrsets);
    }

    /** Returns whether the answer is NOERROR with no records. */
    public boolean isNoData() {
        return rcode == Rcode.NOERROR && rrsets.isEmpty();
    }

    /** Returns the records of all RRsets in order, for adding to a message one by one. */
    public List<Record> records() {
        List<Record> records = new ArrayList<>();
        for (RRset rrset : rrsets) {
            records.addAll(rrset.rrs(false));
        }
        return records;
    }
}
