package dev.rpzgate.upstream;

import io.vertx.core.Future;

/** Sends attempts to upstreams over one protocol; an instance belongs to one event loop. */
interface UpstreamTransport {

    /** Opens what the transport needs before the first query. */
    Future<Void> start();

    /** Sends the attempt; the outcome comes through the {@link Attempt.Listener}. */
    void send(Attempt attempt);

    /** Forgets an attempt that timed out, freeing its ID or cancelling its request. */
    void abandon(Attempt attempt);

    /** Closes sockets and connections; attempts still pending end by their timers. */
    Future<Void> close();
}
