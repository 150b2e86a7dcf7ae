package dev.rpzgate.source.transfer;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import org.xbill.DNS.Message;

/**
 * Plays the DNS server's part for NOTIFY in tests: receives messages over UDP and TCP on one port
 * of 127.0.0.1, passes each to {@link ZoneTransferSource#handleNotify} and sends the answer back.
 * Knot DNS 3.2 sends its NOTIFY messages over TCP.
 */
final class NotifyListener implements AutoCloseable {

    private static final int TCP_READ_TIMEOUT_MILLIS = 5000;

    private final DatagramSocket udpSocket;
    private final ServerSocket tcpSocket;
    private final Thread udpReader;
    private final Thread tcpAcceptor;
    private final AtomicInteger received = new AtomicInteger();
    private volatile ZoneTransferSource source;

    NotifyListener() throws IOException {
        InetAddress loopback = InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
        int port = KnotPrimary.freePort();
        udpSocket = new DatagramSocket(new InetSocketAddress(loopback, port));
        tcpSocket = new ServerSocket(port, 16, loopback);
        udpReader = new Thread(this::serveUdp, "notify-listener-udp");
        udpReader.setDaemon(true);
        udpReader.start();
        tcpAcceptor = new Thread(this::serveTcp, "notify-listener-tcp");
        tcpAcceptor.setDaemon(true);
        tcpAcceptor.start();
    }

    /** Sets the source that answers; NOTIFY messages that come earlier get no answer. */
    void answerWith(ZoneTransferSource answering) {
        this.source = answering;
    }

    int port() {
        return udpSocket.getLocalPort();
    }

    /** Returns how many messages arrived over UDP and TCP. */
    int received() {
        return received.get();
    }

    private void serveUdp() {
        byte[] buffer = new byte[65535];
        while (!udpSocket.isClosed()) {
            DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
            try {
                udpSocket.receive(packet);
                byte[] wire = Arrays.copyOfRange(packet.getData(), packet.getOffset(), packet.getOffset() + packet.getLength());
                byte[] answer = answer(wire, packet.getAddress());
                if (answer != null) {
                    udpSocket.send(new DatagramPacket(answer, answer.length, packet.getSocketAddress()));
                }
            } catch (IOException e) {
                // The socket was closed, or the datagram was malformed: the sender sees no answer.
            }
        }
    }

    private void serveTcp() {
        while (!tcpSocket.isClosed()) {
            try (Socket connection = tcpSocket.accept()) {
                connection.setSoTimeout(TCP_READ_TIMEOUT_MILLIS);
                DataInputStream in = new DataInputStream(connection.getInputStream());
                byte[] wire = new byte[in.readUnsignedShort()];
                in.readFully(wire);
                byte[] answer = answer(wire, connection.getInetAddress());
                if (answer != null) {
                    DataOutputStream out = new DataOutputStream(connection.getOutputStream());
                    out.writeShort(answer.length);
                    out.write(answer);
                    out.flush();
                }
            } catch (IOException e) {
                // The socket was closed, or the connection broke: the sender sees no answer.
            }
        }
    }

    private byte[] answer(byte[] wire, InetAddress sender) throws IOException {
        received.incrementAndGet();
        ZoneTransferSource answering = source;
        if (answering == null) {
            return null;
        }
        return answering.handleNotify(new Message(wire), wire, sender).toWire();
    }

    @Override
    public void close() throws InterruptedException, IOException {
        udpSocket.close();
        tcpSocket.close();
        udpReader.join(5000);
        tcpAcceptor.join(5000);
    }
}
