package dev.rpzgate.source.transfer;

import dev.rpzgate.policy.PolicyZone;
import dev.rpzgate.policy.ZoneSettings;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Master;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;

/**
 * Measures how long an IXFR takes to apply to a large transferred zone, against a full build of
 * the same records. Not a test; run it by hand, as docs/benchmarks.md shows.
 *
 * <p>Arguments: an RPZ zone file whose first record is the apex SOA, the zone name, and the share
 * of records the IXFR replaces, such as {@code 0.01}. The IXFR removes every n-th record and adds
 * as many new {@code CNAME .} rules.
 */
public final class IxfrApplyBenchmark {

    private static final InetSocketAddress PRIMARY = new InetSocketAddress(InetAddress.getLoopbackAddress(), 53);

    private IxfrApplyBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        Name origin = Name.fromString(args[1]);
        double share = Double.parseDouble(args[2]);
        ZoneSettings settings = new ZoneSettings(Duration.ofSeconds(5));

        List<Record> records = new ArrayList<>();
        try (InputStream in = Files.newInputStream(file)) {
            Master master = new Master(in, origin, 3600);
            Record record;
            while ((record = master.nextRecord()) != null) {
                records.add(record);
            }
        }
        SOARecord soa = (SOARecord) records.get(0);
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();

        ZoneSnapshot previous = null;
        long[] fullMillis = new long[3];
        for (int i = 0; i < fullMillis.length; i++) {
            long start = threads.getCurrentThreadCpuTime();
            previous = ZoneSnapshot.fromSavedRecords(origin, settings, records, file.toString(), Instant.now());
            fullMillis[i] = (threads.getCurrentThreadCpuTime() - start) / 1_000_000;
        }

        int step = (int) Math.round(1 / share);
        List<Record> removed = new ArrayList<>();
        List<Record> added = new ArrayList<>();
        for (int i = step; i < records.size(); i += step) {
            removed.add(records.get(i));
            added.add(new CNAMERecord(Name.concatenate(Name.fromString("added" + i), origin), DClass.IN, 300,
                    Name.root));
        }
        SOARecord endSoa = new SOARecord(origin, DClass.IN, soa.getTTL(), soa.getHost(), soa.getAdmin(),
                soa.getSerial() + 1, soa.getRefresh(), soa.getRetry(), soa.getExpire(), soa.getMinimum());
        List<ZoneDelta> deltas = List.of(new ZoneDelta(soa.getSerial(), soa.getSerial() + 1, removed, added));

        long[] ixfrMillis = new long[5];
        SnapshotBuilder.Applied applied = null;
        for (int i = 0; i < ixfrMillis.length; i++) {
            long start = threads.getCurrentThreadCpuTime();
            applied = SnapshotBuilder.applyIxfr(previous, deltas, endSoa, PRIMARY, Instant.now(), Long.MAX_VALUE);
            ixfrMillis[i] = (threads.getCurrentThreadCpuTime() - start) / 1_000_000;
        }

        PolicyZone before = previous.zone();
        PolicyZone after = applied.snapshot().zone();
        System.out.printf("zone %s: %d records, %d rules; IXFR removes %d records and adds %d%n", origin,
                records.size(), before.ruleCount(), removed.size(), added.size());
        System.out.printf("full build, CPU time of the building thread: %s ms%n", Arrays.toString(fullMillis));
        System.out.printf("IXFR applied as changes to %d owners, CPU time: %s ms; now %d rules%n",
                applied.rebuiltOwners(), Arrays.toString(ixfrMillis), after.ruleCount());
    }
}
