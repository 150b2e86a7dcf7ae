package dev.rpzgate.source.transfer;

import dev.rpzgate.source.transfer.TransferFailedException.Kind;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.TSIGRecord;
import org.xbill.DNS.Type;

/**
 * Asks one primary for the SOA record of a zone over UDP, and again over TCP when the response is
 * truncated. With a TSIG key the query is signed and the response must carry a valid signature.
 *
 * <p>The query is sent here rather than through dnsjava's {@code SimpleResolver}, because that
 * resolver only logs a failed TSIG verification and hides the error code.
 */
final class SoaQuery {

    private static final int MAX_UDP_RESPONSE = 65535;

    private SoaQuery() {}

    /**
     * Returns the SOA record that {@code primary} serves for {@code zone}. Runs on the calling
     * thread and blocks for at most twice {@code timeout}: once over UDP, once over TCP.
     *
     * @param key key that signs the query and verifies the response, or null
     * @throws TransferFailedException naming the zone and primary when there is no valid,
     *     authoritative response with the SOA record
     */
    static SOARecord query(Name zone, InetSocketAddress primary, TsigKey key, Duration timeout)
            throws TransferFailedException {
        TSIG tsig = key == null ? null : key.toTsig();
        Message query = Message.newQuery(Record.newRecord(zone, Type.SOA, DClass.IN));
        // A primary serves the zone itself, so the query leaves RD clear.
        query.getHeader().unsetFlag(Flags.RD);
        if (tsig != null) {
            tsig.apply(query, null);
        }
        byte[] wire = query.toWire();
        TSIGRecord requestTsig = query.getTSIG();

        byte[] answerWire = exchangeUdp(zone, primary, query, wire, timeout);
        Message answer = parse(zone, primary, answerWire);
        if (answer.getHeader().getFlag(Flags.TC)) {
            answerWire = exchangeTcp(zone, primary, wire, timeout);
            answer = parse(zone, primary, answerWire);
        }
        return check(zone, primary, query, answer, answerWire, key, tsig, requestTsig);
    }

