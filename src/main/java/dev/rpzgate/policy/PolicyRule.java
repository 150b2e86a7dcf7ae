package dev.rpzgate.policy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.NameTooLongException;
import org.xbill.DNS.RRset;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * One policy rule: a trigger, an action and, for {@link PolicyAction#LOCAL_DATA}, the records to
 * answer with. Instances are immutable and safe to share between threads.
 *
 * <p>Rules without local data hold no list of their own, because feeds of a million
 * {@code CNAME .} rules would otherwise pay for a million empty lists.
 */
public final class PolicyRule {

    private static final Name WILDCARD_LABEL = Name.fromConstantString("*");

    private final Name origin;
    // The trigger without its * label for wildcards, so a wildcard rule shares this name with its
    // map key instead of keeping a second name.
    private final Name triggerBase;
    private final boolean wildcard;
    private final TriggerType triggerType;
    private final PolicyAction action;
    private final List<RRset> localData;

    /**
     * Creates a rule.
     *
     * @param triggerBase the trigger, absolute, without the {@code *} label of a wildcard
     */
    PolicyRule(
            Name origin,
            Name triggerBase,
            boolean wildcard,
            TriggerType triggerType,
            PolicyAction action,
            List<RRset> localData) {
        this.origin = Objects.requireNonNull(origin, "origin");
        this.triggerBase = Objects.requireNonNull(triggerBase, "triggerBase");
        this.wildcard = wildcard;
        this.triggerType = Objects.requireNonNull(triggerType, "triggerType");
        this.action = Objects.requireNonNull(action, "action");
        this.localData = List.copyOf(localData);
        if ((action == PolicyAction.LOCAL_DATA) == localData.isEmpty()) {
            throw new IllegalArgumentException(
                    "local data is required for local-data rules and only for them: " + trigger());
        }
    }

    /** Creates a rule without local data, so {@code action} must not be LOCAL_DATA. */
    static PolicyRule ofAction(
            Name origin, Name triggerBase, boolean wildcard, TriggerType type, PolicyAction action) {
        return new PolicyRule(origin, triggerBase, wildcard, type, action, List.of());
    }

    /**
     * Returns the owner name as written in the policy zone, absolute, for example
     * {@code *.bad.example.rpz.local.}. It is rebuilt from the trigger on each call.
     */
    public Name owner() {
        Name trigger = trigger();
        if (origin.equals(Name.root)) {
            return trigger;
        }
        try {
            return Name.concatenate(trigger.relativize(Name.root), origin);
        } catch (NameTooLongException e) {
            // The owner was parsed from the zone, so it fits in 255 octets.
            throw new IllegalStateException("owner of " + trigger + " in " + origin, e);
        }
    }

    /**
     * Returns the owner without the zone origin, absolute, for example {@code *.bad.example.}. A
     * wildcard trigger is rebuilt on each call.
     */
    public Name trigger() {
        if (!wildcard) {
            return triggerBase;
        }
        try {
            return Name.concatenate(WILDCARD_LABEL, triggerBase);
        } catch (NameTooLongException e) {
            // The trigger was parsed from the zone with its * label, so it fits in 255 octets.
            throw new IllegalStateException("wildcard trigger below " + triggerBase, e);
        }
    }

    /** Returns the trigger without the {@code *} label of a wildcard, the key of the rule in its zone's table. */
    Name triggerBase() {
        return triggerBase;
    }

    /**
     * Returns whether {@code other} answers every query exactly as this rule does: it is
     * {@link #equals equal}, and its local data has the same TTLs and the same spelling, which
     * dnsjava's {@code RRset.equals} does not compare. A reload then keeps the rule of the zone in
     * force instead of a new copy.
     */
    boolean answersLike(PolicyRule other) {
        if (!equals(other)) {
            return false;
        }
        for (int i = 0; i < localData.size(); i++) {
            RRset mine = localData.get(i);
            RRset theirs = other.localData.get(i);
            if (mine.getTTL() != theirs.getTTL()) {
                return false;
            }
            List<Record> myRecords = mine.rrs(false);
            List<Record> theirRecords = theirs.rrs(false);
            for (int j = 0; j < myRecords.size(); j++) {
                if (!myRecords.get(j).rdataToString().equals(theirRecords.get(j).rdataToString())) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Returns whether the first label of the trigger is {@code *}. */
    public boolean wildcard() {
        return wildcard;
    }

    /** Returns the kind of trigger, from the last label of {@link #trigger()}. */
    public TriggerType triggerType() {
        return triggerType;
    }

    /** Returns the action of the rule. */
    public PolicyAction action() {
        return action;
    }

    /**
     * Returns copies of all local-data RRsets, in the order their types first appear in the zone
     * file. Their owner is the owner as loaded. Returns an empty list for actions other than
     * LOCAL_DATA.
     */
    public List<RRset> localData() {
        List<RRset> copies = new ArrayList<>(localData.size());
        for (RRset rrset : localData) {
            copies.add(new RRset(rrset));
        }
        return copies;
    }

    /** Returns a copy of the local-data RRset of {@code type}, or null if the rule has none. */
    public RRset rrset(int type) {
        RRset rrset = findRRset(type);
        return rrset == null ? null : new RRset(rrset);
    }

    /** Returns the CNAME record of the local data, or null if the rule has none. */
    public CNAMERecord cname() {
        RRset rrset = findRRset(Type.CNAME);
        return rrset == null ? null : (CNAMERecord) rrset.first();
    }

    /**
     * Builds the answer of a LOCAL_DATA rule for one query.
     *
     * <p>The RRsets are selected as BIND does: every RRset for ANY, else the RRset of
     * {@code qtype}, else the CNAME, else none (NODATA). Each record is copied with the owner
     * replaced by {@code qname} and the TTL lowered to {@code maxTtlSeconds}. A CNAME target of
     * the form {@code *.garden.example.} becomes {@code qname} followed by
     * {@code garden.example.}, so {@code a.b.} is rewritten to {@code a.b.garden.example.}.
     *
     * @param qname query name, absolute
     * @param qtype query type, for example {@link Type#A} or {@link Type#ANY}
     * @param maxTtlSeconds upper bound of the TTLs in the answer, usually
     *     {@link ZoneSettings#maxPolicyTtlSeconds()}
     * @throws IllegalStateException if the action is not LOCAL_DATA
     * @throws IllegalArgumentException if {@code maxTtlSeconds} is negative
     */
    public LocalAnswer localAnswer(Name qname, int qtype, long maxTtlSeconds) {
        if (action != PolicyAction.LOCAL_DATA) {
            throw new IllegalStateException(
                    "rule " + trigger() + " has action " + action.label() + ", so it has no local data");
        }
        if (maxTtlSeconds < 0) {
            throw new IllegalArgumentException("maxTtlSeconds must not be negative: " + maxTtlSeconds);
        }

        List<RRset> selected = selectRRsets(qtype);
        List<RRset> answer = new ArrayList<>(selected.size());
        for (RRset rrset : selected) {
            long ttl = Math.min(rrset.getTTL(), maxTtlSeconds);
            RRset rewritten = new RRset();
            for (Record record : rrset.rrs(false)) {
                Record copy = copyForAnswer(record, qname, ttl);
                if (copy == null) {
                    return LocalAnswer.NAME_TOO_LONG;
                }
                rewritten.addRR(copy);
            }
            answer.add(rewritten);
        }
        return new LocalAnswer(Rcode.NOERROR, answer);
    }

    private List<RRset> selectRRsets(int qtype) {
        if (qtype == Type.ANY) {
            return localData;
        }
        RRset rrset = findRRset(qtype);
        if (rrset == null) {
            rrset = findRRset(Type.CNAME);
        }
        return rrset == null ? List.of() : List.of(rrset);
    }

    private RRset findRRset(int type) {
        for (RRset rrset : localData) {
            if (rrset.getType() == type) {
                return rrset;
            }
        }
        return null;
    }

    /** Returns the record with a new owner and TTL, or null if a wildcard target overflows. */
    private static Record copyForAnswer(Record record, Name qname, long ttl) {
        if (record instanceof CNAMERecord cname) {
            Name target = cname.getTarget();
            if (target.isWild()) {
                try {
                    target = Name.concatenate(qname.relativize(Name.root), new Name(target, 1));
                } catch (NameTooLongException e) {
                    return null;
                }
            }
            return new CNAMERecord(qname, cname.getDClass(), ttl, target);
        }

        // dnsjava has no public setter for the TTL, so the record is rebuilt from its RDATA.
        // toWire without compression writes owner, type, class, TTL, RDLENGTH, then the RDATA.
        byte[] wire = record.toWire(Section.ANSWER);
        int rdataStart = record.getName().length() + 10;
        byte[] rdata = Arrays.copyOfRange(wire, rdataStart, wire.length);
        return Record.newRecord(qname, record.getType(), record.getDClass(), ttl, rdata);
    }

    @Override
    public boolean equals(Object other) {
        if (this == other) {
            return true;
        }
        if (!(other instanceof PolicyRule rule)) {
            return false;
        }
        return origin.equals(rule.origin)
                && triggerBase.equals(rule.triggerBase)
                && wildcard == rule.wildcard
                && triggerType == rule.triggerType
                && action == rule.action
                && localData.equals(rule.localData);
    }

    @Override
    public int hashCode() {
        return Objects.hash(origin, triggerBase, wildcard, triggerType, action);
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder()
                .append(trigger())
                .append(" in ")
                .append(origin)
                .append(": ")
                .append(action.label());
        if (!localData.isEmpty()) {
            text.append(' ').append(localData);
        }
        return text.toString();
    }
}
