package dev.rpzgate.upstream;

import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Record;

import java.io.IOException;

/** Checks shared by the transports on what an upstream sent back. */
final class UpstreamMessages {

    private UpstreamMessages() {
    }

    /** Parses an upstream packet; returns null unless it is a response to {@code question}. */
    static Message parseMatchingAnswer(byte[] packet, Record question) {
        Message answer;
        try {
            answer = new Message(packet);
        } catch (IOException | RuntimeException e) {
            return null;
        }
        Record echoed = answer.getQuestion();
        if (!answer.getHeader().getFlag(Flags.QR) || echoed == null) {
            return null;
        }
        boolean sameQuestion = echoed.getName().equals(question.getName())
                && echoed.getType() == question.getType()
                && echoed.getDClass() == question.getDClass();
        return sameQuestion ? answer : null;
    }

    static byte[] withId(byte[] wire, int id) {
        byte[] copy = wire.clone();
        copy[0] = (byte) (id >>> 8);
        copy[1] = (byte) id;
        return copy;
    }

    static int idOf(byte[] packet) {
        return ((packet[0] & 0xFF) << 8) | (packet[1] & 0xFF);
    }
}
