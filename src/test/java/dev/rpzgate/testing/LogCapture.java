package dev.rpzgate.testing;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.jboss.logmanager.ExtLogRecord;

/** Collects the formatted messages that one logger category writes while the capture is open. */
public final class LogCapture extends Handler implements AutoCloseable {

    private final Logger logger;
    private final List<String> lines = new CopyOnWriteArrayList<>();

    private LogCapture(String category) {
        this.logger = Logger.getLogger(category);
    }

    /** Starts collecting the messages of {@code category}, such as a class name. */
    public static LogCapture start(String category) {
        LogCapture capture = new LogCapture(category);
        capture.logger.addHandler(capture);
        return capture;
    }

    /** Returns a copy of the messages collected so far. */
    public List<String> lines() {
        return List.copyOf(lines);
    }

    @Override
    public void publish(LogRecord record) {
        // JBoss Logging's infof() leaves the printf pattern in getMessage().
        lines.add(record instanceof ExtLogRecord ext ? ext.getFormattedMessage() : record.getMessage());
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        logger.removeHandler(this);
    }
}
