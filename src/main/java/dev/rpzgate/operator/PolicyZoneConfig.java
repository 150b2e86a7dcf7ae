package dev.rpzgate.operator;

import dev.rpzgate.config.RpzgateConfig;
import io.quarkus.runtime.configuration.MemorySize;

import java.math.BigInteger;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A PolicyZone seen as one entry of {@code rpzgate.policy.zones}, so that a resource is checked
 * and turned into a zone by the same code as a configured zone and gets the same defaults.
 * {@code text} is the zone text from {@code rules} or the ConfigMap, and {@code tsigSecret} the
 * value read from the Secret.
 */
final class PolicyZoneConfig implements RpzgateConfig.Zone {

    /** Maximum duration accepted, because callers convert durations to milliseconds in a long. */
    private static final Duration MAX_DURATION = Duration.ofMillis(Long.MAX_VALUE);
    private static final Pattern DURATION_PART = Pattern.compile("([0-9]+)(ms|s|m|h|d)");

    private final PolicyZoneSpec spec;
    private final PolicyZoneSource source;
    private final String defaultOrigin;
    private final Optional<String> text;
    private final Optional<String> tsigSecret;

    PolicyZoneConfig(PolicyZoneSpec spec, String defaultOrigin, Optional<String> text, Optional<String> tsigSecret) {
        this.spec = spec;
        this.source = spec.source;
        this.defaultOrigin = defaultOrigin;
        this.text = text;
        this.tsigSecret = tsigSecret;
    }

    /**
     * Parses a duration written as number-and-unit pairs, such as {@code 90s} or {@code 1h30m}.
     *
     * @throws IllegalArgumentException naming {@code field}
     */
    static Duration duration(String value, String field) {
        Matcher matcher = DURATION_PART.matcher(value);
        Duration total = Duration.ZERO;
        int end = 0;
        try {
            while (matcher.find() && matcher.start() == end) {
                long amount = Long.parseLong(matcher.group(1));
                total = total.plus(switch (matcher.group(2)) {
                    case "ms" -> Duration.ofMillis(amount);
                    case "s" -> Duration.ofSeconds(amount);
                    case "m" -> Duration.ofMinutes(amount);
                    case "h" -> Duration.ofHours(amount);
                    default -> Duration.ofDays(amount);
                });
                end = matcher.end();
            }
        } catch (NumberFormatException | ArithmeticException e) {
            throw tooLarge(value, field, e);
        }
        if (total.compareTo(MAX_DURATION) > 0) {
            throw tooLarge(value, field, null);
        }
        if (end == 0 || end != value.length()) {
            throw new IllegalArgumentException(field + ": invalid duration '" + value + "'; write it as 30s, 5m or 1h30m");
        }
        return total;
    }

    /**
     * Builds the error for a duration beyond {@link #MAX_DURATION}. The schema pattern admits any number of digits,
     * and an exception other than IllegalArgumentException would make the reconcile retry forever instead of
     * reporting the field in the status.
     */
    private static IllegalArgumentException tooLarge(String value, String field, Exception cause) {
        return new IllegalArgumentException(field + ": duration '" + value + "' is too large; write at most "
                + MAX_DURATION.toDays() + "d", cause);
    }

    private PolicyZoneSource.UrlSource urlSource() {
        return source.url;
    }

    private PolicyZoneSource.TransferSource transferSource() {
        return source.transfer;
    }

    @Override
    public boolean removalGuard() {
        // The guard needs an operator to confirm through the admin API of every replica, which does not fit a resource.
        return false;
    }

    @Override
    public double maxRemoval() {
        return 0.5;
    }

    @Override
    public Optional<String> file() {
        return Optional.empty();
    }

    @Override
    public Optional<String> url() {
        return urlSource() == null ? Optional.empty() : Optional.ofNullable(urlSource().url);
    }

    @Override
    public Optional<String> rules() {
        return source.rules != null || source.configMapRef != null ? text : Optional.empty();
    }

    @Override
    public Optional<String> transfer() {
        if (transferSource() == null) {
            return Optional.empty();
        }
        List<String> primaries = transferSource().primaries == null ? List.of() : transferSource().primaries;
        return Optional.of(String.join(",", primaries));
    }

    @Override
    public Optional<String> tsigKeyName() {
        return transferSource() == null ? Optional.empty() : Optional.ofNullable(transferSource().tsigKeyName);
    }

