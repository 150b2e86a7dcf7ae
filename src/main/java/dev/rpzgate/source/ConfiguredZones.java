package dev.rpzgate.source;

import dev.rpzgate.config.RpzgateConfig;
import dev.rpzgate.policy.ExtendedError;
import dev.rpzgate.policy.PolicyOverride;
import dev.rpzgate.policy.PolicySet;
import dev.rpzgate.policy.PolicyZone;
import dev.rpzgate.policy.ZoneSettings;
import org.xbill.DNS.Name;
import org.xbill.DNS.TextParseException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Loads the policy zones that the configuration names, {@code rpzgate.policy.files} or {@code rpzgate.policy.zones}. */
public final class ConfiguredZones {

    private ConfiguredZones() {
    }

    /**
     * Loads every configured zone in precedence order.
     *
     * @throws ZoneLoadException        naming the file and line of the first zone that cannot be loaded
     * @throws IllegalArgumentException naming the setting when the configuration is invalid
     */
    public static PolicySet load(RpzgateConfig.Policy config) throws ZoneLoadException {
        List<String> files = config.files().orElse(List.of());
        List<RpzgateConfig.Zone> zones = config.zones().orElse(List.of());
        if (!files.isEmpty() && !zones.isEmpty()) {
            throw new IllegalArgumentException("both rpzgate.policy.files and rpzgate.policy.zones are set; "
                    + "list every zone in rpzgate.policy.zones instead");
        }
        if (zones.isEmpty()) {
            return RpzZoneFileLoader.loadAll(files, new ZoneSettings(config.maxPolicyTtl()));
        }

        List<PolicyZone> loaded = new ArrayList<>();
        for (int i = 0; i < zones.size(); i++) {
            RpzgateConfig.Zone zone = zones.get(i);
            String setting = "rpzgate.policy.zones[" + i + "]";
            ZoneSettings settings = settings(zone, config, setting);
            loaded.add(RpzZoneFileLoader.load(Path.of(zone.file()), origin(zone, setting), settings));
        }
        return new PolicySet(loaded);
    }

    /** Reads one zone's settings, with {@code setting} naming it in errors. */
    static ZoneSettings settings(RpzgateConfig.Zone zone, RpzgateConfig.Policy config, String setting) {
        PolicyOverride override;
        ExtendedError ede;
        try {
            override = PolicyOverride.parse(zone.policy());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(setting + ".policy: " + e.getMessage(), e);
        }
        try {
            ede = ExtendedError.parse(zone.ede());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(setting + ".ede: " + e.getMessage(), e);
        }
        return new ZoneSettings(zone.maxPolicyTtl().orElse(config.maxPolicyTtl()), override, zone.addSoa(), zone.log(),
                zone.breakDnssec(), zone.recursiveOnly(), zone.nsdnameEnable(), zone.nsipEnable(), ede);
    }

    private static Name origin(RpzgateConfig.Zone zone, String setting) {
        if (zone.origin().isEmpty()) {
            return null;
        }
        try {
            return Name.fromString(zone.origin().get(), Name.root);
        } catch (TextParseException e) {
            throw new IllegalArgumentException(setting + ".origin: invalid zone name '" + zone.origin().get() + "': "
                    + e.getMessage(), e);
        }
    }
}
