package dev.rpzgate.source.transfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;

/**
 * Tests {@link SoaQuery} against a UDP server in the test that answers as a broken or hostile
 * primary would, which Knot DNS cannot be made to do.
 */
class SoaQueryTest {

    private static final Name ZONE = Name.fromConstantString("rpz.test.");
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final Duration SHORT_TIMEOUT = Duration.ofMillis(300);

    private FakePrimary primary;

    @AfterEach
    void stopPrimary() throws InterruptedException {
        if (primary != null) {
            primary.close();
        }
    }

    @Test
    void unsignedAnswerWithKeyIsTsigFailure() throws IOException {
        primary = new FakePrimary(query -> answer(query, Rcode.NOERROR, true));

        assertThatThrownBy(() -> SoaQuery.query(ZONE, primary.address(), randomKey(), TIMEOUT))
                .isInstanceOfSatisfying(TransferFailedException.class,
                        e -> assertThat(e.kind()).isEqualTo(TransferFailedException.Kind.TSIG))
                .hasMessageContaining("is unsigned, but TSIG key transfer-key. is configured");
    }

    @Test
    void answerSignedWithOtherSecretIsTsigFailure() throws IOException {
        TsigKey key = randomKey();
        TsigKey otherSecret = new TsigKey(key.name(), key.algorithm(), randomKey().secret());
        primary = new FakePrimary(query -> {
            Message answer = answer(query, Rcode.NOERROR, true);
            otherSecret.toTsig().apply(answer, query.getTSIG());
            return answer;
        });

        assertThatThrownBy(() -> SoaQuery.query(ZONE, primary.address(), key, TIMEOUT))
                .isInstanceOfSatisfying(TransferFailedException.class,
                        e -> assertThat(e.kind()).isEqualTo(TransferFailedException.Kind.TSIG))
                .hasMessageContaining("failed TSIG verification with key transfer-key.: BADSIG");
    }

    @Test
    void signedAnswerReturnsSoa() throws Exception {
        TsigKey key = randomKey();
        primary = new FakePrimary(query -> {
            Message answer = answer(query, Rcode.NOERROR, true);
            key.toTsig().apply(answer, query.getTSIG());
            return answer;
        });

        SOARecord soa = SoaQuery.query(ZONE, primary.address(), key, TIMEOUT);

        assertThat(soa.getSerial()).isEqualTo(7);
    }

    @Test
    void refusedIsRejected() throws IOException {
        primary = new FakePrimary(query -> answer(query, Rcode.REFUSED, true));

        assertThatThrownBy(() -> SoaQuery.query(ZONE, primary.address(), null, TIMEOUT))
                .isInstanceOfSatisfying(TransferFailedException.class,
                        e -> assertThat(e.kind()).isEqualTo(TransferFailedException.Kind.REJECTED))
                .hasMessageContaining("has rcode REFUSED");
    }

    @Test
    void nonAuthoritativeAnswerIsRejected() throws IOException {
        primary = new FakePrimary(query -> answer(query, Rcode.NOERROR, false));

        assertThatThrownBy(() -> SoaQuery.query(ZONE, primary.address(), null, TIMEOUT))
                .isInstanceOfSatisfying(TransferFailedException.class,
                        e -> assertThat(e.kind()).isEqualTo(TransferFailedException.Kind.PROTOCOL))
                .hasMessageContaining("is not authoritative");
    }

    @Test
    void answerWithOtherIdIsIgnoredUntilTimeout() throws IOException {
        primary = new FakePrimary(query -> {
            Message answer = answer(query, Rcode.NOERROR, true);
            answer.getHeader().setID((query.getHeader().getID() + 1) & 0xFFFF);
            return answer;
        });

        assertThatThrownBy(() -> SoaQuery.query(ZONE, primary.address(), null, SHORT_TIMEOUT))
                .isInstanceOfSatisfying(TransferFailedException.class,
                        e -> assertThat(e.kind()).isEqualTo(TransferFailedException.Kind.TIMEOUT))
                .hasMessageContaining("timed out after 300 ms over UDP");
    }

    private static TsigKey randomKey() {
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        return TsigKey.of("transfer-key.", null, Base64.getEncoder().encodeToString(secret));
    }

    private static Message answer(Message query, int rcode, boolean authoritative) {
        Message answer = new Message(query.getHeader().getID());
        answer.getHeader().setFlag(Flags.QR);
        if (authoritative) {
            answer.getHeader().setFlag(Flags.AA);
        }
        answer.getHeader().setRcode(rcode);
        answer.addRecord(query.getQuestion(), Section.QUESTION);
        if (rcode == Rcode.NOERROR) {
            answer.addRecord(new SOARecord(ZONE, DClass.IN, 300, Name.fromConstantString("ns.rpz.test."),
                    Name.fromConstantString("admin.rpz.test."), 7, 3600, 600, 86400, 60), Section.ANSWER);
        }
        return answer;
    }

    /** Answers each UDP query on 127.0.0.1 with what {@code responder} returns. */
    private static final class FakePrimary implements AutoCloseable {
        private final DatagramSocket socket;
        private final Thread reader;

        FakePrimary(Function<Message, Message> responder) throws IOException {
            socket = new DatagramSocket(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
            reader = new Thread(() -> serve(responder), "fake-primary");
            reader.setDaemon(true);
            reader.start();
        }

        InetSocketAddress address() {
            return (InetSocketAddress) socket.getLocalSocketAddress();
        }

        private void serve(Function<Message, Message> responder) {
            byte[] buffer = new byte[65535];
            while (!socket.isClosed()) {
                DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
                try {
                    socket.receive(packet);
                    Message query = new Message(Arrays.copyOf(packet.getData(), packet.getLength()));
                    byte[] answer = responder.apply(query).toWire();
                    socket.send(new DatagramPacket(answer, answer.length, packet.getSocketAddress()));
                } catch (IOException e) {
                    // The socket was closed.
                }
            }
        }

        @Override
        public void close() throws InterruptedException {
            socket.close();
            reader.join(5000);
        }
    }
}
