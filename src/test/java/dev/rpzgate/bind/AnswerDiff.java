package dev.rpzgate.bind;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import org.xbill.DNS.DClass;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Compares the answer of BIND with the answer of rpzgate to the same query and lists every
 * difference as one line of text. Equal answers give an empty list.
 *
 * <p>Compared: whether an answer came at all (a DROP rule sends none), the question, the rcode
 * (extended rcodes included), the flags QR, AA, TC, RD, RA, AD and CD, every section as a set of
 * records (owner, class, type, RDATA; letter case ignored as DNS ignores it), and the OPT record's
 * presence, DO bit, version and UDP payload size. EDNS options are ignored, because BIND adds a
 * COOKIE option that rpzgate does not.
 *
 * <p>A TTL is compared only where a policy sets it on both servers: for the SOA of a policy zone,
 * and for every record whose TTL is at most {@code max-policy-ttl} on either side (records that a
 * rule supplies are capped at it). Records that come from the upstream keep their own TTL, which
 * BIND's cache counts down, so the test upstream must give them TTLs above {@code max-policy-ttl}.
 *
 * <p>The lines are sorted within each part, so the same answers always give the same text; the
 * known-differences file relies on that.
 */
public final class AnswerDiff {

    private static final int[] COMPARED_FLAGS = {Flags.QR, Flags.AA, Flags.TC, Flags.RD, Flags.RA, Flags.AD, Flags.CD};

    private final Set<Name> policyZones;
    private final long maxPolicyTtlSeconds;

    /**
     * @param policyZones origins of the policy zones loaded into both servers
     * @param maxPolicyTtlSeconds the {@code max-policy-ttl} that both servers apply
     */
    public AnswerDiff(Collection<Name> policyZones, long maxPolicyTtlSeconds) {
        this.policyZones = Set.copyOf(policyZones);
        this.maxPolicyTtlSeconds = maxPolicyTtlSeconds;
    }

    /** What one server sent back: a message, or no message and why none came. */
    public record Outcome(Message message, String noAnswerReason) {

        public Outcome {
            if ((message == null) == (noAnswerReason == null)) {
                throw new IllegalArgumentException("an outcome has either a message or a reason for none");
            }
        }

        public static Outcome answered(Message message) {
            return new Outcome(Objects.requireNonNull(message, "message"), null);
        }

        public static Outcome none(String reason) {
            return new Outcome(null, Objects.requireNonNull(reason, "reason"));
        }

        public boolean answered() {
            return message != null;
        }

        /** Returns the message as dig prints it, or the reason why none came. */
        @Override
        public String toString() {
            return answered() ? message.toString() : "no answer: " + noAnswerReason;
        }
    }

    /** Returns the differences between the two outcomes, one line each, or an empty list. */
    public List<String> differences(Outcome bind, Outcome rpzgate) {
        List<String> lines = new ArrayList<>();
        if (!bind.answered() || !rpzgate.answered()) {
            if (bind.answered() != rpzgate.answered()) {
                lines.add("response: bind " + summary(bind) + ", rpzgate " + summary(rpzgate));
            }
            return lines;
        }

        Message bindMessage = bind.message();
        Message rpzgateMessage = rpzgate.message();
        compareValue(lines, "question", question(bindMessage), question(rpzgateMessage));
        compareValue(lines, "rcode", Rcode.string(bindMessage.getRcode()), Rcode.string(rpzgateMessage.getRcode()));
        for (int flag : COMPARED_FLAGS) {
            compareValue(lines, "flag " + Flags.string(flag).toUpperCase(Locale.ROOT),
                    bit(bindMessage.getHeader().getFlag(flag)), bit(rpzgateMessage.getHeader().getFlag(flag)));
        }
        compareSection(lines, "answer", records(bindMessage, Section.ANSWER), records(rpzgateMessage, Section.ANSWER));
        compareSection(lines, "authority", records(bindMessage, Section.AUTHORITY),
                records(rpzgateMessage, Section.AUTHORITY));
        compareSection(lines, "additional", records(bindMessage, Section.ADDITIONAL),
                records(rpzgateMessage, Section.ADDITIONAL));
        compareOpt(lines, bindMessage.getOPT(), rpzgateMessage.getOPT());
        return lines;
    }

