package dev.rpzgate.source;

import dev.rpzgate.policy.PolicyAction;
import dev.rpzgate.policy.PolicyZone;
import dev.rpzgate.policy.ZoneSettings;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.xbill.DNS.Name;

/**
 * Measures how long a domain list or RPZ zone takes to load and how much heap a reload needs: the
 * heap that one loaded zone keeps, and the heap while a second version is built beside it. The
 * second version is built three ways: as an independent copy, as a reload of the same file that
 * shares unchanged rules with the version in force (as {@link PolicyReloader} does), and as such a
 * reload of a changed file. Not a test; run it by hand, as docs/benchmarks.md shows.
 *
 * <p>Arguments: the file, the format ({@code domains}, {@code hosts} or {@code rpz}), whether names cover
 * subdomains, the number of timed loads, and optionally a changed version of the file.
 */
public final class ListLoadBenchmark {

    private ListLoadBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        ZoneFormat format = ZoneFormat.parse(args.length > 1 ? args[1] : "domains");
        boolean subdomains = args.length > 2 && Boolean.parseBoolean(args[2]);
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 10;
        Path changed = args.length > 4 ? Path.of(args[4]) : null;

        for (int i = 0; i < 3; i++) {
            load(file, format, subdomains, null); // warm-up, so the JIT has compiled the parser
        }
        long[] millis = new long[rounds];
        long[] cpuMillis = new long[rounds];
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        for (int i = 0; i < rounds; i++) {
            long start = System.nanoTime();
            long cpuStart = threads.getCurrentThreadCpuTime();
            load(file, format, subdomains, null);
            millis[i] = (System.nanoTime() - start) / 1_000_000;
            cpuMillis[i] = (threads.getCurrentThreadCpuTime() - cpuStart) / 1_000_000;
        }
        Arrays.sort(millis);
        Arrays.sort(cpuMillis);

        long baseline = usedAfterGc();
        PolicyZone inForce = load(file, format, subdomains, null);
        long steady = usedAfterGc();
        System.out.printf("file %s, %d bytes, %d rules, %d skipped%n", file, Files.size(file),
                inForce.ruleCount(), inForce.skippedCount());
        System.out.printf("load time over %d loads: median %d ms, min %d ms, max %d ms%n", rounds,
                millis[rounds / 2], millis[0], millis[rounds - 1]);
        // CPU time of the loading thread alone, which other processes on a shared machine disturb less.
        System.out.printf("CPU time of the loading thread: median %d ms, min %d ms, max %d ms%n",
                cpuMillis[rounds / 2], cpuMillis[0], cpuMillis[rounds - 1]);
        System.out.printf("heap kept by one zone: %d MiB%n", mib(steady - baseline));
        System.out.printf("heap in use after GC with one zone (steady state): %d MiB%n", mib(steady));

        measureReload("same file, sharing with the zone in force", file, format, subdomains, inForce);
        if (changed != null) {
            measureReload("changed file " + changed + ", sharing with the zone in force", changed, format,
                    subdomains, inForce);
        }
        try {
            measureReload("independent copy, as before sharing was built", file, format, subdomains, null);
        } catch (OutOfMemoryError e) {
            // Last, so that the runs above are printed; a small -Xmx shows that only sharing fits.
            System.out.println("reload, independent copy: does not fit in the heap (" + e.getMessage() + ")");
        }
        System.out.printf("max heap %d MiB; zone in force still has %d rules%n",
                mib(Runtime.getRuntime().maxMemory()), inForce.ruleCount());
    }

    /** Builds a second version beside the zone in force, which the caller keeps reachable, and prints the heap. */
    private static void measureReload(String label, Path file, ZoneFormat format, boolean subdomains,
                                      PolicyZone inForce) throws IOException {
        usedAfterGc();
        resetPeaks();
        long start = System.nanoTime();
        PolicyZone next = load(file, format, subdomains, inForce);
        long millis = (System.nanoTime() - start) / 1_000_000;
        long peak = peakHeap();
        long both = usedAfterGc();
        System.out.printf("reload, %s: %d rules, %d ms; peak heap while it was built %d MiB; heap in use after GC"
                + " with both versions %d MiB%n", label, next.ruleCount(), millis, mib(peak), mib(both));
    }

    private static PolicyZone load(Path file, ZoneFormat format, boolean subdomains, PolicyZone inForce)
            throws IOException {
        ZoneSettings settings = new ZoneSettings(Duration.ofSeconds(5));
        if (format == ZoneFormat.RPZ) {
            try {
                // A changed copy of the file loads under the name of the zone in force.
                Name origin = inForce != null ? inForce.name() : RpzZoneFileLoader.defaultOrigin(file);
                return RpzZoneFileLoader.parse(Files.newInputStream(file), file.toString(), file,
                        file.toAbsolutePath().getParent(), origin, settings, inForce)
                        .zone();
            } catch (ZoneLoadException e) {
                throw new IOException(e.getMessage(), e);
            }
        }
        try (InputStream in = Files.newInputStream(file)) {
            return NameListLoader.load(in, file.toString(), Name.fromConstantString("bench."), settings, format,
                    subdomains, PolicyAction.NXDOMAIN, inForce).zone();
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
