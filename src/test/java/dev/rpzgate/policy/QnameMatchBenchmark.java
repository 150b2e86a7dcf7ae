package dev.rpzgate.policy;

import dev.rpzgate.source.RpzZoneFileLoader;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.xbill.DNS.Name;

/**
 * Measures QNAME trigger lookups of one zone: time and heap allocated per lookup. Not a test; run
 * it by hand, as docs/benchmarks.md shows.
 *
 * <p>Arguments: the RPZ zone file, its {@code .meta.tsv} (trigger, action, {@code exact} or
 * {@code wild} per line, as the bench's zone generator writes it), the origin, and the number of
 * timed rounds. The queries are, for each exact trigger, the name itself and {@code www.} below it
 * (which walks up to the trigger and finds no wildcard there), and for each wildcard trigger two
 * names below its base, {@code www.} and {@code a.b.}, which the wildcard blocks. They are shuffled
 * with a fixed seed.
 */
public final class QnameMatchBenchmark {

    private QnameMatchBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path zoneFile = Path.of(args[0]);
        Path meta = Path.of(args[1]);
        Name origin = Name.fromString(args[2], Name.root);
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 10;

        PolicyZone zone = RpzZoneFileLoader.load(zoneFile, origin, new ZoneSettings(Duration.ofSeconds(5)));
        Name[] queries = queries(meta);
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long threadId = Thread.currentThread().getId();

        int matched = 0;
        for (int i = 0; i < 20; i++) {
            matched = lookUpAll(zone, queries); // warm-up, so the JIT has compiled the lookups
        }
        double[] nanosPerLookup = new double[rounds];
        double[] cpuNanosPerLookup = new double[rounds];
        double[] bytesPerLookup = new double[rounds];
        for (int round = 0; round < rounds; round++) {
            long bytesBefore = threads.getThreadAllocatedBytes(threadId);
            long start = System.nanoTime();
            long cpuStart = threads.getCurrentThreadCpuTime();
            int roundMatched = 0;
            // Several passes per round, so that one round takes about a second on a small machine.
            for (int pass = 0; pass < 10; pass++) {
                roundMatched += lookUpAll(zone, queries);
            }
            long elapsed = System.nanoTime() - start;
            long cpuElapsed = threads.getCurrentThreadCpuTime() - cpuStart;
            long bytes = threads.getThreadAllocatedBytes(threadId) - bytesBefore;
            nanosPerLookup[round] = (double) elapsed / (10.0 * queries.length);
            cpuNanosPerLookup[round] = (double) cpuElapsed / (10.0 * queries.length);
            bytesPerLookup[round] = (double) bytes / (10.0 * queries.length);
            if (roundMatched != 10 * matched) {
                throw new IllegalStateException("lookups changed between rounds: " + roundMatched + " vs " + 10 * matched);
            }
        }
        Arrays.sort(nanosPerLookup);
        Arrays.sort(cpuNanosPerLookup);
        Arrays.sort(bytesPerLookup);
        System.out.printf("zone %s: %d rules; %d queries, %d matched%n", zone.name(), zone.ruleCount(), queries.length,
                matched);
        System.out.printf("ns per lookup over %d rounds: median %.1f, min %.1f, max %.1f%n", rounds,
                nanosPerLookup[rounds / 2], nanosPerLookup[0], nanosPerLookup[rounds - 1]);
        // CPU time of the benchmark thread alone, which other processes on a shared machine disturb less.
        System.out.printf("CPU ns per lookup: median %.1f, min %.1f, max %.1f%n", cpuNanosPerLookup[rounds / 2],
                cpuNanosPerLookup[0], cpuNanosPerLookup[rounds - 1]);
        System.out.printf("bytes allocated per lookup: median %.1f, min %.1f, max %.1f%n",
                bytesPerLookup[rounds / 2], bytesPerLookup[0], bytesPerLookup[rounds - 1]);
    }

    private static int lookUpAll(PolicyZone zone, Name[] queries) {
        int matched = 0;
        for (Name query : queries) {
            if (zone.matchQname(query) != null) {
                matched++;
            }
        }
        return matched;
    }

    private static Name[] queries(Path meta) throws Exception {
        List<Name> queries = new ArrayList<>();
        for (String line : Files.readAllLines(meta)) {
            String[] fields = line.split("\t");
            if (fields.length < 3) {
                continue;
            }
            String trigger = fields[0];
            if (fields[2].equals("exact")) {
                queries.add(Name.fromString(trigger, Name.root));
                queries.add(Name.fromString("www." + trigger, Name.root));
            } else if (fields[2].equals("wild") && trigger.startsWith("*.")) {
                String base = trigger.substring(2);
                queries.add(Name.fromString("www." + base, Name.root));
                queries.add(Name.fromString("a.b." + base, Name.root));
            }
        }
        Collections.shuffle(queries, new Random(1));
        return queries.toArray(new Name[0]);
    }
}
