package dev.rpzgate.testing;

import dev.rpzgate.observability.PolicyHitLog;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Reads back the policy-hit lines that a running rpzgate appended to its hit-log file since
 * {@link #start}. The test profile sets {@code rpzgate.hit-log.file} to {@link #FILE}.
 */
public final class HitLogCapture {

    /** The hit-log file of the test profile, relative to the project directory. */
    public static final Path FILE = Path.of("target/policy-hits.log");

    private final PolicyHitLog log;
    private final long start;

    private HitLogCapture(PolicyHitLog log, long start) {
        this.log = log;
        this.start = start;
    }

    /** Starts reading after the lines that {@code log} has written so far. */
    public static HitLogCapture start(PolicyHitLog log) {
        awaitWritten(log);
        return new HitLogCapture(log, size());
    }

    /** Returns the lines written since {@link #start}, once every line logged before this call is written. */
    public List<String> lines() {
        awaitWritten(log);
        try {
            byte[] bytes = Files.readAllBytes(FILE);
            String text = new String(bytes, (int) start, bytes.length - (int) start, StandardCharsets.US_ASCII);
            return text.isEmpty() ? List.of() : Arrays.asList(text.split("\n"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void awaitWritten(PolicyHitLog log) {
        if (!log.awaitWritten(10, TimeUnit.SECONDS)) {
            throw new AssertionError("the policy-hit log did not write its queued lines within 10 s");
        }
    }

    private static long size() {
        try {
            return Files.exists(FILE) ? Files.size(FILE) : 0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
