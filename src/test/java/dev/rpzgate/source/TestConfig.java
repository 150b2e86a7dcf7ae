package dev.rpzgate.source;

import dev.rpzgate.config.RpzgateConfig;
import dev.rpzgate.policy.PolicyStore;
import io.quarkus.runtime.configuration.MemorySize;
import java.math.BigInteger;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/** Configuration objects for tests that build loaders without Quarkus, with the defaults of {@link RpzgateConfig}. */
final class TestConfig {

    private TestConfig() {
    }

    /** One zone's settings, with the defaults of {@link RpzgateConfig.Zone}; each with-method returns a changed copy. */
    static final class Zone implements RpzgateConfig.Zone, Cloneable {
        private Optional<String> file = Optional.empty();
        private Optional<String> url = Optional.empty();
        private Optional<String> rules = Optional.empty();
        private Optional<String> transfer = Optional.empty();
        private Optional<String> tsigKeyName = Optional.empty();
        private Optional<String> tsigAlgorithm = Optional.empty();
        private Optional<String> tsigSecret = Optional.empty();
        private Optional<String> notifyFrom = Optional.empty();
        private Duration transferTimeout = Duration.ofHours(2);
        private Optional<Long> transferMaxRecords = Optional.empty();
        private String format = "rpz";
        private Optional<Boolean> subdomains = Optional.empty();
        private Optional<String> action = Optional.empty();
        private Optional<Duration> refresh = Optional.empty();
        private Optional<Duration> retry = Optional.empty();
        private Optional<Duration> expire = Optional.empty();
        private Duration timeout = Duration.ofSeconds(30);
        private MemorySize maxSize = new MemorySize(BigInteger.valueOf(256L * 1024 * 1024));
        private Optional<String> origin = Optional.empty();
        private Optional<List<String>> clientCidrs = Optional.empty();
        private boolean removalGuard;

        static Zone empty() {
            return new Zone();
        }

        static Zone file(String path) {
            return empty().withFile(path);
        }

        static Zone url(String url) {
            return empty().withUrl(url);
        }

        static Zone transfer(String primaries) {
            return empty().withTransfer(primaries);
        }

        Zone withFile(String value) {
            return with(zone -> zone.file = Optional.of(value));
        }

        Zone withUrl(String value) {
            return with(zone -> zone.url = Optional.of(value));
        }

        Zone withClientCidrs(String... values) {
            return with(zone -> zone.clientCidrs = Optional.of(List.of(values)));
        }

        Zone withRules(String value) {
            return with(zone -> zone.rules = Optional.of(value));
        }

        Zone withRemovalGuard(boolean value) {
            return with(zone -> zone.removalGuard = value);
        }

        Zone withTransfer(String value) {
            return with(zone -> zone.transfer = Optional.of(value));
        }

        Zone withTsigKeyName(String value) {
            return with(zone -> zone.tsigKeyName = Optional.of(value));
        }

        Zone withTsigAlgorithm(String value) {
            return with(zone -> zone.tsigAlgorithm = Optional.of(value));
        }

        Zone withTsigSecret(String value) {
            return with(zone -> zone.tsigSecret = Optional.of(value));
        }

        Zone withNotifyFrom(String value) {
            return with(zone -> zone.notifyFrom = Optional.of(value));
        }

        Zone withTransferTimeout(Duration value) {
            return with(zone -> zone.transferTimeout = value);
        }

        Zone withTransferMaxRecords(long value) {
            return with(zone -> zone.transferMaxRecords = Optional.of(value));
        }

        Zone withFormat(String value) {
            return with(zone -> zone.format = value);
        }

        Zone withSubdomains(boolean value) {
            return with(zone -> zone.subdomains = Optional.of(value));
        }

        Zone withAction(String value) {
            return with(zone -> zone.action = Optional.of(value));
        }

        Zone withRefresh(Duration value) {
            return with(zone -> zone.refresh = Optional.of(value));
        }

        Zone withRetry(Duration value) {
            return with(zone -> zone.retry = Optional.of(value));
        }

        Zone withExpire(Duration value) {
            return with(zone -> zone.expire = Optional.of(value));
        }

        Zone withTimeout(Duration value) {
            return with(zone -> zone.timeout = value);
        }

        Zone withMaxSize(long bytes) {
            return with(zone -> zone.maxSize = new MemorySize(BigInteger.valueOf(bytes)));
        }

        Zone withOrigin(String value) {
            return with(zone -> zone.origin = Optional.of(value));
        }

        private Zone with(Consumer<Zone> change) {
            Zone copy;
            try {
                copy = (Zone) clone();
            } catch (CloneNotSupportedException e) {
                throw new AssertionError(e);
            }
            change.accept(copy);
            return copy;
        }

        @Override
        public Optional<String> file() {
            return file;
        }

        @Override
        public Optional<String> url() {
            return url;
        }

        @Override
        public Optional<String> rules() {
            return rules;
        }

        @Override
        public Optional<String> transfer() {
            return transfer;
        }

        @Override
        public Optional<String> tsigKeyName() {
            return tsigKeyName;
        }

        @Override
        public Optional<String> tsigAlgorithm() {
            return tsigAlgorithm;
        }

        @Override
        public Optional<String> tsigSecret() {
            return tsigSecret;
        }

        @Override
        public Optional<String> notifyFrom() {
            return notifyFrom;
        }

        @Override
        public Duration transferTimeout() {
            return transferTimeout;
        }

        @Override
        public Optional<Long> transferMaxRecords() {
            return transferMaxRecords;
        }

        @Override
        public String format() {
            return format;
        }

        @Override
        public Optional<Boolean> subdomains() {
            return subdomains;
        }

        @Override
        public Optional<String> action() {
            return action;
        }

        @Override
        public Optional<Duration> refresh() {
            return refresh;
        }

        @Override
        public Optional<Duration> retry() {
            return retry;
        }

        @Override
        public Optional<Duration> expire() {
            return expire;
        }

        @Override
        public Duration timeout() {
            return timeout;
        }

        @Override
        public MemorySize maxSize() {
            return maxSize;
        }

        @Override
        public Optional<String> origin() {
            return origin;
        }

        @Override
        public String policy() {
            return "given";
        }

        @Override
        public Optional<Duration> maxPolicyTtl() {
            return Optional.empty();
        }

        @Override
        public boolean addSoa() {
            return true;
        }

        @Override
        public boolean log() {
            return true;
        }

        @Override
        public boolean breakDnssec() {
            return false;
        }

        @Override
        public boolean recursiveOnly() {
            return true;
        }

        @Override
        public boolean nsdnameEnable() {
            return true;
        }

        @Override
        public boolean nsipEnable() {
            return true;
        }

        @Override
        public String ede() {
            return "none";
        }

        @Override
        public Optional<List<String>> clientCidrs() {
            return clientCidrs;
        }

        @Override
        public boolean removalGuard() {
            return removalGuard;
        }

        @Override
        public double maxRemoval() {
            return 0.5;
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
            public Optional<List<ForwardZone>> forwardZones() {
                return Optional.empty();
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

            @Override
            public Cache cache() {
                throw new UnsupportedOperationException("not used by the policy loaders");
            }
        };
    }
}
