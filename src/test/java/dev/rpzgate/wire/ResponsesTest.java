package dev.rpzgate.wire;

import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ResponsesTest {

    private static final InetSocketAddress CLIENT = new InetSocketAddress(InetAddress.getLoopbackAddress(), 40000);

    @Test
    void errorFromHeaderKeepsIdOpcodeAndRd() {
        byte[] packet = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, (byte) 0xff};
        byte[] answer = Responses.errorFromHeader(packet, Rcode.FORMERR);

        assertThat(answer).hasSize(12);
        assertThat(answer[0]).isEqualTo((byte) 0x12);
        assertThat(answer[1]).isEqualTo((byte) 0x34);
        assertThat(answer[2] & 0x80).as("QR").isEqualTo(0x80);
        assertThat(answer[2] & 0x01).as("RD").isEqualTo(0x01);
        assertThat(answer[3] & 0x0F).as("rcode").isEqualTo(Rcode.FORMERR);
        assertThat(answer[5]).as("question count").isZero();
    }

    @Test
    void errorFromHeaderDropsShortPacket() {
        assertThat(Responses.errorFromHeader(new byte[5], Rcode.FORMERR)).isNull();
    }

    @Test
    void errorFromHeaderDropsResponse() {
        byte[] packet = {0x12, 0x34, (byte) 0x81, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
        assertThat(Responses.errorFromHeader(packet, Rcode.FORMERR)).isNull();
    }

    @Test
    void encodeCopiesIdRdAndDoBitIntoOurOpt() throws Exception {
        Message query = query("www.example.", Type.A, true, 4096);
        ClientQuery client = new ClientQuery(query, CLIENT, Transport.UDP);
        Message upstream = new Message(999);
        upstream.getHeader().setFlag(Flags.QR);
        upstream.addRecord(query.getQuestion(), Section.QUESTION);
        upstream.addRecord(new OPTRecord(4096, 0, 0, 0), Section.ADDITIONAL);

        Message answer = new Message(Responses.encode(upstream, client, List.of()));

        assertThat(answer.getHeader().getID()).isEqualTo(query.getHeader().getID());
        assertThat(answer.getHeader().getFlag(Flags.RD)).isTrue();
        assertThat(answer.getHeader().getFlag(Flags.RA)).isTrue();
        assertThat(answer.getOPT().getPayloadSize()).isEqualTo(ClientQuery.ADVERTISED_UDP_PAYLOAD);
        assertThat(answer.getOPT().getFlags() & ExtendedFlags.DO).isEqualTo(ExtendedFlags.DO);
    }

    @Test
    void encodeOmitsOptWhenClientSentNone() throws Exception {
        Message query = query("www.example.", Type.A, false, 0);
        query.getHeader().unsetFlag(Flags.RD);
        Message upstream = new Message(1);
        upstream.addRecord(query.getQuestion(), Section.QUESTION);
        upstream.addRecord(new OPTRecord(1232, 0, 0, 0), Section.ADDITIONAL);

        Message answer = new Message(Responses.encode(upstream, new ClientQuery(query, CLIENT, Transport.UDP), List.of()));

        assertThat(answer.getOPT()).isNull();
        assertThat(answer.getHeader().getFlag(Flags.RD)).isFalse();
    }

    @Test
    void encodeTruncatesOverUdpToClientSize() throws Exception {
        Message query = query("big.example.", Type.TXT, false, 0);
        Message upstream = bigTxtAnswer(query);

        byte[] udp = Responses.encode(upstream.clone(), new ClientQuery(query, CLIENT, Transport.UDP), List.of());
        byte[] tcp = Responses.encode(upstream.clone(), new ClientQuery(query, CLIENT, Transport.TCP), List.of());

        assertThat(udp.length).isLessThanOrEqualTo(ClientQuery.CLASSIC_UDP_PAYLOAD);
        assertThat(new Message(udp).getHeader().getFlag(Flags.TC)).isTrue();
        assertThat(new Message(tcp).getHeader().getFlag(Flags.TC)).isFalse();
        assertThat(new Message(tcp).getSection(Section.ANSWER)).hasSize(8);
    }

    @Test
    void udpLimitFollowsClientPayloadCappedAtOurs() throws Exception {
        assertThat(new ClientQuery(query("a.example.", Type.A, false, 4096), CLIENT, Transport.UDP).udpAnswerLimit())
                .isEqualTo(1232);
        assertThat(new ClientQuery(query("a.example.", Type.A, false, 800), CLIENT, Transport.UDP).udpAnswerLimit())
                .isEqualTo(800);
        assertThat(new ClientQuery(query("a.example.", Type.A, false, 100), CLIENT, Transport.UDP).udpAnswerLimit())
                .isEqualTo(512);
    }

    @Test
    void newAnswerCarriesExtendedRcode() throws Exception {
        Message query = query("www.example.", Type.A, false, 1232);
        ClientQuery client = new ClientQuery(query, CLIENT, Transport.UDP);

        Message answer = new Message(Responses.encode(Responses.newAnswer(client, Rcode.BADVERS), client, List.of()));

        assertThat(answer.getRcode()).isEqualTo(Rcode.BADVERS);
    }

    private static Message bigTxtAnswer(Message query) throws Exception {
        Message upstream = new Message(7);
        upstream.getHeader().setFlag(Flags.QR);
        upstream.addRecord(query.getQuestion(), Section.QUESTION);
        for (int i = 0; i < 8; i++) {
            upstream.addRecord(new TXTRecord(Name.fromString("big.example."), DClass.IN, 300, "x".repeat(200) + i),
                    Section.ANSWER);
        }
        return upstream;
    }

    private static Message query(String name, int type, boolean dnssecOk, int payload) throws Exception {
        Message query = Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN));
        if (payload > 0) {
            query.addRecord(new OPTRecord(payload, 0, 0, dnssecOk ? ExtendedFlags.DO : 0), Section.ADDITIONAL);
        }
        return query;
    }
}
