package dev.rpzgate.policy;

/** Kind of RPZ trigger, set by the last owner label before the zone origin. */
public enum TriggerType {
    /** Query name: every owner whose last label is not one of the {@code rpz-} labels below. */
    QNAME("qname"),
    /** {@code rpz-client-ip}: address of the client that sent the query. */
    CLIENT_IP("client-ip"),
    /** {@code rpz-ip}: an address in the A or AAAA records of the answer. */
    RESPONSE_IP("response-ip"),
    /** {@code rpz-nsdname}: name of an authoritative name server of the query name. */
    NSDNAME("nsdname"),
    /** {@code rpz-nsip}: address of an authoritative name server of the query name. */
    NSIP("nsip");

    private final String label;

    TriggerType(String label) {
        this.label = label;
    }

    /** Returns the lowercase name used in metric tags and log lines. */
    public String label() {
        return label;
    }
}
