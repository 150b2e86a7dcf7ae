package dev.rpzgate.upstream;

import dev.rpzgate.observability.DnsMetrics;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
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
import io.vertx.core.impl.ContextInternal;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.parsetools.RecordParser;
import org.jboss.logging.Logger;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Forwards questions to the upstreams in order of preference. Each query goes over UDP with a
 * random ID from one of a few sockets on kernel-chosen ports, and an answer counts only when it
 * comes from the upstream asked, with that ID and the same question. A truncated answer is asked
 * again over TCP; a timeout, a send error or REFUSED moves on to the next upstream.
 *
 * <p>An instance belongs to one event loop: every method and callback runs on that loop's thread,
 * so the maps of pending queries need no lock.
 */
public final class UpstreamResolver {

    private static final Logger LOG = Logger.getLogger(UpstreamResolver.class);

    /** Sockets per address family; several ports make a spoofed answer harder to place. */
    private static final int SOCKETS_PER_POOL = 4;

    /** A socket is replaced after this many queries, so that the source ports keep moving. */
    private static final int QUERIES_PER_SOCKET = 10_000;

    private final Vertx vertx;
    private final List<Upstream> upstreams;
    private final List<DnsMetrics.UpstreamCounters> counters;
    private final long timeoutMillis;
    private final SecureRandom random = new SecureRandom();
    private final SocketPool ipv4Pool = new SocketPool("0.0.0.0");
    private final SocketPool ipv6Pool = new SocketPool("::");
    private NetClient tcpClient;
    private ContextInternal context;

    public UpstreamResolver(Vertx vertx, List<Upstream> upstreams, Duration timeout, DnsMetrics metrics) {
        if (upstreams.isEmpty()) {
            throw new IllegalArgumentException("no upstream to forward to");
        }
        this.vertx = vertx;
        this.upstreams = List.copyOf(upstreams);
        this.timeoutMillis = Math.max(1, timeout.toMillis());
        this.counters = upstreams.stream().map(upstream -> metrics.upstream(upstream.name())).toList();
    }

    /** Opens the UDP sockets and the TCP client; call on the event loop that will use this resolver. */
    public Future<Void> start() {
        context = (ContextInternal) vertx.getOrCreateContext();
        tcpClient = vertx.createNetClient(new NetClientOptions().setConnectTimeout((int) timeoutMillis));
        List<Future<Void>> opened = new ArrayList<>();
        if (upstreams.stream().anyMatch(u -> !u.isIpv6())) {
            opened.add(ipv4Pool.open());
        }
        if (upstreams.stream().anyMatch(Upstream::isIpv6)) {
            opened.add(ipv6Pool.open());
        }
        return Future.all(opened).mapEmpty();
    }

    /** Closes the sockets; pending queries fail when their timers fire. */
    public Future<Void> close() {
        ipv4Pool.close();
        ipv6Pool.close();
        return tcpClient == null ? Future.succeededFuture() : tcpClient.close();
    }

    /**
     * Asks the upstreams {@code question} with RD set, EDNS with a 1232-byte payload and the
     * client's DO and CD bits. Fails with {@link UpstreamFailedException} when no upstream answers.
     */
    public Future<Message> resolve(Record question, boolean dnssecOk, boolean checkingDisabled) {
        Message query = new Message(0);
        query.getHeader().setFlag(Flags.RD);
        if (checkingDisabled) {
            query.getHeader().setFlag(Flags.CD);
        }
        query.addRecord(question, Section.QUESTION);
        query.addRecord(new OPTRecord(1232, 0, 0, dnssecOk ? ExtendedFlags.DO : 0), Section.ADDITIONAL);

        Promise<Message> result = Promise.promise();
        Exchange exchange = new Exchange(question, query.toWire(), result);
        tryUpstream(exchange, 0);
        return result.future();
    }

    private void tryUpstream(Exchange exchange, int index) {
        if (index >= upstreams.size()) {
            exchange.result.fail(new UpstreamFailedException("no upstream answered " + exchange.question.getName()
                    + " " + org.xbill.DNS.Type.string(exchange.question.getType())));
            return;
        }
        Upstream upstream = upstreams.get(index);
        SocketPool pool = upstream.isIpv6() ? ipv6Pool : ipv4Pool;
        UdpChannel channel = pool.pick();
        if (channel == null) {
            counters.get(index).timeout();
            tryUpstream(exchange, index + 1);
            return;
        }
        int id = channel.freeId();
        Attempt attempt = new Attempt(exchange, index, channel, id);
        channel.pending.put(id, attempt);
        attempt.timer = vertx.setTimer(timeoutMillis, timer -> {
            if (channel.pending.remove(id, attempt)) {
                channel.afterRemoval();
                LOG.debugf("upstream %s timed out on %s, trying the next upstream", upstream.name(),
                        exchange.question.getName());
                counters.get(index).timeout();
                tryUpstream(exchange, index + 1);
            }
        });
        channel.socket.writeAndFlush(new DatagramPacket(Unpooled.wrappedBuffer(withId(exchange.wire, id)),
                upstream.address())).addListener(sent -> {
                    if (!sent.isSuccess()) {
                        context.emit(null, ignored -> {
                            if (channel.pending.remove(id, attempt)) {
                                channel.afterRemoval();
                                vertx.cancelTimer(attempt.timer);
                                LOG.debugf("sending to upstream %s failed (%s), trying the next upstream",
                                        upstream.name(), sent.cause().getMessage());
                                counters.get(index).timeout();
                                tryUpstream(exchange, index + 1);
                            }
                        });
                    }
                });
    }

