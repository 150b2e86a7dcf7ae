package dev.rpzgate.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;
import org.xbill.DNS.WireParseException;

import dev.rpzgate.testing.TestUpstream.ReceivedQuery;
import dev.rpzgate.testing.TestUpstream.Transport;

class TestUpstreamTest {

    /** Client timeout for queries that get a reply, long enough for a loaded machine; only a failing test waits it out. */
    private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(5);

    /** Client timeout for queries that must go unanswered. */
    private static final Duration SHORT_CLIENT_TIMEOUT = Duration.ofMillis(300);

    private static final InetAddress LOOPBACK = loopback();

    private TestUpstream upstream;

    @BeforeEach
    void startUpstream() throws IOException {
        upstream = TestUpstream.start();
        upstream.add("""
                www.example. 300 IN A 192.0.2.1
                www.example. 600 IN TXT "hello"
                alias.example. 120 IN CNAME middle.example.
                middle.example. 60 IN CNAME www.example.
                dangling.example. 90 IN CNAME gone.example.
                a.b.example. 300 IN A 192.0.2.9
                *.wild.example. 45 IN A 192.0.2.7
                """);
    }

    @AfterEach
    void stopUpstream() {
        upstream.close();
    }

    // ---- Answers from the data ----

    @Test
    void recordAnswerIsAuthoritative() throws IOException {
        Message response = resolver().send(query("www.example.", Type.A));

        assertThat(response.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(response.getHeader().getFlag(Flags.QR)).isTrue();
        assertThat(response.getHeader().getFlag(Flags.AA)).isTrue();
        assertThat(response.getHeader().getFlag(Flags.RA)).isFalse();
        assertThat(response.getHeader().getFlag(Flags.RD)).isTrue();
        assertThat(response.getHeader().getFlag(Flags.TC)).isFalse();
        assertThat(response.getQuestion()).isEqualTo(Record.newRecord(name("www.example."), Type.A, DClass.IN));

        List<Record> answer = response.getSection(Section.ANSWER);
        assertThat(answer).hasSize(1);
        ARecord a = (ARecord) answer.get(0);
        assertThat(a.getName()).isEqualTo(name("www.example."));
        assertThat(a.getTTL()).isEqualTo(300);
        assertThat(a.getAddress().getHostAddress()).isEqualTo("192.0.2.1");
        assertThat(response.getSection(Section.AUTHORITY)).isEmpty();
    }

    @Test
    void recursionDesiredClearIsEchoed() throws IOException {
        Message query = query("www.example.", Type.A);
        query.getHeader().unsetFlag(Flags.RD);

        Message response = resolver().send(query);

        assertThat(response.getHeader().getFlag(Flags.RD)).isFalse();
        assertThat(response.getHeader().getFlag(Flags.AA)).isTrue();
        assertThat(response.getSection(Section.ANSWER)).hasSize(1);
    }

    @Test
    void responseEchoesQueryId() throws IOException {
        Message query = query("www.example.", Type.A);
        query.getHeader().setID(0xBEEF);

        List<Message> responses = exchangeUdp(query.toWire(), 1);

        assertThat(responses.get(0).getHeader().getID()).isEqualTo(0xBEEF);
    }

    @Test
    void missingTypeGetsNodataWithSoa() throws IOException {
        Message response = resolver().send(query("www.example.", Type.AAAA));

        assertThat(response.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(response.getHeader().getFlag(Flags.AA)).isTrue();
        assertThat(response.getSection(Section.ANSWER)).isEmpty();
        assertRootSoaWithNegativeTtl(response);
    }

    @Test
    void unknownNameGetsNxdomainWithSoa() throws IOException {
        Message response = resolver().send(query("nothing.example.", Type.A));

        assertThat(response.getRcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(response.getHeader().getFlag(Flags.AA)).isTrue();
        assertThat(response.getHeader().getFlag(Flags.RA)).isFalse();
        assertThat(response.getSection(Section.ANSWER)).isEmpty();
        assertRootSoaWithNegativeTtl(response);
    }

    @Test
    void zoneSoaIsUsedBelowIt() throws IOException {
        upstream.add("example. 3600 IN SOA ns.example. admin.example. 7 3600 600 86400 60");

        Message response = resolver().send(query("nothing.example.", Type.A));

        assertThat(response.getRcode()).isEqualTo(Rcode.NXDOMAIN);
        List<Record> authority = response.getSection(Section.AUTHORITY);
        assertThat(authority).hasSize(1);
        SOARecord soa = (SOARecord) authority.get(0);
        assertThat(soa.getName()).isEqualTo(name("example."));
        assertThat(soa.getSerial()).isEqualTo(7);
        assertThat(soa.getTTL()).isEqualTo(60);
    }

    @Test
    void emptyNonTerminalGetsNodata() throws IOException {
        Message response = resolver().send(query("b.example.", Type.A));

        assertThat(response.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(response.getSection(Section.ANSWER)).isEmpty();
        assertRootSoaWithNegativeTtl(response);
    }

    @Test
    void wildcardRecordMatchesNamesBelowIt() throws IOException {
        Message response = resolver().send(query("host.wild.example.", Type.A));

        assertThat(response.getRcode()).isEqualTo(Rcode.NOERROR);
        List<Record> answer = response.getSection(Section.ANSWER);
        assertThat(answer).hasSize(1);
        assertThat(answer.get(0).getName()).isEqualTo(name("host.wild.example."));
        assertThat(answer.get(0).getTTL()).isEqualTo(45);
        assertThat(((ARecord) answer.get(0)).getAddress().getHostAddress()).isEqualTo("192.0.2.7");
    }

    @Test
    void anyNameDefaultAnswersUnknownNames() throws IOException {
        upstream.answerAnyName("192.0.2.1", "2001:db8::1", 300);
        SimpleResolver resolver = resolver();

        Message a = resolver.send(query("random-7f3a.test.", Type.A));
        assertThat(a.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(a.getHeader().getFlag(Flags.AA)).isTrue();
        List<Record> aAnswer = a.getSection(Section.ANSWER);
        assertThat(aAnswer).hasSize(1);
        assertThat(aAnswer.get(0).getName()).isEqualTo(name("random-7f3a.test."));
        assertThat(aAnswer.get(0).getTTL()).isEqualTo(300);
        assertThat(((ARecord) aAnswer.get(0)).getAddress().getHostAddress()).isEqualTo("192.0.2.1");

        Message aaaa = resolver.send(query("deep.random-7f3a.test.", Type.AAAA));
        List<Record> aaaaAnswer = aaaa.getSection(Section.ANSWER);
        assertThat(aaaaAnswer).hasSize(1);
        assertThat(aaaaAnswer.get(0).getName()).isEqualTo(name("deep.random-7f3a.test."));
        assertThat(((AAAARecord) aaaaAnswer.get(0)).getAddress().getHostAddress()).isEqualTo("2001:db8:0:0:0:0:0:1");

        Message mx = resolver.send(query("random-7f3a.test.", Type.MX));
        assertThat(mx.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(mx.getSection(Section.ANSWER)).isEmpty();
        assertRootSoaWithNegativeTtl(mx);

        Message known = resolver.send(query("www.example.", Type.A));
        assertThat(((ARecord) known.getSection(Section.ANSWER).get(0)).getAddress().getHostAddress())
                .isEqualTo("192.0.2.1");
        Message knownNodata = resolver.send(query("www.example.", Type.AAAA));
        assertThat(knownNodata.getSection(Section.ANSWER)).isEmpty();

        upstream.answerNxdomainForUnknownNames();
        assertThat(resolver.send(query("random-7f3a.test.", Type.A)).getRcode()).isEqualTo(Rcode.NXDOMAIN);
    }

    @Test
    void cnameChainIsFollowed() throws IOException {
        Message response = resolver().send(query("alias.example.", Type.A));

        assertThat(response.getRcode()).isEqualTo(Rcode.NOERROR);
        List<Record> answer = response.getSection(Section.ANSWER);
        assertThat(answer).hasSize(3);

        CNAMERecord first = (CNAMERecord) answer.get(0);
        assertThat(first.getName()).isEqualTo(name("alias.example."));
        assertThat(first.getTarget()).isEqualTo(name("middle.example."));
        assertThat(first.getTTL()).isEqualTo(120);

        CNAMERecord second = (CNAMERecord) answer.get(1);
        assertThat(second.getName()).isEqualTo(name("middle.example."));
        assertThat(second.getTarget()).isEqualTo(name("www.example."));
        assertThat(second.getTTL()).isEqualTo(60);

        ARecord target = (ARecord) answer.get(2);
        assertThat(target.getName()).isEqualTo(name("www.example."));
        assertThat(target.getAddress().getHostAddress()).isEqualTo("192.0.2.1");
    }

    @Test
    void cnameToMissingNameGetsNxdomain() throws IOException {
        Message response = resolver().send(query("dangling.example.", Type.A));

        assertThat(response.getRcode()).isEqualTo(Rcode.NXDOMAIN);
        List<Record> answer = response.getSection(Section.ANSWER);
        assertThat(answer).hasSize(1);
        assertThat(((CNAMERecord) answer.get(0)).getTarget()).isEqualTo(name("gone.example."));
        assertRootSoaWithNegativeTtl(response);
    }

    @Test
    void cnameQueryReturnsOnlyCname() throws IOException {
        Message response = resolver().send(query("alias.example.", Type.CNAME));

        List<Record> answer = response.getSection(Section.ANSWER);
        assertThat(answer).hasSize(1);
        assertThat(answer.get(0).getType()).isEqualTo(Type.CNAME);
    }

    @Test
    void cnameLoopEndsWithCollectedCnames() throws IOException {
        upstream.add("""
                loop1.example. 300 IN CNAME loop2.example.
                loop2.example. 300 IN CNAME loop1.example.
                """);

        Message response = resolver().send(query("loop1.example.", Type.A));

        assertThat(response.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(response.getSection(Section.ANSWER)).extracting(Record::getName)
                .containsExactly(name("loop1.example."), name("loop2.example."));
    }

    @Test
    void addRejectsInvalidInput() {
        assertThatThrownBy(() -> upstream.add("www.example. 300 IN A not-an-address"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not-an-address");
        assertThatThrownBy(() -> upstream.add("   "))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no record");
        assertThatThrownBy(() -> upstream.add("www.example. 300 IN CNAME other.example."))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("CNAME");
        assertThatThrownBy(() -> upstream.add("alias.example. 300 IN A 192.0.2.3"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("has a CNAME");
        assertThatThrownBy(() -> upstream.add("www.example. 300 CH A 192.0.2.3"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("class must be IN");
        assertThatThrownBy(() -> upstream.answerAnyName("2001:db8::1", null, 300))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Invalid IPv4");
    }

    // ---- EDNS ----

    @Test
    void ednsQueryGetsOpt() throws IOException {
        SimpleResolver resolver = resolver();
        resolver.setEDNS(0, 4096, ExtendedFlags.DO, List.of());

        Message response = resolver.send(query("www.example.", Type.A));

        OPTRecord opt = response.getOPT();
        assertThat(opt).isNotNull();
        assertThat(opt.getVersion()).isZero();
        assertThat(opt.getPayloadSize()).isEqualTo(1232);
        assertThat(opt.getFlags() & ExtendedFlags.DO).isEqualTo(ExtendedFlags.DO);
        assertThat(response.getSection(Section.ANSWER)).hasSize(1);
    }

    @Test
    void plainQueryGetsNoOpt() throws IOException {
        SimpleResolver resolver = resolver();
        resolver.setEDNS(-1, 0, 0, List.of());

        Message response = resolver.send(query("www.example.", Type.A));

        assertThat(response.getOPT()).isNull();
        assertThat(response.getSection(Section.ANSWER)).hasSize(1);
    }

    @Test
    void unknownEdnsVersionGetsBadvers() throws IOException {
        Message query = query("www.example.", Type.A);
        query.addRecord(new OPTRecord(1232, 0, 1, 0), Section.ADDITIONAL);

        Message response = exchangeUdp(query.toWire(), 1).get(0);

        assertThat(response.getRcode()).isEqualTo(Rcode.BADVERS);
        assertThat(response.getOPT()).isNotNull();
        assertThat(response.getOPT().getVersion()).isZero();
        assertThat(response.getSection(Section.ANSWER)).isEmpty();
    }

    @Test
    void largeAnswerIsTruncatedToUdpLimit() throws IOException {
        StringBuilder zone = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            zone.append("big.example. 300 IN TXT \"").append("x".repeat(40)).append(i).append("\"\n");
        }
        upstream.add(zone.toString());
        Message plainQuery = query("big.example.", Type.TXT);
        Message ednsQuery = query("big.example.", Type.TXT);
        ednsQuery.addRecord(new OPTRecord(4096, 0, 0, 0), Section.ADDITIONAL);

        Message plain = exchangeUdp(plainQuery.toWire(), 1).get(0);
        Message edns = exchangeUdp(ednsQuery.toWire(), 1).get(0);

        assertThat(plain.getHeader().getFlag(Flags.TC)).isTrue();
        assertThat(plain.getSection(Section.ANSWER)).isEmpty();
        assertThat(edns.getHeader().getFlag(Flags.TC)).isFalse();
        assertThat(edns.getSection(Section.ANSWER)).hasSize(20).allMatch(TXTRecord.class::isInstance);
    }

    // ---- Transports ----

    @Test
    void tcpAnswersLikeUdp() throws IOException {
        SimpleResolver resolver = resolver();
        resolver.setTCP(true);

        Message response = resolver.send(query("alias.example.", Type.A));

        assertThat(response.getHeader().getFlag(Flags.AA)).isTrue();
        assertThat(response.getSection(Section.ANSWER)).hasSize(3);
        assertThat(upstream.countQueries(Transport.TCP)).isEqualTo(1);
        assertThat(upstream.countQueries(Transport.UDP)).isZero();
    }

    @Test
    void tcpConnectionCarriesSeveralQueries() throws IOException {
        Message first = query("www.example.", Type.A);
        Message second = query("www.example.", Type.TXT);
        Message third = query("nothing.example.", Type.A);

        List<Message> responses;
        int clientPort;
        try (Socket socket = new Socket(LOOPBACK, upstream.port())) {
            clientPort = socket.getLocalPort();
            responses = exchangeTcp(socket, List.of(first, second, third), 3);
        }

        assertThat(responses).extracting(response -> response.getHeader().getID())
                .containsExactly(first.getHeader().getID(), second.getHeader().getID(), third.getHeader().getID());
        assertThat(((TXTRecord) responses.get(1).getSection(Section.ANSWER).get(0)).getStrings())
                .containsExactly("hello");
        assertThat(responses.get(2).getRcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(upstream.receivedQueries()).extracting(ReceivedQuery::sourcePort).containsExactly(
                clientPort, clientPort, clientPort);
    }

    @Test
    void truncateOverUdpSendsEmptyTcFlag() throws IOException {
        upstream.truncateOverUdp("www.example.");
        SimpleResolver udp = resolver();
        udp.setIgnoreTruncation(true);
        SimpleResolver tcp = resolver();
        tcp.setTCP(true);

        Message truncated = udp.send(query("www.example.", Type.A));
        Message full = tcp.send(query("www.example.", Type.A));

        assertThat(truncated.getHeader().getFlag(Flags.TC)).isTrue();
        assertThat(truncated.getHeader().getFlag(Flags.AA)).isTrue();
        assertThat(truncated.getSection(Section.ANSWER)).isEmpty();
        assertThat(full.getHeader().getFlag(Flags.TC)).isFalse();
        assertThat(full.getSection(Section.ANSWER)).hasSize(1);
        assertThat(full.getSection(Section.ANSWER).get(0).getTTL()).isEqualTo(300);
    }

    @Test
    void emptyMessageOverTcpSendsZeroLengthPrefix() throws IOException {
        upstream.emptyMessageOverTcp("www.example.");
        SimpleResolver udp = resolver();
        udp.setIgnoreTruncation(true);

        Message truncated = udp.send(query("www.example.", Type.A));
        byte[] tcpReply;
        try (Socket socket = new Socket(LOOPBACK, upstream.port())) {
            socket.setSoTimeout((int) CLIENT_TIMEOUT.toMillis());
            byte[] wire = query("www.example.", Type.A).toWire();
            DataOutputStream out = new DataOutputStream(socket.getOutputStream());
            out.writeShort(wire.length);
            out.write(wire);
            tcpReply = socket.getInputStream().readNBytes(2);
        }

        assertThat(truncated.getHeader().getFlag(Flags.TC)).isTrue();
        assertThat(tcpReply).containsExactly(0, 0);
        assertThat(upstream.countQueries("www.example.", Type.A, Transport.TCP)).isEqualTo(1);
    }

    @Test
    void truncationMakesClientRetryOverTcp() throws IOException {
        upstream.truncateOverUdp("www.example.");

        Message response = resolver().send(query("www.example.", Type.A));

        assertThat(response.getHeader().getFlag(Flags.TC)).isFalse();
        assertThat(response.getSection(Section.ANSWER)).hasSize(1);
        assertThat(upstream.countQueries("www.example.", Type.A, Transport.UDP)).isEqualTo(1);
        assertThat(upstream.countQueries("www.example.", Type.A, Transport.TCP)).isEqualTo(1);
    }

    @Test
    void concurrentQueriesAreAllAnswered() throws Exception {
        int clients = 8;
        int queriesPerClient = 25;
        ExecutorService executor = Executors.newFixedThreadPool(clients);
        try {
            List<Callable<Integer>> tasks = new ArrayList<>();
            for (int client = 0; client < clients; client++) {
                boolean overTcp = client % 2 == 1;
                tasks.add(() -> {
                    SimpleResolver resolver = resolver();
                    resolver.setTCP(overTcp);
                    int answered = 0;
                    for (int i = 0; i < queriesPerClient; i++) {
                        Message response = resolver.send(query("www.example.", Type.A));
                        answered += response.getSection(Section.ANSWER).size();
                    }
                    return answered;
                });
            }

            int answered = 0;
            for (Future<Integer> result : executor.invokeAll(tasks)) {
                answered += result.get();
            }
            assertThat(answered).isEqualTo(clients * queriesPerClient);
        } finally {
            executor.shutdownNow();
        }
        assertThat(upstream.countQueries()).isEqualTo(clients * queriesPerClient);
        assertThat(upstream.countQueries(Transport.UDP)).isEqualTo(clients / 2 * queriesPerClient);
        assertThat(upstream.countQueries(Transport.TCP)).isEqualTo(clients / 2 * queriesPerClient);
    }

    // ---- Counters and query log ----

    @Test
    void countersSplitByNameTypeAndTransport() throws IOException {
        SimpleResolver udp = resolver();
        SimpleResolver tcp = resolver();
        tcp.setTCP(true);

        udp.send(query("www.example.", Type.A));
        udp.send(query("WWW.Example.", Type.A));
        udp.send(query("www.example.", Type.AAAA));
        tcp.send(query("www.example.", Type.A));
        tcp.send(query("nothing.example.", Type.A));

        assertThat(upstream.countQueries()).isEqualTo(5);
        assertThat(upstream.countQueries(Transport.UDP)).isEqualTo(3);
        assertThat(upstream.countQueries(Transport.TCP)).isEqualTo(2);
        assertThat(upstream.countQueries("www.example.", Type.A)).isEqualTo(3);
        assertThat(upstream.countQueries("www.example", Type.A, Transport.UDP)).isEqualTo(2);
        assertThat(upstream.countQueries("www.example.", Type.A, Transport.TCP)).isEqualTo(1);
        assertThat(upstream.countQueries("www.example.", Type.AAAA)).isEqualTo(1);
        assertThat(upstream.countQueries("nothing.example.", Type.A)).isEqualTo(1);
        assertThat(upstream.countQueries("www.example.", Type.MX)).isZero();

        upstream.reset();

        assertThat(upstream.countQueries()).isZero();
        assertThat(upstream.countQueries("www.example.", Type.A)).isZero();
        assertThat(upstream.receivedQueries()).isEmpty();
    }

    @Test
    void receivedQueriesKeepIdTransportAndSourcePort() throws IOException {
        Message udpQuery = query("www.example.", Type.A);
        udpQuery.getHeader().setID(4242);
        Message tcpQuery = query("www.example.", Type.TXT);
        tcpQuery.getHeader().setID(4343);

        int udpPort;
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
            udpPort = socket.getLocalPort();
            receiveUdp(socket, udpQuery.toWire(), 1);
        }
        int tcpPort;
        try (Socket socket = new Socket(LOOPBACK, upstream.port())) {
            tcpPort = socket.getLocalPort();
            exchangeTcp(socket, List.of(tcpQuery), 1);
        }

        List<ReceivedQuery> received = upstream.receivedQueries();
        assertThat(received).hasSize(2);
        assertThat(received.get(0).message().getHeader().getID()).isEqualTo(4242);
        assertThat(received.get(0).message().getQuestion().getType()).isEqualTo(Type.A);
        assertThat(received.get(0).transport()).isEqualTo(Transport.UDP);
        assertThat(received.get(0).sourcePort()).isEqualTo(udpPort);
        assertThat(received.get(0).source().getAddress()).isEqualTo(LOOPBACK);
        assertThat(received.get(1).message().getHeader().getID()).isEqualTo(4343);
        assertThat(received.get(1).transport()).isEqualTo(Transport.TCP);
        assertThat(received.get(1).sourcePort()).isEqualTo(tcpPort);
    }

    @Test
    void unparseableQueryGetsFormerr() throws IOException {
        byte[] request = {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x7F, 'x'};

        Message response = exchangeUdp(request, 1).get(0);

        assertThat(response.getHeader().getID()).isEqualTo(0x1234);
        assertThat(response.getRcode()).isEqualTo(Rcode.FORMERR);
        assertThat(upstream.countQueries()).isZero();
    }

    // ---- Behaviour switches ----

    @Test
    void delayedAnswerArrives() throws IOException {
        upstream.delay("www.example.", Duration.ofMillis(200));

        Message response = resolver().send(query("www.example.", Type.A));

        assertThat(response.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(response.getSection(Section.ANSWER)).hasSize(1);
    }

    @Test
    void delayedAnswerDoesNotHoldBackOthers() throws IOException {
        upstream.delay("www.example.", Duration.ofSeconds(1));
        Message delayed = query("www.example.", Type.A);
        Message prompt = query("middle.example.", Type.A);

        List<Message> udpReplies;
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
            socket.send(new DatagramPacket(delayed.toWire(), delayed.toWire().length, upstream.socketAddress()));
            udpReplies = receiveUdp(socket, prompt.toWire(), 2);
        }
        List<Message> tcpReplies = exchangeTcp(List.of(delayed, prompt), 2);

        assertThat(udpReplies).extracting(reply -> reply.getQuestion().getName())
                .containsExactly(name("middle.example."), name("www.example."));
        assertThat(tcpReplies).extracting(reply -> reply.getQuestion().getName())
                .containsExactly(name("middle.example."), name("www.example."));
    }

    @Test
    void globalDelayAppliesToEveryName() throws IOException {
        upstream.delay(Duration.ofMillis(100));

        Message response = resolver().send(query("nothing.example.", Type.A));

        assertThat(response.getRcode()).isEqualTo(Rcode.NXDOMAIN);
    }

    @Test
    void droppedQueryTimesOut() throws IOException {
        upstream.drop("www.example.");
        SimpleResolver udp = resolver();
        udp.setTimeout(SHORT_CLIENT_TIMEOUT);
        SimpleResolver tcp = resolver();
        tcp.setTCP(true);
        tcp.setTimeout(SHORT_CLIENT_TIMEOUT);

        assertThatThrownBy(() -> udp.send(query("www.example.", Type.A)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("Timed out");
        assertThatThrownBy(() -> tcp.send(query("www.example.", Type.A)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("Timed out");
        assertThat(resolver().send(query("a.b.example.", Type.A)).getSection(Section.ANSWER)).hasSize(1);
        assertThat(upstream.countQueries("www.example.", Type.A, Transport.UDP)).isEqualTo(1);
        assertThat(upstream.countQueries("www.example.", Type.A, Transport.TCP)).isEqualTo(1);
    }

    @Test
    void switchForNameOverridesGlobalSwitch() throws IOException {
        upstream.drop().servfail("www.example.");
        SimpleResolver impatient = resolver();
        impatient.setTimeout(SHORT_CLIENT_TIMEOUT);

        assertThat(resolver().send(query("www.example.", Type.A)).getRcode()).isEqualTo(Rcode.SERVFAIL);
        assertThatThrownBy(() -> impatient.send(query("nothing.example.", Type.A)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("Timed out");

        upstream.reset();
        assertThat(resolver().send(query("www.example.", Type.A)).getRcode()).isEqualTo(Rcode.NOERROR);
    }

    @Test
    void wrongIdAnswerPrecedesRightOne() throws IOException {
        upstream.wrongId("www.example.");
        Message query = query("www.example.", Type.A);
        int id = query.getHeader().getID();

        for (List<Message> replies : List.of(exchangeUdp(query.toWire(), 2), exchangeTcp(List.of(query), 2))) {
            assertThat(replies.get(0).getHeader().getID()).isEqualTo((id + 1) & 0xFFFF);
            assertThat(replies.get(0).getSection(Section.ANSWER)).hasSize(1);
            assertThat(replies.get(1).getHeader().getID()).isEqualTo(id);
            assertThat(replies.get(1).getSection(Section.ANSWER)).hasSize(1);
        }
    }

    @Test
    void tcpClientSkipsWrongIdAnswer() throws IOException {
        upstream.wrongId("www.example.");
        SimpleResolver resolver = resolver();
        resolver.setTCP(true);

        Message response = resolver.send(query("www.example.", Type.A));

        assertThat(response.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(((ARecord) response.getSection(Section.ANSWER).get(0)).getAddress().getHostAddress())
                .isEqualTo("192.0.2.1");
    }

    /**
     * Documents that dnsjava 3.6.4's SimpleResolver over UDP takes the first datagram on its socket
     * and fails on an ID mismatch instead of waiting for the right reply. A forwarder built on it
     * therefore fails the query when a forged datagram arrives first.
     */
    @Test
    void udpSimpleResolverFailsOnWrongId() {
        upstream.wrongId("www.example.");

        assertThatThrownBy(() -> resolver().send(query("www.example.", Type.A)))
                .isInstanceOf(WireParseException.class)
                .hasMessageContaining("invalid message id");
    }

    @Test
    void wrongQuestionAnswerPrecedesRightOne() throws IOException {
        upstream.wrongQuestion("www.example.");
        Message query = query("www.example.", Type.A);

        for (List<Message> replies : List.of(exchangeUdp(query.toWire(), 2), exchangeTcp(List.of(query), 2))) {
            assertThat(replies.get(0).getHeader().getID()).isEqualTo(query.getHeader().getID());
            assertThat(replies.get(0).getQuestion()).isEqualTo(
                    Record.newRecord(name("wrong-question.invalid."), Type.A, DClass.IN));
            assertThat(replies.get(1).getHeader().getID()).isEqualTo(query.getHeader().getID());
            assertThat(replies.get(1).getQuestion()).isEqualTo(query.getQuestion());
            assertThat(replies.get(1).getSection(Section.ANSWER)).hasSize(1);
        }
    }

    @Test
    void garbageAnswerDoesNotParse() throws IOException {
        upstream.garbage("www.example.");
        Message query = query("www.example.", Type.A);
        SimpleResolver udp = resolver();
        SimpleResolver tcp = resolver();
        tcp.setTCP(true);

        assertThatThrownBy(() -> udp.send(query("www.example.", Type.A))).isInstanceOf(WireParseException.class);
        assertThatThrownBy(() -> tcp.send(query("www.example.", Type.A))).isInstanceOf(WireParseException.class);

        byte[] reply;
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
            socket.setSoTimeout((int) CLIENT_TIMEOUT.toMillis());
            socket.send(new DatagramPacket(query.toWire(), query.toWire().length, upstream.socketAddress()));
            DatagramPacket packet = new DatagramPacket(new byte[65535], 65535);
            socket.receive(packet);
            reply = Arrays.copyOf(packet.getData(), packet.getLength());
        }
        int replyId = ((reply[0] & 0xFF) << 8) | (reply[1] & 0xFF);
        assertThat(replyId).isEqualTo(query.getHeader().getID());
        assertThatThrownBy(() -> new Message(reply)).isInstanceOf(WireParseException.class);
    }

    @Test
    void servfailHasNoRecords() throws IOException {
        upstream.servfail("www.example.");

        Message response = resolver().send(query("www.example.", Type.A));

        assertThat(response.getRcode()).isEqualTo(Rcode.SERVFAIL);
        assertThat(response.getHeader().getFlag(Flags.RA)).isFalse();
        assertThat(response.getQuestion()).isEqualTo(Record.newRecord(name("www.example."), Type.A, DClass.IN));
        assertThat(response.getSection(Section.ANSWER)).isEmpty();
        assertThat(response.getSection(Section.AUTHORITY)).isEmpty();
    }

    @Test
    void refusedHasNoRecords() throws IOException {
        upstream.refused("www.example.");

        Message refused = resolver().send(query("www.example.", Type.A));
        Message other = resolver().send(query("other.example.", Type.A));

        assertThat(refused.getRcode()).isEqualTo(Rcode.REFUSED);
        assertThat(refused.getQuestion()).isEqualTo(Record.newRecord(name("www.example."), Type.A, DClass.IN));
        assertThat(refused.getSection(Section.ANSWER)).isEmpty();
        assertThat(other.getRcode()).isNotEqualTo(Rcode.REFUSED);
        assertThat(upstream.countQueries("www.example.", Type.A)).isEqualTo(1);
    }

    @Test
    void respondAnswersRequestsFromOtherListeners() throws IOException {
        upstream.add("www.example. 300 IN A 192.0.2.1");
        List<byte[]> replies = new CopyOnWriteArrayList<>();

        upstream.respond(query("www.example.", Type.A).toWire(), Transport.TLS,
                new InetSocketAddress("127.0.0.1", 40000), replies::add);

        assertThat(replies).hasSize(1);
        Message reply = new Message(replies.get(0));
        assertThat(reply.getSection(Section.ANSWER)).hasSize(1);
        assertThat(upstream.countQueries(Transport.TLS)).isEqualTo(1);
        assertThat(upstream.countQueries(Transport.UDP)).isZero();
    }

    // ---- Lifecycle ----

    @Test
    void closeReleasesPortsAndThreads() throws IOException {
        SimpleResolver tcp = resolver();
        tcp.setTCP(true);
        tcp.send(query("www.example.", Type.A));
        int port = upstream.port();
        String threadPrefix = "test-upstream-" + port + "-";

        upstream.close();
        upstream.close();

        assertThat(Thread.getAllStackTraces().keySet()).extracting(Thread::getName)
                .noneMatch(name -> name.startsWith(threadPrefix));
        try (DatagramSocket udp = new DatagramSocket(new InetSocketAddress(LOOPBACK, port));
                ServerSocket tcpListener = new ServerSocket()) {
            tcpListener.setReuseAddress(true);
            tcpListener.bind(new InetSocketAddress(LOOPBACK, port));
            assertThat(udp.getLocalPort()).isEqualTo(port);
            assertThat(tcpListener.getLocalPort()).isEqualTo(port);
        }
    }

    @Test
    void addressUsesLoopbackAndPort() {
        assertThat(upstream.address()).isEqualTo("127.0.0.1:" + upstream.port());
        assertThat(upstream.socketAddress()).isEqualTo(new InetSocketAddress(LOOPBACK, upstream.port()));
        assertThat(upstream.port()).isPositive();
    }

    // ---- Helpers ----

    private SimpleResolver resolver() {
        SimpleResolver resolver = new SimpleResolver(upstream.socketAddress());
        resolver.setTimeout(CLIENT_TIMEOUT);
        return resolver;
    }

    private static Message query(String name, int type) {
        return Message.newQuery(Record.newRecord(name(name), type, DClass.IN));
    }

    private static Name name(String name) {
        return ZoneData.parseName(name);
    }

    private static void assertRootSoaWithNegativeTtl(Message response) {
        List<Record> authority = response.getSection(Section.AUTHORITY);
        assertThat(authority).hasSize(1);
        SOARecord soa = (SOARecord) authority.get(0);
        assertThat(soa.getName()).isEqualTo(Name.root);
        assertThat(soa.getMinimum()).isEqualTo(300);
        assertThat(soa.getTTL()).isEqualTo(300);
    }

    /** Sends {@code request} from a fresh UDP socket and returns the first {@code count} replies. */
    private List<Message> exchangeUdp(byte[] request, int count) throws IOException {
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
            return receiveUdp(socket, request, count);
        }
    }

    private List<Message> receiveUdp(DatagramSocket socket, byte[] request, int count) throws IOException {
        socket.setSoTimeout((int) CLIENT_TIMEOUT.toMillis());
        socket.send(new DatagramPacket(request, request.length, upstream.socketAddress()));
        List<Message> replies = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            DatagramPacket packet = new DatagramPacket(new byte[65535], 65535);
            socket.receive(packet);
            replies.add(new Message(Arrays.copyOf(packet.getData(), packet.getLength())));
        }
        return replies;
    }

    /** Writes every query on one new TCP connection in a single write and returns the first {@code count} replies. */
    private List<Message> exchangeTcp(List<Message> queries, int count) throws IOException {
        try (Socket socket = new Socket(LOOPBACK, upstream.port())) {
            return exchangeTcp(socket, queries, count);
        }
    }

    private static List<Message> exchangeTcp(Socket socket, List<Message> queries, int count) throws IOException {
        socket.setSoTimeout((int) CLIENT_TIMEOUT.toMillis());
        ByteArrayOutputStream framed = new ByteArrayOutputStream();
        DataOutputStream frames = new DataOutputStream(framed);
        for (Message query : queries) {
            byte[] wire = query.toWire();
            frames.writeShort(wire.length);
            frames.write(wire);
        }
        socket.getOutputStream().write(framed.toByteArray());

        DataInputStream in = new DataInputStream(socket.getInputStream());
        List<Message> replies = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            byte[] reply = new byte[in.readUnsignedShort()];
            in.readFully(reply);
            replies.add(new Message(reply));
        }
        return replies;
    }

    private static InetAddress loopback() {
        try {
            return InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
