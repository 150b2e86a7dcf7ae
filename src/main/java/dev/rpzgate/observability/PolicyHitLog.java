package dev.rpzgate.observability;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import org.jboss.logging.Logger;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * Policy-hit log: one JSON line per query that matched a rule, on standard output or in a file, so
 * a security team can ship, search and alert on policy hits apart from the service log.
 *
 * <p>The log has its own writer instead of a JBoss LogManager handler. Through the console handler,
 * each line cost a log record, a formatter pass, a lock and a write system call. In the dnsperf
 * benchmark on a 2-core machine, that capped blocked names near 58,000 queries a second, and the
 * event loops waited whenever the handler's queue was full. Here an event loop encodes the line as
 * bytes and hands it to a lock-free queue. One writer thread drains the queue and writes many lines
 * per system call. When the queue is full, the line is dropped and counted instead of stalling the
 * event loop.
 */
public final class PolicyHitLog implements AutoCloseable {

    /**
     * Largest write to standard output. Writes of up to PIPE_BUF (4096 bytes on Linux) to a pipe are
     * atomic, so the service log, which shares standard output, never lands inside a hit line.
     */
    static final int STDOUT_BATCH = 4096;
    private static final int FILE_BATCH = 64 * 1024;
    private static final long POLL_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final int POLLS_BEFORE_PARKING = 100;
    private static final long DROP_WARNING_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final DateTimeFormatter SECOND = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss")
            .withZone(ZoneOffset.UTC);
    private static final Logger LOG = Logger.getLogger(PolicyHitLog.class);

    private final boolean enabled;
    private final String destination;
    private final OutputStream out;
    /** Whether the writer closes {@link #out} when it stops: true for a file, false for standard output. */
    private final boolean ownsStream;
    private final int batchLimit;
    private final int capacity;
    private final Queue<byte[]> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final LongAdder offered = new LongAdder();
    private final LongAdder written = new LongAdder();
    private final LongAdder dropped = new LongAdder();
    private final AtomicBoolean writerParked = new AtomicBoolean();
    private final ThreadLocal<LineBuffer> buffers = ThreadLocal.withInitial(LineBuffer::new);
    private final Thread writer;
    private volatile boolean closing;
    /** Set once the writer has taken its last line, so that a line queued after it is counted as dropped. */
    private volatile boolean writerDone;
    // Used by the writer thread alone.
    private long lastDropWarning = System.nanoTime() - DROP_WARNING_INTERVAL_NANOS;
    private long droppedAtWarning;
    private boolean writesFailing;

    private PolicyHitLog(boolean enabled, String destination, OutputStream out, boolean ownsStream, int batchLimit,
                         int capacity) {
        this.enabled = enabled;
        this.destination = destination;
        this.out = out;
        this.ownsStream = ownsStream;
        this.batchLimit = batchLimit;
        this.capacity = capacity;
        if (enabled) {
            writer = new Thread(this::run, "rpzgate-policy-hit-log");
            writer.setDaemon(true);
            writer.start();
        } else {
            writer = null;
        }
    }

    /** Returns a log that writes to standard output, holding up to {@code capacity} lines not yet written. */
    public static PolicyHitLog toStandardOutput(int capacity) {
        return new PolicyHitLog(true, "standard output", new FileOutputStream(FileDescriptor.out),
                false, STDOUT_BATCH, capacity);
    }

    /** Returns a log that appends to {@code file}, creating it if it does not exist. */
    public static PolicyHitLog toFile(Path file, int capacity) throws IOException {
        return new PolicyHitLog(true, file.toString(), new FileOutputStream(file.toFile(), true), true,
                FILE_BATCH, capacity);
    }

    /** Returns a log that writes to {@code out} in writes of at most {@code batchLimit} bytes. */
    static PolicyHitLog toStream(OutputStream out, int batchLimit, int capacity) {
        return new PolicyHitLog(true, "the test stream", out, false, batchLimit, capacity);
    }

    /** Returns a log that writes nothing. */
    public static PolicyHitLog disabled() {
        return new PolicyHitLog(false, "nowhere", OutputStream.nullOutputStream(), false, STDOUT_BATCH, 0);
    }

    /** Returns whether hit lines are written, so a caller can skip building the fields of one. */
    public boolean enabled() {
        return enabled;
    }

