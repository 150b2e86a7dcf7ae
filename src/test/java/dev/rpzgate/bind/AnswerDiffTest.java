package dev.rpzgate.bind;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Master;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import static org.assertj.core.api.Assertions.assertThat;

/** Checks what AnswerDiff reports for hand-built answers. */
class AnswerDiffTest {

    private static final Name POLICY_ZONE = Name.fromConstantString("first.rpz.");
    private static final String POLICY_SOA = "first.rpz. %d IN SOA ns.first.rpz. hostmaster.first.rpz. 1 3600 600 86400 60";

    private final AnswerDiff diff = new AnswerDiff(List.of(POLICY_ZONE), 5);

    @Test
    void equalAnswersHaveNoDifferences() throws IOException {
        Message answer = answer(Rcode.NXDOMAIN, List.of(), List.of(String.format(POLICY_SOA, 60)));

        assertThat(diff.differences(outcome(answer), outcome(answer.clone()))).isEmpty();
    }

    @Test
    void upstreamTtlIsIgnoredAndPolicyTtlCompared() throws IOException {
        Message bind = answer(Rcode.NOERROR, List.of("garden.test. 5 IN CNAME walled.example.",
                "walled.example. 288 IN A 192.0.2.200"), List.of(String.format(POLICY_SOA, 60)));
        Message rpzgate = answer(Rcode.NOERROR, List.of("garden.test. 300 IN CNAME walled.example.",
                "walled.example. 300 IN A 192.0.2.200"), List.of(String.format(POLICY_SOA, 300)));

        assertThat(diff.differences(outcome(bind), outcome(rpzgate))).containsExactly(
                "answer: TTL of garden.test. IN CNAME walled.example.: bind 5, rpzgate 300",
                "additional: TTL of first.rpz. IN SOA ns.first.rpz. hostmaster.first.rpz. 1 3600 600 86400 60: "
                        + "bind 60, rpzgate 300");
    }

    @Test
    void recordsOnOneSideAreNamed() throws IOException {
        Message bind = answer(Rcode.NOERROR, List.of("a.test. 300 IN A 192.0.2.1"), List.of());
        Message rpzgate = answer(Rcode.NOERROR, List.of("A.TEST. 300 IN A 192.0.2.1", "a.test. 300 IN A 192.0.2.2"),
                List.of());

        assertThat(diff.differences(outcome(bind), outcome(rpzgate)))
                .containsExactly("answer: only rpzgate: a.test. IN A 192.0.2.2");
    }

    @Test
    void headerAndOptDifferencesAreListed() throws IOException {
        Message bind = answer(Rcode.NOERROR, List.of(), List.of());
        bind.getHeader().setFlag(Flags.TC);
        bind.addRecord(new OPTRecord(1232, 0, 0, ExtendedFlags.DO), Section.ADDITIONAL);
        Message rpzgate = answer(Rcode.NXDOMAIN, List.of(), List.of());

        assertThat(diff.differences(outcome(bind), outcome(rpzgate))).containsExactly(
                "rcode: bind NOERROR, rpzgate NXDOMAIN",
                "flag TC: bind 1, rpzgate 0",
                "opt: bind present, rpzgate absent");
    }

    @Test
    void missingAnswerIsOneDifference() throws IOException {
        Message rpzgate = answer(Rcode.NOERROR, List.of(), List.of());

        assertThat(diff.differences(AnswerDiff.Outcome.none("timeout"), outcome(rpzgate)))
                .containsExactly("response: bind no answer, rpzgate NOERROR answer");
        assertThat(diff.differences(AnswerDiff.Outcome.none("timeout"), AnswerDiff.Outcome.none("closed"))).isEmpty();
    }

    private static AnswerDiff.Outcome outcome(Message message) {
        return AnswerDiff.Outcome.answered(message);
    }

    private static Message answer(int rcode, List<String> answers, List<String> additionals) throws IOException {
        Message message = new Message(4711);
        message.getHeader().setFlag(Flags.QR);
        message.getHeader().setFlag(Flags.RD);
        message.getHeader().setFlag(Flags.RA);
        message.getHeader().setRcode(rcode);
        message.addRecord(Record.newRecord(Name.fromConstantString("a.test."), Type.A, 1), Section.QUESTION);
        for (String text : answers) {
            message.addRecord(parse(text), Section.ANSWER);
        }
        for (String text : additionals) {
            message.addRecord(parse(text), Section.ADDITIONAL);
        }
        return message;
    }

    /** Parses one record in master-file form, owner and TTL included. */
    private static Record parse(String text) throws IOException {
        try (Master master = new Master(new ByteArrayInputStream(text.getBytes(StandardCharsets.US_ASCII)), Name.root)) {
            return master.nextRecord();
        }
    }
}
