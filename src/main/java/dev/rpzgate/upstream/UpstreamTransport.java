package dev.rpzgate.upstream;

import io.vertx.core.Future;

/** Sends attempts to upstreams over one protocol; an instance belongs to one event loop. */
interface UpstreamTransport {

    /** Opens what the transport needs before the first query. */
    Future<Void> start();

    /**
     * Opens the connection to {@code upstream} ahead of the first query, so that the first query
     * does not pay for the TLS handshake, which in a cold JVM took longer than the default timeout
     * per try. Sends no query; a failure is left for the first query to meet.
     */
    default void warmUp(Upstream upstream) {
    }

    /** Sends the attempt; the outcome comes through the {@link Attempt.Listener}. */
    void send(Attempt attempt);

    /** Forgets an attempt that timed out, freeing its ID or cancelling its request. */
    void abandon(Attempt attempt);

    /** Closes sockets and connections; attempts still pending end by their timers. */
    Future<Void> close();
}
