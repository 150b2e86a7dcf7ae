package dev.rpzgate.testing;

import dev.rpzgate.source.transfer.KnotPrimary;
import dev.rpzgate.source.transfer.TsigKey;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Starts a Knot DNS primary on 127.0.0.1 before rpzgate starts, with the zone {@code rpz.test.}
 * at serial 1 holding {@link #FIRST_RULES}, signed with a TSIG key generated here. rpzgate is
 * configured to transfer that zone with the key, and to listen on a port chosen here, because
 * knotd must know where to send NOTIFY before rpzgate starts.
 */
public class KnotPrimaryResource implements QuarkusTestResourceLifecycleManager {

    /** Rules of serial 1, relative to {@code rpz.test.}. */
    public static final List<String> FIRST_RULES = List.of("bad.transfer.test CNAME .", "old.transfer.test CNAME .");

    /** Refresh 3600 s, retry 600 s, expire 86400 s, minimum 60 s, so only a NOTIFY brings a change during a test. */
    private static final String SOA_TIMERS = "3600 600 86400 60";

    private static volatile KnotPrimary primary;
    private static volatile TsigKey key;

    /** Returns the running primary. */
    public static KnotPrimary primary() {
        return primary;
    }

    /** Returns the key that the primary and rpzgate share. */
    public static TsigKey key() {
        return key;
    }

    @Override
    public Map<String, String> start() {
        Path directory;
        try {
            directory = Files.createTempDirectory("rpzgate-knot");
            key = KnotPrimary.randomKey();
            int rpzgatePort = KnotPrimary.freePort();
            primary = KnotPrimary.start(directory.resolve("knot"), key, rpzgatePort, true, SOA_TIMERS, 1, FIRST_RULES);
            return Map.of(
                    "rpzgate.listen", "127.0.0.1:" + rpzgatePort,
                    "rpzgate.policy.zones[0].transfer", "127.0.0.1:" + primary.address().getPort(),
                    "rpzgate.policy.zones[0].origin", KnotPrimary.ZONE.toString(),
                    "rpzgate.policy.zones[0].tsig-key-name", key.name().toString(),
                    "rpzgate.policy.zones[0].tsig-algorithm", key.algorithmLabel(),
                    "rpzgate.policy.zones[0].tsig-secret", key.secret(),
                    "rpzgate.policy.cache-dir", directory.resolve("cache").toString());
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the Knot DNS primary", e);
        }
    }

    @Override
    public void stop() {
        if (primary == null) {
            return;
        }
        try {
            primary.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while stopping the Knot DNS primary", e);
        }
    }
}
