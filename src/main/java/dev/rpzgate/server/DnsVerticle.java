package dev.rpzgate.server;

import dev.rpzgate.cache.AnswerCache;
import dev.rpzgate.cache.CachingResolver;
import dev.rpzgate.observability.DnsMetrics;
import dev.rpzgate.observability.PolicyHitLog;
import dev.rpzgate.policy.PolicyStore;
import dev.rpzgate.upstream.NameServerFinder;
import dev.rpzgate.upstream.Forwarding;
import dev.rpzgate.upstream.UpstreamResolver;
import dev.rpzgate.wire.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.impl.ContextInternal;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.parsetools.RecordParser;
import org.jboss.logging.Logger;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The listeners of one event loop: a UDP socket (one per loop with SO_REUSEPORT, where the
 * transport has it) and its share of the TCP server, both feeding this loop's
 * {@link QueryPipeline} and upstream resolver.
 */
final class DnsVerticle extends AbstractVerticle {

    private static final Logger LOG = Logger.getLogger(DnsVerticle.class);

    /** Listen address, transport options and upstreams of one instance; the forwarding plan is shared by every loop. */
    record Settings(String host, int port, boolean bindUdp, boolean reusePort, Duration tcpIdleTimeout,
                    Forwarding forwarding) {
    }

    private final Settings settings;
    private final PolicyStore policy;
    private final DnsMetrics metrics;
    private final PolicyHitLog hitLog;
    private final NotifyRouting notifyRouting;
    private final AnswerCache answerCache;

    private UpstreamResolver resolver;
    private QueryPipeline pipeline;
    private Channel udpChannel;
    private NetServer tcpServer;
    private int udpPort = -1;
    private int tcpPort = -1;

    DnsVerticle(Settings settings, PolicyStore policy, NotifyRouting notifyRouting, AnswerCache answerCache,
                DnsMetrics metrics, PolicyHitLog hitLog) {
        this.notifyRouting = notifyRouting;
        this.answerCache = answerCache;
        this.settings = settings;
        this.policy = policy;
        this.metrics = metrics;
        this.hitLog = hitLog;
    }

    int udpPort() {
        return udpPort;
    }

    int tcpPort() {
        return tcpPort;
    }

    @Override
    public void start(Promise<Void> started) {
        resolver = new UpstreamResolver(vertx, settings.forwarding(), metrics);
        // Name-server lookups for NSDNAME and NSIP rules bypass the answer cache, because the finder
        // keeps its own per-loop cache of the server sets that it derives from several answers.
        NameServerFinder nameServers = new NameServerFinder(resolver, System::currentTimeMillis,
                metrics.nameServerLookups());
        CachingResolver cachingResolver = new CachingResolver(answerCache, resolver::resolve, context);
        pipeline = new QueryPipeline(policy, cachingResolver, nameServers, notifyRouting, metrics, hitLog);
        resolver.start()
                .compose(v -> settings.bindUdp() ? listenUdp(settings.port()) : Future.succeededFuture())
                .compose(v -> listenTcp(udpPort > 0 ? udpPort : settings.port()))
                .onComplete(result -> {
                    if (result.failed()) {
                        // Vert.x does not call stop() after a failed start, so what opened closes here.
                        stop(Promise.promise());
                    }
                    started.handle(result);
                });
    }

    @Override
    public void stop(Promise<Void> stopped) {
        Future<Void> udp = Future.succeededFuture();
        if (udpChannel != null) {
            Promise<Void> closed = Promise.promise();
            udpChannel.close().addListener(done -> closed.complete());
            udp = closed.future();
        }
        Future<Void> tcp = tcpServer == null ? Future.succeededFuture() : tcpServer.close();
        Future.join(udp, tcp, resolver.close()).<Void>mapEmpty().onComplete(stopped);
    }