    @Override
    public Optional<String> tsigAlgorithm() {
        return transferSource() == null ? Optional.empty() : Optional.ofNullable(transferSource().tsigAlgorithm);
    }

    @Override
    public Optional<String> tsigSecret() {
        return tsigSecret;
    }

    @Override
    public Optional<String> notifyFrom() {
        if (transferSource() == null || transferSource().notifyFrom == null) {
            return Optional.empty();
        }
        return Optional.of(String.join(",", transferSource().notifyFrom));
    }

    @Override
    public Duration transferTimeout() {
        if (transferSource() == null || transferSource().timeout == null) {
            return Duration.ofHours(2);
        }
        return duration(transferSource().timeout, "spec.source.transfer.timeout");
    }

    @Override
    public Optional<Long> transferMaxRecords() {
        return transferSource() == null ? Optional.empty() : Optional.ofNullable(transferSource().maxRecords);
    }

    @Override
    public String format() {
        return spec.format == null ? "rpz" : spec.format.name().toLowerCase(Locale.ROOT);
    }

    @Override
    public Optional<Boolean> subdomains() {
        return Optional.ofNullable(spec.subdomains);
    }

    @Override
    public Optional<String> action() {
        return spec.action == null ? Optional.empty()
                : Optional.of(spec.action.name().toLowerCase(Locale.ROOT).replace('_', '-'));
    }

    @Override
    public Optional<Duration> refresh() {
        if (urlSource() != null) {
            String value = urlSource().refresh;
            return value == null ? Optional.empty() : Optional.of(duration(value, "spec.source.url.refresh"));
        }
        if (transferSource() != null) {
            String value = transferSource().refresh;
            return value == null ? Optional.empty() : Optional.of(duration(value, "spec.source.transfer.refresh"));
        }
        return Optional.empty();
    }

    @Override
    public Optional<Duration> retry() {
        if (transferSource() == null || transferSource().retry == null) {
            return Optional.empty();
        }
        return Optional.of(duration(transferSource().retry, "spec.source.transfer.retry"));
    }

    @Override
    public Optional<Duration> expire() {
        if (transferSource() == null || transferSource().expire == null) {
            return Optional.empty();
        }
        return Optional.of(duration(transferSource().expire, "spec.source.transfer.expire"));
    }

    @Override
    public Duration timeout() {
        if (urlSource() == null || urlSource().timeout == null) {
            return Duration.ofSeconds(30);
        }
        return duration(urlSource().timeout, "spec.source.url.timeout");
    }

    @Override
    public MemorySize maxSize() {
        long bytes = urlSource() == null || urlSource().maxBytes == null ? 256L * 1024 * 1024 : urlSource().maxBytes;
        return new MemorySize(BigInteger.valueOf(bytes));
    }

    @Override
    public Optional<String> origin() {
        return Optional.of(spec.origin != null ? spec.origin : defaultOrigin);
    }

    @Override
    public String policy() {
        if (Boolean.TRUE.equals(spec.dryRun)) {
            return "disabled";
        }
        return spec.policy == null ? "given" : spec.policy;
    }

    @Override
    public Optional<Duration> maxPolicyTtl() {
        return spec.maxPolicyTtl == null ? Optional.empty()
                : Optional.of(duration(spec.maxPolicyTtl, "spec.maxPolicyTtl"));
    }

    @Override
    public boolean addSoa() {
        return spec.addSoa == null || spec.addSoa;
    }

    @Override
    public boolean log() {
        return spec.log == null || spec.log;
    }

    @Override
    public boolean breakDnssec() {
        return spec.breakDnssec != null && spec.breakDnssec;
    }

    @Override
    public boolean recursiveOnly() {
        return spec.recursiveOnly == null || spec.recursiveOnly;
    }

    @Override
    public boolean nsdnameEnable() {
        return spec.nsdnameEnable == null || spec.nsdnameEnable;
    }

    @Override
    public boolean nsipEnable() {
        return spec.nsipEnable == null || spec.nsipEnable;
    }

    @Override
    public Optional<List<String>> clientCidrs() {
        return spec.clientCIDRs == null || spec.clientCIDRs.isEmpty() ? Optional.empty()
                : Optional.of(spec.clientCIDRs);
    }

    @Override
    public String ede() {
        return spec.ede == null ? "none" : spec.ede.name().toLowerCase(Locale.ROOT);
    }
}
