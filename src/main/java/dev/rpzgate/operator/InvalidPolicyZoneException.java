package dev.rpzgate.operator;

/**
 * A PolicyZone whose content cannot be enforced although the API server accepted it. The
 * message names the field or line; the reason is the CamelCase word of the Degraded condition
 * and the event.
 */
public class InvalidPolicyZoneException extends Exception {

    private static final long serialVersionUID = 1L;

    private final String reason;

    public InvalidPolicyZoneException(String reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public InvalidPolicyZoneException(String reason, String message) {
        this(reason, message, null);
    }

    /** Returns the condition reason, such as {@code InvalidSpec} or {@code ConfigMapNotFound}. */
    public String reason() {
        return reason;
    }
}
