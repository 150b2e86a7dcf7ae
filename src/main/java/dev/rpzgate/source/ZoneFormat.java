package dev.rpzgate.source;

import java.util.Locale;

/** Text format of a policy zone's source, the {@code format} setting of a zone. */
public enum ZoneFormat {
    /** A zone file in BIND's format, with RPZ records. */
    RPZ("rpz"),
    /** A hosts file: a sink address such as {@code 0.0.0.0}, then one or more names. */
    HOSTS("hosts"),
    /** One domain name a line. */
    DOMAINS("domains");

    private final String label;

    ZoneFormat(String label) {
        this.label = label;
    }

    /** Returns the name used in the configuration and in log lines, for example {@code hosts}. */
    public String label() {
        return label;
    }

    /** Whether the format lists names that all get one action, set by the zone's {@code action} setting. */
    public boolean isNameList() {
        return this != RPZ;
    }

    /**
     * Parses the configuration form, ignoring letter case.
     *
     * @throws IllegalArgumentException naming the valid formats when {@code text} is none of them
     */
    public static ZoneFormat parse(String text) {
        String lower = text.strip().toLowerCase(Locale.ROOT);
        for (ZoneFormat format : values()) {
            if (format.label.equals(lower)) {
                return format;
            }
        }
        throw new IllegalArgumentException("unknown format '" + text + "'; use rpz, hosts or domains");
    }
}
