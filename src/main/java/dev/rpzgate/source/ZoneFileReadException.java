package dev.rpzgate.source;

import java.io.IOException;

/**
 * Failure to read the zone file itself, as opposed to a parse error that dnsjava reports as an
 * {@link IOException} too.
 */
final class ZoneFileReadException extends IOException {

    private static final long serialVersionUID = 1L;

    ZoneFileReadException(IOException cause) {
        super(cause.getMessage(), cause);
    }
}
