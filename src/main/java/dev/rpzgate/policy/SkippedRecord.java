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
public record SkippedRecord(String file, int line, Name owner, String reason) {}
