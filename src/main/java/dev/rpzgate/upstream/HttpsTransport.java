package dev.rpzgate.upstream;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import org.xbill.DNS.Message;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * DNS over HTTPS (RFC 8484): each query is a POST of {@code application/dns-message} with ID 0,
 * on connections that Vert.x's HTTP client keeps open and reuses: one HTTP/2 connection per
 * upstream and event loop where the server offers h2 by ALPN, else a pool of HTTP/1.1 keep-alive
 * connections. The certificate must chain to the configured trust and carry the upstream's TLS
 * name, which is also the Host header and SNI.
 */
final class HttpsTransport implements UpstreamTransport {

    private static final String DNS_MESSAGE = "application/dns-message";

    /** HTTP/1.1 connections per upstream and event loop, when the server does not speak HTTP/2. */
    private static final int HTTP1_POOL_SIZE = 16;

    private final Vertx vertx;
    private final HttpClientOptions options;
    private final Attempt.Listener listener;
    private HttpClient client;

    HttpsTransport(Vertx vertx, HttpClientOptions options, Attempt.Listener listener) {
        this.vertx = vertx;
        this.options = options;
        this.listener = listener;
    }

    static HttpClientOptions options(TlsTrust trust, int connectTimeoutMillis, long idleTimeoutMillis) {
        HttpClientOptions options = new HttpClientOptions()
                .setSsl(true)
                .setVerifyHost(true)
                .setForceSni(true)
                .setUseAlpn(true)
                .setProtocolVersion(HttpVersion.HTTP_2)
                .setAlpnVersions(List.of(HttpVersion.HTTP_2, HttpVersion.HTTP_1_1))
                .setHttp2MaxPoolSize(1)
                .setMaxPoolSize(HTTP1_POOL_SIZE)
                .setKeepAlive(true)
                .setConnectTimeout(connectTimeoutMillis)
                .setIdleTimeout((int) Math.min(Integer.MAX_VALUE, idleTimeoutMillis))
                .setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
                .setTcpNoDelay(true);
        trust.apply(options);
        return options;
    }

    @Override
    public Future<Void> start() {
        client = vertx.createHttpClient(options);
        return Future.succeededFuture();
    }

    @Override
    public void warmUp(Upstream upstream) {
        // Getting a request makes the pool open a connection. Resetting the request before anything
        // is written sends no query, and the connection stays in the pool for the next request.
        client.request(requestOptions(upstream)).onSuccess(request -> {
            request.exceptionHandler(error -> { });
            request.reset();
        });
    }

    private static RequestOptions requestOptions(Upstream upstream) {
        return new RequestOptions()
                .setMethod(HttpMethod.POST)
                .setServer(SocketAddress.inetSocketAddress(upstream.address()))
                .setHost(upstream.verifiedName())
                .setPort(upstream.port())
                .setURI(upstream.path())
                .putHeader(HttpHeaders.CONTENT_TYPE, DNS_MESSAGE)
                .putHeader(HttpHeaders.ACCEPT, DNS_MESSAGE);
    }

    @Override
    public void send(Attempt attempt) {
        attempt.id = 0;
        client.request(requestOptions(attempt.upstream))
                .compose(sent -> {
                    // Failures arrive through the response future; without a handler Vert.x logs each reset as an error.
                    sent.exceptionHandler(error -> { });
                    if (attempt.finished) {
                        sent.reset();
                        return Future.failedFuture("abandoned");
                    }
                    attempt.transportState = sent;
                    return sent.send(Buffer.buffer(attempt.wire));
                })
                .compose(response -> {
                    String type = response.getHeader(HttpHeaders.CONTENT_TYPE);
                    if (response.statusCode() != 200) {
                        return Future.failedFuture("HTTP status " + response.statusCode());
                    }
                    if (type == null || !type.startsWith(DNS_MESSAGE)) {
                        return Future.failedFuture("content type " + type + " instead of " + DNS_MESSAGE);
                    }
                    return response.body();
                })
                .onComplete(body -> {
                    attempt.transportState = null;
                    if (body.failed()) {
                        listener.onFailure(attempt, "DNS over HTTPS failed: " + UpstreamMessages.describe(body.cause()));
                        return;
                    }
                    byte[] bytes = body.result().getBytes();
                    Message answer = bytes.length < 12 || UpstreamMessages.idOf(bytes) != 0 ? null
                            : UpstreamMessages.parseMatchingAnswer(bytes, attempt.question);
                    if (answer == null) {
                        listener.onFailure(attempt, "invalid answer over HTTPS");
                    } else {
                        listener.onAnswer(attempt, answer);
                    }
                });
    }

    @Override
    public void abandon(Attempt attempt) {
        if (attempt.transportState instanceof HttpClientRequest request) {
            request.reset();
        }
    }

    @Override
    public Future<Void> close() {
        return client == null ? Future.succeededFuture() : client.close();
    }
}
