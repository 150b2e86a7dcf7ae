package dev.rpzgate.upstream;

import org.xbill.DNS.Record;

/**
 * One try of a question at one upstream, or one health probe. The resolver owns its timer and
 * finishes it exactly once; a transport reports an answer or a failure through
 * {@link Listener}, and results that arrive after the attempt finished are ignored.
 */
final class Attempt {

    /** Receives what a transport learned about an attempt; called on the attempt's event loop. */
    interface Listener {
        void onAnswer(Attempt attempt, org.xbill.DNS.Message answer);

        void onFailure(Attempt attempt, String cause);
    }

    final UpstreamResolver.Exchange exchange;
    final UpstreamGroup group;
    final int index;
    final Upstream upstream;
    final Record question;
    /** The query with ID 0; transports that need another ID write it into a copy. */
    final byte[] wire;
    final long startNanos;
    long timer = -1;
    boolean finished;
    /** The ID the query went out with. */
    int id;
    /** Whatever the transport needs to abandon the attempt: its socket, connection or request. */
    Object transportState;
    /** Whether a connection closed under this attempt once already, so it was sent again. */
    boolean resentAfterClose;

    Attempt(UpstreamResolver.Exchange exchange, UpstreamGroup group, int index, Record question, byte[] wire,
            long startNanos) {
        this.exchange = exchange;
        this.group = group;
        this.index = index;
        this.upstream = group.upstream(index);
        this.question = question;
        this.wire = wire;
        this.startNanos = startNanos;
    }

    boolean isProbe() {
        return exchange == null;
    }
}
