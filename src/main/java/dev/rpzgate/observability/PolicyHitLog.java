package dev.rpzgate.observability;

import org.jboss.logging.Logger;

import java.time.Instant;

/**
 * Writes one JSON line per rewritten answer to the log category {@code rpzgate.policy.hit}, so a
 * security team can ship, search and alert on policy hits apart from the service log.
 */
public final class PolicyHitLog {

    /** Log category of the hit lines; its level or handler can be set on its own. */
    public static final String CATEGORY = "rpzgate.policy.hit";

    private static final Logger LOG = Logger.getLogger(CATEGORY);

    /** Returns whether hit lines are written, so a caller can skip building the fields of one. */
    public boolean enabled() {
        return LOG.isInfoEnabled();
    }

    /**
     * Logs one hit. {@code trigger} is the trigger type ({@code qname}, {@code client-ip}, ...)
     * and {@code rule} the owner name of the matching rule in its policy zone;
     * {@code enforced} is false for a rule that its zone's settings disable, which only logs what it
     * would have done.
     */
    public void hit(String client, String qname, String qtype, String zone, String trigger, String rule,
                    String action, boolean enforced) {
        if (!LOG.isInfoEnabled()) {
            return;
        }
        StringBuilder line = new StringBuilder(200);
        line.append('{');
        field(line, "time", Instant.now().toString()).append(',');
        field(line, "client", client).append(',');
        field(line, "qname", qname).append(',');
        field(line, "qtype", qtype).append(',');
        field(line, "zone", zone).append(',');
        field(line, "trigger", trigger).append(',');
        field(line, "rule", rule).append(',');
        field(line, "action", action);
        if (!enforced) {
            line.append(",\"disabled\":true");
        }
        line.append('}');
        LOG.info(line);
    }

    private static StringBuilder field(StringBuilder line, String name, String value) {
        line.append('"').append(name).append("\":\"");
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> line.append("\\\"");
                case '\\' -> line.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        line.append(String.format("\\u%04x", (int) c));
                    } else {
                        line.append(c);
                    }
                }
            }
        }
        return line.append('"');
    }
}
