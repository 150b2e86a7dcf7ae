package dev.rpzgate.source.transfer;

import dev.rpzgate.source.transfer.TransferFailedException.Kind;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.WireParseException;
import org.xbill.DNS.ZoneTransferException;
import org.xbill.DNS.ZoneTransferIn;

/**
 * Runs one AXFR or IXFR with dnsjava's {@link ZoneTransferIn} on the calling thread and enforces
 * {@link TransferLimits} while the records arrive. {@code ZoneTransferIn} verifies the TSIG
 * signature of every message that carries one and requires it on the first and last message and
 * at least every 100 messages (RFC 8945 section 5.3.1).
 */
final class TransferClient {

    /** Records of one transfer, as the primary sent them. */
    record Result(
            TransferType type,
            List<Record> records,
            List<ZoneDelta> deltas,
            SOARecord endSoa,
            boolean upToDate,
            long recordCount,
            long bytes) {}

    private TransferClient() {}

    /**
     * Transfers {@code zone} from {@code primary}.
     *
     * @param fromSerial serial of the zone we have, for an IXFR, or -1 for an AXFR
     * @param key key that signs the request and verifies the response, or null
     * @throws TransferFailedException naming the zone, the primary and the cause
     */
    static Result transfer(Name zone, InetSocketAddress primary, long fromSerial, TsigKey key, TransferLimits limits)
            throws TransferFailedException {
        TSIG tsig = key == null ? null : key.toTsig();
        String request = fromSerial < 0 ? "AXFR" : "IXFR from serial " + fromSerial;
        String operation = request + " of zone " + zone + " from " + Formats.address(primary);
        ZoneTransferIn transfer = fromSerial < 0
                ? ZoneTransferIn.newAXFR(zone, primary, tsig)
                // With fallback, a primary that responds NOTIMP or with an empty answer section gets
                // an AXFR request on the same connection.
                : ZoneTransferIn.newIXFR(zone, fromSerial, true, primary, tsig);
        // ZoneTransferIn applies this timeout to the whole transfer, from connecting to the last message.
        transfer.setTimeout(limits.timeout());
        Collector collector = new Collector(limits);
        try {
            transfer.run(collector);
        } catch (LimitException e) {
            throw new TransferFailedException(e.timeout ? Kind.TIMEOUT : Kind.LIMIT, operation + " aborted: "
                    + e.getMessage(), e);
        } catch (ZoneTransferException e) {
            throw classify(operation, e, key);
        } catch (SocketTimeoutException e) {
            throw new TransferFailedException(Kind.TIMEOUT, operation + " timed out after "
                    + Formats.duration(limits.timeout()) + ", the transfer time limit", e);
        } catch (WireParseException e) {
            throw new TransferFailedException(Kind.PROTOCOL, operation + " failed: invalid message: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new TransferFailedException(Kind.NETWORK, operation + " failed: " + describe(e), e);
        } catch (RuntimeException e) {
            // dnsjava 3.6 throws IndexOutOfBoundsException for a NOERROR response with an empty answer
            // section when it has a key, and ClassCastException when another type is where an SOA
            // record must be.
            throw new TransferFailedException(Kind.PROTOCOL, operation + " failed: malformed response: " + describe(e), e);
        }
        return collector.result();
    }

    private static TransferFailedException classify(String operation, ZoneTransferException e, TsigKey key) {
        String message = e.getMessage() == null ? "" : e.getMessage();
        // ZoneTransferIn verifies signatures only when it has a key, so key is set here.
        if (message.startsWith("TSIG failure") && key != null) {
            return new TransferFailedException(Kind.TSIG, operation + " failed: " + message
                    + "; the response is unsigned or does not verify with key " + key.name(), e);
        }
        if (message.equals("NOTAUTH") && key != null) {
            return new TransferFailedException(Kind.TSIG, operation + " failed: the primary responded NOTAUTH to key "
                    + key.name() + "; check the key name, algorithm and secret on both sides", e);
        }
        if (message.equals("NOTAUTH") || message.equals("REFUSED") || message.equals("SERVFAIL")
                || message.equals("NOTIMP") || message.equals("FORMERR") || message.equals("NXDOMAIN")) {
            return new TransferFailedException(Kind.REJECTED, operation + " failed: the primary responded " + message, e);
        }
        return new TransferFailedException(Kind.PROTOCOL, operation + " failed: " + message, e);
    }

    private static String describe(Exception e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    /** A limit passed while records arrive; ZoneTransferIn passes it through run(). */
    private static final class LimitException extends ZoneTransferException {
        private static final long serialVersionUID = 1L;
        final boolean timeout;

        LimitException(String message, boolean timeout) {
            super(message);
            this.timeout = timeout;
        }
    }

    /** Collects the records of one transfer and counts them against the limits. */
    private static final class Collector implements ZoneTransferIn.ZoneTransferHandler {
        private final TransferLimits limits;
        private final long deadline;
        private List<Record> records;
        private List<DeltaBuilder> deltas;
        private SOARecord endSoa;
        private long recordCount;
        private long bytes;

        Collector(TransferLimits limits) {
            this.limits = limits;
            this.deadline = System.nanoTime() + limits.timeout().toNanos();
        }

        @Override
        public void startAXFR() {
            records = new ArrayList<>();
        }

        @Override
        public void startIXFR() {
            deltas = new ArrayList<>();
        }

        @Override
        public void startIXFRDeletes(Record soa) throws ZoneTransferException {
            count(soa);
            deltas.add(new DeltaBuilder(((SOARecord) soa).getSerial()));
        }

        @Override
        public void startIXFRAdds(Record soa) throws ZoneTransferException {
            count(soa);
            DeltaBuilder delta = deltas.get(deltas.size() - 1);
            delta.toSerial = ((SOARecord) soa).getSerial();
            delta.adding = true;
            endSoa = (SOARecord) soa;
        }

        @Override
        public void handleRecord(Record record) throws ZoneTransferException {
            count(record);
            if (deltas != null) {
                DeltaBuilder delta = deltas.get(deltas.size() - 1);
                (delta.adding ? delta.added : delta.removed).add(record);
                return;
            }
            if (records.isEmpty() && record instanceof SOARecord soa) {
                endSoa = soa;
            }
            // An AXFR ends with the SOA record again; the zone keeps the first copy only.
            if (!records.isEmpty() && record instanceof SOARecord && record.getName().equals(records.get(0).getName())) {
                return;
            }
            records.add(record);
        }

        private void count(Record record) throws ZoneTransferException {
            recordCount++;
            if (recordCount > limits.maxRecords()) {
                throw new LimitException("more than " + limits.maxRecords() + " records, the transfer record limit",
                        false);
            }
            bytes += record.toWire(Section.ANSWER).length;
            if (bytes > limits.maxBytes()) {
                throw new LimitException("more than " + limits.maxBytes() + " bytes, the transfer size limit", false);
            }
            if (System.nanoTime() - deadline > 0) {
                throw new LimitException("took longer than " + Formats.duration(limits.timeout())
                        + ", the transfer time limit", true);
            }
        }

        Result result() {
            if (records != null) {
                return new Result(TransferType.AXFR, records, List.of(), endSoa, false, recordCount, bytes);
            }
            if (deltas != null) {
                List<ZoneDelta> built = new ArrayList<>(deltas.size());
                for (DeltaBuilder delta : deltas) {
                    built.add(new ZoneDelta(delta.fromSerial, delta.toSerial, delta.removed, delta.added));
                }
                return new Result(TransferType.IXFR, List.of(), built, endSoa, false, recordCount, bytes);
            }
            // An IXFR response with the SOA record alone: our serial is current.
            return new Result(TransferType.IXFR, List.of(), List.of(), null, true, recordCount, bytes);
        }
    }

    private static final class DeltaBuilder {
        final long fromSerial;
        long toSerial;
        boolean adding;
        final List<Record> removed = new ArrayList<>();
        final List<Record> added = new ArrayList<>();

        DeltaBuilder(long fromSerial) {
            this.fromSerial = fromSerial;
        }
    }
}