    /** Registers the counters of written and dropped lines. */
    public void bindTo(MeterRegistry registry) {
        FunctionCounter.builder("rpzgate_policy_hit_log_lines", written, LongAdder::doubleValue)
                .description("Policy-hit log lines written")
                .register(registry);
        FunctionCounter.builder("rpzgate_policy_hit_log_dropped", dropped, LongAdder::doubleValue)
                .description("Policy-hit log lines dropped because the queue was full or the write failed")
                .register(registry);
    }

    /**
     * Logs one hit. {@code trigger} is the trigger type ({@code qname}, {@code client-ip}, ...)
     * and {@code rule} the owner name of the matching rule in its policy zone;
     * {@code enforced} is false for a rule that its zone's settings disable, which only logs what it
     * would have done.
     */
    public void hit(String client, String qname, String qtype, String zone, String trigger, String rule,
                    String action, boolean enforced) {
        if (!enabled) {
            return;
        }
        LineBuffer line = buffers.get();
        line.reset();
        line.ascii("{\"time\":\"");
        line.time(System.currentTimeMillis());
        line.ascii("\",");
        line.field("client", client).ascii(",");
        line.field("qname", qname).ascii(",");
        line.field("qtype", qtype).ascii(",");
        line.field("zone", zone).ascii(",");
        line.field("trigger", trigger).ascii(",");
        line.field("rule", rule).ascii(",");
        line.field("action", action);
        if (!enforced) {
            line.ascii(",\"disabled\":true");
        }
        line.ascii("}\n");
        enqueue(line.copy());
    }

    private void enqueue(byte[] line) {
        offered.increment();
        if (closing) {
            dropLine();
            return;
        }
        if (queued.incrementAndGet() > capacity) {
            queued.decrementAndGet();
            dropLine();
            return;
        }
        queue.offer(line);
        if (writerDone) {
            // The writer may have exited between the closing check and the offer. Either this thread
            // or the writer's last sweep takes the line back, so it is counted as dropped once.
            if (queue.remove(line)) {
                queued.decrementAndGet();
                dropLine();
            }
            return;
        }
        if (writerParked.get() && writerParked.compareAndSet(true, false)) {
            LockSupport.unpark(writer);
        }
    }

    private void dropLine() {
        dropped.increment();
    }

    /**
     * Waits until every line logged before this call is written or dropped, for at most {@code timeout}.
     * Returns whether that happened in time. NOTE: it compares counts, so a line dropped after the
     * call can stand in for an earlier line still queued; it is exact only while nothing is dropped.
     */
    public boolean awaitWritten(long timeout, TimeUnit unit) {
        long target = offered.sum();
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        while (written.sum() + dropped.sum() < target) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        return true;
    }

