package dev.rpzgate.policy;

import org.xbill.DNS.Name;

/**
 * A record of a policy zone file, or a line of a hosts file or domain list, that did not become
 * part of a rule.
 *
 * @param file path or URL of the zone's source, as given to the loader
 * @param line line where the record ends; records read through {@code $INCLUDE} carry the line of
 *     the directive
 * @param owner owner name of the record, absolute; null for a line of a hosts file or domain
 *     list that gives no valid name
 * @param reason why the record was skipped
 */
public record SkippedRecord(String file, int line, Name owner, String reason) {

    /**
     * Returns the kind of problem as a short fixed label, the {@code reason} tag of the
     * skipped-record metrics: {@code outside-origin}, {@code class-not-in}, {@code type-not-allowed},
     * {@code invalid-trigger}, {@code apex-record},
     * {@code cname-and-other-data}, {@code conflicting-action}, {@code invalid-line} (a line of
     * a hosts file or domain list that gives no valid name), {@code name-too-long} or
     * {@code other}. It is derived from the reason text that {@link PolicyZoneBuilder} writes,
     * which its test pins.
     */
    public String category() {
        if (owner == null) {
            return "invalid-line";
        } else if (reason.startsWith("name is too long")) {
            return "name-too-long";
        } else if (reason.startsWith("outside the zone origin")) {
            return "outside-origin";
        } else if (reason.startsWith("class ")) {
            return "class-not-in";
        } else if (reason.endsWith("is not allowed as policy data")) {
            return "type-not-allowed";
        } else if (reason.startsWith("invalid ")) {
            return "invalid-trigger";
        } else if (reason.contains("zone apex")) {
            return "apex-record";
        } else if (reason.startsWith("CNAME and other data")) {
            return "cname-and-other-data";
        } else if (reason.startsWith("conflicting")) {
            return "conflicting-action";
        }
        return "other";
    }
}
