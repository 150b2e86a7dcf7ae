package dev.rpzgate.operator;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

import java.util.List;

/**
 * What a PolicyZone enforces: its place among the zones, its one source and the per-zone settings
 * that the {@code rpzgate.policy.zones} configuration offers. Fields left out take the defaults
 * that docs/configuration.md gives for a configured zone.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!has(self.source.transfer) || has(self.origin)",
        message = "spec.origin is required for a transfer source, which requests the zone from the primaries by name")
@ValidationRule(value = "!(has(self.dryRun) && self.dryRun) || !has(self.policy) || self.policy == 'given' || self.policy == 'disabled'",
        message = "spec.dryRun replaces spec.policy; remove spec.policy or set it to given")
@ValidationRule(value = "!has(self.source.transfer) || !has(self.format) || self.format == 'rpz'",
        message = "spec.format: a zone transfer carries an RPZ zone; remove format or set it to rpz")
@ValidationRule(value = "(has(self.format) && self.format != 'rpz') || (!has(self.action) && !has(self.subdomains))",
        message = "spec.action and spec.subdomains apply to the hosts and domains formats only")
public class PolicyZoneSpec {

    /** Duration syntax accepted by every duration field: one or more number-and-unit pairs. */
    static final String DURATION = "^([0-9]+(ms|s|m|h|d))+$";

    @JsonPropertyDescription("Place of this zone among the PolicyZones: lower is consulted first, and the first zone "
            + "with a matching rule decides. Ties go by namespace, then name. Every PolicyZone comes after the zones "
            + "of the rpzgate configuration. Default 100.")
    @Min(0)
    @Max(1000000)
    public Integer priority;

    @JsonPropertyDescription("Zone name, as hit logs, metrics and Extended DNS Errors show it, and the origin that "
            + "relative owner names in rules are read against. Required for a transfer. Default: NAME.NAMESPACE of this "
            + "object.")
    @Pattern("^([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)(\\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\\.?$")
    public String origin;

    @JsonPropertyDescription("Where the zone's text comes from. Set exactly one of rules, configMapRef, url or "
            + "transfer.")
    @Required
    public PolicyZoneSource source;

    @JsonPropertyDescription("Format of the zone's text: rpz (RPZ records in zone-file syntax), hosts (a hosts "
            + "file) or domains (one name a line). Default rpz.")
    public Format format;

    @JsonPropertyDescription("For the hosts and domains formats: the action of every listed name. Default nxdomain.")
    public ListAction action;

    @JsonPropertyDescription("For the hosts and domains formats: whether each name also covers every name below it. "
            + "Default false.")
    public Boolean subdomains;

    @JsonPropertyDescription("Action that replaces every rule's own, as BIND's response-policy 'policy' option: "
            + "given (keep them), disabled (log only), passthru, drop, nxdomain, nodata, tcp-only, 'cname NAME', "
            + "local-data-or-passthru or local-data-or-disabled. Default given.")
    @Pattern("^(given|disabled|passthru|drop|nxdomain|nodata|tcp-only|local-data-or-passthru|local-data-or-disabled"
            + "|cname [A-Za-z0-9_*.-]+)$")
    public String policy;

    @JsonPropertyDescription("Dry run: hits are logged and counted as rpzgate_policy_disabled_hits_total but not "
            + "enforced, and later zones decide. The same as policy disabled. Default false.")
    public Boolean dryRun;

    @JsonPropertyDescription("Upper bound on the TTL of records that this zone's rules supply, such as 30s or 5m. "
            + "Default: the rpzgate.policy.max-policy-ttl setting (5s).")
    @Pattern(DURATION)
    public String maxPolicyTtl;

    @JsonPropertyDescription("Whether rewritten answers carry this zone's SOA in the additional section. Default true.")
    public Boolean addSoa;

    @JsonPropertyDescription("Whether hits of this zone are written to the policy-hit log. Default true.")
    public Boolean log;

    @JsonPropertyDescription("Whether answers are rewritten even when the client set DO and the upstream's answer is "
            + "signed. Default false.")
    public Boolean breakDnssec;

    @JsonPropertyDescription("Whether the zone applies only to queries with RD set. Default true.")
    public Boolean recursiveOnly;

    @JsonPropertyDescription("Whether rpz-nsdname rules are evaluated; each costs upstream queries for name servers. "
            + "Default true.")
    public Boolean nsdnameEnable;

    @JsonPropertyDescription("Whether rpz-nsip rules are evaluated; each costs upstream queries for name server "
            + "addresses. Default true.")
    public Boolean nsipEnable;

    @JsonPropertyDescription("Extended DNS Error (RFC 8914) added to rewritten answers for clients that sent EDNS: "
            + "none, blocked, censored or filtered. Default none.")
    public ExtendedErrorCode ede;

    @JsonPropertyDescription("Client networks this zone applies to, as CIDRs such as 10.0.0.0/8 or 2001:db8::/32, "
            + "or single addresses. A query from any other client skips the zone. Default: every client.")
    @ValidationRule(value = "self.all(c, c.matches('^[0-9a-fA-F:.]+(/[0-9]{1,3})?$'))",
            message = "every entry must be an IP address or a CIDR such as 10.0.0.0/8")
    @JsonProperty("clientCIDRs")
    @Size(max = 1000)
    public List<@Size(max = 64) String> clientCIDRs;

    /** Text formats of a zone. */
    public enum Format {
        @JsonProperty("rpz") RPZ,
        @JsonProperty("hosts") HOSTS,
        @JsonProperty("domains") DOMAINS
    }

    /** Actions of every name of a hosts file or domain list. */
    public enum ListAction {
        @JsonProperty("nxdomain") NXDOMAIN,
        @JsonProperty("nodata") NODATA,
        @JsonProperty("drop") DROP,
        @JsonProperty("passthru") PASSTHRU,
        @JsonProperty("tcp-only") TCP_ONLY
    }

    /** Extended DNS Error codes a zone may add. */
    public enum ExtendedErrorCode {
        @JsonProperty("none") NONE,
        @JsonProperty("blocked") BLOCKED,
        @JsonProperty("censored") CENSORED,
        @JsonProperty("filtered") FILTERED
    }
}