    /** Writes the lines still queued, stops the writer and closes the file it wrote to. */
    @Override
    public void close() {
        if (!enabled || closing) {
            return;
        }
        closing = true;
        LockSupport.unpark(writer);
        try {
            writer.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        try {
            drain();
        } finally {
            closeStream();
        }
    }

    /**
     * Closes a file stream once the writer is done with it. Standard output stays open, because
     * the service log still writes to it.
     */
    private void closeStream() {
        if (!ownsStream) {
            return;
        }
        try {
            out.close();
        } catch (IOException e) {
            LOG.warnf("policy-hit log: closing %s failed: %s", destination, e.getMessage());
        }
    }

    private void drain() {
        byte[] batch = new byte[batchLimit];
        int length = 0;
        int inBatch = 0;
        int idlePolls = 0;
        while (true) {
            byte[] line = queue.poll();
            if (line != null) {
                idlePolls = 0;
                queued.decrementAndGet();
                if (length > 0 && length + line.length > batchLimit) {
                    write(batch, length, inBatch);
                    length = 0;
                    inBatch = 0;
                }
                if (line.length > batchLimit) {
                    write(line, line.length, 1);
                    continue;
                }
                System.arraycopy(line, 0, batch, length, line.length);
                length += line.length;
                inBatch++;
                continue;
            }
            if (length > 0) {
                write(batch, length, inBatch);
                length = 0;
                inBatch = 0;
            }
            warnAboutDrops();
            if (closing) {
                if (queue.isEmpty()) {
                    finish();
                    return;
                }
                continue;
            }
            // While lines keep coming, the writer naps and collects them, because waking it for each
            // line would cost the event loop a system call per hit. After a while without lines it
            // parks until a producer unparks it, so an idle log costs no wake-ups. The queue is checked
            // again after the flag is set, so a line offered in between is not missed.
            if (++idlePolls < POLLS_BEFORE_PARKING) {
                LockSupport.parkNanos(POLL_INTERVAL_NANOS);
                continue;
            }
            writerParked.set(true);
            if (queue.isEmpty()) {
                LockSupport.parkNanos(DROP_WARNING_INTERVAL_NANOS);
            }
            writerParked.set(false);
            idlePolls = 0;
        }
    }

    /** Marks the writer done, then drops what producers queued after its last look at the queue. */
    private void finish() {
        writerDone = true;
        while (queue.poll() != null) {
            queued.decrementAndGet();
            dropLine();
        }
        warnAboutDrops();
    }

    private void write(byte[] batch, int length, int lines) {
        try {
            out.write(batch, 0, length);
            out.flush();
            written.add(lines);
            if (writesFailing) {
                writesFailing = false;
                LOG.infof("policy-hit log: writing to %s works again", destination);
            }
        } catch (IOException e) {
            dropped.add(lines);
            // Logged once per run of failures, because a full disk fails every batch; the drop
            // warning and rpzgate_policy_hit_log_dropped count the lines lost meanwhile.
            if (!writesFailing) {
                writesFailing = true;
                LOG.warnf("policy-hit log: writing %d lines to %s failed: %s; the next lines are tried again"
                        + " and counted as dropped until a write succeeds", lines, destination, e.getMessage());
            }
        }
        // Checked after every write, not only when the queue runs empty, because under the sustained
        // load that makes lines drop the queue never runs empty.
        warnAboutDrops();
    }

    /** Logs the lines dropped since the last warning, at most once per {@link #DROP_WARNING_INTERVAL_NANOS}. */
    private void warnAboutDrops() {
        long droppedNow = dropped.sum();
        if (droppedNow == droppedAtWarning || System.nanoTime() - lastDropWarning < DROP_WARNING_INTERVAL_NANOS) {
            return;
        }
        LOG.warnf("policy-hit log: %d lines dropped since the last warning (%d in all), because %s did "
                + "not keep up or the queue of %d lines was full; the hits are still counted in "
                + "rpzgate_policy_hits_total", droppedNow - droppedAtWarning, droppedNow, destination, capacity);
        droppedAtWarning = droppedNow;
        lastDropWarning = System.nanoTime();
    }

    /**
     * Bytes of one line, reused by its thread. Every field is ASCII: names are in presentation format,
     * where dnsjava escapes other bytes, and anything else is written as a JSON escape.
     */
    private static final class LineBuffer {

        private byte[] bytes = new byte[512];
        private int length;
        private long second = Long.MIN_VALUE;
        private final byte[] secondText = new byte[19];

        void reset() {
            length = 0;
        }

        byte[] copy() {
            return Arrays.copyOf(bytes, length);
        }

        LineBuffer ascii(String text) {
            for (int i = 0; i < text.length(); i++) {
                put((byte) text.charAt(i));
            }
            return this;
        }

        /** Writes {@code millis} as an ISO-8601 UTC time with milliseconds, formatting the date once a second. */
        void time(long millis) {
            long now = Math.floorDiv(millis, 1000L);
            if (now != second) {
                String text = SECOND.format(Instant.ofEpochSecond(now));
                for (int i = 0; i < secondText.length; i++) {
                    secondText[i] = (byte) text.charAt(i);
                }
                second = now;
            }
            for (byte b : secondText) {
                put(b);
            }
            int milli = (int) Math.floorMod(millis, 1000L);
            put((byte) '.');
            put((byte) ('0' + milli / 100));
            put((byte) ('0' + milli / 10 % 10));
            put((byte) ('0' + milli % 10));
            put((byte) 'Z');
        }

        LineBuffer field(String name, String value) {
            put((byte) '"');
            ascii(name);
            ascii("\":\"");
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                if (c == '"' || c == '\\') {
                    put((byte) '\\');
                    put((byte) c);
                } else if (c < 0x20 || c > 0x7e) {
                    ascii("\\u");
                    hex(c >> 12);
                    hex(c >> 8);
                    hex(c >> 4);
                    hex(c);
                } else {
                    put((byte) c);
                }
            }
            put((byte) '"');
            return this;
        }

        private void hex(int nibble) {
            put((byte) "0123456789abcdef".charAt(nibble & 0xf));
        }

        private void put(byte b) {
            if (length == bytes.length) {
                bytes = Arrays.copyOf(bytes, bytes.length * 2);
            }
            bytes[length++] = b;
        }
    }
}
