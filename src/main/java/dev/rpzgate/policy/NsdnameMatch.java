package dev.rpzgate.policy;

import org.xbill.DNS.Name;

/**
 * An {@code rpz-nsdname} rule that matched a name server name.
 *
 * @param trigger the rule that matched
 * @param nameServer the name server name that matched, as the caller passed it
 */
record NsdnameMatch(NsdnameRule trigger, Name nameServer) {

    /**
     * Returns whether this match wins over {@code other} when both come from one zone: an exact
     * trigger wins over a wildcard, a wildcard with more labels wins over one with fewer, and then
     * the name server name that sorts first in DNSSEC canonical order wins. Returns false for a
     * tie, so the match found first stays.
     */
    boolean precedes(NsdnameMatch other) {
        int specificity = specificity();
        int otherSpecificity = other.specificity();
        if (specificity != otherSpecificity) {
            return specificity > otherSpecificity;
        }
        return nameServer.compareTo(other.nameServer) < 0;
    }

    /** Returns a rank where larger is more specific: the label count of a wildcard, or the maximum for an exact trigger. */
    private int specificity() {
        Name triggerName = trigger.nameServer();
        return triggerName.isWild() ? triggerName.labels() : Integer.MAX_VALUE;
    }
}
