package dev.rpzgate.policy;

/**
 * RPZ actions of draft-vixie-dnsop-dns-rpz. A CNAME rewrite is {@link #LOCAL_DATA} whose data is a
 * CNAME record.
 */
public enum PolicyAction {
    /** {@code CNAME .}: respond with NXDOMAIN. */
    NXDOMAIN("nxdomain"),
    /** {@code CNAME *.}: respond with NOERROR and an empty answer section. */
    NODATA("nodata"),
    /** {@code CNAME rpz-passthru.}, or the older CNAME to the trigger itself: resolve as usual. */
    PASSTHRU("passthru"),
    /** {@code CNAME rpz-drop.}: send no response. */
    DROP("drop"),
    /** {@code CNAME rpz-tcp-only.}: respond to UDP queries with TC set so the client retries over TCP. */
    TCP_ONLY("tcp-only"),
    /** Any other record: respond with the rule's records, owner replaced by the query name. */
    LOCAL_DATA("local-data");

    private final String label;

    PolicyAction(String label) {
        this.label = label;
    }

    /** Returns the lowercase name used in metric tags and log lines, for example {@code tcp-only}. */
    public String label() {
        return label;
    }
}