    private void onUdpPacket(UdpChannel channel, byte[] data, InetSocketAddress sender) {
        if (data.length < 12) {
            return;
        }
        int id = ((data[0] & 0xFF) << 8) | (data[1] & 0xFF);
        Attempt attempt = channel.pending.get(id);
        if (attempt == null) {
            return; // late answer to a query that timed out, or a stray packet
        }
        Upstream upstream = upstreams.get(attempt.upstreamIndex);
        if (!upstream.address().equals(sender)) {
            return;
        }
        Message answer = parseMatchingAnswer(data, attempt.exchange.question);
        if (answer == null) {
            return; // keep waiting: a spoofed or broken packet must not end the attempt
        }
        channel.pending.remove(id);
        channel.afterRemoval();
        vertx.cancelTimer(attempt.timer);
        onAnswer(attempt.exchange, attempt.upstreamIndex, answer);
    }

    private void onAnswer(Exchange exchange, int index, Message answer) {
        counters.get(index).answer(answer.getRcode());
        if (answer.getHeader().getFlag(Flags.TC)) {
            queryTcp(exchange, index);
        } else if (answer.getRcode() == org.xbill.DNS.Rcode.REFUSED && index + 1 < upstreams.size()) {
            tryUpstream(exchange, index + 1);
        } else {
            exchange.result.tryComplete(answer);
        }
    }

    /** Asks one upstream over TCP with a new ID, after its UDP answer came back truncated. */
    private void queryTcp(Exchange exchange, int index) {
        Upstream upstream = upstreams.get(index);
        int id = random.nextInt(0x10000);
        byte[] wire = withId(exchange.wire, id);
        Promise<Message> tcpResult = Promise.promise();
        long timer = vertx.setTimer(timeoutMillis, t -> tcpResult.tryFail("timed out"));

        tcpClient.connect(upstream.port(), upstream.host()).onComplete(connected -> {
            if (connected.failed()) {
                tcpResult.tryFail(connected.cause());
                return;
            }
            NetSocket socket = connected.result();
            tcpResult.future().onComplete(done -> socket.close());
            RecordParser parser = RecordParser.newFixed(2);
            parser.handler(new java.util.function.Consumer<Buffer>() {
                private boolean readingLength = true;

                @Override
                public void accept(Buffer frame) {
                    if (readingLength) {
                        readingLength = false;
                        parser.fixedSizeMode(frame.getUnsignedShort(0));
                        return;
                    }
                    Message answer = parseMatchingAnswer(frame.getBytes(), exchange.question);
                    if (answer != null && answer.getHeader().getID() == id) {
                        tcpResult.tryComplete(answer);
                    } else {
                        tcpResult.tryFail("mismatched answer");
                    }
                }
            }::accept);
            socket.handler(parser);
            socket.exceptionHandler(tcpResult::tryFail);
            socket.closeHandler(v -> tcpResult.tryFail("connection closed"));
            Buffer framed = Buffer.buffer(wire.length + 2).appendUnsignedShort(wire.length).appendBytes(wire);
            socket.write(framed);
        });

        tcpResult.future().onComplete(done -> {
            vertx.cancelTimer(timer);
            if (done.succeeded()) {
                counters.get(index).answer(done.result().getRcode());
                exchange.result.tryComplete(done.result());
            } else {
                LOG.debugf("TCP query to upstream %s failed (%s), trying the next upstream", upstream.name(),
                        done.cause().getMessage());
                counters.get(index).timeout();
                tryUpstream(exchange, index + 1);
            }
        });
    }

    /** Parses an upstream packet; returns null unless it is a response to {@code question}. */
    private static Message parseMatchingAnswer(byte[] packet, Record question) {
        Message answer;
        try {
            answer = new Message(packet);
        } catch (IOException e) {
            return null;
        }
        Record echoed = answer.getQuestion();
        if (!answer.getHeader().getFlag(Flags.QR) || echoed == null) {
            return null;
        }
        boolean sameQuestion = echoed.getName().equals(question.getName())
                && echoed.getType() == question.getType()
                && echoed.getDClass() == question.getDClass();
        return sameQuestion ? answer : null;
    }

    private static byte[] withId(byte[] wire, int id) {
        byte[] copy = wire.clone();
        copy[0] = (byte) (id >>> 8);
        copy[1] = (byte) id;
        return copy;
    }

    /** One question on its way through the upstreams. */
    private record Exchange(Record question, byte[] wire, Promise<Message> result) {
    }

    /** One UDP try of an exchange at one upstream. */
    private static final class Attempt {
        final Exchange exchange;
        final int upstreamIndex;
        final UdpChannel channel;
        final int id;
        long timer;

        Attempt(Exchange exchange, int upstreamIndex, UdpChannel channel, int id) {
            this.exchange = exchange;
            this.upstreamIndex = upstreamIndex;
            this.channel = channel;
            this.id = id;
        }
    }

    /** One UDP socket with the queries waiting for an answer on it, by ID. */
    private final class UdpChannel {
        final Channel socket;
        final SocketPool pool;
        final Map<Integer, Attempt> pending = new HashMap<>();
        int sent;
        boolean retired;

        UdpChannel(Channel socket, SocketPool pool) {
            this.socket = socket;
            this.pool = pool;
        }

        int freeId() {
            sent++;
            int id;
            do {
                id = random.nextInt(0x10000);
            } while (pending.containsKey(id));
            return id;
        }

        void afterRemoval() {
            if (retired && pending.isEmpty()) {
                socket.close();
            }
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
         * Opens a UDP socket on a port the kernel picks, with Netty directly on this resolver's
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
                UdpChannel channel = new UdpChannel(future.channel(), this);
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
