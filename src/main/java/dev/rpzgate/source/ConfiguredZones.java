package dev.rpzgate.source;

import dev.rpzgate.config.InvalidSettingException;
import dev.rpzgate.config.RpzgateConfig;
import dev.rpzgate.policy.ClientCidrs;
import dev.rpzgate.policy.ExtendedError;
import dev.rpzgate.policy.PolicyAction;
import dev.rpzgate.policy.PolicyOverride;
import dev.rpzgate.policy.ZoneSettings;
import org.xbill.DNS.Name;
import org.xbill.DNS.TextParseException;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads the policy zones that the configuration names, {@code rpzgate.policy.files} or
 * {@code rpzgate.policy.zones}, into checked {@link ZoneSpec}s. Every error names the setting.
 */
public final class ConfiguredZones {

    /** Time between two downloads of a URL zone without {@code refresh}. */
    static final Duration URL_REFRESH = Duration.ofHours(1);

    private static final List<PolicyAction> LIST_ACTIONS = List.of(PolicyAction.NXDOMAIN, PolicyAction.NODATA,
            PolicyAction.DROP, PolicyAction.PASSTHRU, PolicyAction.TCP_ONLY);

    private ConfiguredZones() {
    }

    /**
     * Reads every configured zone in precedence order.
     *
     * @throws InvalidSettingException naming the first invalid setting
     */
    public static List<ZoneSpec> read(RpzgateConfig.Policy config) {
        List<InvalidSettingException> problems = new ArrayList<>();
        List<ZoneSpec> specs = read(config, problems, false);
        if (!problems.isEmpty()) {
            throw problems.get(0);
        }
        return specs;
    }

    /**
     * Returns the problems of every zone and of the zones taken together, such as two zones of one
     * name, so that start-up can report them all at once. A zone gets one problem for a missing or
     * second source, one for each of {@code format}, {@code action}, {@code origin}, {@code policy},
     * {@code ede} and {@code client-cidrs} that is invalid on its own, and one for the first other
     * problem found.
     */
    public static List<InvalidSettingException> problems(RpzgateConfig.Policy config) {
        List<InvalidSettingException> problems = new ArrayList<>();
        read(config, problems, true);
        return problems;
    }

    /**
     * Reads the zones that are valid and adds a problem to {@code problems} for each that is not.
     *
     * @param everyValue whether to check the values that need no other setting one by one as well
     */
    private static List<ZoneSpec> read(RpzgateConfig.Policy config, List<InvalidSettingException> problems,
                                       boolean everyValue) {
        List<String> files = config.files().orElse(List.of());
        List<RpzgateConfig.Zone> zones = config.zones().orElse(List.of());
        if (!files.isEmpty() && !zones.isEmpty()) {
            problems.add(new InvalidSettingException("rpzgate.policy.files", "cannot be set together with "
                    + "rpzgate.policy.zones; list every zone in rpzgate.policy.zones instead"));
            return List.of();
        }

        List<ZoneSpec> specs = new ArrayList<>();
        if (zones.isEmpty()) {
            if (config.maxPolicyTtl().isNegative()) {
                problems.add(new InvalidSettingException("rpzgate.policy.max-policy-ttl", "must not be negative, not "
                        + config.maxPolicyTtl()));
                return List.of();
            }
            ZoneSettings settings = new ZoneSettings(config.maxPolicyTtl());
            for (String entry : files) {
                try {
                    specs.add(fileEntry(entry, settings));
                } catch (IllegalArgumentException e) {
                    problems.add(new InvalidSettingException("rpzgate.policy.files", e.getMessage(), e));
                }
            }
        } else {
            for (int i = 0; i < zones.size(); i++) {
                String setting = "rpzgate.policy.zones[" + i + "]";
                List<InvalidSettingException> zoneProblems = everyValue ? valueProblems(zones.get(i), setting)
                        : new ArrayList<>();
                try {
                    specs.add(zone(zones.get(i), config, setting));
                } catch (InvalidSettingException e) {
                    addUnlessReported(zoneProblems, e);
                } catch (IllegalArgumentException e) {
                    addUnlessReported(zoneProblems, new InvalidSettingException(setting, e.getMessage(), e));
                }
                problems.addAll(zoneProblems);
            }
        }
        checkUniqueNames(specs, problems);
        return specs;
    }