    /**
     * Opens this loop's UDP socket with Netty directly, on the event loop of this verticle's
     * context. Vert.x's DatagramSocket resolves the reply address string for every packet it
     * sends; replying to the sender's InetSocketAddress through the channel avoids that cost on
     * the hot path. Packets are handed to the pipeline inside this verticle's context, so timers
     * and the upstream resolver stay on the same loop.
     */
    private Future<Void> listenUdp(int port) {
        ContextInternal verticleContext = (ContextInternal) context;
        boolean epoll = vertx.isNativeTransportEnabled();
        Bootstrap bootstrap = new Bootstrap()
                .group(verticleContext.nettyEventLoop())
                .channelFactory(() -> epoll ? new EpollDatagramChannel() : new NioDatagramChannel())
                .option(ChannelOption.SO_RCVBUF, 4 * 1024 * 1024)
                .handler(new SimpleChannelInboundHandler<io.netty.channel.socket.DatagramPacket>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext channelContext,
                                                io.netty.channel.socket.DatagramPacket packet) {
                        byte[] bytes = ByteBufUtil.getBytes(packet.content());
                        InetSocketAddress sender = packet.sender();
                        verticleContext.emit(null, ignored -> onUdpPacket(channelContext.channel(), bytes, sender));
                    }
                });
        if (epoll && settings.reusePort()) {
            bootstrap.option(EpollChannelOption.SO_REUSEPORT, true);
        }
        Promise<Void> bound = Promise.promise();
        bootstrap.bind(settings.host(), port).addListener((ChannelFuture future) -> {
            if (future.isSuccess()) {
                udpChannel = future.channel();
                udpPort = ((InetSocketAddress) udpChannel.localAddress()).getPort();
                bound.complete();
            } else {
                bound.fail(future.cause());
            }
        });
        return bound.future();
    }

    private void onUdpPacket(Channel channel, byte[] packet, InetSocketAddress client) {
        try {
            pipeline.handle(packet, client, Transport.UDP, answer -> channel.writeAndFlush(
                    new io.netty.channel.socket.DatagramPacket(Unpooled.wrappedBuffer(answer), client)));
        } catch (RuntimeException e) {
            // One bad packet must never stop the listener.
            LOG.errorf(e, "unexpected error answering a UDP query from %s; the query is dropped", client);
        }
    }

    private Future<Void> listenTcp(int port) {
        NetServerOptions options = new NetServerOptions()
                .setHost(settings.host())
                .setPort(port)
                .setTcpNoDelay(true)
                .setIdleTimeout((int) settings.tcpIdleTimeout().toMillis())
                .setIdleTimeoutUnit(TimeUnit.MILLISECONDS);
        tcpServer = vertx.createNetServer(options).connectHandler(this::onTcpConnection);
        return tcpServer.listen().map(server -> {
            tcpPort = server.actualPort();
            return null;
        });
    }

    /**
     * Reads 2-byte length-prefixed queries (RFC 1035 section 4.2.2). Each query is answered as soon
     * as its answer is ready, so answers may leave in another order than the queries came (RFC 7766).
     */
    private void onTcpConnection(NetSocket socket) {
        InetSocketAddress client = toInet(socket.remoteAddress());
        RecordParser parser = RecordParser.newFixed(2);
        boolean[] readingLength = {true};
        parser.handler(frame -> {
            if (readingLength[0]) {
                int length = frame.getUnsignedShort(0);
                if (length == 0) {
                    socket.close(); // no DNS message is empty; the stream is out of step
                    return;
                }
                readingLength[0] = false;
                parser.fixedSizeMode(length);
                return;
            }
            readingLength[0] = true;
            parser.fixedSizeMode(2);
            try {
                pipeline.handle(frame.getBytes(), client, Transport.TCP, answer -> socket.write(
                        Buffer.buffer(answer.length + 2).appendUnsignedShort(answer.length).appendBytes(answer)));
            } catch (RuntimeException e) {
                LOG.errorf(e, "unexpected error answering a TCP query from %s; the query is dropped", client);
            }
        });
        socket.handler(parser);
        socket.exceptionHandler(error -> LOG.debugf("TCP connection from %s failed: %s", client, error.getMessage()));
    }

    private static InetSocketAddress toInet(SocketAddress address) {
        try {
            // hostAddress() is an IP literal here, so getByName parses it without a lookup.
            return new InetSocketAddress(InetAddress.getByName(address.hostAddress()), address.port());
        } catch (UnknownHostException e) {
            return InetSocketAddress.createUnresolved(address.hostAddress(), address.port());
        }
    }
}
