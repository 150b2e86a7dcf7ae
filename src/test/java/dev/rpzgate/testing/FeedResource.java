package dev.rpzgate.testing;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.vertx.core.Vertx;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Starts a {@link FeedServer} on 127.0.0.1 before rpzgate starts and configures one zone that
 * downloads {@code /feed.hosts} from it as a hosts file every 200 ms. The server answers 503
 * until a test tells it otherwise.
 */
public class FeedResource implements QuarkusTestResourceLifecycleManager {

    private static volatile FeedServer feed;
    private Vertx vertx;

    /** Returns the running feed server. */
    public static FeedServer feed() {
        return feed;
    }

    @Override
    public Map<String, String> start() {
        vertx = Vertx.vertx();
        try {
            feed = FeedServer.start(vertx);
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the feed server", e);
        }
        feed.respond(FeedServer.Response.status(503));
        String cacheDir;
        try {
            cacheDir = Files.createTempDirectory("rpzgate-feed-cache").toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Map.of(
                "rpzgate.policy.zones[0].url", feed.url("/feed.hosts"),
                "rpzgate.policy.zones[0].format", "hosts",
                "rpzgate.policy.zones[0].refresh", "200ms",
                "rpzgate.policy.cache-dir", cacheDir);
    }

    @Override
    public void stop() {
        try {
            feed.close();
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("cannot stop the feed server", e);
        }
    }
}
