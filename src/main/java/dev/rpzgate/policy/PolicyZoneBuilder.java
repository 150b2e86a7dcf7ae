package dev.rpzgate.policy;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.IntUnaryOperator;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Name;
import org.xbill.DNS.NameTooLongException;
import org.xbill.DNS.RRset;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Type;

/**
 * Turns the records of one policy zone into rules, applying the RPZ rules of
 * draft-vixie-dnsop-dns-rpz and BIND 9. Feed every record with {@link #add}, then call
 * {@link #build} once. Records that cannot be policy are kept as {@link SkippedRecord}s and never
 * fail the zone.
 *
 * <p>The CNAME target decides the action: {@code .} is NXDOMAIN, {@code *.} is NODATA,
 * {@code rpz-passthru.}, {@code rpz-drop.} and {@code rpz-tcp-only.} are PASSTHRU, DROP and
 * TCP-only, and a target equal to the trigger is the older PASSTHRU form. Another single-label
 * {@code rpz-} target is skipped. Any other CNAME, and any other record type, is local data.
 *
 * <p>The records at one owner form one rule, and identical records are kept once. An action
 * CNAME wins over other data at its owner, whichever comes first, and the other data is skipped,
 * so that a blocking rule is never lost to stray data. Otherwise the first record decides: a CNAME
 * rewrite after other data, or other data after a CNAME rewrite, is skipped as CNAME and other
 * data, and a CNAME whose action or target differs from the first is skipped as a conflicting
 * action.
 *
 * <p>Instances are not thread-safe.
 */
public final class PolicyZoneBuilder {

    private static final Name PASSTHRU_TARGET = Name.fromConstantString("rpz-passthru.");
    private static final Name DROP_TARGET = Name.fromConstantString("rpz-drop.");
    private static final Name TCP_ONLY_TARGET = Name.fromConstantString("rpz-tcp-only.");
    private static final Name NSDNAME_SUFFIX = Name.fromConstantString("rpz-nsdname.");
    /** Longest DNS name in wire format, RFC 1035 section 2.3.4. */
    private static final int MAX_NAME_OCTETS = 255;

    private static final String CNAME_AND_OTHER_DATA = "CNAME and other data at one owner";

    private final Name origin;
    private final int originLabels;
    private final ZoneSettings settings;
    private final String source;

    // QNAME rules of the zone in force, whose equal rules and names this version shares, or null.
    private final NameTriggerTable<PolicyRule> base;

    private SOARecord soa;

    // Values are PolicyRule or PendingData. build() replaces every PendingData with a rule.
    private final NameMap exactRules = new NameMap();
    // Keyed by the trigger without its * label, which the rule keeps as its trigger base.
    private final NameMap wildcardRules = new NameMap();
    private final LinkedHashMap<Name, SpecialTrigger> specialTriggers = new LinkedHashMap<>();
    private final SkippedTally skipped = new SkippedTally();
    private boolean built;

    /**
     * Creates a builder for the zone {@code origin}.
     *
     * @param origin zone origin, absolute
     * @param settings settings of the zone
     * @param source where the records come from, such as the file path, for
     *     {@link SkippedRecord#file()} and log lines
     */
    public PolicyZoneBuilder(Name origin, ZoneSettings settings, String source) {
        this(origin, settings, source, null);
    }

    /**
     * Creates a builder for a new version of {@code inForce}, the version of the zone in force.
     * Where a QNAME rule of the new version answers exactly as the rule of {@code inForce} with the
     * same trigger, the new version keeps that rule object and its trigger name instead of a copy,
     * so while a reload of a mostly unchanged zone runs, the new version costs little more than
     * its tables. The result is the same zone that a builder without {@code inForce} builds.
     *
     * <p>NOTE: names compare without regard to ASCII case, so a new version that changes only the
     * case of an owner keeps the old spelling, which shows in {@link PolicyRule#trigger()} and log
     * lines; matching is not affected.
     *
     * @param inForce the version in force, or null; ignored when its origin differs
     */
    public PolicyZoneBuilder(Name origin, ZoneSettings settings, String source, PolicyZone inForce) {
        this.origin = Objects.requireNonNull(origin, "origin");
        this.base = inForce != null && inForce.name().equals(origin) ? inForce.qnameTable() : null;
        if (!origin.isAbsolute()) {
            throw new IllegalArgumentException("zone origin must be absolute: " + origin);
        }
        this.originLabels = origin.labels();
        this.settings = Objects.requireNonNull(settings, "settings");
        this.source = Objects.requireNonNull(source, "source");
    }

