package dev.rpzgate.observability;

import dev.rpzgate.testing.LogCapture;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class PolicyHitLogTest {

    private static final Path OPEN_FILES = Path.of("/proc/self/fd");

    @Test
    void lineHasEveryFieldAsJson() {
        RecordingStream out = new RecordingStream();
        Instant before = Instant.now().minusMillis(1);
        try (PolicyHitLog log = PolicyHitLog.toStream(out, PolicyHitLog.STDOUT_BATCH, 100)) {
            log.hit("10.1.2.3", "www.bad.example.", "A", "block", "qname", "*.bad.example.block.", "nxdomain", true);

            assertThat(log.awaitWritten(10, TimeUnit.SECONDS)).isTrue();
        }

        List<String> lines = out.lines();
        assertThat(lines).hasSize(1);
        String line = lines.get(0);
        assertThat(line).matches("\\{\"time\":\"\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z\",.*");
        assertThat(Instant.parse(line.substring(9, 33))).isBetween(before, Instant.now());
        assertThat(line.substring(35)).isEqualTo("\"client\":\"10.1.2.3\",\"qname\":\"www.bad.example.\","
                + "\"qtype\":\"A\",\"zone\":\"block\",\"trigger\":\"qname\",\"rule\":\"*.bad.example.block.\","
                + "\"action\":\"nxdomain\"}");
    }

    @Test
    void disabledRuleIsMarked() {
        RecordingStream out = new RecordingStream();
        try (PolicyHitLog log = PolicyHitLog.toStream(out, PolicyHitLog.STDOUT_BATCH, 100)) {
            log.hit("::1", "dry.example.", "AAAA", "dryrun", "qname", "dry.example.dryrun.", "nodata", false);
            log.awaitWritten(10, TimeUnit.SECONDS);
        }

        assertThat(out.lines().get(0)).endsWith("\"action\":\"nodata\",\"disabled\":true}");
    }

    @Test
    void specialCharactersAreEscaped() {
        RecordingStream out = new RecordingStream();
        try (PolicyHitLog log = PolicyHitLog.toStream(out, PolicyHitLog.STDOUT_BATCH, 100)) {
            log.hit("10.0.0.1", "a\"b\\c.example.", "A", "z\u00e9\u0001", "qname", "r.", "nxdomain", true);
            log.awaitWritten(10, TimeUnit.SECONDS);
        }

        String line = out.lines().get(0);
        assertThat(line).contains("\"qname\":\"a\\\"b\\\\c.example.\"");
        assertThat(line).contains("\"zone\":\"z\\u00e9\\u0001\"");
    }

    @Test
    void linesKeepTheirOrderAndShareWrites() {
        RecordingStream out = new RecordingStream();
        try (PolicyHitLog log = PolicyHitLog.toStream(out, PolicyHitLog.STDOUT_BATCH, 100_000)) {
            for (int i = 0; i < 5_000; i++) {
                log.hit("10.0.0.1", "n" + i + ".example.", "A", "block", "qname", "n" + i + ".example.block.",
                        "nxdomain", true);
            }
            assertThat(log.awaitWritten(10, TimeUnit.SECONDS)).isTrue();
        }

        List<String> lines = out.lines();
        assertThat(lines).hasSize(5_000);
        for (int i = 0; i < lines.size(); i++) {
            assertThat(lines.get(i)).contains("\"qname\":\"n" + i + ".example.\"");
        }
        assertThat(out.writes).as("lines share write calls").hasSizeLessThan(5_000);
        assertThat(out.writes).as("no write is larger than the batch limit")
                .allSatisfy(size -> assertThat(size).isLessThanOrEqualTo(PolicyHitLog.STDOUT_BATCH));
    }

    @Test
    void fullQueueDropsAndCounts() throws Exception {
        BlockingStream out = new BlockingStream();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (PolicyHitLog log = PolicyHitLog.toStream(out, PolicyHitLog.STDOUT_BATCH, 1)) {
            log.bindTo(registry);
            hit(log, "first.example.");
            assertThat(out.entered.await(10, TimeUnit.SECONDS)).as("the writer is in its first write").isTrue();

            hit(log, "queued.example.");
            hit(log, "dropped1.example.");
            hit(log, "dropped2.example.");
            out.release.countDown();

            assertThat(log.awaitWritten(10, TimeUnit.SECONDS)).isTrue();
        }

        assertThat(out.text()).contains("first.example.", "queued.example.");
        assertThat(out.text()).doesNotContain("dropped1.example.", "dropped2.example.");
        assertThat(registry.get("rpzgate_policy_hit_log_dropped").functionCounter().count()).isEqualTo(2.0);
        assertThat(registry.get("rpzgate_policy_hit_log_lines").functionCounter().count()).isEqualTo(2.0);
    }

    @Test
    void dropsAreReportedWhileQueueIsBusy() throws Exception {
        SteppingStream out = new SteppingStream();
        try (LogCapture warnings = LogCapture.start(PolicyHitLog.class.getName());
             // A limit below one line's length sends each line in a write of its own, so the writer
             // never finds the queue empty between the writes below.
             PolicyHitLog log = PolicyHitLog.toStream(out, 64, 1)) {
            hit(log, "first.example.");
            assertThat(out.entered.tryAcquire(10, TimeUnit.SECONDS)).as("the writer is in its first write").isTrue();
            hit(log, "queued.example.");
            hit(log, "dropped.example.");

            out.permits.release();
            assertThat(out.entered.tryAcquire(10, TimeUnit.SECONDS)).as("the writer is in its second write").isTrue();

            assertThat(warnings.lines()).anySatisfy(line -> assertThat(line).contains("1 lines dropped"));
            out.permits.release(100);
        }
    }

    @Test
    void failedWriteIsCounted() throws Exception {
        FailingOnceStream out = new FailingOnceStream();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (PolicyHitLog log = PolicyHitLog.toStream(out, PolicyHitLog.STDOUT_BATCH, 100)) {
            log.bindTo(registry);
            hit(log, "lost.example.");
            assertThat(log.awaitWritten(10, TimeUnit.SECONDS)).isTrue();
            hit(log, "kept.example.");
            assertThat(log.awaitWritten(10, TimeUnit.SECONDS)).isTrue();
        }

        assertThat(out.lines()).hasSize(1);
        assertThat(out.lines().get(0)).contains("kept.example.");
        assertThat(registry.get("rpzgate_policy_hit_log_dropped").functionCounter().count()).isEqualTo(1.0);
    }

    @Test
    void repeatedWriteFailuresWarnOnce() {
        FailingStream out = new FailingStream();
        try (LogCapture warnings = LogCapture.start(PolicyHitLog.class.getName());
             PolicyHitLog log = PolicyHitLog.toStream(out, PolicyHitLog.STDOUT_BATCH, 100)) {
            for (int i = 0; i < 3; i++) {
                hit(log, "lost" + i + ".example.");
                assertThat(log.awaitWritten(10, TimeUnit.SECONDS)).isTrue();
            }
            out.failing = false;
            hit(log, "kept.example.");
            assertThat(log.awaitWritten(10, TimeUnit.SECONDS)).isTrue();

            assertThat(warnings.lines()).filteredOn(line -> line.contains("failed")).hasSize(1);
            assertThat(warnings.lines()).filteredOn(line -> line.contains("works again")).hasSize(1);
        }
        assertThat(out.lines()).hasSize(1);
    }

    @Test
    void closeWritesQueuedLines() throws Exception {
        BlockingStream out = new BlockingStream();
        // A limit below one line's length also sends each line in a write of its own.
        PolicyHitLog log = PolicyHitLog.toStream(out, 64, 100);
        hit(log, "first.example.");
        assertThat(out.entered.await(10, TimeUnit.SECONDS)).isTrue();
        for (int i = 0; i < 10; i++) {
            hit(log, "later" + i + ".example.");
        }

        Thread closer = new Thread(log::close);
        closer.start();
        out.release.countDown();
        closer.join(Duration.ofSeconds(10).toMillis());

        assertThat(closer.isAlive()).isFalse();
        assertThat(out.text().lines().count()).isEqualTo(11);
        assertThat(out.text()).contains("later9.example.");
    }

    @Test
    void closeReleasesTheFile(@TempDir Path directory) throws Exception {
        assumeTrue(Files.isDirectory(OPEN_FILES), "needs " + OPEN_FILES + " to list open files");
        Path file = directory.resolve("hits.log");
        try (PolicyHitLog log = PolicyHitLog.toFile(file, 100)) {
            hit(log, "kept.example.");
            assertThat(log.awaitWritten(10, TimeUnit.SECONDS)).isTrue();
            assertThat(openDescriptorsOf(file)).as("open while the log runs").isNotEmpty();
        }

        assertThat(Files.readString(file)).contains("kept.example.");
        assertThat(openDescriptorsOf(file)).as("closed with the log").isEmpty();
    }

    @Test
    void lineAfterCloseIsDropped() {
        RecordingStream out = new RecordingStream();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        PolicyHitLog log = PolicyHitLog.toStream(out, PolicyHitLog.STDOUT_BATCH, 100);
        log.bindTo(registry);
        hit(log, "before.example.");
        log.close();

        hit(log, "after.example.");

        assertThat(log.awaitWritten(1, TimeUnit.SECONDS)).isTrue();
        assertThat(out.text()).contains("before.example.");
        assertThat(out.text()).doesNotContain("after.example.");
        assertThat(registry.get("rpzgate_policy_hit_log_dropped").functionCounter().count()).isEqualTo(1.0);
    }

    @Test
    void disabledLogWritesNothing() {
        try (PolicyHitLog log = PolicyHitLog.disabled()) {
            assertThat(log.enabled()).isFalse();
            hit(log, "any.example.");
            assertThat(log.awaitWritten(1, TimeUnit.SECONDS)).isTrue();
        }
    }

    /** Returns the file descriptors of this process that are open on {@code file}. */
    private static List<Path> openDescriptorsOf(Path file) throws IOException {
        Path target = file.toRealPath();
        List<Path> open = new ArrayList<>();
        try (Stream<Path> descriptors = Files.list(OPEN_FILES)) {
            for (Path descriptor : descriptors.toList()) {
                try {
                    if (Files.readSymbolicLink(descriptor).equals(target)) {
                        open.add(descriptor);
                    }
                } catch (IOException e) {
                    // The descriptor of the listing itself, or one closed since, has no link to read.
                }
            }
        }
        return open;
    }

    private static void hit(PolicyHitLog log, String qname) {
        log.hit("10.0.0.1", qname, "A", "block", "qname", qname + "block.", "nxdomain", true);
    }

    /** Keeps every byte written and the size of each write call. */
    private static class RecordingStream extends OutputStream {

        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final List<Integer> writes = new ArrayList<>();

        @Override
        public synchronized void write(int b) {
            bytes.write(b);
            writes.add(1);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) throws IOException {
            bytes.write(b, off, len);
            writes.add(len);
        }

        synchronized String text() {
            return bytes.toString(StandardCharsets.US_ASCII);
        }

        List<String> lines() {
            return text().lines().toList();
        }
    }

    /** Holds the first write until released, so lines pile up behind it. */
    private static final class BlockingStream extends RecordingStream {

        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            entered.countDown();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            super.write(b, off, len);
        }
    }

    /** Holds each write until a permit is released, so a test can stop the writer between two writes. */
    private static final class SteppingStream extends RecordingStream {

        final Semaphore entered = new Semaphore(0);
        final Semaphore permits = new Semaphore(0);

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            entered.release();
            try {
                permits.tryAcquire(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            super.write(b, off, len);
        }
    }

    /** Output stream that fails every write while {@code failing} is set, as a full disk would. */
    private static final class FailingStream extends RecordingStream {

        volatile boolean failing = true;

        @Override
        public synchronized void write(byte[] b, int off, int len) throws IOException {
            if (failing) {
                throw new IOException("No space left on device");
            }
            super.write(b, off, len);
        }
    }

    /** Fails its first write, as a full disk would. */
    private static final class FailingOnceStream extends RecordingStream {

        private boolean failed;

        @Override
        public synchronized void write(byte[] b, int off, int len) throws IOException {
            if (!failed) {
                failed = true;
                throw new IOException("No space left on device");
            }
            super.write(b, off, len);
        }
    }
}
