package dev.rpzgate.upstream;

import dev.rpzgate.config.RpzgateConfig;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** Configuration objects for upstream tests without Quarkus, with the defaults of {@link RpzgateConfig}. */
final class UpstreamTestConfig {

    private UpstreamTestConfig() {
    }

    /** Upstream settings; each with-method returns a changed copy. */
    record Settings(Duration timeout, Duration queryTimeout, Selection selection, int maxInFlight, int maxQueued,
                    Duration queueTimeout, int maxFailures, Duration probeInterval, String probeName,
                    Optional<String> caFile, Duration idleTimeout) implements RpzgateConfig.Upstream {

        Settings withSelection(Selection value) {
            return new Settings(timeout, queryTimeout, value, maxInFlight, maxQueued, queueTimeout, maxFailures,
                    probeInterval, probeName, caFile, idleTimeout);
        }

        Settings withCaFile(String value) {
            return new Settings(timeout, queryTimeout, selection, maxInFlight, maxQueued, queueTimeout, maxFailures,
                    probeInterval, probeName, Optional.ofNullable(value), idleTimeout);
        }

        Settings withMaxInFlight(int value) {
            return new Settings(timeout, queryTimeout, selection, value, maxQueued, queueTimeout, maxFailures,
                    probeInterval, probeName, caFile, idleTimeout);
        }

        @Override
        public RpzgateConfig.Health health() {
            return new RpzgateConfig.Health() {
                @Override
                public int maxFailures() {
                    return maxFailures;
                }

                @Override
                public Duration probeInterval() {
                    return probeInterval;
                }

                @Override
                public String probeName() {
                    return probeName;
                }
            };
        }

        @Override
        public RpzgateConfig.Tls tls() {
            return new RpzgateConfig.Tls() {
                @Override
                public Optional<String> caFile() {
                    return caFile;
                }

                @Override
                public Duration idleTimeout() {
                    return idleTimeout;
                }
            };
        }
    }

    record ForwardZone(String name, List<String> upstreams, Optional<Selection> selection)
            implements RpzgateConfig.ForwardZone {
    }

    /** The defaults of {@code rpzgate.upstream.*}. */
    static Settings settings() {
        return new Settings(Duration.ofSeconds(2), Duration.ofSeconds(4), Selection.SEQUENTIAL, 1000, 100,
                Duration.ofMillis(250), 3, Duration.ofSeconds(1), ".", Optional.empty(), Duration.ofSeconds(30));
    }

    static RpzgateConfig of(List<String> upstreams, String resolvConf, List<RpzgateConfig.ForwardZone> forwardZones,
                            RpzgateConfig.Upstream settings) {
        return new RpzgateConfig() {
            @Override
            public String listen() {
                return "127.0.0.1:5353";
            }

            @Override
            public Optional<List<String>> upstreams() {
                return Optional.ofNullable(upstreams);
            }

            @Override
            public Optional<List<RpzgateConfig.ForwardZone>> forwardZones() {
                return Optional.of(forwardZones);
            }

            @Override
            public String resolvConf() {
                return resolvConf;
            }

            @Override
            public RpzgateConfig.Upstream upstream() {
                return settings;
            }

            @Override
            public Tcp tcp() {
                return () -> Duration.ofSeconds(10);
            }

            @Override
            public Policy policy() {
                return null;
            }

            @Override
            public Cache cache() {
                return null;
            }
        };
    }
}