    /** Returns the zone origin. */
    public Name origin() {
        return origin;
    }

    /**
     * Adds one record of the zone, or records why it was skipped.
     *
     * @param record record with an absolute owner name
     * @param line line of the zone file where the record ends, for {@link SkippedRecord}
     */
    public void add(Record record, int line) {
        if (built) {
            throw new IllegalStateException("build() was already called for zone " + origin);
        }
        Name owner = record.getName();
        if (!owner.subdomain(origin)) {
            skip(line, owner, "outside the zone origin " + origin);
            return;
        }
        if (record.getDClass() != DClass.IN) {
            skip(line, owner, "class " + DClass.string(record.getDClass()) + " is not IN");
            return;
        }
        if (owner.labels() == originLabels) {
            addApexRecord(record, line);
            return;
        }
        int type = record.getType();
        if (!isAllowedLocalDataType(type)) {
            skip(line, owner, Type.string(type) + " is not allowed as policy data");
            return;
        }

        int triggerLabelIndex = owner.labels() - originLabels - 1;
        String triggerLabel = owner.getLabelString(triggerLabelIndex);
        TriggerType triggerType = triggerTypeOf(triggerLabel);

        boolean wildcard = owner.isWild();
        Name triggerBase = triggerOf(wildcard ? new Name(owner, 1) : owner);
        PolicyAction action = actionOf(record, triggerBase, wildcard);

        if (action == PolicyAction.LOCAL_DATA && isOldIpPassthru(record, triggerBase, triggerType)) {
            action = PolicyAction.PASSTHRU;
        }

        if (triggerType == TriggerType.QNAME) {
            addQnameRule(record, line, triggerBase, wildcard, action);
        } else {
            addSpecialRule(record, line, triggerBase, wildcard, triggerType, triggerLabelIndex, action);
        }
    }

    /**
     * Adds a QNAME rule with an action and no local data, as the record {@code trigger CNAME .}
     * (or the target of {@code action}) below the origin would. Hosts files and domain lists use
     * this path because it skips building a record and an owner name for each of their up to a
     * few hundred thousand names. A name listed twice with the same action is kept once.
     *
     * @param trigger the name to match, absolute, without a {@code *} label
     * @param wildcard whether the rule matches the names below {@code trigger} instead of {@code trigger} itself
     * @param action any action but {@link PolicyAction#LOCAL_DATA}
     * @param line line of the source, for {@link SkippedRecord}
     */
    public void addQnameAction(Name trigger, boolean wildcard, PolicyAction action, int line) {
        if (built) {
            throw new IllegalStateException("build() was already called for zone " + origin);
        }
        if (action == PolicyAction.LOCAL_DATA) {
            throw new IllegalArgumentException("a QNAME action rule has no local data: " + trigger);
        }
        if (!trigger.isAbsolute()) {
            throw new IllegalArgumentException("trigger must be absolute: " + trigger);
        }
        // PolicyRule.owner() writes the trigger below the origin, which must fit in a DNS name.
        int ownerLength = trigger.length() - 1 + (wildcard ? 2 : 0) + origin.length();
        if (ownerLength > MAX_NAME_OCTETS) {
            skip(line, trigger, "name is too long to write below the zone origin " + origin);
            return;
        }

        NameMap rules = wildcard ? wildcardRules : exactRules;
        Object state = rules.get(trigger);
        if (state == null) {
            PolicyRule rule = actionRule(sharedName(trigger, wildcard), wildcard, TriggerType.QNAME, action);
            rules.put(rule.triggerBase(), rule);
            return;
        }
        PolicyAction first = state instanceof PolicyRule rule ? rule.action() : PolicyAction.LOCAL_DATA;
        if (first != action) {
            skip(line, trigger, conflictingAction(first));
        }
    }

