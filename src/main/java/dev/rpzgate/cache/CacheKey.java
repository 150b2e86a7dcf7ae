package dev.rpzgate.cache;

import org.xbill.DNS.Name;

/**
 * Key of a cached answer: the question and the query flags that change the upstream's answer. DO
 * adds or removes DNSSEC records, and CD decides whether the upstream validates, so each
 * combination is its own entry. Letter case is ignored, because {@link Name#equals} and
 * {@link Name#hashCode} ignore it.
 */
public final class CacheKey {

    private final Name name;
    private final int type;
    private final int dclass;
    private final boolean dnssecOk;
    private final boolean checkingDisabled;
    private final int hash;

    public CacheKey(Name name, int type, int dclass, boolean dnssecOk, boolean checkingDisabled) {
        this.name = name;
        this.type = type;
        this.dclass = dclass;
        this.dnssecOk = dnssecOk;
        this.checkingDisabled = checkingDisabled;
        int h = name.hashCode();
        h = 31 * h + type;
        h = 31 * h + dclass;
        h = 31 * h + (dnssecOk ? 1 : 0);
        h = 31 * h + (checkingDisabled ? 2 : 0);
        this.hash = h;
    }

    public Name name() {
        return name;
    }

    public int type() {
        return type;
    }

    public int dclass() {
        return dclass;
    }

    public boolean dnssecOk() {
        return dnssecOk;
    }

    public boolean checkingDisabled() {
        return checkingDisabled;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof CacheKey key
                && hash == key.hash
                && type == key.type
                && dclass == key.dclass
                && dnssecOk == key.dnssecOk
                && checkingDisabled == key.checkingDisabled
                && name.equals(key.name);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        return name + " " + org.xbill.DNS.Type.string(type) + (dnssecOk ? " DO" : "") + (checkingDisabled ? " CD" : "");
    }
}
