package dev.rpzgate.testing;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Collects the lines written to the policy-hit log category while it is open, so a test can
 * assert them. The handler sits on the category's logger, so it sees each line as it is logged,
 * before the asynchronous console handler.
 */
public final class HitLogCapture extends Handler implements AutoCloseable {

    private final Logger logger = Logger.getLogger("rpzgate.policy.hit");
    private final List<String> lines = new CopyOnWriteArrayList<>();

    /** Starts collecting. */
    public static HitLogCapture start() {
        HitLogCapture capture = new HitLogCapture();
        capture.logger.addHandler(capture);
        return capture;
    }

    /** Returns the lines collected so far. */
    public List<String> lines() {
        return lines;
    }

    @Override
    public void publish(LogRecord record) {
        lines.add(record.getMessage());
    }

    @Override
    public void flush() {
    }

    /** Stops collecting; the lines stay readable. */
    @Override
    public void close() {
        logger.removeHandler(this);
    }
}
