package dev.rpzgate.cache;

import org.xbill.DNS.DClass;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/** Builds upstream answers and reads them back for the cache tests. */
final class CacheMessages {

    private CacheMessages() {
    }

    static Record question(String name, int type) {
        return Record.newRecord(Name.fromConstantString(name), type, DClass.IN);
    }

    /**
     * Builds an upstream answer with an OPT record that has DO set. Records whose line starts with
     * "auth " go to the authority section, with "add " to the additional section.
     */
    static Message answer(Record question, int rcode, String... records) {
        Message answer = new Message();
        answer.getHeader().setFlag(Flags.QR);
        answer.getHeader().setFlag(Flags.RA);
        answer.getHeader().setRcode(rcode);
        answer.addRecord(question, Section.QUESTION);
        for (String line : records) {
            if (line.startsWith("auth ")) {
                answer.addRecord(parse(line.substring(5)), Section.AUTHORITY);
            } else if (line.startsWith("add ")) {
                answer.addRecord(parse(line.substring(4)), Section.ADDITIONAL);
            } else {
                answer.addRecord(parse(line), Section.ANSWER);
            }
        }
        answer.addRecord(new OPTRecord(1232, 0, 0, ExtendedFlags.DO), Section.ADDITIONAL);
        return answer;
    }

    static Message answer(Record question, String... records) {
        return answer(question, Rcode.NOERROR, records);
    }

    /** Parses {@code name ttl IN type rdata}. */
    private static Record parse(String text) {
        String[] fields = text.trim().split("\\s+", 5);
        try {
            return Record.fromString(Name.fromString(fields[0]), org.xbill.DNS.Type.value(fields[3]), DClass.IN,
                    Long.parseLong(fields[1]), fields[4], Name.root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Returns "name ttl type" of every record in {@code section}. */
    static List<String> ttls(Message message, int section) {
        List<String> lines = new ArrayList<>();
        for (Record record : message.getSection(section)) {
            lines.add(record.getName() + " " + record.getTTL() + " " + org.xbill.DNS.Type.string(record.getType()));
        }
        return lines;
    }
}
