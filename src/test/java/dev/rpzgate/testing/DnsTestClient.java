package dev.rpzgate.testing;

import org.xbill.DNS.DClass;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.TextParseException;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;

/**
 * A DNS client for tests that sends exactly the bytes given and returns exactly what came back,
 * over UDP or TCP to 127.0.0.1. Unlike dnsjava's SimpleResolver it never retries over TCP on its
 * own, so tests see the TC flag.
 */
public final class DnsTestClient {

    private static final int RECEIVE_TIMEOUT_MILLIS = 5000;

    private final InetAddress server = InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
    private final int port;

    public DnsTestClient(int port) throws IOException {
        this.port = port;
    }

    /** Builds a query with RD set and no OPT record. */
    public static Message query(String name, int type) {
        try {
            return Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN));
        } catch (TextParseException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** Builds a query with RD set and an OPT record with {@code payload} and the DO bit as given. */
    public static Message ednsQuery(String name, int type, int payload, boolean dnssecOk) {
        Message query = query(name, type);
        query.addRecord(new OPTRecord(payload, 0, 0, dnssecOk ? ExtendedFlags.DO : 0), Section.ADDITIONAL);
        return query;
    }

    /** Sends {@code query} over UDP and returns the answer. */
    public Message udp(Message query) throws IOException {
        return new Message(udpRaw(query.toWire(), RECEIVE_TIMEOUT_MILLIS));
    }

    /** Sends {@code query} over UDP from {@code source}, a loopback address such as 127.0.0.2, and returns the answer. */
    public Message udpFrom(InetAddress source, Message query) throws IOException {
        try (DatagramSocket socket = new DatagramSocket(new java.net.InetSocketAddress(source, 0))) {
            socket.setSoTimeout(RECEIVE_TIMEOUT_MILLIS);
            send(socket, query.toWire());
            return new Message(receive(socket));
        }
    }

    /** Sends {@code packet} over UDP and returns the answer's bytes; throws SocketTimeoutException when none comes. */
    public byte[] udpRaw(byte[] packet, int timeoutMillis) throws IOException {
        try (DatagramSocket socket = new DatagramSocket()) {
            socket.setSoTimeout(timeoutMillis);
            socket.send(new DatagramPacket(packet, packet.length, server, port));
            return receive(socket);
        }
    }

    /** Receives one datagram on {@code socket}. */
    public static byte[] receive(DatagramSocket socket) throws IOException {
        DatagramPacket answer = new DatagramPacket(new byte[65535], 65535);
        socket.receive(answer);
        byte[] bytes = new byte[answer.getLength()];
        System.arraycopy(answer.getData(), answer.getOffset(), bytes, 0, bytes.length);
        return bytes;
    }

    /** Sends {@code packet} from {@code socket} to the server. */
    public void send(DatagramSocket socket, byte[] packet) throws IOException {
        socket.send(new DatagramPacket(packet, packet.length, server, port));
    }

    /** Sends {@code query} over a new TCP connection and returns the answer. */
    public Message tcp(Message query) throws IOException {
        try (Socket socket = openTcp()) {
            writeFrame(socket, query.toWire());
            return new Message(readFrame(socket));
        }
    }

    /** Opens a TCP connection to the server with the test's receive timeout. */
    public Socket openTcp() throws IOException {
        Socket socket = new Socket(server, port);
        socket.setSoTimeout(RECEIVE_TIMEOUT_MILLIS);
        return socket;
    }

    /** Writes one 2-byte length-prefixed message. */
    public static void writeFrame(Socket socket, byte[] message) throws IOException {
        DataOutputStream out = new DataOutputStream(socket.getOutputStream());
        out.writeShort(message.length);
        out.write(message);
        out.flush();
    }

    /** Reads one 2-byte length-prefixed message. */
    public static byte[] readFrame(Socket socket) throws IOException {
        DataInputStream in = new DataInputStream(socket.getInputStream());
        int length = in.readUnsignedShort();
        byte[] message = new byte[length];
        in.readFully(message);
        return message;
    }

    /** Returns whether no UDP answer to {@code query} arrives within {@code timeoutMillis}. */
    public boolean udpGetsNoAnswer(Message query, int timeoutMillis) throws IOException {
        try {
            udpRaw(query.toWire(), timeoutMillis);
            return false;
        } catch (SocketTimeoutException e) {
            return true;
        }
    }
}
