package dev.rpzgate.testing;

import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * An HTTP server on 127.0.0.1 that serves one feed for the reload tests, with the ETag and
 * Last-Modified validators of a real feed server: a request whose If-None-Match or
 * If-Modified-Since matches gets 304. It records the headers of every request.
 */
public final class FeedServer implements AutoCloseable {

    /**
     * What the server sends.
     *
     * @param status status code for a request that is not answered 304
     * @param body the feed
     * @param etag ETag header, or null for none
     * @param lastModified Last-Modified header, or null for none
     * @param chunked whether the body is sent without Content-Length
     * @param hang whether the request is never answered
     */
    public record Response(int status, String body, String etag, String lastModified, boolean chunked, boolean hang) {

        /** A 200 response with {@code body} and an ETag. */
        public static Response feed(String body, String etag) {
            return new Response(200, body, etag, null, false, false);
        }

        /** A response with {@code status} and a short body. */
        public static Response status(int status) {
            return new Response(status, "error\n", null, null, false, false);
        }

        /** No answer at all. */
        public static Response silence() {
            return new Response(200, "", null, null, false, true);
        }
    }

    private final HttpServer server;
    private final List<MultiMap> requests = new CopyOnWriteArrayList<>();
    private volatile Response response = Response.status(404);

    private FeedServer(Vertx vertx) throws Exception {
        this.server = vertx.createHttpServer().requestHandler(this::handle)
                .listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    /** Starts a server on a free port of 127.0.0.1. */
    public static FeedServer start(Vertx vertx) throws Exception {
        return new FeedServer(vertx);
    }

    /** Returns the URL of {@code path} on this server. */
    public String url(String path) {
        return "http://127.0.0.1:" + server.actualPort() + path;
    }

    /** Sets what the server sends from now on. */
    public void respond(Response next) {
        response = next;
    }

    /** Returns the headers of every request so far, oldest first. */
    public List<MultiMap> requests() {
        return List.copyOf(requests);
    }

    /** Returns how many requests carried {@code If-None-Match: etag}. */
    public long conditionalRequests(String etag) {
        return requests.stream().filter(headers -> etag.equals(headers.get("If-None-Match"))).count();
    }

    private void handle(HttpServerRequest request) {
        requests.add(MultiMap.caseInsensitiveMultiMap().addAll(request.headers()));
        Response now = response;
        if (now.hang()) {
            return;
        }

        HttpServerResponse out = request.response();
        if (now.etag() != null) {
            out.putHeader("ETag", now.etag());
        }
        if (now.lastModified() != null) {
            out.putHeader("Last-Modified", now.lastModified());
        }
        String ifNoneMatch = request.getHeader("If-None-Match");
        boolean unchanged = ifNoneMatch != null
                ? ifNoneMatch.equals(now.etag())
                : now.lastModified() != null && now.lastModified().equals(request.getHeader("If-Modified-Since"));
        if (now.status() == 200 && unchanged) {
            out.setStatusCode(304).end();
            return;
        }

        out.setStatusCode(now.status());
        if (!now.chunked()) {
            out.end(now.body());
            return;
        }

        out.setChunked(true);
        String body = now.body();
        for (int start = 0; start < body.length(); start += 100) {
            out.write(body.substring(start, Math.min(body.length(), start + 100)));
        }
        out.end();
    }

    /** Stops the server; connections to its port are refused from then on. */
    @Override
    public void close() throws Exception {
        server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
}
