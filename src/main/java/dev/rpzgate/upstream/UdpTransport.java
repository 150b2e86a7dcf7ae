package dev.rpzgate.upstream;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.collection.IntObjectMap;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.impl.ContextInternal;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.parsetools.RecordParser;
import org.jboss.logging.Logger;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;

import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Plain DNS: each query goes over UDP with a random ID from one of a few sockets on kernel-chosen
 * ports, and an answer counts only when it comes from the upstream asked, with that ID and the same
 * question. A truncated answer is asked again over TCP on a new connection, within the same try's
 * timeout; a TCP answer shorter than a DNS header, such as a zero length prefix, is a failed answer
 * of that upstream.
 */
final class UdpTransport implements UpstreamTransport {

    private static final Logger LOG = Logger.getLogger(UdpTransport.class);

    /** Sockets per address family; several ports make a spoofed answer harder to place. */
    private static final int SOCKETS_PER_POOL = 4;

    /** A socket is replaced after this many queries, so that the source ports keep moving. */
    private static final int QUERIES_PER_SOCKET = 10_000;

    /** Length of the DNS header (RFC 1035 section 4.1.1); no message is shorter. */
    private static final int HEADER_LENGTH = 12;

    private static final long SHORT_TCP_WARNING_INTERVAL_SECONDS = 60;

    private final Vertx vertx;
    private final ContextInternal context;
    private final Attempt.Listener listener;
    private final SecureRandom random;
    private final int connectTimeoutMillis;
    private final boolean ipv4;
    private final boolean ipv6;
    private final SocketPool ipv4Pool = new SocketPool("0.0.0.0");
    private final SocketPool ipv6Pool = new SocketPool("::");
    private NetClient tcpClient;
    private boolean shortTcpWarningLogged;
    private long lastShortTcpWarningNanos;
    private int shortTcpMessagesSinceWarning;

    UdpTransport(Vertx vertx, ContextInternal context, Attempt.Listener listener, SecureRandom random,
                 int connectTimeoutMillis, boolean ipv4, boolean ipv6) {
        this.vertx = vertx;
        this.context = context;
        this.listener = listener;
        this.random = random;
        this.connectTimeoutMillis = connectTimeoutMillis;
        this.ipv4 = ipv4;
        this.ipv6 = ipv6;
    }

    @Override
    public Future<Void> start() {
        tcpClient = vertx.createNetClient(new NetClientOptions().setConnectTimeout(connectTimeoutMillis));
        List<Future<Void>> opened = new ArrayList<>();
        if (ipv4) {
            opened.add(ipv4Pool.open());
        }
        if (ipv6) {
            opened.add(ipv6Pool.open());
        }
        return Future.all(opened).mapEmpty();
    }

    @Override
    public Future<Void> close() {
        ipv4Pool.close();
        ipv6Pool.close();
        return tcpClient == null ? Future.succeededFuture() : tcpClient.close();
    }

    @Override
    public void send(Attempt attempt) {
        SocketPool pool = attempt.upstream.isIpv6() ? ipv6Pool : ipv4Pool;
        UdpChannel channel = pool.pick();
        if (channel == null) {
            listener.onFailure(attempt, "no UDP socket is open");
            return;
        }
        int id = channel.freeId();
        attempt.id = id;
        attempt.transportState = channel;
        channel.pending.put(id, attempt);
        channel.socket.writeAndFlush(new DatagramPacket(
                Unpooled.wrappedBuffer(UpstreamMessages.withId(attempt.wire, id)), attempt.upstream.address()))
                .addListener(sent -> {
                    if (!sent.isSuccess()) {
                        context.emit(null, ignored -> {
                            if (channel.removePending(attempt)) {
                                listener.onFailure(attempt, "sending over UDP failed: " + sent.cause().getMessage());
                            }
                        });
                    }
                });
    }

    @Override
    public void abandon(Attempt attempt) {
        if (attempt.transportState instanceof UdpChannel channel) {
            channel.removePending(attempt);
        } else if (attempt.transportState instanceof NetSocket socket) {
            socket.close();
        }
    }