    private static String summary(Outcome outcome) {
        if (!outcome.answered()) {
            return "no answer";
        }
        return Rcode.string(outcome.message().getRcode()) + " answer";
    }

    private static String question(Message message) {
        Record question = message.getQuestion();
        if (question == null) {
            return "none";
        }
        // Letter case counts here: a resolver must send the question back as the client wrote it.
        return question.getName() + " " + DClass.string(question.getDClass()) + " " + Type.string(question.getType());
    }

    private static String bit(boolean set) {
        return set ? "1" : "0";
    }

    private static void compareValue(List<String> lines, String label, Object bind, Object rpzgate) {
        if (!bind.equals(rpzgate)) {
            lines.add(label + ": bind " + bind + ", rpzgate " + rpzgate);
        }
    }

    /** Returns the records of a section by themselves, without the OPT pseudo-record. */
    private static List<Record> records(Message message, int section) {
        List<Record> records = new ArrayList<>();
        for (Record record : message.getSection(section)) {
            if (!(record instanceof OPTRecord)) {
                records.add(record);
            }
        }
        return records;
    }

    private void compareSection(List<String> lines, String label, List<Record> bind, List<Record> rpzgate) {
        // Record.equals ignores the TTL and the letter case of names, so the maps pair up records
        // that differ only in those.
        Map<Record, Record> bindRecords = byRecord(bind);
        Map<Record, Record> rpzgateRecords = byRecord(rpzgate);
        List<String> sectionLines = new ArrayList<>();

        for (Record record : bindRecords.keySet()) {
            Record other = rpzgateRecords.get(record);
            if (other == null) {
                sectionLines.add(label + ": only bind: " + render(record));
            } else if (ttlIsCompared(record, other) && record.getTTL() != other.getTTL()) {
                sectionLines.add(label + ": TTL of " + render(record) + ": bind " + record.getTTL()
                        + ", rpzgate " + other.getTTL());
            }
        }
        for (Record record : rpzgateRecords.keySet()) {
            if (!bindRecords.containsKey(record)) {
                sectionLines.add(label + ": only rpzgate: " + render(record));
            }
        }
        sectionLines.sort(null);
        lines.addAll(sectionLines);
    }

    private static Map<Record, Record> byRecord(List<Record> records) {
        Map<Record, Record> map = new LinkedHashMap<>();
        for (Record record : records) {
            map.putIfAbsent(record, record);
        }
        return map;
    }

    private boolean ttlIsCompared(Record bind, Record rpzgate) {
        if (bind.getType() == Type.SOA && policyZones.contains(bind.getName())) {
            return true;
        }
        return Math.min(bind.getTTL(), rpzgate.getTTL()) <= maxPolicyTtlSeconds;
    }

    /** Returns the record in master-file form without its TTL, which the comparison treats apart. */
    static String render(Record record) {
        return record.getName() + " " + DClass.string(record.getDClass()) + " " + Type.string(record.getType())
                + " " + record.rdataToString();
    }

    private static void compareOpt(List<String> lines, OPTRecord bind, OPTRecord rpzgate) {
        if (bind == null || rpzgate == null) {
            if (bind != rpzgate) {
                lines.add("opt: bind " + (bind == null ? "absent" : "present")
                        + ", rpzgate " + (rpzgate == null ? "absent" : "present"));
            }
            return;
        }
        compareValue(lines, "opt DO", bit((bind.getFlags() & ExtendedFlags.DO) != 0),
                bit((rpzgate.getFlags() & ExtendedFlags.DO) != 0));
        compareValue(lines, "opt version", bind.getVersion(), rpzgate.getVersion());
        compareValue(lines, "opt payload", bind.getPayloadSize(), rpzgate.getPayloadSize());
    }
}
