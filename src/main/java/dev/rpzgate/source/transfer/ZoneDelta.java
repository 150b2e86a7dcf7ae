package dev.rpzgate.source.transfer;

import java.util.List;
import org.xbill.DNS.Record;

/**
 * The changes of one IXFR difference sequence (RFC 1995) from serial {@code fromSerial} to
 * {@code toSerial}. The SOA records that frame the sequence are left out; the new SOA is in
 * {@link ZoneSnapshot#zone()}.
 *
 * @param removed records deleted from the zone, matched without regard to TTL
 * @param added records added to the zone
 */
public record ZoneDelta(long fromSerial, long toSerial, List<Record> removed, List<Record> added) {

    public ZoneDelta {
        removed = List.copyOf(removed);
        added = List.copyOf(added);
    }
}