    /** Checks each value of {@code zone} that is valid or invalid whatever the other settings are. */
    private static List<InvalidSettingException> valueProblems(RpzgateConfig.Zone zone, String setting) {
        List<Runnable> checks = List.of(
                () -> onlySource(zone, setting),
                () -> format(zone, setting),
                () -> zone.action().ifPresent(action -> listAction(action, setting)),
                () -> zone.origin().ifPresent(origin -> parseOrigin(origin, setting)),
                () -> policyOverride(zone, setting),
                () -> extendedError(zone, setting),
                () -> clientCidrs(zone, setting));
        List<InvalidSettingException> problems = new ArrayList<>();
        for (Runnable check : checks) {
            try {
                check.run();
            } catch (InvalidSettingException e) {
                problems.add(e);
            }
        }
        return problems;
    }

    private static void addUnlessReported(List<InvalidSettingException> problems, InvalidSettingException problem) {
        if (problems.stream().noneMatch(reported -> reported.property().equals(problem.property()))) {
            problems.add(problem);
        }
    }

    private static ZoneSpec fileEntry(String entry, ZoneSettings settings) {
        ZoneFileSpec file = RpzZoneFileLoader.parseSpec(entry);
        Name origin = file.origin();
        if (origin == null) {
            try {
                origin = RpzZoneFileLoader.defaultOrigin(file.path());
            } catch (ZoneLoadException e) {
                throw new IllegalArgumentException(e.getMessage(), e);
            }
        }
        return new ZoneSpec("rpzgate.policy.files entry '" + entry.strip() + "'", origin,
                new ZoneSource.File(file.path()), ZoneFormat.RPZ, false, PolicyAction.NXDOMAIN, settings);
    }

    /**
     * Reads one zone, with {@code setting} naming it in errors; the operator reads PolicyZone
     * resources through this too.
     *
     * @throws InvalidSettingException naming the setting when a value is invalid
     */
    public static ZoneSpec zone(RpzgateConfig.Zone zone, RpzgateConfig.Policy config, String setting) {
        ZoneSettings settings = settings(zone, config, setting);
        ZoneSource source = source(zone, settings, setting);
        ZoneFormat format = format(zone, setting);
        if (source instanceof ZoneSource.Transfer && format != ZoneFormat.RPZ) {
            throw new InvalidSettingException(setting + ".format", "a zone transfer carries an RPZ zone, not a "
                    + format.label() + " list; remove format");
        }
        if (!format.isNameList()) {
            if (zone.subdomains().isPresent()) {
                throw new InvalidSettingException(setting + ".subdomains", "applies to the hosts and domains formats "
                        + "only; an RPZ zone writes *.name rules for the names below a name");
            }
            if (zone.action().isPresent()) {
                throw new InvalidSettingException(setting + ".action", "applies to the hosts and domains formats only; "
                        + "use policy to replace the actions of an RPZ zone");
            }
        }
        PolicyAction action = listAction(zone.action().orElse("nxdomain"), setting);
        Name origin = origin(zone, source, setting);
        double maxRemoval = 0;
        if (zone.removalGuard()) {
            if (zone.maxRemoval() <= 0 || zone.maxRemoval() >= 1) {
                throw new InvalidSettingException(setting + ".max-removal", zone.maxRemoval()
                        + " is not a share above 0 and below 1, such as 0.5 for half of the rules");
            }
            maxRemoval = zone.maxRemoval();
        }
        return new ZoneSpec(setting, origin, source, format, zone.subdomains().orElse(false), action, settings,
                maxRemoval);
    }

    /** Returns the one source of a zone, or throws naming the settings in conflict. */
    private static ZoneSource source(RpzgateConfig.Zone zone, ZoneSettings settings, String setting) {
        Map.Entry<String, String> only = onlySource(zone, setting);
        String kind = only.getKey();
        String value = only.getValue();
        if (!kind.equals("transfer")) {
            TransferSettings.rejectOnOtherSource(zone, kind, setting);
        }
        return switch (kind) {
            case "file" -> new ZoneSource.File(path(value, setting + ".file"));
            case "url" -> url(zone, value, setting);
            case "rules" -> new ZoneSource.Inline(setting + ".rules", value);
            case "transfer" -> {
                if (zone.origin().isEmpty()) {
                    throw new InvalidSettingException(setting + ".origin", "required for a zone transfer, which "
                            + "requests the zone from the primaries by name");
                }
                yield TransferSettings.read(zone, value, parseOrigin(zone.origin().get(), setting), settings, setting);
            }
            default -> throw new IllegalStateException("unknown source setting " + kind);
        };
    }

