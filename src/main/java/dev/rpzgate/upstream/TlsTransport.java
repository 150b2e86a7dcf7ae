package dev.rpzgate.upstream;

import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.collection.IntObjectMap;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.parsetools.RecordParser;
import org.jboss.logging.Logger;
import org.xbill.DNS.Message;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * DNS over TLS (RFC 7858): one persistent connection per upstream and event loop, opened when the
 * loop starts and again on the next query after the upstream or the idle timeout closed it.
 * Queries are pipelined with distinct IDs, and answers are matched by ID in whatever order they
 * come, as RFC 7766 allows. The certificate must chain to the configured trust and carry the
 * upstream's TLS name, which is also sent as SNI.
 *
 * <p>Known limitation: queries carry no EDNS padding (RFC 8467), so their sizes are visible on the
 * wire.
 */
final class TlsTransport implements UpstreamTransport {

    private static final Logger LOG = Logger.getLogger(TlsTransport.class);

    /** Queries one connection can carry at once: one per 16-bit ID. */
    private static final int MAX_PENDING = 0x10000;

    private final Vertx vertx;
    private final NetClientOptions options;
    private final Attempt.Listener listener;
    private final SecureRandom random;
    private final Map<Upstream, Connection> connections = new HashMap<>();
    private NetClient client;
    private boolean closed;

    TlsTransport(Vertx vertx, NetClientOptions options, Attempt.Listener listener, SecureRandom random) {
        this.vertx = vertx;
        this.options = options;
        this.listener = listener;
        this.random = random;
    }

    @Override
    public Future<Void> start() {
        client = vertx.createNetClient(options);
        return Future.succeededFuture();
    }

    @Override
    public void send(Attempt attempt) {
        if (closed) {
            listener.onFailure(attempt, "the resolver is closed");
            return;
        }
        connections.computeIfAbsent(attempt.upstream, Connection::new).send(attempt);
    }

    @Override
    public void warmUp(Upstream upstream) {
        if (!closed) {
            connections.computeIfAbsent(upstream, Connection::new).warmUp();
        }
    }

    @Override
    public void abandon(Attempt attempt) {
        if (attempt.transportState instanceof Connection connection) {
            if (connection.pending.get(attempt.id) == attempt) {
                connection.pending.remove(attempt.id);
            }
            connection.waiting.remove(attempt);
        }
    }

    @Override
    public Future<Void> close() {
        closed = true;
        for (Connection connection : List.copyOf(connections.values())) {
            if (connection.socket != null) {
                connection.socket.close();
            }
        }
        return client == null ? Future.succeededFuture() : client.close();
    }

    /**
     * Returns the address to connect to, with the TLS name as its host, because Vert.x checks the
     * certificate against the host of this address. The IP address is set too, so nothing is looked up.
     */
    static SocketAddress peerAddress(Upstream upstream) {
        try {
            InetAddress named = InetAddress.getByAddress(upstream.verifiedName(), upstream.address().getAddress().getAddress());
            return SocketAddress.inetSocketAddress(new InetSocketAddress(named, upstream.port()));
        } catch (UnknownHostException e) {
            throw new IllegalStateException("an IP address of 4 or 16 bytes is always valid", e);
        }
    }

    /** The connection to one upstream, with the attempts sent on it by ID. */
    private final class Connection {
        final Upstream upstream;
        /** Keyed by primitive ID, so that a query boxes no Integer and allocates no map entry. */
        final IntObjectMap<Attempt> pending = new IntObjectHashMap<>();
        /** Attempts that wait for the connection to open. */
        final ArrayDeque<Attempt> waiting = new ArrayDeque<>();
        NetSocket socket;
        boolean connecting;

        Connection(Upstream upstream) {
            this.upstream = upstream;
        }

        void send(Attempt attempt) {
            attempt.transportState = this;
            if (socket != null) {
                write(attempt);
                return;
            }
            waiting.add(attempt);
            if (!connecting) {
                connect();
            }
        }

        void warmUp() {
            if (socket == null && !connecting) {
                connect();
            }
        }

