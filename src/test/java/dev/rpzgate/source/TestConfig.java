package dev.rpzgate.source;

import dev.rpzgate.config.RpzgateConfig;
import dev.rpzgate.policy.PolicyStore;
import io.quarkus.runtime.configuration.MemorySize;
import java.math.BigInteger;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** Configuration objects for tests that build loaders without Quarkus, with the defaults of {@link RpzgateConfig}. */
final class TestConfig {

    private TestConfig() {
    }

    /** One zone's settings; the with-methods return a copy with one setting changed. */
    record Zone(Optional<String> file, Optional<String> url, Optional<String> rules, Optional<String> transfer,
                String format, Optional<Boolean> subdomains, Optional<String> action, Duration refresh,
                Duration timeout, MemorySize maxSize, Optional<String> origin, String policy,
                Optional<Duration> maxPolicyTtl, boolean addSoa, boolean log, boolean breakDnssec,
                boolean recursiveOnly, boolean nsdnameEnable, boolean nsipEnable, String ede)
            implements RpzgateConfig.Zone {

        static Zone empty() {
            return new Zone(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), "rpz",
                    Optional.empty(), Optional.empty(), Duration.ofHours(1), Duration.ofSeconds(30),
                    new MemorySize(BigInteger.valueOf(256L * 1024 * 1024)), Optional.empty(), "given",
                    Optional.empty(), true, true, false, true, true, true, "none");
        }

        static Zone file(String path) {
            return empty().withFile(path);
        }

        static Zone url(String url) {
            return empty().withUrl(url);
        }

        Zone withFile(String value) {
            return new Zone(Optional.of(value), url, rules, transfer, format, subdomains, action, refresh, timeout,
                    maxSize, origin, policy, maxPolicyTtl, addSoa, log, breakDnssec, recursiveOnly, nsdnameEnable,
                    nsipEnable, ede);
        }

        Zone withUrl(String value) {
            return new Zone(file, Optional.of(value), rules, transfer, format, subdomains, action, refresh, timeout,
                    maxSize, origin, policy, maxPolicyTtl, addSoa, log, breakDnssec, recursiveOnly, nsdnameEnable,
                    nsipEnable, ede);
        }

        Zone withRules(String value) {
            return new Zone(file, url, Optional.of(value), transfer, format, subdomains, action, refresh, timeout,
                    maxSize, origin, policy, maxPolicyTtl, addSoa, log, breakDnssec, recursiveOnly, nsdnameEnable,
                    nsipEnable, ede);
        }

        Zone withTransfer(String value) {
            return new Zone(file, url, rules, Optional.of(value), format, subdomains, action, refresh, timeout,
                    maxSize, origin, policy, maxPolicyTtl, addSoa, log, breakDnssec, recursiveOnly, nsdnameEnable,
                    nsipEnable, ede);
        }

        Zone withFormat(String value) {
            return new Zone(file, url, rules, transfer, value, subdomains, action, refresh, timeout, maxSize, origin,
                    policy, maxPolicyTtl, addSoa, log, breakDnssec, recursiveOnly, nsdnameEnable, nsipEnable, ede);
        }

        Zone withSubdomains(boolean value) {
            return new Zone(file, url, rules, transfer, format, Optional.of(value), action, refresh, timeout, maxSize,
                    origin, policy, maxPolicyTtl, addSoa, log, breakDnssec, recursiveOnly, nsdnameEnable, nsipEnable,
                    ede);
        }

        Zone withAction(String value) {
            return new Zone(file, url, rules, transfer, format, subdomains, Optional.of(value), refresh, timeout,
                    maxSize, origin, policy, maxPolicyTtl, addSoa, log, breakDnssec, recursiveOnly, nsdnameEnable,
                    nsipEnable, ede);
        }

        Zone withRefresh(Duration value) {
            return new Zone(file, url, rules, transfer, format, subdomains, action, value, timeout, maxSize, origin,
                    policy, maxPolicyTtl, addSoa, log, breakDnssec, recursiveOnly, nsdnameEnable, nsipEnable, ede);
        }

        Zone withTimeout(Duration value) {
            return new Zone(file, url, rules, transfer, format, subdomains, action, refresh, value, maxSize, origin,
                    policy, maxPolicyTtl, addSoa, log, breakDnssec, recursiveOnly, nsdnameEnable, nsipEnable, ede);
        }

        Zone withMaxSize(long bytes) {
            return new Zone(file, url, rules, transfer, format, subdomains, action, refresh, timeout,
                    new MemorySize(BigInteger.valueOf(bytes)), origin, policy, maxPolicyTtl, addSoa, log, breakDnssec,
                    recursiveOnly, nsdnameEnable, nsipEnable, ede);
        }

        Zone withOrigin(String value) {
            return new Zone(file, url, rules, transfer, format, subdomains, action, refresh, timeout, maxSize,
                    Optional.of(value), policy, maxPolicyTtl, addSoa, log, breakDnssec, recursiveOnly, nsdnameEnable,
                    nsipEnable, ede);
        }
    }

    /** The {@code rpzgate.policy} settings. */
    record Policy(Optional<List<String>> files, Optional<List<RpzgateConfig.Zone>> zones, Duration maxPolicyTtl,
                  String cacheDir, PolicyStore.FailMode failMode) implements RpzgateConfig.Policy {

        static Policy of(String cacheDir, RpzgateConfig.Zone... zones) {
            return new Policy(Optional.empty(), Optional.of(List.of(zones)), Duration.ofSeconds(5), cacheDir,
                    PolicyStore.FailMode.CLOSED);
        }

        static Policy ofFiles(String... files) {
            return new Policy(Optional.of(List.of(files)), Optional.empty(), Duration.ofSeconds(5), "rpzgate-cache",
                    PolicyStore.FailMode.CLOSED);
        }

        Policy withFailMode(PolicyStore.FailMode mode) {
            return new Policy(files, zones, maxPolicyTtl, cacheDir, mode);
        }
    }

    /** Returns a configuration whose only policy settings are {@code policy}; other settings are not read. */
    static RpzgateConfig of(RpzgateConfig.Policy policy) {
        return new RpzgateConfig() {
            @Override
            public String listen() {
                return "127.0.0.1:0";
            }

            @Override
            public Optional<List<String>> upstreams() {
                return Optional.empty();
            }

            @Override
            public String resolvConf() {
                return "/etc/resolv.conf";
            }

            @Override
            public Upstream upstream() {
                throw new UnsupportedOperationException("not used by the policy loaders");
            }

            @Override
            public Tcp tcp() {
                throw new UnsupportedOperationException("not used by the policy loaders");
            }

            @Override
            public RpzgateConfig.Policy policy() {
                return policy;
            }
        };
    }
}
