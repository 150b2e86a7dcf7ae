package dev.rpzgate.source.transfer;

import dev.rpzgate.policy.ZoneSettings;
import dev.rpzgate.wire.HostPort;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.xbill.DNS.Name;

/**
 * Settings of one policy zone that {@link ZoneTransferSource} keeps in sync with its primaries.
 * Start from {@link #of} and change single settings with the {@code with} methods.
 *
 * @param origin zone name, absolute
 * @param primaries primary servers as IP addresses and ports, tried in this order
 * @param tsigKey key that signs every SOA query, transfer and accepted NOTIFY, or null for none;
 *     with a key, unsigned or badly signed responses and NOTIFY messages are rejected
 * @param notifySources addresses allowed to send NOTIFY for the zone; empty allows the addresses
 *     of the primaries
 * @param limits limits that abort a transfer
 * @param queryTimeout time to wait for the response to one SOA query, over UDP and again over TCP
 *     when the response is truncated
 * @param refresh interval between SOA checks after a successful check, or null to take the SOA
 *     refresh field of the zone
 * @param retry interval between SOA checks after a failed check, or null to take the SOA retry
 *     field of the zone
 * @param expire time without a successful check after which the zone is reported expired, or null
 *     to take the SOA expire field of the zone
 * @param settings policy settings of the zone
 */
public record ZoneTransferConfig(
        Name origin,
        List<InetSocketAddress> primaries,
        TsigKey tsigKey,
        List<InetAddress> notifySources,
        TransferLimits limits,
        Duration queryTimeout,
        Duration refresh,
        Duration retry,
        Duration expire,
        ZoneSettings settings) {

    /** Port of a primary written without one. */
    public static final int DEFAULT_PORT = 53;

    /** SOA query timeout of {@link #of}, the default of dig and kdig. */
    public static final Duration DEFAULT_QUERY_TIMEOUT = Duration.ofSeconds(5);

    public ZoneTransferConfig {
        Objects.requireNonNull(origin, "origin");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(queryTimeout, "queryTimeout");
        Objects.requireNonNull(settings, "settings");
        if (!origin.isAbsolute()) {
            throw new IllegalArgumentException("zone origin must be absolute: " + origin);
        }
        primaries = List.copyOf(primaries);
        if (primaries.isEmpty()) {
            throw new IllegalArgumentException("zone " + origin + " has no primary; give at least one host:port");
        }
        for (InetSocketAddress primary : primaries) {
            if (primary.isUnresolved()) {
                throw new IllegalArgumentException("primary " + primary + " of zone " + origin + " is not an IP address");
            }
        }
        notifySources = List.copyOf(notifySources);
        requirePositive(queryTimeout, "queryTimeout");
        if (refresh != null) {
            requirePositive(refresh, "refresh");
        }
        if (retry != null) {
            requirePositive(retry, "retry");
        }
        if (expire != null) {
            requirePositive(expire, "expire");
        }
    }

    /**
     * Returns settings without TSIG, with NOTIFY allowed from the primaries, the default limits and
     * query timeout, and the timers of the zone's SOA record.
     */
    public static ZoneTransferConfig of(Name origin, List<InetSocketAddress> primaries, ZoneSettings settings) {
        return new ZoneTransferConfig(origin, primaries, null, List.of(), TransferLimits.DEFAULT,
                DEFAULT_QUERY_TIMEOUT, null, null, null, settings);
    }

    /**
     * Parses a primary written as {@code address}, {@code address:port} or {@code [v6]:port}.
     * Port 53 applies when none is given.
     *
     * @throws IllegalArgumentException naming the text when it is not an IP address and port. Host
     *     names are rejected because rpzgate does not use the system resolver.
     */
    public static InetSocketAddress parsePrimary(String text) {
        HostPort hostPort;
        try {
            hostPort = HostPort.parse(text, DEFAULT_PORT);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid primary: " + e.getMessage(), e);
        }
        try {
            return hostPort.toSocketAddress();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid primary '" + text + "': give the primary as an IP address", e);
        }
    }

    public ZoneTransferConfig withTsigKey(TsigKey key) {
        return new ZoneTransferConfig(origin, primaries, key, notifySources, limits, queryTimeout, refresh, retry,
                expire, settings);
    }

    public ZoneTransferConfig withNotifySources(List<InetAddress> sources) {
        return new ZoneTransferConfig(origin, primaries, tsigKey, sources, limits, queryTimeout, refresh, retry,
                expire, settings);
    }

    public ZoneTransferConfig withLimits(TransferLimits newLimits) {
        return new ZoneTransferConfig(origin, primaries, tsigKey, notifySources, newLimits, queryTimeout, refresh,
                retry, expire, settings);
    }

    public ZoneTransferConfig withQueryTimeout(Duration timeout) {
        return new ZoneTransferConfig(origin, primaries, tsigKey, notifySources, limits, timeout, refresh, retry,
                expire, settings);
    }

    /** Overrides the SOA timers; a null argument keeps the value of the zone's SOA record. */
    public ZoneTransferConfig withTimers(Duration newRefresh, Duration newRetry, Duration newExpire) {
        return new ZoneTransferConfig(origin, primaries, tsigKey, notifySources, limits, queryTimeout, newRefresh,
                newRetry, newExpire, settings);
    }

    /** Returns the addresses allowed to send NOTIFY, IPv4-mapped IPv6 addresses written as IPv4. */
    public Set<InetAddress> allowedNotifySources() {
        Set<InetAddress> allowed = new LinkedHashSet<>();
        if (notifySources.isEmpty()) {
            for (InetSocketAddress primary : primaries) {
                allowed.add(normalize(primary.getAddress()));
            }
        } else {
            for (InetAddress source : notifySources) {
                allowed.add(normalize(source));
            }
        }
        return Set.copyOf(allowed);
    }

    /**
     * Returns {@code address} as IPv4 when it is an IPv4-mapped IPv6 address, so that a NOTIFY
     * that arrives on a dual-stack socket matches an IPv4 entry.
     */
    static InetAddress normalize(InetAddress address) {
        byte[] bytes = address.getAddress();
        if (bytes.length != 16) {
            return address;
        }
        for (int i = 0; i < 10; i++) {
            if (bytes[i] != 0) {
                return address;
            }
        }
        if (bytes[10] != (byte) 0xFF || bytes[11] != (byte) 0xFF) {
            return address;
        }
        try {
            return InetAddress.getByAddress(Arrays.copyOfRange(bytes, 12, 16));
        } catch (UnknownHostException e) {
            // getByAddress throws only for a length other than 4 or 16.
            throw new IllegalStateException(e);
        }
    }

    private static void requirePositive(Duration value, String name) {
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be positive: " + value);
        }
    }
}
