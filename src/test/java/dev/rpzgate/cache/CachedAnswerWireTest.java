package dev.rpzgate.cache;

import dev.rpzgate.wire.ClientQuery;
import dev.rpzgate.wire.Responses;
import dev.rpzgate.wire.Transport;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Flags;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Checks the byte-level answer of a cache entry against the general path: the entry parsed into a
 * dnsjava message, its question replaced by the client's, AA cleared and encoded by
 * {@link Responses#encode}. Both must give the same bytes for random answers and queries.
 */
class CachedAnswerWireTest {

    private static final InetSocketAddress CLIENT = new InetSocketAddress(InetAddress.getLoopbackAddress(), 5353);
    private static final long STORED_AT = 1_000_000;

    @Test
    void randomAnswersMatchGeneralPath() throws Exception {
        Random random = new Random(20261205);
        int compared = 0;
        int declined = 0;
        for (int round = 0; round < 3000; round++) {
            Name qname = randomName(random);
            int qtype = random.nextBoolean() ? Type.A : (random.nextBoolean() ? Type.AAAA : Type.TXT);
            Message upstream = randomAnswer(random, qname, qtype);
            boolean dnssecOk = random.nextBoolean();
            CacheKey key = new CacheKey(qname, qtype, DClass.IN, dnssecOk, random.nextBoolean());
            CachedAnswer entry = CachedAnswer.from(key, upstream, AnswerCacheTest.settings(), STORED_AT);
            if (entry == null) {
                continue;
            }

            byte[] packet = randomQuery(random, withRandomCase(random, qname), qtype, dnssecOk);
            ClientQuery query = new ClientQuery(new Message(packet), packet, CLIENT,
                    random.nextInt(4) == 0 ? Transport.TCP : Transport.UDP);
            long now = STORED_AT + random.nextInt(400_000);

            byte[] fast = entry.toClientWire(query, now);
            byte[] general = generalPath(entry, query, now);
            if (fast == null) {
                declined++;
                // Only an answer too large for the client may be declined: the general path cuts it.
                ClientQuery overTcp = new ClientQuery(new Message(packet), packet, CLIENT, Transport.TCP);
                assertThat(generalPath(entry, overTcp, now).length).as("declined %s", upstream)
                        .isGreaterThan(query.answerLimit());
                continue;
            }
            compared++;
            assertThat(new Message(fast).toString()).isEqualTo(new Message(general).toString());
            assertThat(fast).as("bytes of %s", new Message(general)).isEqualTo(general);
        }
        assertThat(compared).isGreaterThan(1000);
        assertThat(declined).isGreaterThan(0);
    }

    @Test
    void clientCaseAndIdCopied() throws Exception {
        Name qname = Name.fromConstantString("www.example.");
        Message upstream = CacheMessages.answer(CacheMessages.question("www.example.", Type.A),
                "www.example. 300 IN A 192.0.2.1");
        upstream.getHeader().setFlag(Flags.AA);
        CachedAnswer entry = CachedAnswer.from(new CacheKey(qname, Type.A, DClass.IN, false, false), upstream,
                AnswerCacheTest.settings(), STORED_AT);
        Message clientQuery = Message.newQuery(Record.newRecord(Name.fromConstantString("WwW.ExAmple."), Type.A,
                DClass.IN));
        clientQuery.getHeader().setID(4242);
        byte[] packet = clientQuery.toWire();

        byte[] wire = entry.toClientWire(new ClientQuery(new Message(packet), packet, CLIENT, Transport.UDP),
                STORED_AT + 7_500);

        Message answer = new Message(wire);
        assertThat(answer.getHeader().getID()).isEqualTo(4242);
        assertThat(answer.getHeader().getFlag(Flags.AA)).isFalse();
        assertThat(answer.getHeader().getFlag(Flags.RA)).isTrue();
        assertThat(answer.getQuestion().getName().toString()).isEqualTo("WwW.ExAmple.");
        assertThat(answer.getSection(Section.ANSWER).get(0).getTTL()).isEqualTo(293);
        assertThat(answer.getOPT()).isNull();
    }

    @Test
    void oversizedAnswerDeclined() throws Exception {
        Name qname = Name.fromConstantString("big.example.");
        String[] records = new String[12];
        for (int i = 0; i < records.length; i++) {
            records[i] = "big.example. 300 IN TXT \"" + "x".repeat(60) + i + "\"";
        }
        Message upstream = CacheMessages.answer(CacheMessages.question("big.example.", Type.TXT), records);
        CachedAnswer entry = CachedAnswer.from(new CacheKey(qname, Type.TXT, DClass.IN, false, false), upstream,
                AnswerCacheTest.settings(), STORED_AT);
        byte[] packet = Message.newQuery(Record.newRecord(qname, Type.TXT, DClass.IN)).toWire();

        assertThat(entry.toClientWire(new ClientQuery(new Message(packet), packet, CLIENT, Transport.UDP), STORED_AT))
                .isNull();
        assertThat(entry.toClientWire(new ClientQuery(new Message(packet), packet, CLIENT, Transport.TCP), STORED_AT))
                .isNotNull();
    }

    private static byte[] generalPath(CachedAnswer entry, ClientQuery query, long now) {
        Message answer = entry.toMessage(now);
        answer.getHeader().unsetFlag(Flags.AA);
        answer.removeAllRecords(Section.QUESTION);
        answer.addRecord(query.question(), Section.QUESTION);
        return Responses.encode(answer, query, List.of());
    }

    private static Message randomAnswer(Random random, Name qname, int qtype) throws Exception {
        Message answer = new Message(random.nextInt(65536));
        answer.getHeader().setFlag(Flags.QR);
        answer.getHeader().setFlag(Flags.RD);
        if (random.nextBoolean()) {
            answer.getHeader().setFlag(Flags.AA);
        }
        if (random.nextInt(4) == 0) {
            answer.getHeader().setFlag(Flags.AD);
        }
        answer.addRecord(Record.newRecord(qname, qtype, DClass.IN), Section.QUESTION);
        Name zone = new Name(qname, qname.labels() - 2);
        SOARecord soa = new SOARecord(zone, DClass.IN, 1 + random.nextInt(3600), Name.fromConstantString("ns." + zone),
                Name.fromConstantString("admin." + zone), 1, 3600, 600, 86400, 1 + random.nextInt(600));
        int kind = random.nextInt(5);
        if (kind == 0) {
            answer.getHeader().setRcode(Rcode.NXDOMAIN);
            answer.addRecord(soa, Section.AUTHORITY);
        } else if (kind == 1) {
            answer.addRecord(soa, Section.AUTHORITY);
        } else {
            Name owner = qname;
            int chain = random.nextInt(3);
            for (int i = 0; i < chain; i++) {
                Name target = randomName(random);
                answer.addRecord(new CNAMERecord(owner, DClass.IN, 1 + random.nextInt(7200), target), Section.ANSWER);
                owner = target;
            }
            int count = 1 + random.nextInt(kind == 4 ? 30 : 4);
            for (int i = 0; i < count; i++) {
                answer.addRecord(record(random, owner, qtype), Section.ANSWER);
            }
            if (random.nextBoolean()) {
                Name exchange = randomName(random);
                answer.addRecord(new MXRecord(zone, DClass.IN, 300, 10, exchange), Section.AUTHORITY);
                answer.addRecord(new ARecord(exchange, DClass.IN, 300, InetAddress.getByName("192.0.2.99")),
                        Section.ADDITIONAL);
            }
        }
        if (random.nextInt(5) > 0) {
            answer.addRecord(new OPTRecord(1232, 0, 0, random.nextBoolean() ? ExtendedFlags.DO : 0),
                    Section.ADDITIONAL);
        }
        return answer;
    }

    private static Record record(Random random, Name owner, int type) throws Exception {
        long ttl = 1 + random.nextInt(86400);
        byte[] bytes = new byte[type == Type.AAAA ? 16 : 4];
        random.nextBytes(bytes);
        return switch (type) {
            case Type.A -> new ARecord(owner, DClass.IN, ttl, InetAddress.getByAddress(bytes));
            case Type.AAAA -> new AAAARecord(owner, DClass.IN, ttl, InetAddress.getByAddress(bytes));
            default -> new TXTRecord(owner, DClass.IN, ttl, "t".repeat(random.nextInt(120)));
        };
    }

    private static byte[] randomQuery(Random random, Name qname, int qtype, boolean dnssecOk) {
        Message query = new Message(random.nextInt(65536));
        if (random.nextInt(5) > 0) {
            query.getHeader().setFlag(Flags.RD);
        }
        if (random.nextInt(4) == 0) {
            query.getHeader().setFlag(Flags.CD);
        }
        query.addRecord(Record.newRecord(qname, qtype, DClass.IN), Section.QUESTION);
        if (dnssecOk || random.nextBoolean()) {
            int payload = 512 + random.nextInt(4000);
            query.addRecord(new OPTRecord(payload, 0, 0, dnssecOk ? ExtendedFlags.DO : 0), Section.ADDITIONAL);
        }
        return query.toWire();
    }

    private static Name randomName(Random random) throws Exception {
        StringBuilder text = new StringBuilder();
        int labels = 2 + random.nextInt(3);
        for (int i = 0; i < labels; i++) {
            int length = 1 + random.nextInt(12);
            for (int j = 0; j < length; j++) {
                text.append((char) ('a' + random.nextInt(26)));
            }
            text.append('.');
        }
        return Name.fromString(text.toString());
    }

    private static Name withRandomCase(Random random, Name name) throws Exception {
        StringBuilder text = new StringBuilder();
        for (char c : name.toString().toCharArray()) {
            text.append(random.nextBoolean() ? Character.toUpperCase(c) : c);
        }
        return Name.fromString(text.toString());
    }
}
