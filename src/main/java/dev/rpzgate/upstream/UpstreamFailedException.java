package dev.rpzgate.upstream;

/** No upstream gave a usable answer to a query in time; the client gets SERVFAIL. */
public class UpstreamFailedException extends Exception {

    public UpstreamFailedException(String message) {
        super(message, null, false, false);
    }
}
