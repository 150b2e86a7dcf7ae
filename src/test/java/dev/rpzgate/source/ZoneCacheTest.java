package dev.rpzgate.source;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ZoneCacheTest {

    private static final String SOURCE = "https://feeds.example/list.txt";

    @Test
    void storedCopyIsFoundWithValidators(@TempDir Path directory) throws Exception {
        ZoneCache cache = new ZoneCache(directory.resolve("cache"));
        Path download = cache.newTempFile("list");
        Files.writeString(download, "bad.example\n");

        cache.store("list", download, SOURCE, new ZoneCache.Validators("\"v1\"", "Tue, 01 Dec 2026 10:00:00 GMT"));
        Optional<ZoneCache.Copy> copy = cache.find("list", SOURCE);

        assertThat(copy).isPresent();
        assertThat(Files.readString(copy.get().text())).isEqualTo("bad.example\n");
        assertThat(copy.get().validators()).isEqualTo(
                new ZoneCache.Validators("\"v1\"", "Tue, 01 Dec 2026 10:00:00 GMT"));
        assertThat(download).doesNotExist();
        try (var files = Files.list(directory.resolve("cache"))) {
            assertThat(files.map(file -> file.getFileName().toString())).containsExactlyInAnyOrder("list.zone",
                    "list.meta");
        }
    }

    @Test
    void copyFromAnotherSourceIsIgnored(@TempDir Path directory) throws Exception {
        ZoneCache cache = new ZoneCache(directory);
        Path download = cache.newTempFile("list");
        Files.writeString(download, "bad.example\n");
        cache.store("list", download, SOURCE, ZoneCache.Validators.NONE);

        assertThat(cache.find("list", "https://other.example/list.txt")).isEmpty();
        assertThat(cache.find("other", SOURCE)).isEmpty();
        assertThat(cache.find("list", SOURCE).orElseThrow().validators().present()).isFalse();
    }

    @Test
    void storeReplacesOldCopy(@TempDir Path directory) throws Exception {
        ZoneCache cache = new ZoneCache(directory);
        for (String version : new String[] {"one.example\n", "two.example\n"}) {
            Path download = cache.newTempFile("list");
            Files.writeString(download, version);
            cache.store("list", download, SOURCE, new ZoneCache.Validators(version.strip(), null));
        }

        ZoneCache.Copy copy = cache.find("list", SOURCE).orElseThrow();
        assertThat(Files.readString(copy.text())).isEqualTo("two.example\n");
        assertThat(copy.validators().etag()).isEqualTo("two.example");
        assertThat(copy.validators().lastModified()).isNull();
    }

    @Test
    void zoneNamesBecomeSafeFileNames(@TempDir Path directory) {
        ZoneCache cache = new ZoneCache(directory);

        assertThat(cache.textFile("Feed.Example")).isEqualTo(directory.resolve("feed.example.zone"));
        assertThat(cache.textFile("a/b\\032c")).isEqualTo(directory.resolve("a_b_032c.zone"));
        assertThat(cache.textFile("..")).isEqualTo(directory.resolve("_...zone"));
        assertThat(cache.textFile("")).isEqualTo(directory.resolve("root.zone"));
    }
}