        private void connect() {
            connecting = true;
            client.connect(peerAddress(upstream), upstream.verifiedName()).onComplete(connected -> {
                connecting = false;
                if (connected.failed()) {
                    String cause = UpstreamMessages.describe(connected.cause());
                    LOG.debugf("TLS connection to upstream %s failed: %s", upstream.name(), cause);
                    failAll("TLS connection failed: " + cause);
                    return;
                }
                NetSocket opened = connected.result();
                if (closed) {
                    opened.close();
                    failAll("the resolver is closed");
                    return;
                }
                socket = opened;
                opened.handler(framer(opened));
                opened.exceptionHandler(error -> LOG.debugf("TLS connection to upstream %s failed: %s",
                        upstream.name(), error.getMessage()));
                opened.closeHandler(v -> {
                    if (socket == opened) {
                        socket = null;
                        resendAfterClose();
                    }
                });
                while (!waiting.isEmpty()) {
                    write(waiting.poll());
                }
            });
        }

        private void write(Attempt attempt) {
            if (pending.size() >= MAX_PENDING) {
                // Every ID is taken, which only a max-in-flight above 65535 allows.
                listener.onFailure(attempt, "all " + MAX_PENDING + " query IDs of the TLS connection are in use");
                return;
            }
            int id;
            do {
                id = random.nextInt(0x10000);
            } while (pending.containsKey(id));
            attempt.id = id;
            pending.put(id, attempt);
            // The ID goes straight into the framed buffer, so the query is copied once, not twice.
            byte[] wire = attempt.wire;
            socket.write(Buffer.buffer(wire.length + 2).appendUnsignedShort(wire.length).appendBytes(wire)
                    .setUnsignedShort(2, id));
        }

        /** Splits the stream into 2-byte length-prefixed messages (RFC 1035 section 4.2.2). */
        private RecordParser framer(NetSocket opened) {
            RecordParser parser = RecordParser.newFixed(2);
            boolean[] readingLength = {true};
            parser.handler(frame -> {
                if (readingLength[0]) {
                    int length = frame.getUnsignedShort(0);
                    if (length < 12) {
                        LOG.debugf("upstream %s sent a %d-byte DNS message over TLS; closing the connection",
                                upstream.name(), length);
                        opened.close();
                        return;
                    }
                    readingLength[0] = false;
                    parser.fixedSizeMode(length);
                    return;
                }
                readingLength[0] = true;
                parser.fixedSizeMode(2);
                onMessage(frame.getBytes());
            });
            return parser;
        }

        private void onMessage(byte[] data) {
            Attempt attempt = pending.remove(UpstreamMessages.idOf(data));
            if (attempt == null) {
                return; // the answer to an attempt that timed out
            }
            Message answer = UpstreamMessages.parseMatchingAnswer(data, attempt.question);
            if (answer == null) {
                // On an authenticated connection a broken answer is the upstream's, not a spoofer's.
                listener.onFailure(attempt, "invalid answer over TLS");
            } else {
                listener.onAnswer(attempt, answer);
            }
        }

        /**
         * Sends the queries that were waiting for an answer on a closed connection again, once
         * each, on a new connection. A server may close a connection (RFC 7766 lets it close idle
         * ones) while a query is on its way, and that query was never processed.
         */
        private void resendAfterClose() {
            List<Attempt> unanswered = new ArrayList<>(pending.values());
            pending.clear();
            for (Attempt attempt : unanswered) {
                if (closed || attempt.resentAfterClose) {
                    listener.onFailure(attempt, "TLS connection closed before the answer");
                } else {
                    attempt.resentAfterClose = true;
                    send(attempt);
                }
            }
        }

        private void failAll(String cause) {
            List<Attempt> failed = new ArrayList<>(waiting);
            failed.addAll(pending.values());
            waiting.clear();
            pending.clear();
            for (Attempt attempt : failed) {
                listener.onFailure(attempt, cause);
            }
        }
    }

    /** Client options: TLS with hostname verification, idle timeout, connect timeout. */
    static NetClientOptions options(TlsTrust trust, int connectTimeoutMillis, long idleTimeoutMillis) {
        NetClientOptions options = new NetClientOptions()
                .setSsl(true)
                .setHostnameVerificationAlgorithm("HTTPS")
                .setConnectTimeout(connectTimeoutMillis)
                .setIdleTimeout((int) Math.min(Integer.MAX_VALUE, idleTimeoutMillis))
                .setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
                .setTcpNoDelay(true);
        trust.apply(options);
        return options;
    }
}
