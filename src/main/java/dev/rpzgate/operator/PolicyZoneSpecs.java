package dev.rpzgate.operator;

import dev.rpzgate.config.RpzgateConfig;
import dev.rpzgate.source.ConfiguredZones;
import dev.rpzgate.source.ZoneSource;
import dev.rpzgate.source.ZoneSpec;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns a PolicyZone into the {@link ZoneSpec} of a configured zone, reading the ConfigMap and
 * Secret it refers to. Checks that the schema cannot express, such as a missing ConfigMap key or
 * an invalid TSIG secret, fail with the field in the message.
 */
final class PolicyZoneSpecs {

    /** Setting names of a configured zone and the PolicyZone fields they come from, to name fields in messages. */
    private static final Map<String, String> FIELDS = Map.ofEntries(
            Map.entry("rules", "spec.source.rules"),
            Map.entry("url", "spec.source.url.url"),
            Map.entry("transfer", "spec.source.transfer.primaries"),
            Map.entry("tsig-key-name", "spec.source.transfer.tsigKeyName"),
            Map.entry("tsig-algorithm", "spec.source.transfer.tsigAlgorithm"),
            Map.entry("tsig-secret", "spec.source.transfer.tsigSecretRef"),
            Map.entry("notify-from", "spec.source.transfer.notifyFrom"),
            Map.entry("transfer-timeout", "spec.source.transfer.timeout"),
            Map.entry("transfer-max-records", "spec.source.transfer.maxRecords"),
            Map.entry("retry", "spec.source.transfer.retry"),
            Map.entry("refresh", "spec.source.url.refresh or spec.source.transfer.refresh"),
            Map.entry("expire", "spec.source.transfer.expire"),
            Map.entry("timeout", "spec.source.url.timeout"),
            Map.entry("max-size", "spec.source.url.maxBytes"),
            Map.entry("origin", "spec.origin"),
            Map.entry("format", "spec.format"),
            Map.entry("action", "spec.action"),
            Map.entry("subdomains", "spec.subdomains"),
            Map.entry("policy", "spec.policy"),
            Map.entry("ede", "spec.ede"),
            Map.entry("client-cidrs", "spec.clientCIDRs"),
            Map.entry("max-policy-ttl", "spec.maxPolicyTtl"));

    private PolicyZoneSpecs() {
    }

    /**
     * Reads the zone of {@code resource}.
     *
     * @param configMaps finds a ConfigMap of the resource's namespace by name
     * @param secrets finds a Secret of the resource's namespace by name
     * @throws InvalidPolicyZoneException naming the field, ConfigMap or Secret
     */
    static ZoneSpec read(PolicyZone resource, RpzgateConfig.Policy policy,
                         Function<String, Optional<ConfigMap>> configMaps,
                         Function<String, Optional<Secret>> secrets) throws InvalidPolicyZoneException {
        PolicyZoneSpec spec = resource.getSpec();
        if (spec == null || spec.source == null) {
            throw new InvalidPolicyZoneException("InvalidSpec", "spec.source: missing; set one of rules, configMapRef, "
                    + "url or transfer");
        }
        String namespace = resource.getMetadata().getNamespace();
        String name = "PolicyZone " + resource.id();

        Optional<String> text = Optional.empty();
        String textSource = name + " spec.source.rules";
        if (spec.source.rules != null) {
            text = Optional.of(spec.source.rules);
        } else if (spec.source.configMapRef != null) {
            PolicyZoneSource.ConfigMapKeyRef ref = spec.source.configMapRef;
            ConfigMap configMap = configMaps.apply(ref.name).orElseThrow(() -> new InvalidPolicyZoneException(
                    "ConfigMapNotFound", "spec.source.configMapRef: ConfigMap " + namespace + "/" + ref.name
                    + " not found; create it, and the zone loads"));
            text = Optional.ofNullable(configMap.getData() == null ? null : configMap.getData().get(ref.key));
            if (text.isEmpty()) {
                throw new InvalidPolicyZoneException("ConfigMapKeyNotFound", "spec.source.configMapRef.key: ConfigMap "
                        + namespace + "/" + ref.name + " has no key '" + ref.key + "'");
            }
            textSource = "ConfigMap " + namespace + "/" + ref.name + " key " + ref.key;
        }
        Optional<String> tsigSecret = tsigSecret(spec, namespace, secrets);

        ZoneSpec zone;
        try {
            PolicyZoneConfig config = new PolicyZoneConfig(spec, defaultOrigin(resource), text, tsigSecret);
            zone = ConfiguredZones.zone(config, policy, name);
        } catch (IllegalArgumentException e) {
            throw new InvalidPolicyZoneException("InvalidSpec", fieldNames(e.getMessage(), name), e);
        }
        if (zone.source() instanceof ZoneSource.Inline inline) {
            // Skipped records and parse errors then name the PolicyZone field or the ConfigMap key.
            zone = new ZoneSpec(zone.setting(), zone.origin(), new ZoneSource.Inline(textSource, inline.text()),
                    zone.format(), zone.subdomains(), zone.listAction(), zone.settings(), zone.maxRemoval());
        }
        return zone;
    }