    private static byte[] exchangeUdp(Name zone, InetSocketAddress primary, Message query, byte[] wire,
                                      Duration timeout) throws TransferFailedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (DatagramSocket socket = new DatagramSocket()) {
            // connect() makes the kernel drop datagrams from any other address or port.
            socket.connect(primary);
            socket.send(new DatagramPacket(wire, wire.length));
            DatagramPacket packet = new DatagramPacket(new byte[MAX_UDP_RESPONSE], MAX_UDP_RESPONSE);
            while (true) {
                long remainingMillis = (deadline - System.nanoTime()) / 1_000_000;
                if (remainingMillis <= 0) {
                    throw new SocketTimeoutException();
                }
                socket.setSoTimeout((int) Math.min(remainingMillis, Integer.MAX_VALUE));
                socket.receive(packet);
                byte[] answer = new byte[packet.getLength()];
                System.arraycopy(packet.getData(), packet.getOffset(), answer, 0, answer.length);
                // A datagram with another ID is a late response to an earlier query, so keep waiting.
                if (answer.length >= 2 && ((answer[0] & 0xFF) << 8 | (answer[1] & 0xFF)) == query.getHeader().getID()) {
                    return answer;
                }
            }
        } catch (SocketTimeoutException e) {
            throw new TransferFailedException(Kind.TIMEOUT, "SOA query for zone " + zone + " to " + Formats.address(primary)
                    + " timed out after " + Formats.duration(timeout) + " over UDP", e);
        } catch (IOException e) {
            throw new TransferFailedException(Kind.NETWORK, "SOA query for zone " + zone + " to " + Formats.address(primary)
                    + " failed over UDP: " + describe(e), e);
        }
    }

    private static byte[] exchangeTcp(Name zone, InetSocketAddress primary, byte[] wire, Duration timeout)
            throws TransferFailedException {
        int timeoutMillis = (int) Math.min(timeout.toMillis(), Integer.MAX_VALUE);
        try (Socket socket = new Socket()) {
            socket.connect(primary, timeoutMillis);
            socket.setSoTimeout(timeoutMillis);
            DataOutputStream out = new DataOutputStream(socket.getOutputStream());
            out.writeShort(wire.length);
            out.write(wire);
            out.flush();
            DataInputStream in = new DataInputStream(socket.getInputStream());
            byte[] answer = new byte[in.readUnsignedShort()];
            in.readFully(answer);
            return answer;
        } catch (SocketTimeoutException e) {
            throw new TransferFailedException(Kind.TIMEOUT, "SOA query for zone " + zone + " to " + Formats.address(primary)
                    + " timed out after " + Formats.duration(timeout) + " over TCP", e);
        } catch (IOException e) {
            throw new TransferFailedException(Kind.NETWORK, "SOA query for zone " + zone + " to " + Formats.address(primary)
                    + " failed over TCP: " + describe(e), e);
        }
    }

    private static Message parse(Name zone, InetSocketAddress primary, byte[] wire) throws TransferFailedException {
        try {
            return new Message(wire);
        } catch (IOException e) {
            throw new TransferFailedException(Kind.PROTOCOL, "SOA response for zone " + zone + " from " + Formats.address(primary)
                    + " is not a valid DNS message: " + describe(e), e);
        }
    }

    private static SOARecord check(Name zone, InetSocketAddress primary, Message query, Message answer,
                                   byte[] answerWire, TsigKey key, TSIG tsig, TSIGRecord requestTsig)
            throws TransferFailedException {
        String subject = "SOA response for zone " + zone + " from " + Formats.address(primary);
        if (answer.getHeader().getID() != query.getHeader().getID() || !answer.getHeader().getFlag(Flags.QR)) {
            throw new TransferFailedException(Kind.PROTOCOL, subject + " does not match the query");
        }
        Record question = answer.getQuestion();
        if (question == null || !question.getName().equals(zone) || question.getType() != Type.SOA
                || question.getDClass() != DClass.IN) {
            throw new TransferFailedException(Kind.PROTOCOL, subject + " has another question: " + question);
        }

        int rcode = answer.getRcode();
        TSIGRecord answerTsig = answer.getTSIG();
        if (tsig != null) {
            if (rcode == Rcode.NOTAUTH || (answerTsig != null && answerTsig.getError() != Rcode.NOERROR)) {
                String tsigError = answerTsig == null ? "none" : Rcode.TSIGstring(answerTsig.getError());
                throw new TransferFailedException(Kind.TSIG, subject + " rejects TSIG key " + key.name()
                        + ": rcode " + Rcode.string(rcode) + ", TSIG error " + tsigError
                        + "; check the key name, algorithm and secret on both sides");
            }
            if (answerTsig == null) {
                throw new TransferFailedException(Kind.TSIG, subject + " is unsigned, but TSIG key " + key.name()
                        + " is configured; the primary may not know the key");
            }
            int verified = tsig.verify(answer, answerWire, requestTsig);
            if (verified != Rcode.NOERROR) {
                throw new TransferFailedException(Kind.TSIG, subject + " failed TSIG verification with key "
                        + key.name() + ": " + Rcode.TSIGstring(verified));
            }
        }
        if (rcode != Rcode.NOERROR) {
            throw new TransferFailedException(Kind.REJECTED, subject + " has rcode " + Rcode.string(rcode)
                    + "; the primary may not serve the zone");
        }
        if (!answer.getHeader().getFlag(Flags.AA)) {
            throw new TransferFailedException(Kind.PROTOCOL, subject + " is not authoritative;"
                    + " the server is not a primary of the zone");
        }
        for (Record record : answer.getSection(Section.ANSWER)) {
            if (record instanceof SOARecord soa && soa.getName().equals(zone)) {
                return soa;
            }
        }
        throw new TransferFailedException(Kind.PROTOCOL, subject + " has no SOA record for the zone");
    }

    private static String describe(Exception e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + e.getMessage();
    }
}
