package dev.rpzgate.source;

import dev.rpzgate.policy.PolicyAction;
import dev.rpzgate.policy.PolicyZone;
import dev.rpzgate.policy.ZoneSettings;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.xbill.DNS.Name;

/**
 * Measures how long a domain list takes to load and how much heap a reload needs: the heap that
 * one loaded zone keeps, and the peak heap while a second copy is built beside it, as a reload
 * does. Not a test; run it by hand, as docs/benchmarks.md shows.
 *
 * <p>Arguments: the file, the format ({@code domains}, {@code hosts} or {@code rpz}), whether names cover
 * subdomains, and the number of timed loads.
 */
public final class ListLoadBenchmark {

    private ListLoadBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        ZoneFormat format = ZoneFormat.parse(args.length > 1 ? args[1] : "domains");
        boolean subdomains = args.length > 2 && Boolean.parseBoolean(args[2]);
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 10;

        for (int i = 0; i < 3; i++) {
            load(file, format, subdomains); // warm-up, so the JIT has compiled the parser
        }
        long[] millis = new long[rounds];
        for (int i = 0; i < rounds; i++) {
            long start = System.nanoTime();
            load(file, format, subdomains);
            millis[i] = (System.nanoTime() - start) / 1_000_000;
        }
        Arrays.sort(millis);

        long baseline = usedAfterGc();
        PolicyZone inForce = load(file, format, subdomains);
        long steady = usedAfterGc();
        resetPeaks();
        PolicyZone next = load(file, format, subdomains);
        long peak = peakHeap();
        long both = usedAfterGc();

        System.out.printf("file %s, %d bytes, %d rules, %d skipped%n", file, Files.size(file),
                inForce.ruleCount(), inForce.skipped().size());
        System.out.printf("load time over %d loads: median %d ms, min %d ms, max %d ms%n", rounds,
                millis[rounds / 2], millis[0], millis[rounds - 1]);
        System.out.printf("heap kept by one zone: %d MiB%n", mib(steady - baseline));
        System.out.printf("heap in use after GC with one zone (steady state): %d MiB%n", mib(steady));
        System.out.printf("peak heap while a second zone was built (reload): %d MiB%n", mib(peak));
        System.out.printf("heap in use after GC with both zones: %d MiB (max heap %d MiB)%n", mib(both),
                mib(Runtime.getRuntime().maxMemory()));
        System.out.println(inForce.serial() == next.serial() ? "serials equal" : "serials differ");
    }

    private static PolicyZone load(Path file, ZoneFormat format, boolean subdomains) throws IOException {
        if (format == ZoneFormat.RPZ) {
            try {
                return RpzZoneFileLoader.load(file, null, new ZoneSettings(Duration.ofSeconds(5)));
            } catch (ZoneLoadException e) {
                throw new IOException(e.getMessage(), e);
            }
        }
        try (InputStream in = Files.newInputStream(file)) {
            return NameListLoader.load(in, file.toString(), Name.fromConstantString("bench."),
                    new ZoneSettings(Duration.ofSeconds(5)), format, subdomains, PolicyAction.NXDOMAIN).zone();
        }
    }

    private static long usedAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        Runtime runtime = Runtime.getRuntime();
        return runtime.totalMemory() - runtime.freeMemory();
    }

    private static void resetPeaks() {
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                pool.resetPeakUsage();
            }
        }
    }

    /** Returns the sum of the peak usage of every heap pool since {@link #resetPeaks()}; an upper bound, since pools peak at different times. */
    private static long peakHeap() {
        long sum = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                sum += pool.getPeakUsage().getUsed();
            }
        }
        return sum;
    }

    private static long mib(long bytes) {
        return bytes / (1024 * 1024);
    }
}
