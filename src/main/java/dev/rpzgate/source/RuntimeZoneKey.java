package dev.rpzgate.source;

import java.util.Comparator;
import java.util.Objects;

/**
 * Identity and place of a policy zone added at run time from a {@code PolicyZone} resource. Such
 * zones follow the configured zones, ordered by priority (lower first), then namespace, then
 * name.
 *
 * @param priority the resource's {@code spec.priority}
 * @param namespace the resource's namespace
 * @param name the resource's name
 */
public record RuntimeZoneKey(int priority, String namespace, String name) implements Comparable<RuntimeZoneKey> {

    private static final Comparator<RuntimeZoneKey> ORDER = Comparator.comparingInt(RuntimeZoneKey::priority)
            .thenComparing(RuntimeZoneKey::namespace)
            .thenComparing(RuntimeZoneKey::name);

    public RuntimeZoneKey {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
    }

    /** Returns {@code namespace/name}, the identity of the resource whatever its priority. */
    public String id() {
        return namespace + "/" + name;
    }

    @Override
    public int compareTo(RuntimeZoneKey other) {
        return ORDER.compare(this, other);
    }
}