    /** Returns the name and value of the one source setting of a zone, or throws when there are none or several. */
    private static Map.Entry<String, String> onlySource(RpzgateConfig.Zone zone, String setting) {
        Map<String, String> sources = new LinkedHashMap<>();
        zone.file().ifPresent(value -> sources.put("file", value));
        zone.url().ifPresent(value -> sources.put("url", value));
        zone.rules().ifPresent(value -> sources.put("rules", value));
        zone.transfer().ifPresent(value -> sources.put("transfer", value));
        if (sources.isEmpty()) {
            throw new InvalidSettingException(setting, "no source; set one of file, url, rules or transfer");
        }
        if (sources.size() > 1) {
            List<String> kinds = new ArrayList<>(sources.keySet());
            String reported = kinds.remove(1);
            List<String> others = kinds.stream().map(kind -> setting + "." + kind).toList();
            throw new InvalidSettingException(setting + "." + reported, "cannot be set together with "
                    + String.join(" and ", others) + "; set exactly one of file, url, rules or transfer");
        }
        return sources.entrySet().iterator().next();
    }

    private static Path path(String value, String setting) {
        if (value.isBlank()) {
            throw new InvalidSettingException(setting, "the path is empty");
        }
        try {
            return Path.of(value.strip());
        } catch (InvalidPathException e) {
            throw new InvalidSettingException(setting, "invalid path '" + value + "': " + e.getReason(), e);
        }
    }

    private static ZoneSource.Url url(RpzgateConfig.Zone zone, String value, String setting) {
        URI uri;
        try {
            uri = new URI(value.strip());
        } catch (URISyntaxException e) {
            throw new InvalidSettingException(setting + ".url", "invalid URL '" + value + "': " + e.getMessage(), e);
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new InvalidSettingException(setting + ".url", "'" + value + "' is not an http or https URL");
        }
        if (uri.getHost() == null) {
            throw new InvalidSettingException(setting + ".url", "'" + value + "' has no host");
        }
        Duration refresh = zone.refresh().orElse(URL_REFRESH);
        positive(refresh, setting + ".refresh");
        positive(zone.timeout(), setting + ".timeout");
        long maxBytes = zone.maxSize().asLongValue();
        if (maxBytes <= 0) {
            throw new InvalidSettingException(setting + ".max-size", "must be more than 0 bytes");
        }
        return new ZoneSource.Url(uri, refresh, zone.timeout(), maxBytes);
    }

    /** Rejects a duration that is zero or negative, naming {@code setting}. */
    static void positive(Duration duration, String setting) {
        if (duration.isNegative() || duration.isZero()) {
            throw new InvalidSettingException(setting, "must be longer than 0, not " + duration);
        }
    }

    private static PolicyAction listAction(String text, String setting) {
        String lower = text.strip().toLowerCase(Locale.ROOT);
        for (PolicyAction action : LIST_ACTIONS) {
            if (action.label().equals(lower)) {
                return action;
            }
        }
        throw new InvalidSettingException(setting + ".action", "unknown action '" + text
                + "'; use nxdomain, nodata, drop, passthru or tcp-only");
    }

    private static Name origin(RpzgateConfig.Zone zone, ZoneSource source, String setting) {
        if (zone.origin().isPresent()) {
            return parseOrigin(zone.origin().get(), setting);
        }
        if (source instanceof ZoneSource.File file) {
            try {
                return RpzZoneFileLoader.defaultOrigin(file.path());
            } catch (ZoneLoadException e) {
                // Worded here, because the loader's message suggests the origin=path entry of
                // rpzgate.policy.files, which a zone of rpzgate.policy.zones does not have.
                String detail = e.getCause() == null ? "" : ": " + e.getCause().getMessage();
                throw new InvalidSettingException(setting + ".origin", "cannot name the zone after the file name of "
                        + file.path() + detail + "; set " + setting + ".origin", e);
            }
        }
        if (source instanceof ZoneSource.Url url) {
            return originOfUrl(url.uri(), setting);
        }
        throw new InvalidSettingException(setting + ".origin", "required for a zone written in rules");
    }