    private void onUdpPacket(UdpChannel channel, byte[] data, InetSocketAddress sender) {
        if (data.length < HEADER_LENGTH) {
            return;
        }
        Attempt attempt = channel.pending.get(UpstreamMessages.idOf(data));
        if (attempt == null) {
            return; // late answer to a query that timed out, or a stray packet
        }
        if (!attempt.upstream.address().equals(sender)) {
            return;
        }
        Message answer = UpstreamMessages.parseMatchingAnswer(data, attempt.question);
        if (answer == null) {
            return; // keep waiting: a spoofed or broken packet must not end the attempt
        }
        channel.removePending(attempt);
        attempt.transportState = null;
        if (answer.getHeader().getFlag(Flags.TC)) {
            queryTcp(attempt);
        } else {
            listener.onAnswer(attempt, answer);
        }
    }

    /** Asks the upstream over TCP with a new ID, after its UDP answer came back truncated. */
    private void queryTcp(Attempt attempt) {
        int id = random.nextInt(0x10000);
        byte[] wire = UpstreamMessages.withId(attempt.wire, id);
        tcpClient.connect(attempt.upstream.port(), attempt.upstream.host()).onComplete(connected -> {
            if (connected.failed()) {
                listener.onFailure(attempt, "TCP connection failed: " + connected.cause().getMessage());
                return;
            }
            NetSocket socket = connected.result();
            if (attempt.finished) {
                socket.close();
                return;
            }
            attempt.transportState = socket;
            RecordParser parser = RecordParser.newFixed(2);
            boolean[] readingLength = {true};
            parser.handler(frame -> {
                if (readingLength[0]) {
                    int length = frame.getUnsignedShort(0);
                    if (length < HEADER_LENGTH) {
                        // RecordParser throws on a size of 0, which left the query waiting for its
                        // timeout. No DNS message is shorter than its header, so this is a broken
                        // answer from the upstream, as garbage is.
                        socket.close();
                        warnShortTcpMessage(attempt, length);
                        listener.onFailure(attempt, "sent a " + length
                                + "-byte message over TCP, shorter than a DNS header");
                        return;
                    }
                    readingLength[0] = false;
                    parser.fixedSizeMode(length);
                    return;
                }
                socket.close();
                Message answer = UpstreamMessages.parseMatchingAnswer(frame.getBytes(), attempt.question);
                if (answer != null && answer.getHeader().getID() == id) {
                    listener.onAnswer(attempt, answer);
                } else {
                    listener.onFailure(attempt, "TCP answer does not match the query");
                }
            });
            socket.handler(parser);
            socket.exceptionHandler(error -> listener.onFailure(attempt, "TCP connection failed: " + error.getMessage()));
            socket.closeHandler(v -> listener.onFailure(attempt, "TCP connection closed before the answer"));
            socket.write(Buffer.buffer(wire.length + 2).appendUnsignedShort(wire.length).appendBytes(wire));
        });
    }

    /**
     * Logs that an upstream framed a TCP answer shorter than a DNS header, at most once per
     * {@value #SHORT_TCP_WARNING_INTERVAL_SECONDS} seconds on this event loop, with the count of the
     * ones not logged since, because a broken upstream sends one for every truncated answer.
     */
    private void warnShortTcpMessage(Attempt attempt, int length) {
        shortTcpMessagesSinceWarning++;
        long now = System.nanoTime();
        if (shortTcpWarningLogged
                && now - lastShortTcpWarningNanos < TimeUnit.SECONDS.toNanos(SHORT_TCP_WARNING_INTERVAL_SECONDS)) {
            return;
        }
        String others = shortTcpMessagesSinceWarning > 1
                ? " (" + (shortTcpMessagesSinceWarning - 1) + " more such answers since the last warning)" : "";
        LOG.warnf("upstream %s answered %s over TCP, after a truncated UDP answer, with a %d-byte message that"
                        + " cannot be a DNS message; the answer counts as failed and the query goes to the next"
                        + " upstream%s", attempt.upstream.name(), attempt.question.getName(), length, others);
        shortTcpWarningLogged = true;
        lastShortTcpWarningNanos = now;
        shortTcpMessagesSinceWarning = 0;
    }

