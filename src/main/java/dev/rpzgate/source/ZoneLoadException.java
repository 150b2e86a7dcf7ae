package dev.rpzgate.source;

import java.nio.file.Path;

/**
 * A policy zone that could not be read or parsed. The message names the file or URL and, for parse
 * errors, the line, for example
 * {@code policy zone file /etc/rpz/bad.zone line 17: Invalid type 'CNAMEX'}.
 */
public class ZoneLoadException extends Exception {

    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final int line;

    /**
     * Creates an exception for {@code file}.
     *
     * @param line line of the error, or 0 when the error concerns the whole file
     */
    public ZoneLoadException(String message, Path file, int line, Throwable cause) {
        super(message, cause);
        this.file = file;
        this.line = line;
    }

    /**
     * Returns the file with the error, which is the included file for an error inside one, or
     * null when the zone was not read from a local file.
     */
    public Path file() {
        return file;
    }

    /** Returns the line of the error, or 0 when the error concerns the whole file. */
    public int line() {
        return line;
    }
}