    /**
     * Records a line of the source that gives no rule, such as a hosts-file line that is not valid.
     *
     * @param owner the name the line gives, or null when it gives no valid name
     */
    public void skipLine(int line, Name owner, String reason) {
        skip(line, owner, reason);
    }

    /** Builds the zone. The builder cannot be used afterwards. */
    public PolicyZone build() {
        if (built) {
            throw new IllegalStateException("build() was already called for zone " + origin);
        }
        built = true;
        return zoneWith(soa, new NameTriggerTable<>(finish(exactRules), finish(wildcardRules), base), skipped);
    }

    /** Builds the zone from the special triggers of this builder and the given QNAME rules and skipped records. */
    private PolicyZone zoneWith(SOARecord zoneSoa, NameTriggerTable<PolicyRule> qnameRules, SkippedTally tally) {
        List<IpTriggerRule> ipRules = new ArrayList<>();
        List<IpTriggerRule> clientIpRules = new ArrayList<>();
        List<NsdnameRule> nsdnameRules = new ArrayList<>();
        List<IpTriggerRule> nsipRules = new ArrayList<>();
        for (SpecialTrigger special : specialTriggers.values()) {
            PolicyRule rule = toRule(special.state);
            switch (special.type) {
                case RESPONSE_IP -> ipRules.add(special.toIpRule(rule));
                case CLIENT_IP -> clientIpRules.add(special.toIpRule(rule));
                case NSIP -> nsipRules.add(special.toIpRule(rule));
                case NSDNAME -> nsdnameRules.add(new NsdnameRule(rule, special.nameServer));
                default -> throw new IllegalStateException("not a special trigger: " + special.type);
            }
        }

        return new PolicyZone(
                origin,
                zoneSoa,
                settings,
                source,
                qnameRules,
                new IpPrefixTable(ipRules),
                new IpPrefixTable(clientIpRules),
                nsdnameRules,
                nsdnameTable(nsdnameRules),
                new IpPrefixTable(nsipRules),
                tally);
    }

    /**
     * Returns the owners whose records {@link #applyChanges} needs besides the owners that the
     * changes touch: the zone apex and the owner of every {@code rpz-ip}, {@code rpz-client-ip},
     * {@code rpz-nsip} and {@code rpz-nsdname} rule. Those rules are rebuilt from their records on
     * every change, because their order in the zone decides which of two rules for one address
     * block wins.
     */
    public static Set<Name> ownersToRebuild(PolicyZone inForce) {
        Set<Name> owners = new HashSet<>();
        owners.add(inForce.name());
        for (List<IpTriggerRule> rules : List.of(inForce.ipRules(), inForce.clientIpRules(), inForce.nsipRules())) {
            for (IpTriggerRule rule : rules) {
                owners.add(rule.rule().owner());
            }
        }
        for (NsdnameRule rule : inForce.nsdnameRules()) {
            owners.add(rule.rule().owner());
        }
        return owners;
    }