    private static Name parseOrigin(String origin, String setting) {
        try {
            return Name.fromString(origin, Name.root);
        } catch (TextParseException e) {
            throw new InvalidSettingException(setting + ".origin", "invalid zone name '" + origin + "': "
                    + e.getMessage(), e);
        }
    }

    /** Names a zone after the last segment of the URL's path up to the first dot, as a file is named. */
    private static Name originOfUrl(URI uri, String setting) {
        String path = uri.getPath() == null ? "" : uri.getPath();
        String segment = path.substring(path.lastIndexOf('/') + 1);
        int dot = segment.indexOf('.');
        String label = dot < 0 ? segment : segment.substring(0, dot);
        String fix = "; set " + setting + ".origin";
        if (label.isEmpty() || label.equals("@")) {
            throw new InvalidSettingException(setting + ".origin", "cannot name the zone after the URL " + uri + fix);
        }
        try {
            return Name.fromString(label + ".");
        } catch (TextParseException e) {
            throw new InvalidSettingException(setting + ".origin", "cannot name the zone after the URL " + uri + ": "
                    + e.getMessage() + fix, e);
        }
    }

    private static void checkUniqueNames(List<ZoneSpec> specs, List<InvalidSettingException> problems) {
        Map<Name, ZoneSpec> seen = new HashMap<>();
        for (ZoneSpec spec : specs) {
            ZoneSpec earlier = seen.putIfAbsent(spec.origin(), spec);
            if (earlier != null) {
                problems.add(new InvalidSettingException(spec.setting(), "zone name " + spec.origin()
                        + " is already used by " + earlier.setting() + "; give one of them another origin"));
            }
        }
    }

    /** Reads one zone's settings, with {@code setting} naming it in errors. */
    static ZoneSettings settings(RpzgateConfig.Zone zone, RpzgateConfig.Policy config, String setting) {
        PolicyOverride override = policyOverride(zone, setting);
        ExtendedError ede = extendedError(zone, setting);
        ClientCidrs clientCidrs = clientCidrs(zone, setting);
        Duration maxPolicyTtl = zone.maxPolicyTtl().orElse(config.maxPolicyTtl());
        if (maxPolicyTtl.isNegative()) {
            String property = zone.maxPolicyTtl().isPresent() ? setting + ".max-policy-ttl"
                    : "rpzgate.policy.max-policy-ttl";
            throw new InvalidSettingException(property, "must not be negative, not " + maxPolicyTtl);
        }
        return new ZoneSettings(maxPolicyTtl, override, zone.addSoa(), zone.log(),
                zone.breakDnssec(), zone.recursiveOnly(), zone.nsdnameEnable(), zone.nsipEnable(), ede, clientCidrs);
    }

    private static ZoneFormat format(RpzgateConfig.Zone zone, String setting) {
        try {
            return ZoneFormat.parse(zone.format());
        } catch (IllegalArgumentException e) {
            throw new InvalidSettingException(setting + ".format", e.getMessage(), e);
        }
    }

    private static PolicyOverride policyOverride(RpzgateConfig.Zone zone, String setting) {
        try {
            return PolicyOverride.parse(zone.policy());
        } catch (IllegalArgumentException e) {
            throw new InvalidSettingException(setting + ".policy", e.getMessage(), e);
        }
    }

    private static ExtendedError extendedError(RpzgateConfig.Zone zone, String setting) {
        try {
            return ExtendedError.parse(zone.ede());
        } catch (IllegalArgumentException e) {
            throw new InvalidSettingException(setting + ".ede", e.getMessage(), e);
        }
    }

    private static ClientCidrs clientCidrs(RpzgateConfig.Zone zone, String setting) {
        try {
            return ClientCidrs.parse(zone.clientCidrs().orElse(List.of()));
        } catch (IllegalArgumentException e) {
            throw new InvalidSettingException(setting + ".client-cidrs", e.getMessage(), e);
        }
    }
}
