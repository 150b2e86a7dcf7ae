package dev.rpzgate.config;

/**
 * An invalid value of one setting, such as {@code rpzgate.policy.zones[2].refresh}. The message is
 * {@code PROPERTY: REASON}; start-up prints the reason with the value as written and where it came
 * from (see {@link SettingRanges}), and the operator rewrites the property into a PolicyZone field.
 */
public class InvalidSettingException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final String property;
    private final String reason;

    /**
     * @param property the full property name, such as {@code rpzgate.policy.zones[2].format}, or the
     *                 name of a group of settings when no single property is at fault
     * @param reason   what is wrong and what is allowed, such as
     *                 {@code unknown format 'adblock'; use rpz, hosts or domains}
     */
    public InvalidSettingException(String property, String reason, Throwable cause) {
        super(property + ": " + reason, cause);
        this.property = property;
        this.reason = reason;
    }

    public InvalidSettingException(String property, String reason) {
        this(property, reason, null);
    }

    /** Returns the property at fault, such as {@code rpzgate.policy.zones[2].format}. */
    public String property() {
        return property;
    }

    /** Returns what is wrong with the value and what is allowed, without the property name. */
    public String reason() {
        return reason;
    }
}
