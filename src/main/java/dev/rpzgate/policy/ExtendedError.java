package dev.rpzgate.policy;

import java.util.Locale;

/**
 * The Extended DNS Error (RFC 8914) that a zone's rewritten answers carry, set by the zone's
 * {@code ede} setting. The info code says why the answer was changed; the extra text names the
 * zone, its serial and the rule.
 */
public enum ExtendedError {
    NONE(-1),
    BLOCKED(15),
    CENSORED(16),
    FILTERED(17);

    private final int infoCode;

    ExtendedError(int infoCode) {
        this.infoCode = infoCode;
    }

    /** The RFC 8914 INFO-CODE; -1 for none. */
    public int infoCode() {
        return infoCode;
    }

    /**
     * Parses {@code none}, {@code blocked}, {@code censored} or {@code filtered}.
     *
     * @throws IllegalArgumentException naming the accepted values
     */
    public static ExtendedError parse(String text) {
        try {
            return valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid ede '" + text + "': expected none, blocked, censored or filtered", e);
        }
    }
}
