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

    /**
     * Describes a failure by its deepest cause, because Netty wraps the reason a TLS handshake
     * failed (an untrusted chain, a name mismatch) in a generic "Failed to create SSL connection".
     */
    static String describe(Throwable error) {
        Throwable root = error;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        return root == error ? message : error.getMessage() + ": " + message;
    }

    static int idOf(byte[] packet) {
        return ((packet[0] & 0xFF) << 8) | (packet[1] & 0xFF);
    }
}
