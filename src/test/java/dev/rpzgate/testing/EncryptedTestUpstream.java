package dev.rpzgate.testing;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.parsetools.RecordParser;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * DNS over TLS (RFC 7858) and DNS over HTTPS (RFC 8484) front ends on 127.0.0.1 for a
 * {@link TestUpstream}: requests are answered by that upstream, with its data, counters and
 * misbehaviour switches, and each front end counts the connections it accepted. Both present the
 * given certificate; DoH offers HTTP/2 and HTTP/1.1 by ALPN and takes POST with
 * {@code application/dns-message}.
 */
public final class EncryptedTestUpstream implements AutoCloseable {

    private static final String DNS_MESSAGE = "application/dns-message";

    private final TestUpstream upstream;
    private final Vertx vertx = Vertx.vertx();
    private final AtomicInteger tlsConnections = new AtomicInteger();
    private final AtomicInteger httpsConnections = new AtomicInteger();
    private final Set<HttpVersion> httpVersions = ConcurrentHashMap.newKeySet();
    private final Set<NetSocket> openTlsSockets = ConcurrentHashMap.newKeySet();
    private NetServer tlsServer;
    private HttpServer httpsServer;

    private EncryptedTestUpstream(TestUpstream upstream) {
        this.upstream = upstream;
    }

    /** Starts both front ends of {@code upstream} with {@code certificate}. */
    public static EncryptedTestUpstream start(TestUpstream upstream, TestCertificate certificate) throws Exception {
        EncryptedTestUpstream server = new EncryptedTestUpstream(upstream);
        PemKeyCertOptions keyCert = new PemKeyCertOptions()
                .setCertPath(certificate.certificateFile().toString())
                .setKeyPath(certificate.keyFile().toString());
        server.tlsServer = server.vertx.createNetServer(new NetServerOptions()
                        .setHost("127.0.0.1").setPort(0).setSsl(true).setKeyCertOptions(keyCert))
                .connectHandler(server::onTlsConnection);
        server.tlsServer.listen().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        server.httpsServer = server.vertx.createHttpServer(new HttpServerOptions()
                        .setHost("127.0.0.1").setPort(0).setSsl(true).setKeyCertOptions(keyCert)
                        .setUseAlpn(true).setAlpnVersions(List.of(HttpVersion.HTTP_2, HttpVersion.HTTP_1_1)))
                .connectionHandler(connection -> server.httpsConnections.incrementAndGet())
                .requestHandler(server::onHttpsRequest);
        server.httpsServer.listen().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        return server;
    }

    public int tlsPort() {
        return tlsServer.actualPort();
    }

    public int httpsPort() {
        return httpsServer.actualPort();
    }

    /** Connections accepted by the DNS over TLS front end since start. */
    public int tlsConnections() {
        return tlsConnections.get();
    }

    /** Connections accepted by the DNS over HTTPS front end since start. */
    public int httpsConnections() {
        return httpsConnections.get();
    }

    /** DNS over TLS connections open now, as the server sees them. */
    public int openTlsConnections() {
        return openTlsSockets.size();
    }

    /** HTTP versions that DoH requests came with. */
    public Set<HttpVersion> httpVersions() {
        return Set.copyOf(httpVersions);
    }

    /**
     * Closes every open DNS over TLS connection from the server side, as an upstream restarting would. Returns
     * only after the server has closed them, because a pending close lets the next query through on the old
     * connection.
     */
    public void closeTlsConnections() throws Exception {
        List<Future<Void>> closing = openTlsSockets.stream().map(NetSocket::close).toList();
        Future.all(closing).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private void onTlsConnection(NetSocket socket) {
        tlsConnections.incrementAndGet();
        openTlsSockets.add(socket);
        socket.closeHandler(v -> openTlsSockets.remove(socket));
        InetSocketAddress source = new InetSocketAddress(socket.remoteAddress().host(), socket.remoteAddress().port());
        RecordParser parser = RecordParser.newFixed(2);
        boolean[] readingLength = {true};
        parser.handler(frame -> {
            if (readingLength[0]) {
                readingLength[0] = false;
                parser.fixedSizeMode(frame.getUnsignedShort(0));
                return;
            }
            readingLength[0] = true;
            parser.fixedSizeMode(2);
            upstream.respond(frame.getBytes(), TestUpstream.Transport.TLS, source, reply -> socket.write(
                    Buffer.buffer(reply.length + 2).appendUnsignedShort(reply.length).appendBytes(reply)));
        });
        socket.handler(parser);
    }

    private void onHttpsRequest(HttpServerRequest request) {
        httpVersions.add(request.version());
        String type = request.getHeader("Content-Type");
        if (request.method() != HttpMethod.POST || type == null || !type.equals(DNS_MESSAGE)) {
            request.response().setStatusCode(415).end();
            return;
        }
        InetSocketAddress source = new InetSocketAddress(request.remoteAddress().host(), request.remoteAddress().port());
        request.body().onSuccess(body -> upstream.respond(body.getBytes(), TestUpstream.Transport.HTTPS, source,
                reply -> request.response().putHeader("Content-Type", DNS_MESSAGE).end(Buffer.buffer(reply))));
    }

    /** Stops both front ends; the {@link TestUpstream} stays open. */
    @Override
    public void close() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
}