    /**
     * Applies changes to some owners of {@code inForce} and returns the new version, which shares
     * every rule of the other owners with {@code inForce}. The result is the zone that a builder
     * fed every record of the new version in order would build, with the exceptions below.
     *
     * <p>{@code before} and {@code after} hold every record of the rebuilt owners in zone order,
     * before and after the change, each with its line (or position) in its version of the zone.
     * The rebuilt owners are those that the change touches plus {@link #ownersToRebuild}; the apex
     * records start with the SOA record, which {@code after} gives the new serial.
     *
     * <p>The skipped-record count is exact. {@link PolicyZone#skipped()} keeps the records of
     * {@code inForce} at the other owners, with lines moved by {@code newLineOfOld}, and adds those
     * of the rebuilt owners; records past the first 100 of {@code inForce} were never kept, so the
     * list can be shorter than a full build's.
     *
     * @param source where the new version comes from, for skipped records and log lines
     * @param newLineOfOld maps the line of a record of {@code inForce} that the change kept to its
     *     line in the new version
     * @throws IllegalArgumentException when {@code after} has no SOA record at the apex
     */
    public static PolicyZone applyChanges(PolicyZone inForce, String source, List<NumberedRecord> before,
                                          List<NumberedRecord> after, IntUnaryOperator newLineOfOld) {
        Name origin = inForce.name();
        PolicyZoneBuilder old = new PolicyZoneBuilder(origin, inForce.settings(), source);
        for (NumberedRecord record : before) {
            old.add(record.record(), record.line());
        }
        PolicyZoneBuilder now = new PolicyZoneBuilder(origin, inForce.settings(), source, inForce);
        for (NumberedRecord record : after) {
            now.add(record.record(), record.line());
        }
        if (now.soa == null) {
            throw new IllegalArgumentException("the changed records of zone " + origin + " have no SOA record");
        }
        now.built = true;

        Set<Name> owners = new HashSet<>();
        for (List<NumberedRecord> records : List.of(before, after)) {
            for (NumberedRecord record : records) {
                owners.add(record.record().getName());
            }
        }
        Map<Name, PolicyRule> exactChanges = new HashMap<>();
        Map<Name, PolicyRule> wildcardChanges = new HashMap<>();
        for (Name owner : owners) {
            if (!now.isQnameOwner(owner)) {
                continue;
            }
            boolean wildcard = owner.isWild();
            Name key = now.triggerOf(wildcard ? new Name(owner, 1) : owner);
            NameMap rules = wildcard ? now.wildcardRules : now.exactRules;
            Object state = rules.get(key);
            PolicyRule rule = state == null ? null : now.finishedRule(state);
            (wildcard ? wildcardChanges : exactChanges).put(rule == null ? key : rule.triggerBase(), rule);
        }

        SkippedTally tally = new SkippedTally();
        tally.addCounts(inForce.skippedCount(), inForce.skippedByCategory());
        tally.addCounts(old.skipped, -1);
        tally.addCounts(now.skipped, 1);
        for (SkippedRecord record : inForce.skipped()) {
            if (record.owner() == null || !owners.contains(record.owner())) {
                // A full build names the new source, which differs when another primary sent the change.
                tally.keep(new SkippedRecord(source, newLineOfOld.applyAsInt(record.line()), record.owner(),
                        record.reason()));
            }
        }
        for (SkippedRecord record : now.skipped.kept()) {
            tally.keep(record);
        }

        NameTriggerTable<PolicyRule> qnameRules = inForce.qnameTable().withChanges(exactChanges, wildcardChanges);
        return now.zoneWith(now.soa, qnameRules, tally);
    }

    /** Returns whether records at {@code owner} can form a QNAME rule, as {@link #add} decides before it looks at the record. */
    private boolean isQnameOwner(Name owner) {
        if (!owner.subdomain(origin) || owner.labels() == originLabels) {
            return false;
        }
        String triggerLabel = owner.getLabelString(owner.labels() - originLabels - 1);
        return triggerTypeOf(triggerLabel) == TriggerType.QNAME;
    }

    /** Indexes NSDNAME rules as QNAME rules are indexed: exact by name, wildcard by name without {@code *}. */
    private static NameTriggerTable<NsdnameRule> nsdnameTable(List<NsdnameRule> rules) {
        NameMap exact = new NameMap();
        NameMap wildcard = new NameMap();
        for (NsdnameRule rule : rules) {
            Name nameServer = rule.nameServer();
            // The builder keeps one rule per owner, so no key repeats.
            Name key = nameServer.isWild() ? new Name(nameServer, 1) : nameServer;
            NameMap table = nameServer.isWild() ? wildcard : exact;
            if (!table.containsKey(key)) {
                table.put(key, rule);
            }
        }
        return new NameTriggerTable<>(exact, wildcard, null);
    }

    private void addApexRecord(Record record, int line) {
        switch (record.getType()) {
            case Type.SOA -> {
                if (soa == null) {
                    soa = (SOARecord) record;
                } else {
                    skip(line, record.getName(), "second SOA record at the zone apex");
                }
            }
            case Type.NS -> {
                // Name servers of the policy zone itself are zone metadata, not a rule.
            }
            default -> skip(line, record.getName(), "record at the zone apex is not a policy rule");
        }
    }

