package dev.rpzgate.observability;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.util.Optional;

/** Settings of the policy-hit log, {@code rpzgate.hit-log.*}; docs/observability.md repeats them. */
@ConfigMapping(prefix = "rpzgate.hit-log")
public interface HitLogConfig {

    /** Whether a JSON line is written for each policy hit. The hits are counted either way. */
    @WithDefault("true")
    boolean enabled();

    /** File that the lines are appended to. When unset, they go to standard output. */
    Optional<String> file();

    /** Lines that may wait for the writer thread, 1 or more. Past it, lines are dropped and counted. */
    @WithDefault("65536")
    int queueSize();
}
