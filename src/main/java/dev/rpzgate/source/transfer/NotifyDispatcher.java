package dev.rpzgate.source.transfer;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jboss.logging.Logger;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;

/**
 * Routes NOTIFY messages that the DNS server receives to the {@link ZoneTransferSource} of the
 * zone they name. Thread-safe and free of I/O, so an event loop may call it.
 */
public final class NotifyDispatcher {

    private static final Logger LOG = Logger.getLogger(NotifyDispatcher.class);

    private final Map<Name, ZoneTransferSource> sources = new HashMap<>();

    /**
     * Creates a dispatcher for {@code zoneSources}.
     *
     * @throws IllegalArgumentException if two sources have the same zone
     */
    public NotifyDispatcher(List<ZoneTransferSource> zoneSources) {
        for (ZoneTransferSource source : zoneSources) {
            ZoneTransferSource previous = sources.putIfAbsent(source.origin(), source);
            if (previous != null) {
                throw new IllegalArgumentException("two zone transfer sources for zone " + source.origin());
            }
        }
    }

    /**
     * Builds the response to a message with opcode NOTIFY. {@link ZoneTransferSource#handleNotify}
     * of the zone in its question builds it, or the rcode is REFUSED when no source has that zone
     * and FORMERR when the message has no question. Send the response as returned, because with
     * TSIG it already carries its signature.
     *
     * @param wire the message as received, which TSIG verification needs
     */
    public Message handleNotify(Message notify, byte[] wire, InetAddress source) {
        Record question = notify.getQuestion();
        if (question == null) {
            LOG.debugf("NOTIFY from %s rejected with FORMERR because it has no question", source.getHostAddress());
            return NotifyResponder.response(notify, Rcode.FORMERR);
        }
        ZoneTransferSource zoneSource = sources.get(question.getName());
        if (zoneSource == null) {
            LOG.debugf("NOTIFY from %s for zone %s rejected with REFUSED because no zone transfer source has that zone",
                    source.getHostAddress(), question.getName());
            return NotifyResponder.response(notify, Rcode.REFUSED);
        }
        return zoneSource.handleNotify(notify, wire, source);
    }
}
