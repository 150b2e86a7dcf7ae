package dev.rpzgate.source;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.streams.WriteStream;
import io.vertx.core.Handler;
import io.vertx.core.AsyncResult;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Downloads zone text over HTTP or HTTPS into a file, with a conditional GET, a time limit and a
 * size limit. HTTPS checks the server's certificate against the JVM's trust store and its host
 * name, as Vert.x does by default. Redirects are followed and gzip or deflate bodies are
 * decompressed; the size limit counts the decompressed bytes.
 *
 * <p>This uses Vert.x core's {@link HttpClient} rather than the Vert.x WebClient: past the size
 * limit or the time limit the download must stop, and only the core client's
 * {@link HttpClientRequest#reset} closes the stream. WebClient 4.5 pipes the body to a stream,
 * and when that stream rejects a write the pipe drains the rest of the response, so an endless
 * body would keep the connection busy.
 *
 * <p>Methods may be called from any thread; futures complete on a Vert.x event loop.
 */
public final class HttpZoneFetcher implements AutoCloseable {

    /** Result of one download that did not fail. */
    public sealed interface Result {
    }

    /** The server responded 304 to a conditional request, so the zone is unchanged. */
    public record NotModified() implements Result {
    }

    /**
     * The server sent the zone, now in the target file.
     *
     * @param bytes size of the body after decompression
     * @param validators the validators to send in the next conditional request
     */
    public record Downloaded(long bytes, ZoneCache.Validators validators) implements Result {
    }

    private final Vertx vertx;
    private final HttpClient client;

    public HttpZoneFetcher(Vertx vertx) {
        this.vertx = Objects.requireNonNull(vertx, "vertx");
        // Feeds are fetched minutes or hours apart, so an idle kept-alive connection would only
        // hold a socket open on both ends.
        HttpClientOptions options = new HttpClientOptions()
                .setKeepAlive(false)
                .setDecompressionSupported(true)
                .setVerifyHost(true)
                .setMaxRedirects(5);
        this.client = vertx.createHttpClient(options);
    }

    /**
     * Downloads {@code uri} into {@code target}, which is overwritten.
     *
     * @param conditional validators of the copy in force; {@link ZoneCache.Validators#NONE} for
     *     an unconditional request
     * @param timeout time allowed from connecting to the last byte
     * @param maxBytes largest body accepted
     * @return the result; fails with the HTTP status for a response other than 200 or 304, with a
     *     {@link TimeoutException} past {@code timeout}, and with an {@link IOException} past
     *     {@code maxBytes}
     */
    public Future<Result> fetch(URI uri, ZoneCache.Validators conditional, Path target, Duration timeout,
                                long maxBytes) {
        Promise<Result> promise = Promise.promise();
        AtomicReference<HttpClientRequest> sent = new AtomicReference<>();
        long timeoutMillis = Math.max(1, timeout.toMillis());
        long timer = vertx.setTimer(timeoutMillis, id -> abort(promise, sent.get(),
                new TimeoutException("no complete response within " + timeout.toMillis() + " ms")));
        promise.future().onComplete(done -> vertx.cancelTimer(timer));

        RequestOptions options = new RequestOptions()
                .setMethod(HttpMethod.GET)
                .setAbsoluteURI(uri.toString())
                .setFollowRedirects(true)
                .setConnectTimeout(timeoutMillis)
                .setIdleTimeout(timeoutMillis)
                .putHeader(HttpHeaders.USER_AGENT, "rpzgate");
        if (conditional.etag() != null) {
            options.putHeader(HttpHeaders.IF_NONE_MATCH, conditional.etag());
        }
        if (conditional.lastModified() != null) {
            options.putHeader(HttpHeaders.IF_MODIFIED_SINCE, conditional.lastModified());
        }

        // The request is made on an event loop, and the response handling is attached there as
        // soon as the request is sent. Attached later from the calling thread, it could run after
        // a small body had already ended, and the download would never complete.
        vertx.runOnContext(ignored -> client.request(options)
                .compose(request -> {
                    sent.set(request);
                    return request.send()
                            .onSuccess(response -> receive(response, request, conditional, target, maxBytes, promise));
                })
                .onFailure(promise::tryFail));
        return promise.future();
    }

    private void receive(HttpClientResponse response, HttpClientRequest request, ZoneCache.Validators conditional,
                         Path target, long maxBytes, Promise<Result> promise) {
        // After a reset the response reports the reset as an error, which the promise already carries.
        response.exceptionHandler(ignored -> { });
        int status = response.statusCode();
        if (status == 304 && conditional.present()) {
            promise.tryComplete(new NotModified());
            return;
        }
        if (status != 200) {
            abort(promise, request, new IOException("HTTP " + status + " " + response.statusMessage()));
            return;
        }
        String length = response.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length != null && parseLength(length) > maxBytes) {
            abort(promise, request, tooLarge(maxBytes, "Content-Length is " + length));
            return;
        }

        ZoneCache.Validators validators = new ZoneCache.Validators(response.getHeader(HttpHeaders.ETAG),
                response.getHeader(HttpHeaders.LAST_MODIFIED));
        // The body waits while the file opens; the pipe resumes it.
        response.pause();
        vertx.fileSystem().open(target.toString(), new OpenOptions().setWrite(true).setCreate(true)
                .setTruncateExisting(true)).onComplete(opened -> {
            if (opened.failed()) {
                abort(promise, request, opened.cause());
                return;
            }
            LimitedWriteStream sink = new LimitedWriteStream(opened.result(), maxBytes);
            response.pipeTo(sink).onComplete(piped -> {
                // The pipe has ended the sink, which closed the file, on success and failure alike.
                if (piped.succeeded()) {
                    promise.tryComplete(new Downloaded(sink.written, validators));
                } else {
                    abort(promise, request, piped.cause());
                }
            });
        });
    }

    private static long parseLength(String value) {
        try {
            return Long.parseLong(value.strip());
        } catch (NumberFormatException e) {
            return -1; // the body is counted as it arrives instead
        }
    }

    private static IOException tooLarge(long maxBytes, String detail) {
        return new IOException("body is larger than max-size " + maxBytes + " bytes (" + detail + ")");
    }

    private static void abort(Promise<Result> promise, HttpClientRequest request, Throwable cause) {
        if (promise.tryFail(cause) && request != null) {
            request.reset(0, cause);
        }
    }

    @Override
    public void close() {
        client.close();
    }

    /** File stream that fails a write past {@code maxBytes}, which ends the pipe. */
    private static final class LimitedWriteStream implements WriteStream<Buffer> {

        private final AsyncFile file;
        private final long maxBytes;
        private long written;
        private boolean ended;

        LimitedWriteStream(AsyncFile file, long maxBytes) {
            this.file = file;
            this.maxBytes = maxBytes;
        }

        @Override
        public Future<Void> write(Buffer data) {
            written += data.length();
            if (written > maxBytes) {
                return Future.failedFuture(tooLarge(maxBytes, "more than that arrived"));
            }
            if (ended) {
                return Future.failedFuture(new IOException("download already ended"));
            }
            return file.write(data);
        }

        @Override
        public void write(Buffer data, Handler<AsyncResult<Void>> handler) {
            write(data).onComplete(handler);
        }

        @Override
        public Future<Void> end() {
            // A second close of an AsyncFile throws, and the pipe and a failed write may both end the stream.
            if (ended) {
                return Future.succeededFuture();
            }
            ended = true;
            return file.end();
        }

        @Override
        public void end(Handler<AsyncResult<Void>> handler) {
            end().onComplete(handler);
        }

        @Override
        public WriteStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
            file.exceptionHandler(handler);
            return this;
        }

        @Override
        public WriteStream<Buffer> setWriteQueueMaxSize(int maxSize) {
            file.setWriteQueueMaxSize(maxSize);
            return this;
        }

        @Override
        public boolean writeQueueFull() {
            // Chunks already buffered may still arrive after the pipe ended the stream.
            return !ended && file.writeQueueFull();
        }

        @Override
        public WriteStream<Buffer> drainHandler(Handler<Void> handler) {
            file.drainHandler(handler);
            return this;
        }
    }
}
