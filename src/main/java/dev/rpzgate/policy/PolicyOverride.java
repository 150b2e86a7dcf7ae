package dev.rpzgate.policy;

import org.xbill.DNS.Name;
import org.xbill.DNS.TextParseException;

import java.util.Locale;

/**
 * A zone's {@code policy} setting, which replaces the action of every rule in the zone, as BIND's
 * {@code response-policy} option of that name does. {@code local-data-or-passthru} and
 * {@code local-data-or-disabled} come from the RPZ draft: rules with local data keep it, the others
 * become PASSTHRU or are disabled.
 *
 * @param kind        which override
 * @param cnameTarget the target of {@code cname NAME}; null for every other kind
 */
public record PolicyOverride(Kind kind, Name cnameTarget) {

    /** The override kinds, named as in the configuration. */
    public enum Kind {
        GIVEN("given"),
        DISABLED("disabled"),
        PASSTHRU("passthru"),
        DROP("drop"),
        NXDOMAIN("nxdomain"),
        NODATA("nodata"),
        TCP_ONLY("tcp-only"),
        CNAME("cname"),
        LOCAL_DATA_OR_PASSTHRU("local-data-or-passthru"),
        LOCAL_DATA_OR_DISABLED("local-data-or-disabled");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /** The rules' own actions. */
    public static final PolicyOverride GIVEN = new PolicyOverride(Kind.GIVEN, null);

    /**
     * Parses the configuration form: one of the kind labels, or {@code cname NAME}.
     *
     * @throws IllegalArgumentException naming the accepted values
     */
    public static PolicyOverride parse(String text) {
        String value = text.trim();
        String lower = value.toLowerCase(Locale.ROOT);
        if (lower.startsWith("cname ") || lower.startsWith("cname\t")) {
            String target = value.substring(5).trim();
            try {
                return new PolicyOverride(Kind.CNAME, Name.fromString(target, Name.root));
            } catch (TextParseException e) {
                throw new IllegalArgumentException("invalid policy 'cname " + target + "': " + e.getMessage(), e);
            }
        }
        for (Kind kind : Kind.values()) {
            if (kind != Kind.CNAME && kind.label.equals(lower)) {
                return new PolicyOverride(kind, null);
            }
        }
        throw new IllegalArgumentException("invalid policy '" + text + "': expected given, disabled, passthru, drop, "
                + "nxdomain, nodata, tcp-only, cname NAME, local-data-or-passthru or local-data-or-disabled");
    }

    /**
     * Returns the action that {@code rule} takes under this override, or null when the rule is
     * disabled: it is evaluated and logged as "would" but changes nothing.
     */
    public PolicyAction actionFor(PolicyRule rule) {
        return switch (kind) {
            case GIVEN -> rule.action();
            case DISABLED -> null;
            case PASSTHRU -> PolicyAction.PASSTHRU;
            case DROP -> PolicyAction.DROP;
            case NXDOMAIN -> PolicyAction.NXDOMAIN;
            case NODATA -> PolicyAction.NODATA;
            case TCP_ONLY -> PolicyAction.TCP_ONLY;
            case CNAME -> PolicyAction.LOCAL_DATA;
            case LOCAL_DATA_OR_PASSTHRU -> rule.action() == PolicyAction.LOCAL_DATA ? PolicyAction.LOCAL_DATA
                    : PolicyAction.PASSTHRU;
            case LOCAL_DATA_OR_DISABLED -> rule.action() == PolicyAction.LOCAL_DATA ? PolicyAction.LOCAL_DATA : null;
        };
    }

    @Override
    public String toString() {
        return kind == Kind.CNAME ? "cname " + cnameTarget : kind.label;
    }
}
