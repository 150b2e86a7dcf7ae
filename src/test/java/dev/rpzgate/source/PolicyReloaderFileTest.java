package dev.rpzgate.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.rpzgate.observability.DnsMetrics;
import dev.rpzgate.policy.PolicyMatch;
import dev.rpzgate.policy.PolicyStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Name;

/** Runs {@link PolicyReloader} on zone files in a temporary directory and changes them the ways editors and Kubernetes do. */
class PolicyReloaderFileTest {

    private static final Duration AWAIT = Duration.ofSeconds(15);

    private static Vertx vertx;

    @TempDir
    Path directory;

    private PolicyReloader reloader;
    private final PolicyStore store = new PolicyStore();

    @BeforeAll
    static void startVertx() {
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stopVertx() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() {
        if (reloader != null) {
            reloader.onStop(null);
        }
    }

    private void start(TestConfig.Zone... zones) throws ZoneLoadException {
        reloader = new PolicyReloader();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        reloader.config = TestConfig.of(TestConfig.Policy.of(directory.resolve("cache").toString(), zones));
        reloader.vertx = vertx;
        reloader.store = store;
        reloader.registry = registry;
        reloader.dnsMetrics = new DnsMetrics(registry);
        reloader.start();
    }

    private PolicyReloader.ZoneStatus status() {
        return reloader.status("watched").orElseThrow();
    }

    private boolean matches(String name) {
        PolicyMatch match = store.current().matchQname(Name.fromConstantString(name));
        return match != null;
    }

    private static String zone(long serial, String... names) {
        StringBuilder text = new StringBuilder("$TTL 60\n@ SOA localhost. root.localhost. " + serial
                + " 3600 600 86400 60\n");
        for (String name : names) {
            text.append(name).append(" CNAME .\n");
        }
        return text.toString();
    }

    /** Saves as most editors do: write a new file beside the old one, then rename it over the old one. */
    private static void saveByRename(Path file, String text) throws Exception {
        Path temp = file.resolveSibling(file.getFileName() + ".swp");
        Files.writeString(temp, text);
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    @Test
    void renamedFileIsReloaded() throws Exception {
        Path file = directory.resolve("watched.rpz");
        Files.writeString(file, zone(1, "old.example"));
        start(TestConfig.Zone.file(file.toString()));
        assertThat(matches("old.example.")).isTrue();

        saveByRename(file, zone(2, "old.example", "new.example"));

        await().atMost(AWAIT).until(() -> matches("new.example."));
        assertThat(store.current().zones().get(0).serial()).isEqualTo(2);
        assertThat(status().loads()).isEqualTo(2);
        assertThat(status().failures()).isZero();
    }

    @Test
    void includedFileChangeIsReloaded() throws Exception {
        // The included file sits in its own directory, so only a watch on that directory sees the
        // edit within AWAIT, which is shorter than the periodic check.
        Path includes = Files.createDirectory(directory.resolve("includes"));
        Path included = includes.resolve("part.rpz");
        Files.writeString(included, "old.example CNAME .\n");
        Path file = directory.resolve("watched.rpz");
        Files.writeString(file, zone(1, "main.example") + "$INCLUDE includes/part.rpz\n");
        start(TestConfig.Zone.file(file.toString()));
        assertThat(matches("old.example.")).isTrue();

        saveByRename(included, "new.example CNAME .\n");

        await().atMost(AWAIT).until(() -> matches("new.example."));
        assertThat(matches("old.example.")).isFalse();
        assertThat(matches("main.example.")).isTrue();
        assertThat(status().loads()).isEqualTo(2);
    }

    @Test
    void nestedIncludedFileChangeIsReloaded() throws Exception {
        // The second level sits in a directory of its own, named relative to the first-level file
        // as dnsjava resolves it, so only a watch on that directory detects the edit within AWAIT.
        Path includes = Files.createDirectory(directory.resolve("includes"));
        Path deeper = Files.createDirectory(includes.resolve("deeper"));
        Path nested = deeper.resolve("leaf.rpz");
        Files.writeString(nested, "old.example CNAME .\n");
        Files.writeString(includes.resolve("part.rpz"), "part.example CNAME .\n$INCLUDE deeper/leaf.rpz\n");
        Path file = directory.resolve("watched.rpz");
        Files.writeString(file, zone(1, "main.example") + "$INCLUDE includes/part.rpz\n");
        start(TestConfig.Zone.file(file.toString()));
        assertThat(matches("old.example.")).isTrue();

        saveByRename(nested, "new.example CNAME .\n");

        await().atMost(AWAIT).until(() -> matches("new.example."));
        assertThat(matches("old.example.")).isFalse();
        assertThat(matches("part.example.")).isTrue();
        assertThat(matches("main.example.")).isTrue();
        assertThat(status().loads()).isEqualTo(2);
    }

    @Test
    void absoluteIncludeChangeIsReloaded() throws Exception {
        Path elsewhere = Files.createDirectory(directory.resolve("elsewhere"));
        Path included = elsewhere.resolve("part.rpz");
        Files.writeString(included, "old.example CNAME .\n");
        Path file = directory.resolve("watched.rpz");
        Files.writeString(file, zone(1, "main.example") + "$INCLUDE " + included.toAbsolutePath() + "\n");
        start(TestConfig.Zone.file(file.toString()));
        assertThat(matches("old.example.")).isTrue();

        saveByRename(included, "new.example CNAME .\n");

        await().atMost(AWAIT).until(() -> matches("new.example."));
        assertThat(matches("old.example.")).isFalse();
        assertThat(status().loads()).isEqualTo(2);
    }

    @Test
    void fileWrittenInPlaceIsReloaded() throws Exception {
        Path file = directory.resolve("watched.txt");
        Files.writeString(file, "old.example\n");
        start(TestConfig.Zone.file(file.toString()).withFormat("domains"));

        Files.writeString(file, "new.example\n");

        await().atMost(AWAIT).until(() -> matches("new.example."));
        assertThat(matches("old.example.")).isFalse();
    }

    @Test
    void brokenEditKeepsOldRules() throws Exception {
        Path file = directory.resolve("watched.rpz");
        Files.writeString(file, zone(1, "old.example"));
        start(TestConfig.Zone.file(file.toString()));

        saveByRename(file, zone(2, "old.example") + "broken.example CNAMEX .\n");

        await().atMost(AWAIT).until(() -> status().failures() == 1);
        assertThat(status().lastError()).isEqualTo("policy zone file " + file + " line 4: Invalid type 'CNAMEX'");
        assertThat(matches("old.example.")).isTrue();
        assertThat(store.current().zones().get(0).serial()).isEqualTo(1);

        saveByRename(file, zone(3, "fixed.example"));
        await().atMost(AWAIT).until(() -> matches("fixed.example."));
        assertThat(status().lastError()).isNull();
        assertThat(status().failures()).isEqualTo(1);
    }

    @Test
    void deletedFileKeepsRulesUntilItReturns() throws Exception {
        Path file = directory.resolve("watched.rpz");
        Files.writeString(file, zone(1, "old.example"));
        start(TestConfig.Zone.file(file.toString()));

        Files.delete(file);
        await().atMost(AWAIT).until(() -> status().failures() == 1);
        assertThat(status().lastError()).startsWith("cannot read policy zone file " + file);
        assertThat(matches("old.example.")).isTrue();

        Files.writeString(file, zone(2, "back.example"));
        await().atMost(AWAIT).until(() -> matches("back.example."));
    }

    @Test
    void configMapSymlinkSwapIsReloaded() throws Exception {
        // The layout of a Kubernetes ConfigMap volume: zone.rpz -> ..data/zone.rpz, ..data -> ..v1.
        Path v1 = Files.createDirectory(directory.resolve("..v1"));
        Files.writeString(v1.resolve("zone.rpz"), zone(1, "old.example"));
        Files.createSymbolicLink(directory.resolve("..data"), Path.of("..v1"));
        Path file = Files.createSymbolicLink(directory.resolve("zone.rpz"), Path.of("..data/zone.rpz"));
        start(TestConfig.Zone.file(file.toString()).withOrigin("watched"));

        Path v2 = Files.createDirectory(directory.resolve("..v2"));
        Files.writeString(v2.resolve("zone.rpz"), zone(2, "new.example"));
        Path newLink = Files.createSymbolicLink(directory.resolve("..data_tmp"), Path.of("..v2"));
        Files.move(newLink, directory.resolve("..data"), StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);

        await().atMost(AWAIT).until(() -> matches("new.example."));
        assertThat(matches("old.example.")).isFalse();
    }

    @Test
    void unreadableFileFailsStart() throws Exception {
        Path file = directory.resolve("watched.rpz");
        Files.writeString(file, zone(1, "old.example") + "bad CNAMEX .\n");

        assertThatThrownBy(() -> start(TestConfig.Zone.file(file.toString())))
                .isInstanceOf(ZoneLoadException.class)
                .hasMessage("policy zone file " + file + " line 4: Invalid type 'CNAMEX'");
    }
}