    private void addQnameRule(
            Record record, int line, Name triggerBase, boolean wildcard, PolicyAction action) {
        NameMap rules = wildcard ? wildcardRules : exactRules;
        Object state = rules.get(triggerBase);
        if (state == null) {
            triggerBase = sharedName(triggerBase, wildcard);
        }
        Object merged = merge(state, record, line, action, triggerBase, wildcard, TriggerType.QNAME);
        if (merged != state) {
            Name key = merged instanceof PolicyRule rule ? rule.triggerBase() : triggerBase;
            rules.put(key, merged);
        }
    }

    private void addSpecialRule(
            Record record,
            int line,
            Name triggerBase,
            boolean wildcard,
            TriggerType type,
            int triggerLabelIndex,
            PolicyAction action) {
        Name trigger = triggerOf(record.getName());
        SpecialTrigger special = specialTriggers.get(trigger);
        if (special == null) {
            special = decodeSpecialTrigger(record.getName(), line, trigger, type, triggerLabelIndex);
            if (special == null) {
                return;
            }
            specialTriggers.put(trigger, special);
        }
        special.state = merge(special.state, record, line, action, triggerBase, wildcard, type);
    }

    /** Decodes the address or name of a non-QNAME trigger. Returns null after skipping the record. */
    private SpecialTrigger decodeSpecialTrigger(
            Name owner, int line, Name trigger, TriggerType type, int triggerLabelIndex) {
        String triggerLabel = owner.getLabelString(triggerLabelIndex);
        if (type == TriggerType.NSDNAME) {
            if (triggerLabelIndex == 0) {
                skip(line, owner, "invalid " + triggerLabel + " trigger: no name server name");
                return null;
            }
            Name nameServer = absolute(trigger.relativize(NSDNAME_SUFFIX));
            return new SpecialTrigger(type, null, 0, nameServer);
        }
        IpTriggerDecoder.Result decoded = IpTriggerDecoder.decode(owner, triggerLabelIndex);
        if (decoded.error() != null) {
            skip(line, owner, "invalid " + triggerLabel + " trigger: " + decoded.error());
            return null;
        }
        return new SpecialTrigger(type, decoded.address(), decoded.prefixLength(), null);
    }

    /**
     * Returns the state of an owner after adding {@code record}: a {@link PolicyRule} for an
     * action, a {@link PendingData} for local data, or {@code state} itself when the record is a
     * duplicate or was skipped.
     */
    private Object merge(
            Object state,
            Record record,
            int line,
            PolicyAction action,
            Name triggerBase,
            boolean wildcard,
            TriggerType type) {
        boolean isCname = record.getType() == Type.CNAME;
        if (state == null) {
            if (action != PolicyAction.LOCAL_DATA) {
                return actionRule(triggerBase, wildcard, type, action);
            }
            return new PendingData(triggerBase, wildcard, type, record, line);
        }

        if (state instanceof PolicyRule rule) {
            if (action != rule.action()) {
                boolean otherData = action == PolicyAction.LOCAL_DATA && !isCname;
                skip(line, record.getName(), otherData ? CNAME_AND_OTHER_DATA : conflictingAction(rule.action()));
            }
            return state;
        }

        PendingData data = (PendingData) state;
        if (data.hasCname) {
            boolean sameCname = action == PolicyAction.LOCAL_DATA && data.records.contains(record);
            if (!sameCname) {
                skip(line, record.getName(), isCname ? conflictingAction(PolicyAction.LOCAL_DATA) : CNAME_AND_OTHER_DATA);
            }
            return state;
        }
        if (action != PolicyAction.LOCAL_DATA) {
            for (int i = 0; i < data.records.size(); i++) {
                skip(data.lines.get(i), data.records.get(i).getName(), CNAME_AND_OTHER_DATA);
            }
            return actionRule(triggerBase, wildcard, type, action);
        }
        if (isCname) {
            skip(line, record.getName(), CNAME_AND_OTHER_DATA);
            return state;
        }
        data.add(record, line);
        return state;
    }

