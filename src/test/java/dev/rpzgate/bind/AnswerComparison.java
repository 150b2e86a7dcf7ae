package dev.rpzgate.bind;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;

import org.xbill.DNS.DClass;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;

/**
 * Asks rpzgate and BIND the question of a {@link Scenario} and compares their answers with
 * {@link AnswerDiff}.
 *
 * <p>Both queries leave before either answer is read, and both reads share one deadline, so a
 * scenario where neither server answers (a DROP rule) costs one receive timeout, not two. The
 * client socket is bound to the scenario's source address, so rules that trigger on the client
 * address see that address.
 */
public final class AnswerComparison {

    /** UDP payload size that the queries advertise, as dig does by default. */
    static final int QUERY_UDP_PAYLOAD = 1232;

    private final InetSocketAddress rpzgate;
    private final InetSocketAddress bind;
    private final AnswerDiff diff;
    private final Duration timeout;

    /**
     * @param rpzgate address of rpzgate's DNS listener
     * @param bind address of named
     * @param diff the comparison rules
     * @param timeout how long to wait for the answers. A server that sends none within it counts
     *     as not answering.
     */
    public AnswerComparison(InetSocketAddress rpzgate, InetSocketAddress bind, AnswerDiff diff, Duration timeout) {
        this.rpzgate = rpzgate;
        this.bind = bind;
        this.diff = diff;
        this.timeout = timeout;
    }

    /** Both outcomes of one scenario and their differences. */
    public record Result(Scenario scenario, AnswerDiff.Outcome bind, AnswerDiff.Outcome rpzgate, List<String> differences) {

        /** Returns the differences followed by both answers, for an assertion message. */
        public String report() {
            StringBuilder report = new StringBuilder();
            report.append("scenario (line ").append(scenario.line()).append("): ").append(scenario).append('\n');
            if (differences.isEmpty()) {
                report.append("no differences\n");
            } else {
                report.append("differences, as known-differences.txt would list them:\n");
                report.append('[').append(scenario.key()).append("]\n");
                differences.forEach(line -> report.append(line).append('\n'));
            }
            report.append("\n--- BIND answered:\n").append(bind).append('\n');
            report.append("\n--- rpzgate answered:\n").append(rpzgate).append('\n');
            return report.toString();
        }
    }

    /** Sends the scenario's query to both servers and compares what comes back. */
    public Result compare(Scenario scenario) throws IOException {
        Message query = buildQuery(scenario);
        byte[] wire = query.toWire();
        int id = query.getHeader().getID();
        long deadline = System.nanoTime() + timeout.toNanos();

        AnswerDiff.Outcome bindOutcome;
        AnswerDiff.Outcome rpzgateOutcome;
        if (scenario.tcp()) {
            try (Socket toBind = openTcp(scenario.source(), bind);
                    Socket toRpzgate = openTcp(scenario.source(), rpzgate)) {
                writeFrame(toBind, wire);
                writeFrame(toRpzgate, wire);
                bindOutcome = readTcp(toBind, id, deadline);
                rpzgateOutcome = readTcp(toRpzgate, id, deadline);
            }
        } else {
            try (DatagramSocket toBind = openUdp(scenario.source());
                    DatagramSocket toRpzgate = openUdp(scenario.source())) {
                toBind.send(new DatagramPacket(wire, wire.length, bind));
                toRpzgate.send(new DatagramPacket(wire, wire.length, rpzgate));
                bindOutcome = readUdp(toBind, id, deadline);
                rpzgateOutcome = readUdp(toRpzgate, id, deadline);
            }
        }
        return new Result(scenario, bindOutcome, rpzgateOutcome, diff.differences(bindOutcome, rpzgateOutcome));
    }

    /** Builds the query that the scenario describes, with a random ID. */
    static Message buildQuery(Scenario scenario) {
        Message query = Message.newQuery(Record.newRecord(scenario.qname(), scenario.qtype(), DClass.IN));
        if (!scenario.recursionDesired()) {
            query.getHeader().unsetFlag(Flags.RD);
        }
        if (scenario.edns()) {
            int flags = scenario.dnssecOk() ? ExtendedFlags.DO : 0;
            query.addRecord(new OPTRecord(QUERY_UDP_PAYLOAD, 0, 0, flags), Section.ADDITIONAL);
        }
        return query;
    }

    private static DatagramSocket openUdp(InetAddress source) throws IOException {
        return new DatagramSocket(new InetSocketAddress(source, 0));
    }

    private static Socket openTcp(InetAddress source, InetSocketAddress server) throws IOException {
        Socket socket = new Socket();
        socket.bind(new InetSocketAddress(source, 0));
        socket.connect(server, 5000);
        return socket;
    }

    /** Reads datagrams until one carries the query's ID or the deadline passes. */
    private static AnswerDiff.Outcome readUdp(DatagramSocket socket, int id, long deadline) throws IOException {
        byte[] buffer = new byte[65535];
        while (true) {
            int remainingMillis = remainingMillis(deadline);
            if (remainingMillis <= 0) {
                return AnswerDiff.Outcome.none("nothing within the timeout over UDP");
            }
            socket.setSoTimeout(remainingMillis);
            DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
            try {
                socket.receive(packet);
            } catch (SocketTimeoutException e) {
                return AnswerDiff.Outcome.none("nothing within the timeout over UDP");
            }
            // A datagram with another ID (a late answer to an earlier query) is skipped.
            if (packet.getLength() < 2 || ((buffer[0] & 0xFF) << 8 | (buffer[1] & 0xFF)) != id) {
                continue;
            }
            Message message = parse(buffer, packet.getLength());
            if (message == null) {
                throw new IOException("the UDP answer does not parse as a DNS message");
            }
            return AnswerDiff.Outcome.answered(message);
        }
    }

    private static AnswerDiff.Outcome readTcp(Socket socket, int id, long deadline) throws IOException {
        int remainingMillis = remainingMillis(deadline);
        if (remainingMillis <= 0) {
            return AnswerDiff.Outcome.none("nothing within the timeout over TCP");
        }
        socket.setSoTimeout(remainingMillis);
        DataInputStream in = new DataInputStream(socket.getInputStream());
        byte[] frame;
        try {
            frame = new byte[in.readUnsignedShort()];
            in.readFully(frame);
        } catch (SocketTimeoutException e) {
            return AnswerDiff.Outcome.none("nothing within the timeout over TCP");
        } catch (EOFException e) {
            return AnswerDiff.Outcome.none("the server closed the TCP connection without an answer");
        }
        Message message = parse(frame, frame.length);
        if (message == null) {
            throw new IOException("the TCP answer does not parse as a DNS message");
        }
        if (message.getHeader().getID() != id) {
            throw new IOException("the TCP answer has ID " + message.getHeader().getID() + ", expected " + id);
        }
        return AnswerDiff.Outcome.answered(message);
    }

    private static void writeFrame(Socket socket, byte[] message) throws IOException {
        DataOutputStream out = new DataOutputStream(socket.getOutputStream());
        out.writeShort(message.length);
        out.write(message);
        out.flush();
    }

    /** Returns the parsed message, or null when the bytes are not one. */
    private static Message parse(byte[] data, int length) {
        byte[] bytes = new byte[length];
        System.arraycopy(data, 0, bytes, 0, length);
        try {
            return new Message(bytes);
        } catch (IOException e) {
            return null;
        }
    }

    private static int remainingMillis(long deadline) {
        long remaining = Duration.ofNanos(deadline - System.nanoTime()).toMillis();
        return (int) Math.max(0, Math.min(Integer.MAX_VALUE, remaining));
    }
}
