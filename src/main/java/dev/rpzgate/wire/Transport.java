package dev.rpzgate.wire;

/** Transport a query arrived on; the label is the value of the {@code protocol} metric tag. */
public enum Transport {
    UDP("udp"),
    TCP("tcp");

    private final String label;

    Transport(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
