package dev.rpzgate.policy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

/** Builds small policy zones from record text, without zone files. */
final class ZoneBuilding {

    static final ZoneSettings SETTINGS = new ZoneSettings(Duration.ofSeconds(5));

    private final PolicyZoneBuilder builder;
    private int line;

    private ZoneBuilding(String origin) {
        this.builder = new PolicyZoneBuilder(Name.fromConstantString(origin), SETTINGS, "test:" + origin);
    }

    static ZoneBuilding zone(String origin) {
        return new ZoneBuilding(origin);
    }

    static Name name(String text) {
        return Name.fromConstantString(text);
    }

    /** Parses one record, with owner and RDATA names relative to the zone origin. */
    Record record(String owner, String type, long ttl, String rdata) {
        try {
            Name origin = builder.origin();
            return Record.fromString(Name.fromString(owner, origin), Type.value(type), DClass.IN, ttl, rdata, origin);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Adds one record with TTL 300. Its line number is the count of records added so far. */
    ZoneBuilding add(String owner, String type, String rdata) {
        return add(record(owner, type, 300, rdata));
    }

    ZoneBuilding add(Record record) {
        builder.add(record, ++line);
        return this;
    }

    PolicyZone build() {
        return builder.build();
    }
}
