package dev.rpzgate.source.transfer;

import dev.rpzgate.policy.PolicyZone;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.xbill.DNS.Record;

/**
 * One version of a transferred zone. Instances are immutable and safe to share between threads.
 *
 * @param zone the policy zone built from {@code records}
 * @param records every record of the zone, the apex SOA first. After an IXFR, the records that the
 *     deltas added follow the records kept from the previous version.
 * @param serial SOA serial of this version
 * @param primary primary server the version came from
 * @param loadedAt when the transfer finished, on the source's clock
 */
public record ZoneSnapshot(PolicyZone zone, List<Record> records, long serial, InetSocketAddress primary,
                           Instant loadedAt) {

    public ZoneSnapshot {
        Objects.requireNonNull(zone, "zone");
        Objects.requireNonNull(primary, "primary");
        Objects.requireNonNull(loadedAt, "loadedAt");
        records = List.copyOf(records);
    }

    @Override
    public String toString() {
        return "ZoneSnapshot[" + zone.name() + " serial " + serial + " from " + primary + ", "
                + records.size() + " records, " + zone.ruleCount() + " rules]";
    }
}
