package dev.rpzgate.source;

import dev.rpzgate.config.InvalidSettingException;
import dev.rpzgate.config.RpzgateConfig;
import dev.rpzgate.policy.ZoneSettings;
import dev.rpzgate.source.transfer.TransferLimits;
import dev.rpzgate.source.transfer.TsigKey;
import dev.rpzgate.source.transfer.ZoneTransferConfig;
import dev.rpzgate.wire.HostPort;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.xbill.DNS.Name;
import org.xbill.DNS.TextParseException;

/**
 * Reads the settings of a zone with {@code transfer} into a {@link ZoneSource.Transfer}, and
 * rejects those settings on zones with another source. Every error names the setting and never
 * contains the TSIG secret.
 */
final class TransferSettings {

    private TransferSettings() {
    }

    /**
     * Reads the transfer settings of one zone.
     *
     * @param primaries the value of {@code transfer}
     * @param origin the zone name, which the configuration must give for a transfer
     * @param setting the zone's setting, such as {@code rpzgate.policy.zones[2]}
     * @throws InvalidSettingException naming the setting when a value is invalid
     */
    static ZoneSource.Transfer read(RpzgateConfig.Zone zone, String primaries, Name origin, ZoneSettings settings,
                                    String setting) {
        List<InetSocketAddress> addresses = primaries(primaries, setting + ".transfer");
        TsigKey key = tsigKey(zone, setting);
        List<InetAddress> notifySources = zone.notifyFrom()
                .map(value -> notifySources(value, setting + ".notify-from"))
                .orElse(List.of());

        ConfiguredZones.positive(zone.transferTimeout(), setting + ".transfer-timeout");
        long maxRecords = zone.transferMaxRecords().orElse(Long.MAX_VALUE);
        if (maxRecords < 1) {
            throw new InvalidSettingException(setting + ".transfer-max-records", "must be at least 1, not " + maxRecords);
        }
        TransferLimits limits = new TransferLimits(maxRecords, Long.MAX_VALUE, zone.transferTimeout());

        Duration refresh = optionalPositive(zone.refresh(), setting + ".refresh");
        Duration retry = optionalPositive(zone.retry(), setting + ".retry");
        Duration expire = optionalPositive(zone.expire(), setting + ".expire");
        return new ZoneSource.Transfer(new ZoneTransferConfig(origin, addresses, key, notifySources, limits,
                ZoneTransferConfig.DEFAULT_QUERY_TIMEOUT, refresh, retry, expire, settings));
    }

    /**
     * Rejects every setting that applies to zone transfers only on a zone whose source is
     * {@code source}. {@code transfer-timeout} is not checked, because its default makes it look
     * set on every zone.
     *
     * @throws InvalidSettingException naming the first such setting
     */
    static void rejectOnOtherSource(RpzgateConfig.Zone zone, String source, String setting) {
        Map<String, Optional<?>> transferOnly = new LinkedHashMap<>();
        transferOnly.put("tsig-key-name", zone.tsigKeyName());
        transferOnly.put("tsig-algorithm", zone.tsigAlgorithm());
        transferOnly.put("tsig-secret", zone.tsigSecret());
        transferOnly.put("notify-from", zone.notifyFrom());
        transferOnly.put("transfer-max-records", zone.transferMaxRecords());
        transferOnly.put("retry", zone.retry());
        transferOnly.put("expire", zone.expire());
        for (Map.Entry<String, Optional<?>> entry : transferOnly.entrySet()) {
            if (entry.getValue().isPresent()) {
                throw new InvalidSettingException(setting + "." + entry.getKey(), "applies to zone transfers "
                        + "only, and this zone is read from " + source + "; remove it or set transfer in place of "
                        + source);
            }
        }
    }

    private static List<InetSocketAddress> primaries(String value, String setting) {
        List<InetSocketAddress> primaries = new ArrayList<>();
        for (String entry : entries(value, setting)) {
            InetSocketAddress primary;
            try {
                primary = ZoneTransferConfig.parsePrimary(entry);
            } catch (IllegalArgumentException e) {
                throw new InvalidSettingException(setting, e.getMessage(), e);
            }
            if (primary.getPort() == 0) {
                throw new InvalidSettingException(setting, "invalid primary '" + entry + "': port 0; give the "
                        + "port the primary listens on, or none for 53");
            }
            if (primaries.contains(primary)) {
                throw new InvalidSettingException(setting, "primary '" + entry + "' is listed twice");
            }
            primaries.add(primary);
        }
        return primaries;
    }

    private static List<InetAddress> notifySources(String value, String setting) {
        List<InetAddress> sources = new ArrayList<>();
        for (String entry : entries(value, setting)) {
            HostPort hostPort;
            InetSocketAddress address;
            try {
                hostPort = HostPort.parse(entry, 0);
                address = hostPort.toSocketAddress();
            } catch (IllegalArgumentException e) {
                throw new InvalidSettingException(setting, "invalid address '" + entry + "'; give IP addresses "
                        + "such as 192.0.2.53 or 2001:db8::53", e);
            }
            if (hostPort.port() != 0) {
                // A NOTIFY may come from any source port, so a port here would mislead.
                throw new InvalidSettingException(setting, "'" + entry + "' has a port; give the address alone");
            }
            sources.add(address.getAddress());
        }
        return sources;
    }

    /** Splits a comma-separated value, rejecting empty entries. */
    private static List<String> entries(String value, String setting) {
        List<String> entries = new ArrayList<>();
        for (String entry : value.split(",", -1)) {
            if (entry.isBlank()) {
                throw new InvalidSettingException(setting, "empty entry in '" + value
                        + "'; separate IP addresses with single commas");
            }
            entries.add(entry.strip());
        }
        return entries;
    }

    private static TsigKey tsigKey(RpzgateConfig.Zone zone, String setting) {
        Optional<String> name = zone.tsigKeyName();
        Optional<String> secret = zone.tsigSecret();
        if (name.isEmpty() && secret.isEmpty()) {
            if (zone.tsigAlgorithm().isPresent()) {
                throw new InvalidSettingException(setting + ".tsig-algorithm", "set without a TSIG key; set "
                        + "tsig-key-name and tsig-secret too, or remove it");
            }
            return null;
        }
        if (name.isEmpty()) {
            throw new InvalidSettingException(setting + ".tsig-key-name", "missing; a TSIG key needs both "
                    + "tsig-key-name and tsig-secret");
        }
        if (secret.isEmpty()) {
            throw new InvalidSettingException(setting + ".tsig-secret", "missing; a TSIG key needs both "
                    + "tsig-key-name and tsig-secret");
        }

        Name keyName;
        try {
            keyName = Name.fromString(name.get().strip(), Name.root);
        } catch (TextParseException e) {
            throw new InvalidSettingException(setting + ".tsig-key-name", "invalid name '" + name.get() + "': "
                    + e.getMessage(), e);
        }
        Name algorithm;
        try {
            algorithm = TsigKey.parseAlgorithm(zone.tsigAlgorithm().orElse(null));
        } catch (IllegalArgumentException e) {
            throw new InvalidSettingException(setting + ".tsig-algorithm", e.getMessage(), e);
        }
        try {
            return new TsigKey(keyName, algorithm, secret.get());
        } catch (IllegalArgumentException e) {
            // TsigKey's messages about the secret leave the secret out.
            throw new InvalidSettingException(setting + ".tsig-secret", e.getMessage(), e);
        }
    }

    private static Duration optionalPositive(Optional<Duration> value, String setting) {
        value.ifPresent(duration -> ConfiguredZones.positive(duration, setting));
        return value.orElse(null);
    }
}