    /** Returns NAME.NAMESPACE, which no other PolicyZone can have. */
    static String defaultOrigin(PolicyZone resource) {
        return resource.getMetadata().getName() + "." + resource.getMetadata().getNamespace();
    }

    private static Optional<String> tsigSecret(PolicyZoneSpec spec, String namespace,
                                               Function<String, Optional<Secret>> secrets)
            throws InvalidPolicyZoneException {
        PolicyZoneSource.TransferSource transfer = spec.source.transfer;
        if (transfer == null || transfer.tsigSecretRef == null) {
            return Optional.empty();
        }
        PolicyZoneSource.SecretKeyRef ref = transfer.tsigSecretRef;
        String key = ref.key == null ? "secret" : ref.key;
        Secret secret = secrets.apply(ref.name).orElseThrow(() -> new InvalidPolicyZoneException("SecretNotFound",
                "spec.source.transfer.tsigSecretRef: Secret " + namespace + "/" + ref.name
                + " not found; create it, and the zone loads"));
        String encoded = secret.getData() == null ? null : secret.getData().get(key);
        String plain = secret.getStringData() == null ? null : secret.getStringData().get(key);
        if (encoded == null && plain == null) {
            throw new InvalidPolicyZoneException("SecretKeyNotFound", "spec.source.transfer.tsigSecretRef.key: Secret "
                    + namespace + "/" + ref.name + " has no key '" + key + "'");
        }
        if (plain != null) {
            return Optional.of(plain.strip());
        }
        try {
            // Secret data is base64 of the value, and the value is the TSIG secret in base64 as BIND writes it.
            return Optional.of(new String(Base64.getDecoder().decode(encoded), StandardCharsets.US_ASCII).strip());
        } catch (IllegalArgumentException e) {
            throw new InvalidPolicyZoneException("InvalidSpec", "spec.source.transfer.tsigSecretRef: Secret "
                    + namespace + "/" + ref.name + " key '" + key + "' is not valid base64 data", e);
        }
    }

    /** Rewrites {@code SETTING.kebab-name} in a message of the configuration reader into the PolicyZone field path. */
    static String fieldNames(String message, String setting) {
        Matcher matcher = Pattern.compile(Pattern.quote(setting) + "(\\.([a-z-]+))?").matcher(message);
        StringBuilder out = new StringBuilder();
        while (matcher.find()) {
            String key = matcher.group(2);
            String field = key == null ? "spec" : FIELDS.getOrDefault(key, "spec." + key);
            matcher.appendReplacement(out, Matcher.quoteReplacement(field));
        }
        matcher.appendTail(out);
        return out.toString();
    }
}