    /**
     * Returns the action of a record. A CNAME to an unknown {@code rpz-} name, such as
     * {@code rpz-foo.}, is a CNAME rewrite to that name, as BIND 9 reads it.
     */
    private static PolicyAction actionOf(Record record, Name triggerBase, boolean wildcard) {
        if (!(record instanceof CNAMERecord cname)) {
            return PolicyAction.LOCAL_DATA;
        }
        Name target = cname.getTarget();
        if (target.equals(Name.root)) {
            return PolicyAction.NXDOMAIN;
        }
        if (target.labels() == 2) {
            if (target.isWild()) {
                return PolicyAction.NODATA;
            }
            if (target.equals(PASSTHRU_TARGET)) {
                return PolicyAction.PASSTHRU;
            }
            if (target.equals(DROP_TARGET)) {
                return PolicyAction.DROP;
            }
            if (target.equals(TCP_ONLY_TARGET)) {
                return PolicyAction.TCP_ONLY;
            }
        }
        boolean targetIsTrigger = wildcard
                ? target.isWild() && new Name(target, 1).equals(triggerBase)
                : target.equals(triggerBase);
        if (targetIsTrigger) {
            return PolicyAction.PASSTHRU;
        }
        return PolicyAction.LOCAL_DATA;
    }

    /**
     * Returns whether {@code record} is the old PASSTHRU form of an IP trigger, which BIND 9 reads:
     * a CNAME to the trigger without its {@code rpz-ip} (or {@code rpz-client-ip}, {@code rpz-nsip})
     * label, as in {@code 32.1.2.0.192.rpz-ip CNAME 32.1.2.0.192.}.
     */
    private static boolean isOldIpPassthru(Record record, Name triggerBase, TriggerType triggerType) {
        if (!(record instanceof CNAMERecord cname) || triggerType == TriggerType.QNAME
                || triggerType == TriggerType.NSDNAME || triggerBase.labels() < 3) {
            return false;
        }
        Name triggerLabel = new Name(triggerBase, triggerBase.labels() - 2);
        try {
            Name withoutTriggerLabel = Name.concatenate(triggerBase.relativize(triggerLabel), Name.root);
            return cname.getTarget().equals(withoutTriggerLabel);
        } catch (org.xbill.DNS.NameTooLongException e) {
            return false; // cannot happen: the result is shorter than the trigger
        }
    }

    /** Returns false for zone structure, DNSSEC and meta types, which a policy answer must not contain. */
    private static boolean isAllowedLocalDataType(int type) {
        return switch (type) {
            case Type.SOA, Type.NS, Type.DNAME,
                    Type.RRSIG, Type.NSEC, Type.NSEC3, Type.NSEC3PARAM, Type.DNSKEY, Type.DS,
                    Type.OPT, Type.TSIG, Type.TKEY -> false;
            default -> Type.isRR(type);
        };
    }

    /**
     * Returns the trigger type of the last label before the origin. Any other label, an unknown
     * {@code rpz-} label such as {@code rpz-canary} included, makes a QNAME trigger, as in BIND 9.
     */
    private static TriggerType triggerTypeOf(String label) {
        if (label.equalsIgnoreCase("rpz-ip")) {
            return TriggerType.RESPONSE_IP;
        }
        if (label.equalsIgnoreCase("rpz-client-ip")) {
            return TriggerType.CLIENT_IP;
        }
        if (label.equalsIgnoreCase("rpz-nsdname")) {
            return TriggerType.NSDNAME;
        }
        if (label.equalsIgnoreCase("rpz-nsip")) {
            return TriggerType.NSIP;
        }
        return TriggerType.QNAME;
    }

    private Name triggerOf(Name owner) {
        if (originLabels == 1) {
            return owner;
        }
        return absolute(owner.relativize(origin));
    }

    private static Name absolute(Name relative) {
        try {
            return Name.concatenate(relative, Name.root);
        } catch (NameTooLongException e) {
            // The relative name is part of a parsed owner, so adding the root label fits.
            throw new IllegalStateException("cannot make " + relative + " absolute", e);
        }
    }

