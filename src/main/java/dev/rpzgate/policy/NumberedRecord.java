package dev.rpzgate.policy;

import java.util.Objects;
import org.xbill.DNS.Record;

/**
 * A record of a policy zone with its line in the zone file, or its position in a transferred
 * zone counted from 1, as {@link SkippedRecord#line()} reports it.
 */
public record NumberedRecord(Record record, int line) {

    public NumberedRecord {
        Objects.requireNonNull(record, "record");
    }
}