    /** One UDP socket with the attempts waiting for an answer on it, by ID. */
    private final class UdpChannel {
        final Channel socket;
        /** Keyed by primitive ID, so that a query boxes no Integer and allocates no map entry. */
        final IntObjectMap<Attempt> pending = new IntObjectHashMap<>();
        int sent;
        boolean retired;

        UdpChannel(Channel socket) {
            this.socket = socket;
        }

        int freeId() {
            sent++;
            int id;
            do {
                id = random.nextInt(0x10000);
            } while (pending.containsKey(id));
            return id;
        }

        /** Removes {@code attempt} unless another attempt took its ID; closes a retired socket left idle. */
        boolean removePending(Attempt attempt) {
            if (pending.get(attempt.id) != attempt) {
                return false;
            }
            pending.remove(attempt.id);
            if (retired && pending.isEmpty()) {
                socket.close();
            }
            return true;
        }
    }

    /** The UDP sockets of one address family, replaced one at a time as they wear out. */
    private final class SocketPool {
        final String bindAddress;
        final List<UdpChannel> active = new ArrayList<>();
        boolean closed;

        SocketPool(String bindAddress) {
            this.bindAddress = bindAddress;
        }

        Future<Void> open() {
            List<Future<UdpChannel>> sockets = new ArrayList<>();
            for (int i = 0; i < SOCKETS_PER_POOL; i++) {
                sockets.add(openSocket());
            }
            return Future.all(sockets).mapEmpty();
        }

        /**
         * Opens a UDP socket on a port the kernel picks, with Netty directly on this transport's
         * event loop: Vert.x's DatagramSocket would resolve the upstream's address string for
         * every query it sends.
         */
        Future<UdpChannel> openSocket() {
            boolean epoll = vertx.isNativeTransportEnabled();
            Promise<UdpChannel> opened = Promise.promise();
            UdpChannel[] holder = new UdpChannel[1];
            Bootstrap bootstrap = new Bootstrap()
                    .group(context.nettyEventLoop())
                    .channelFactory(() -> epoll ? new EpollDatagramChannel() : new NioDatagramChannel())
                    .handler(new SimpleChannelInboundHandler<DatagramPacket>() {
                        @Override
                        protected void channelRead0(ChannelHandlerContext channelContext, DatagramPacket packet) {
                            byte[] bytes = ByteBufUtil.getBytes(packet.content());
                            InetSocketAddress sender = packet.sender();
                            context.emit(null, ignored -> onUdpPacket(holder[0], bytes, sender));
                        }
                    });
            bootstrap.bind(bindAddress, 0).addListener((ChannelFuture future) -> context.emit(null, ignored -> {
                if (!future.isSuccess()) {
                    LOG.errorf("cannot open a UDP socket on %s for upstream queries: %s", bindAddress,
                            future.cause().getMessage());
                    opened.fail(future.cause());
                    return;
                }
                UdpChannel channel = new UdpChannel(future.channel());
                holder[0] = channel;
                if (closed) {
                    future.channel().close();
                } else {
                    active.add(channel);
                }
                opened.complete(channel);
            }));
            return opened.future();
        }

        /** Returns a random socket, or null when none is open. */
        UdpChannel pick() {
            if (active.isEmpty()) {
                return null;
            }
            UdpChannel channel = active.get(random.nextInt(active.size()));
            if (channel.sent >= QUERIES_PER_SOCKET) {
                retire(channel);
            }
            return channel;
        }

        private void retire(UdpChannel channel) {
            channel.retired = true;
            active.remove(channel);
            openSocket();
            // The retired socket still serves this query and those pending; it closes when they end.
        }

        void close() {
            closed = true;
            for (UdpChannel channel : active) {
                channel.socket.close();
            }
            active.clear();
        }
    }
}
