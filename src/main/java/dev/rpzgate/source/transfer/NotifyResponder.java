package dev.rpzgate.source.transfer;

import java.net.InetAddress;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.TSIGRecord;
import org.xbill.DNS.Type;

/**
 * Checks NOTIFY messages (RFC 1996) for one zone and builds the responses. The caller starts the
 * SOA check when {@link #respond} accepts. Thread-safe and cheap enough for an event loop, because
 * it does no I/O and the TSIG check is one HMAC over the message.
 */
final class NotifyResponder {

    private static final Logger LOG = Logger.getLogger(NotifyResponder.class);

    /** Minimum time between two warnings about rejected NOTIFY messages; the rest go to debug. */
    private static final long REJECT_WARNING_INTERVAL_NANOS = 60_000_000_000L;

    /** The response, and whether the NOTIFY was accepted. */
    record Outcome(Message response, boolean accepted) {}

    private final Name origin;
    private final Set<InetAddress> allowedSources;
    private final TsigKey key;
    private final TSIG tsig;
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();
    private final AtomicLong rejectedSinceWarning = new AtomicLong();
    private final AtomicLong lastWarningNanos = new AtomicLong(System.nanoTime() - REJECT_WARNING_INTERVAL_NANOS);

    /** @param key key that NOTIFY messages must be signed with, or null to accept only unsigned ones */
    NotifyResponder(Name origin, Set<InetAddress> allowedSources, TsigKey key) {
        this.origin = origin;
        this.allowedSources = Set.copyOf(allowedSources);
        this.key = key;
        this.tsig = key == null ? null : key.toTsig();
    }

    long acceptedCount() {
        return accepted.get();
    }

    long rejectedCount() {
        return rejected.get();
    }

    /**
     * Checks one NOTIFY and builds the response. The rcode is NOERROR, with AA set, when the NOTIFY
     * is for our zone, comes from an allowed address and, with a TSIG key configured, is signed
     * with that key. Otherwise it is REFUSED for another zone or another address, NOTAUTH for a
     * missing or failed signature, and FORMERR for a message that is not a NOTIFY with one
     * question.
     *
     * @param wire the message as received, which TSIG verification needs
     */
    Outcome respond(Message notify, byte[] wire, InetAddress source) {
        Message response = response(notify, Rcode.NOERROR);
        Record question = notify.getQuestion();

        if (notify.getHeader().getOpcode() != Opcode.NOTIFY || notify.getHeader().getFlag(Flags.QR)
                || question == null || notify.getHeader().getCount(Section.QUESTION) != 1) {
            return reject(response, Rcode.FORMERR, source, "it is not a NOTIFY request with one question");
        }
        if (!question.getName().equals(origin) || question.getDClass() != DClass.IN) {
            return reject(response, Rcode.REFUSED, source, "it names zone " + question.getName()
                    + " class " + DClass.string(question.getDClass()) + ", not " + origin + " IN");
        }
        if (!allowedSources.contains(ZoneTransferConfig.normalize(source))) {
            return reject(response, Rcode.REFUSED, source, "the address is not an allowed NOTIFY source "
                    + allowedSources);
        }

        TSIGRecord requestTsig = notify.getTSIG();
        if (tsig == null && requestTsig != null) {
            return reject(response, Rcode.NOTAUTH, source, "it is signed with TSIG key " + requestTsig.getName()
                    + ", but the zone has no TSIG key configured");
        }
        if (tsig != null) {
            if (requestTsig == null) {
                return reject(response, Rcode.NOTAUTH, source, "it is unsigned, but TSIG key " + key.name()
                        + " is configured");
            }
            int error = tsig.verify(notify, wire, null);
            if (error != Rcode.NOERROR) {
                // RFC 8945 section 5.3.2: BADSIG and BADTIME responses carry a TSIG record with the
                // error. A BADKEY response has none here, because our key is not the one they used.
                if (error == Rcode.BADSIG || error == Rcode.BADTIME) {
                    tsig.apply(response, error, requestTsig);
                }
                return reject(response, Rcode.NOTAUTH, source, "TSIG verification with key " + key.name()
                        + " failed: " + Rcode.TSIGstring(error));
            }
        }

        response.getHeader().setFlag(Flags.AA);
        response.getHeader().setRcode(Rcode.NOERROR);
        if (tsig != null) {
            tsig.apply(response, requestTsig);
        }
        accepted.incrementAndGet();
        LOG.infof("zone %s: NOTIFY from %s accepted%s; checking the primary's SOA serial now",
                origin, source.getHostAddress(), announcedSerial(notify));
        return new Outcome(response, true);
    }

    /** Returns a response to {@code notify} with its ID and question, opcode NOTIFY and {@code rcode}. */
    static Message response(Message notify, int rcode) {
        Message response = new Message(notify.getHeader().getID());
        response.getHeader().setOpcode(Opcode.NOTIFY);
        response.getHeader().setFlag(Flags.QR);
        response.getHeader().setRcode(rcode);
        Record question = notify.getQuestion();
        if (question != null) {
            response.addRecord(question, Section.QUESTION);
        }
        return response;
    }

    private Outcome reject(Message response, int rcode, InetAddress source, String reason) {
        response.getHeader().setRcode(rcode);
        rejected.incrementAndGet();
        long suppressed = rejectedSinceWarning.incrementAndGet();
        long now = System.nanoTime();
        long last = lastWarningNanos.get();
        if (now - last >= REJECT_WARNING_INTERVAL_NANOS && lastWarningNanos.compareAndSet(last, now)) {
            rejectedSinceWarning.set(0);
            String others = suppressed > 1 ? " (" + (suppressed - 1) + " more rejected since the last warning)" : "";
            LOG.warnf("zone %s: NOTIFY from %s rejected with %s because %s%s", origin, source.getHostAddress(),
                    Rcode.string(rcode), reason, others);
        } else {
            LOG.debugf("zone %s: NOTIFY from %s rejected with %s because %s", origin, source.getHostAddress(),
                    Rcode.string(rcode), reason);
        }
        return new Outcome(response, false);
    }

    /** Returns ", serial N" when the NOTIFY carries the new SOA (RFC 1996 section 3.7), else "". */
    private String announcedSerial(Message notify) {
        for (Record record : notify.getSection(Section.ANSWER)) {
            if (record.getType() == Type.SOA && record.getName().equals(origin)) {
                return ", serial " + ((SOARecord) record).getSerial();
            }
        }
        return "";
    }
}