    /** Returns the QNAME rule of the zone in force with this trigger, or null. */
    private PolicyRule baseRule(Name triggerBase, boolean wildcard) {
        if (base == null) {
            return null;
        }
        return wildcard ? base.wildcard(triggerBase) : base.exact(triggerBase);
    }

    /**
     * Returns an equal name that is kept already, by the zone in force or as the key of the other
     * kind of trigger (a {@code *.name} rule beside a {@code name} rule), else {@code triggerBase}.
     */
    private Name sharedName(Name triggerBase, boolean wildcard) {
        PolicyRule old = baseRule(triggerBase, wildcard);
        if (old != null) {
            return old.triggerBase();
        }
        Name other = (wildcard ? exactRules : wildcardRules).storedKey(triggerBase);
        return other != null ? other : triggerBase;
    }

    /** Returns a rule without local data, the one of the zone in force when it is the same. */
    private PolicyRule actionRule(Name triggerBase, boolean wildcard, TriggerType type, PolicyAction action) {
        if (type == TriggerType.QNAME) {
            PolicyRule old = baseRule(triggerBase, wildcard);
            if (old != null && old.action() == action) {
                return old;
            }
            if (old != null) {
                triggerBase = old.triggerBase();
            }
        }
        return PolicyRule.ofAction(origin, triggerBase, wildcard, type, action);
    }

    private static String conflictingAction(PolicyAction first) {
        return "conflicting action, the first rule at this owner is " + first.label();
    }

    private void skip(int line, Name owner, String reason) {
        skipped.add(new SkippedRecord(source, line, owner, reason));
    }

    private static PolicyRule toRule(Object state) {
        return state instanceof PendingData data ? data.toRule() : (PolicyRule) state;
    }

    /** Replaces every pending local data of a QNAME map with its rule, in place, and returns the map. */
    private NameMap finish(NameMap rules) {
        for (int i = 0; i < rules.capacity(); i++) {
            if (rules.valueAt(i) instanceof PendingData) {
                PolicyRule rule = finishedRule(rules.valueAt(i));
                rules.replaceAt(i, rule.triggerBase(), rule);
            }
        }
        return rules;
    }

    /** Returns the QNAME rule of an owner's state, the one of the zone in force when it answers alike. */
    private PolicyRule finishedRule(Object state) {
        if (!(state instanceof PendingData data)) {
            return (PolicyRule) state;
        }
        PolicyRule rule = data.toRule();
        PolicyRule old = baseRule(rule.triggerBase(), rule.wildcard());
        return old != null && old.answersLike(rule) ? old : rule;
    }

    private final class PendingData {
        final Name triggerBase;
        final boolean wildcard;
        final TriggerType type;
        final boolean hasCname;
        final List<Record> records = new ArrayList<>(2);
        final List<Integer> lines = new ArrayList<>(2);

        PendingData(Name triggerBase, boolean wildcard, TriggerType type, Record first, int line) {
            this.triggerBase = triggerBase;
            this.wildcard = wildcard;
            this.type = type;
            this.hasCname = first.getType() == Type.CNAME;
            add(first, line);
        }

        void add(Record record, int line) {
            records.add(record);
            lines.add(line);
        }

        PolicyRule toRule() {
            // Records of one type form one RRset, which drops exact duplicates and takes the
            // lowest TTL, as dnsjava's RRset does.
            Map<Integer, RRset> rrsets = new LinkedHashMap<>();
            for (Record record : records) {
                rrsets.computeIfAbsent(record.getType(), t -> new RRset()).addRR(record);
            }
            return new PolicyRule(
                    origin, triggerBase, wildcard, type, PolicyAction.LOCAL_DATA, new ArrayList<>(rrsets.values()));
        }
    }

    private static final class SpecialTrigger {
        final TriggerType type;
        final InetAddress address;
        final int prefixLength;
        final Name nameServer;
        Object state;

        SpecialTrigger(TriggerType type, InetAddress address, int prefixLength, Name nameServer) {
            this.type = type;
            this.address = address;
            this.prefixLength = prefixLength;
            this.nameServer = nameServer;
        }

        IpTriggerRule toIpRule(PolicyRule rule) {
            return new IpTriggerRule(rule, address, prefixLength);
        }
    }
}
