package dev.rpzgate.operator;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

import java.util.List;

/** The one source of a PolicyZone's text. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "[has(self.rules), has(self.configMapRef), has(self.url), has(self.transfer)]"
        + ".filter(x, x).size() == 1",
        message = "set exactly one of spec.source.rules, spec.source.configMapRef, spec.source.url or spec.source.transfer")
public class PolicyZoneSource {

    @JsonPropertyDescription("The zone itself: RPZ records in zone-file syntax (owner names relative to the origin), "
            + "or one name a line for the hosts and domains formats. At most 1 MiB, the limit of an object.")
    public String rules;

    @JsonPropertyDescription("A key of a ConfigMap in this namespace that holds the zone's text. A change of the "
            + "ConfigMap reloads the zone.")
    public ConfigMapKeyRef configMapRef;

    @JsonPropertyDescription("An HTTP or HTTPS feed, downloaded at once and every refresh.")
    public UrlSource url;

    @JsonPropertyDescription("Primary servers to transfer the zone from with AXFR and IXFR, kept current by SOA "
            + "checks and NOTIFY.")
    public TransferSource transfer;

    /** A key of a ConfigMap in the PolicyZone's namespace. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class ConfigMapKeyRef {

        @JsonPropertyDescription("Name of the ConfigMap, in the namespace of the PolicyZone.")
        @Required
        @Pattern("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
        public String name;

        @JsonPropertyDescription("Key in the ConfigMap's data that holds the zone's text.")
        @Required
        @Pattern("^[-._a-zA-Z0-9]+$")
        public String key;
    }

    /** A zone downloaded over HTTP or HTTPS. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class UrlSource {

        @JsonPropertyDescription("HTTP or HTTPS address of the zone.")
        @Required
        @Pattern("^https?://[^\\s/]+.*$")
        public String url;

        @JsonPropertyDescription("Time between two downloads, and the longest wait between retries after a failure, "
                + "such as 1h or 30m. Default 1h.")
        @Pattern(PolicyZoneSpec.DURATION)
        public String refresh;

        @JsonPropertyDescription("Time allowed for one download, from connecting to the last byte. Default 30s.")
        @Pattern(PolicyZoneSpec.DURATION)
        public String timeout;

        @JsonPropertyDescription("Largest response body accepted, in bytes; a larger download fails. Default 268435456 "
                + "(256 MiB).")
        @Min(1)
        public Long maxBytes;
    }

    /** A zone transferred from primary servers. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class TransferSource {

        @JsonPropertyDescription("Primary servers, tried in this order: 192.0.2.53, 192.0.2.53:5300 or "
                + "[2001:db8::53]:53; port 53 when none is given. IP addresses only, because rpzgate does not use the "
                + "system resolver.")
        @Required
        @ValidationRule(value = "self.size() > 0", message = "list at least one primary")
        @ValidationRule(value = "self.all(p, p.matches('^([0-9.]+|\\\\[[0-9a-fA-F:.]+\\\\])(:[0-9]{1,5})?$'))",
                message = "every primary must be IPv4[:port] or [IPv6]:port")
        @Size(max = 32)
        public List<@Size(max = 64) String> primaries;

        @JsonPropertyDescription("Name of the TSIG key that signs SOA queries, transfers and NOTIFY, as the primary "
                + "names it. Requires tsigSecretRef.")
        public String tsigKeyName;

        @JsonPropertyDescription("TSIG algorithm. Default hmac-sha256.")
        @Pattern("^hmac-(md5|sha1|sha224|sha256|sha384|sha512)$")
        public String tsigAlgorithm;

        @JsonPropertyDescription("Key of a Secret in this namespace that holds the TSIG secret in base64. A change of "
                + "the Secret reloads the zone. Requires tsigKeyName.")
        public SecretKeyRef tsigSecretRef;

        @JsonPropertyDescription("Addresses allowed to send NOTIFY for the zone. Default: the primaries' addresses.")
        public List<String> notifyFrom;

        @JsonPropertyDescription("Time between two SOA checks, such as 5m. Default: the refresh field of the zone's SOA.")
        @Pattern(PolicyZoneSpec.DURATION)
        public String refresh;

        @JsonPropertyDescription("Time between SOA checks after a failed one. Default: the retry field of the zone's SOA.")
        @Pattern(PolicyZoneSpec.DURATION)
        public String retry;

        @JsonPropertyDescription("Time without a successful check after which the zone is reported expired; it stays "
                + "in force. Default: the expire field of the zone's SOA.")
        @Pattern(PolicyZoneSpec.DURATION)
        public String expire;

        @JsonPropertyDescription("Time one AXFR or IXFR may take. Default 2h.")
        @Pattern(PolicyZoneSpec.DURATION)
        public String timeout;

        @JsonPropertyDescription("Maximum records one transfer may carry; a larger transfer is aborted. No limit when unset.")
        @Min(1)
        public Long maxRecords;
    }

    /** A key of a Secret in the PolicyZone's namespace. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class SecretKeyRef {

        @JsonPropertyDescription("Name of the Secret, in the namespace of the PolicyZone.")
        @Required
        @Pattern("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
        public String name;

        @JsonPropertyDescription("Key in the Secret's data. Default secret.")
        @Pattern("^[-._a-zA-Z0-9]+$")
        public String key;
    }
}
