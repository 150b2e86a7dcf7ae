package dev.rpzgate.server;

import dev.rpzgate.cache.AnswerCache;
import dev.rpzgate.testing.DnsTestClient;
import dev.rpzgate.observability.PolicyHitLog;
import dev.rpzgate.testing.HitLogCapture;
import dev.rpzgate.testing.TestUpstream;
import dev.rpzgate.testing.UpstreamResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Master;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.net.DatagramSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.rpzgate.testing.DnsAssertions.assertEmptyPolicyAnswer;
import static dev.rpzgate.testing.DnsTestClient.ednsQuery;
import static dev.rpzgate.testing.DnsTestClient.query;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;

/**
 * Starts rpzgate with two policy zones and two test upstreams on 127.0.0.1, and asks it real DNS
 * questions over UDP and TCP.
 */
@QuarkusTest
@TestProfile(ResolverEndToEndTest.TwoZones.class)
@QuarkusTestResource(value = UpstreamResource.class, restrictToAnnotatedClass = true)
class ResolverEndToEndTest {

    /** Loads the two test policy zones, first-policy before later-policy. */
    public static class TwoZones implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("rpzgate.policy.files", "src/test/resources/zones/first-policy.zone,"
                    + "later-policy=src/test/resources/zones/later-policy.zone");
        }
    }

    @Inject
    DnsServer server;

    @Inject
    PolicyHitLog policyHitLog;

    @Inject
    AnswerCache answerCache;

    private DnsTestClient client;
    private TestUpstream primary;
    private TestUpstream secondary;

    @BeforeEach
    void setUp() throws IOException {
        // Each test counts the upstream queries it causes, so none may find an answer cached by another.
        answerCache.clear();
        client = new DnsTestClient(server.port());
        primary = UpstreamResource.primary();
        secondary = UpstreamResource.secondary();
    }

    @AfterEach
    void resetUpstreams() {
        primary.reset();
        secondary.reset();
    }

    @Test
    void unlistedNameIsForwardedOverUdp() throws Exception {
        Message query = query("www.allowed.test.", Type.A);
        Message answer = client.udp(query);

        assertThat(answer.getHeader().getID()).isEqualTo(query.getHeader().getID());
        assertThat(answer.getRcode()).isEqualTo(Rcode.NOERROR);
        assertFlags(answer, true, true, false, false);
        assertThat(texts(answer.getSection(Section.ANSWER))).containsExactly(
                record("www.allowed.test. 300 IN A 192.0.2.1"));
        assertThat(primary.countQueries("www.allowed.test.", Type.A)).isEqualTo(1);
    }

    @Test
    void unlistedNameIsForwardedOverTcp() throws Exception {
        Message answer = client.tcp(query("www.allowed.test.", Type.AAAA));

        assertThat(answer.getRcode()).isEqualTo(Rcode.NOERROR);
        assertFlags(answer, true, true, false, false);
        assertThat(texts(answer.getSection(Section.ANSWER))).containsExactly(
                record("www.allowed.test. 300 IN AAAA 2001:db8::1"));
    }

    @Test
    void questionKeepsClientLetterCase() throws Exception {
        Message answer = client.udp(query("WwW.AlLoWeD.TeSt.", Type.A));

        assertThat(answer.getQuestion().getName().toString()).isEqualTo("WwW.AlLoWeD.TeSt.");
    }

    @Test
    void rdFlagComesBackAsClientSentIt() throws Exception {
        client.udp(query("norecurse.allowed.test.", Type.A));
        Message query = query("norecurse.allowed.test.", Type.A);
        query.getHeader().unsetFlag(Flags.RD);

        Message answer = client.udp(query);

        assertThat(answer.getHeader().getFlag(Flags.RD)).isFalse();
        assertThat(answer.getSection(Section.ANSWER)).as("answered from the cache").hasSize(1);
    }

    @Test
    void exactRuleAnswersNxdomainWithPolicySoa() throws Exception {
        Message answer = client.udp(query("blocked.test.", Type.A));

        assertThat(answer.getRcode()).isEqualTo(Rcode.NXDOMAIN);
        assertFlags(answer, true, true, false, false);
        assertThat(answer.getSection(Section.ANSWER)).isEmpty();
        assertThat(answer.getSection(Section.AUTHORITY)).isEmpty();
        assertThat(texts(answer.getSection(Section.ADDITIONAL))).containsExactly(
                record("first-policy. 60 IN SOA localhost. hostmaster.localhost. 7 3600 600 86400 60"));
        assertThat(primary.countQueries()).as("a QNAME rule is applied without asking the upstream").isZero();
    }

    @Test
    void wildcardRuleBlocksNamesBelow() throws Exception {
        Message answer = client.udp(query("a.b.blocked.test.", Type.AAAA));

        assertThat(answer.getRcode()).isEqualTo(Rcode.NXDOMAIN);
    }

    @Test
    void matchingIgnoresLetterCase() throws Exception {
        Message answer = client.udp(query("BLOCKED.Test.", Type.A));

        assertThat(answer.getRcode()).isEqualTo(Rcode.NXDOMAIN);
    }

    @Test
    void nodataRuleAnswersEmptyNoerror() throws Exception {
        Message answer = client.udp(query("nodata.test.", Type.A));

        assertEmptyPolicyAnswer(answer, Rcode.NOERROR);
        assertThat(answer.getSection(Section.ADDITIONAL).get(0)).isInstanceOf(SOARecord.class);
    }

    @Test
    void passthruExceptionBeatsWildcardBlock() throws Exception {
        Message answer = client.udp(query("allowed.blocked.test.", Type.A));

        assertThat(answer.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(texts(answer.getSection(Section.ANSWER))).containsExactly(
                record("allowed.blocked.test. 300 IN A 192.0.2.1"));
        assertThat(answer.getSection(Section.ADDITIONAL)).isEmpty();
    }

    @Test
    void dropRuleSendsNoAnswerOverUdp() throws Exception {
        Message dropped = query("drop.test.", Type.A);
        Message allowed = query("after-drop.allowed.test.", Type.A);

        try (DatagramSocket socket = new DatagramSocket()) {
            socket.setSoTimeout(5000);
            client.send(socket, dropped.toWire());
            client.send(socket, allowed.toWire());
            Message first = new Message(DnsTestClient.receive(socket));
            assertThat(first.getHeader().getID()).isEqualTo(allowed.getHeader().getID());

            socket.setSoTimeout(300);
            assertThat(client.udpGetsNoAnswer(dropped, 300)).isTrue();
        }
    }

    @Test
    void dropRuleSendsNoAnswerOverTcp() throws Exception {
        Message dropped = query("drop.test.", Type.A);
        Message allowed = query("after-drop.allowed.test.", Type.A);

        try (Socket socket = client.openTcp()) {
            DnsTestClient.writeFrame(socket, dropped.toWire());
            DnsTestClient.writeFrame(socket, allowed.toWire());
            Message first = new Message(DnsTestClient.readFrame(socket));

            assertThat(first.getHeader().getID()).isEqualTo(allowed.getHeader().getID());
        }
    }

    @Test
    void tcpOnlyRuleTruncatesOverUdp() throws Exception {
        Message answer = client.udp(query("tcponly.test.", Type.A));

        assertThat(answer.getHeader().getFlag(Flags.TC)).isTrue();
        assertThat(answer.getSection(Section.ANSWER)).isEmpty();
        assertThat(primary.countQueries()).isZero();
    }

    @Test
    void tcpOnlyRuleForwardsOverTcp() throws Exception {
        Message answer = client.tcp(query("tcponly.test.", Type.A));

        assertThat(answer.getHeader().getFlag(Flags.TC)).isFalse();
        assertThat(texts(answer.getSection(Section.ANSWER))).containsExactly(record("tcponly.test. 300 IN A 192.0.2.1"));
    }

    @Test
    void localDataAnswersQueryTypeWithCappedTtl() throws Exception {
        Message answer = client.udp(query("local.test.", Type.A));

        assertThat(answer.getRcode()).isEqualTo(Rcode.NOERROR);
        assertFlags(answer, true, true, false, false);
        assertThat(texts(answer.getSection(Section.ANSWER))).containsExactly(record("local.test. 5 IN A 192.0.2.10"));
        assertThat(answer.getSection(Section.ANSWER).get(0).getTTL()).isEqualTo(5);
        assertThat(texts(answer.getSection(Section.ADDITIONAL))).containsExactly(
                record("first-policy. 60 IN SOA localhost. hostmaster.localhost. 7 3600 600 86400 60"));
    }

    @Test
    void localDataWithoutQueryTypeIsNodata() throws Exception {
        Message answer = client.udp(query("local.test.", Type.MX));

        assertEmptyPolicyAnswer(answer, Rcode.NOERROR);
    }

    @Test
    void localDataAnswersAnyWithEveryRRset() throws Exception {
        Message answer = client.tcp(query("local.test.", Type.ANY));

        assertThat(texts(answer.getSection(Section.ANSWER))).containsExactlyInAnyOrder(
                record("local.test. 5 IN A 192.0.2.10"),
                record("local.test. 5 IN AAAA 2001:db8::10"),
                record("local.test. 5 IN TXT \"local data\""));
    }

    @Test
    void cnameRewriteResolvesTargetUpstream() throws Exception {
        Message answer = client.udp(query("garden.test.", Type.A));

        assertThat(answer.getRcode()).isEqualTo(Rcode.NOERROR);
        List<Record> records = answer.getSection(Section.ANSWER);
        assertThat(texts(records)).containsExactly(
                record("garden.test. 5 IN CNAME walled-garden.example."),
                record("walled-garden.example. 300 IN A 192.0.2.200"));
        assertThat(records.get(0).getTTL()).isEqualTo(5);
        assertThat(records.get(1).getTTL()).isEqualTo(300);
        assertThat(primary.countQueries("walled-garden.example.", Type.A)).isEqualTo(1);
        assertThat(primary.countQueries("garden.test.", Type.A)).isZero();
    }

    @Test
    void wildcardCnameTargetPrependsQueryName() throws Exception {
        Message answer = client.udp(query("a.tracker.test.", Type.A));

        assertThat(texts(answer.getSection(Section.ANSWER))).containsExactly(
                record("a.tracker.test. 5 IN CNAME a.tracker.test.sinkhole.example."),
                record("a.tracker.test.sinkhole.example. 300 IN A 192.0.2.1"));
    }

    @Test
    void cnameTargetIsCheckedAgainstQnameRules() throws Exception {
        Message answer = client.udp(query("cloak.example.", Type.A));

        assertThat(answer.getRcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(texts(answer.getSection(Section.ANSWER))).containsExactly(
                record("cloak.example. 300 IN CNAME tracker.bad.example."));
        assertThat(texts(answer.getSection(Section.ADDITIONAL))).containsExactly(
                record("first-policy. 60 IN SOA localhost. hostmaster.localhost. 7 3600 600 86400 60"));
    }

    @Test
    void exactRuleBeatsWildcard() throws Exception {
        Message answer = client.udp(query("exact.wild.test.", Type.A));

        assertThat(answer.getRcode()).as("exact NODATA over wildcard NXDOMAIN").isEqualTo(Rcode.NOERROR);
        assertThat(answer.getSection(Section.ANSWER)).isEmpty();
    }

    @Test
    void longerWildcardBeatsShorter() throws Exception {
        Message answer = client.udp(query("x.deep.wild.test.", Type.A));

        assertThat(answer.getRcode()).as("PASSTHRU of *.deep.wild.test over NXDOMAIN of *.wild.test")
                .isEqualTo(Rcode.NOERROR);
        assertThat(texts(answer.getSection(Section.ANSWER))).containsExactly(record("x.deep.wild.test. 300 IN A 192.0.2.1"));
    }

    @Test
    void wildcardDoesNotMatchItsApex() throws Exception {
        Message answer = client.udp(query("wild.test.", Type.A));

        assertThat(answer.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(texts(answer.getSection(Section.ANSWER))).containsExactly(record("wild.test. 300 IN A 192.0.2.1"));
    }

    @Test
    void earlierZoneWins() throws Exception {
        Message answer = client.udp(query("both.test.", Type.A));

        assertThat(answer.getRcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(answer.getSection(Section.ADDITIONAL).get(0).getName()).isEqualTo(Name.fromString("first-policy."));
    }

    @Test
    void laterZoneAppliesWhenEarlierHasNoRule() throws Exception {
        Message answer = client.udp(query("onlylater.test.", Type.A));

        assertThat(answer.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(answer.getSection(Section.ANSWER)).isEmpty();
        assertThat(texts(answer.getSection(Section.ADDITIONAL))).containsExactly(
                record("later-policy. 30 IN SOA localhost. hostmaster.localhost. 3 3600 600 86400 30"));
    }

    @Test
    void ednsAnswerAdvertisesOurSizeAndEchoesDo() throws Exception {
        Message answer = client.udp(ednsQuery("edns.allowed.test.", Type.A, 4096, true));

        assertThat(answer.getOPT()).isNotNull();
        assertThat(answer.getOPT().getPayloadSize()).isEqualTo(1232);
        assertThat(answer.getOPT().getFlags() & ExtendedFlags.DO).isEqualTo(ExtendedFlags.DO);
    }

    @Test
    void answerWithoutEdnsHasNoOpt() throws Exception {
        Message answer = client.udp(query("noedns.allowed.test.", Type.A));

        assertThat(answer.getOPT()).isNull();
    }

    @Test
    void ednsVersionAboveZeroGetsBadvers() throws Exception {
        Message query = query("v1.allowed.test.", Type.A);
        query.addRecord(new org.xbill.DNS.OPTRecord(1232, 0, 1, 0), Section.ADDITIONAL);

        Message answer = client.udp(query);

        assertThat(answer.getRcode()).isEqualTo(Rcode.BADVERS);
        assertThat(answer.getOPT().getVersion()).isZero();
    }

    @Test
    void largeAnswerTruncatedOverUdpOnly() throws Exception {
        Message udp = client.udp(query("bigtxt.example.", Type.TXT));
        Message tcp = client.tcp(query("bigtxt.example.", Type.TXT));

        assertThat(udp.getHeader().getFlag(Flags.TC)).isTrue();
        assertThat(tcp.getHeader().getFlag(Flags.TC)).isFalse();
        assertThat(tcp.getSection(Section.ANSWER)).hasSize(8);
    }

    @Test
    void truncatedUpstreamAnswerIsRetriedOverTcp() throws Exception {
        primary.truncateOverUdp("tc.allowed.test.");

        Message answer = client.udp(ednsQuery("tc.allowed.test.", Type.A, 1232, false));

        assertThat(answer.getHeader().getFlag(Flags.TC)).isFalse();
        assertThat(texts(answer.getSection(Section.ANSWER))).containsExactly(record("tc.allowed.test. 300 IN A 192.0.2.1"));
        assertThat(primary.countQueries("tc.allowed.test.", Type.A, TestUpstream.Transport.UDP)).isEqualTo(1);
        assertThat(primary.countQueries("tc.allowed.test.", Type.A, TestUpstream.Transport.TCP)).isEqualTo(1);
    }

    @Test
    void timeoutMovesToNextUpstream() throws Exception {
        primary.drop("failover.allowed.test.");

        Message answer = client.udp(query("failover.allowed.test.", Type.A));

        assertThat(answer.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(texts(answer.getSection(Section.ANSWER))).containsExactly(
                record("failover.allowed.test. 300 IN A 192.0.2.1"));
        assertThat(primary.countQueries("failover.allowed.test.", Type.A)).isEqualTo(1);
        assertThat(secondary.countQueries("failover.allowed.test.", Type.A)).isEqualTo(1);
    }

    @Test
    void noUpstreamAnswerGivesServfail() throws Exception {
        primary.drop("dead.allowed.test.");
        secondary.drop("dead.allowed.test.");

        Message answer = client.udp(query("dead.allowed.test.", Type.A));

        assertThat(answer.getRcode()).isEqualTo(Rcode.SERVFAIL);
        assertThat(answer.getHeader().getFlag(Flags.QR)).isTrue();
    }

    @Test
    void upstreamAnswerWithWrongIdIsIgnored() throws Exception {
        primary.wrongId("spoof.allowed.test.");

        assertPrimaryAnswers("spoof.allowed.test.", "the right answer on the same upstream arrives in time");
    }

    @Test
    void upstreamAnswerWithWrongQuestionIsIgnored() throws Exception {
        primary.wrongQuestion("otherq.allowed.test.");

        assertPrimaryAnswers("otherq.allowed.test.", "the mismatched answer is ignored and the right one follows");
    }

    @Test
    void upstreamGarbageIsIgnored() throws Exception {
        primary.garbage("garbage.allowed.test.");

        Message answer = client.udp(query("garbage.allowed.test.", Type.A));

        assertThat(answer.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(secondary.countQueries("garbage.allowed.test.", Type.A)).isEqualTo(1);
    }

    @Test
    void upstreamQueriesUseRandomIdsAndSeveralPorts() throws Exception {
        for (int i = 0; i < 40; i++) {
            client.udp(query("random" + i + ".allowed.test.", Type.A));
        }

        Set<Integer> ids = new HashSet<>();
        Set<Integer> ports = new HashSet<>();
        for (TestUpstream.ReceivedQuery received : primary.receivedQueries()) {
            ids.add(received.message().getHeader().getID());
            ports.add(received.sourcePort());
        }
        assertThat(primary.receivedQueries()).hasSize(40);
        assertThat(ids).as("40 IDs drawn from 65536 almost never collide").hasSizeGreaterThan(35);
        assertThat(ports).as("queries leave from several source ports").hasSizeGreaterThan(1);
    }

    @Test
    void malformedQueryWithHeaderGetsFormerr() throws Exception {
        byte[] packet = {0x4a, 0x21, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 7, 'b', 'r', 'o'};

        Message answer = new Message(client.udpRaw(packet, 5000));

        assertThat(answer.getHeader().getID()).isEqualTo(0x4a21);
        assertThat(answer.getRcode()).isEqualTo(Rcode.FORMERR);
        assertThat(answer.getHeader().getFlag(Flags.QR)).isTrue();
    }

    @Test
    void notifyWithoutTransferZonesIsRefused() throws Exception {
        Message notify = query("first-policy.", Type.SOA);
        notify.getHeader().setOpcode(org.xbill.DNS.Opcode.NOTIFY);
        notify.getHeader().setFlag(Flags.AA);

        Message answer = client.udp(notify);

        assertThat(answer.getHeader().getID()).isEqualTo(notify.getHeader().getID());
        assertThat(answer.getHeader().getOpcode()).isEqualTo(org.xbill.DNS.Opcode.NOTIFY);
        assertThat(answer.getRcode()).isEqualTo(Rcode.REFUSED);
    }

    @Test
    void headerlessPacketIsDropped() throws Exception {
        try (DatagramSocket socket = new DatagramSocket()) {
            socket.setSoTimeout(5000);
            client.send(socket, new byte[] {1, 2, 3, 4, 5});
            Message next = query("alive.allowed.test.", Type.A);
            client.send(socket, next.toWire());

            Message answer = new Message(DnsTestClient.receive(socket));

            assertThat(answer.getHeader().getID()).isEqualTo(next.getHeader().getID());
        }
    }

    @Test
    void tcpPipelinedAnswersOutOfOrder() throws Exception {
        primary.delay("slow.allowed.test.", Duration.ofMillis(200));
        Message slow = query("slow.allowed.test.", Type.A);
        Message fast = query("fast.allowed.test.", Type.A);
        Message local = query("local.test.", Type.A);

        try (Socket socket = client.openTcp()) {
            DnsTestClient.writeFrame(socket, slow.toWire());
            DnsTestClient.writeFrame(socket, fast.toWire());
            DnsTestClient.writeFrame(socket, local.toWire());

            Set<Integer> ids = new HashSet<>();
            Message first = new Message(DnsTestClient.readFrame(socket));
            ids.add(first.getHeader().getID());
            ids.add(new Message(DnsTestClient.readFrame(socket)).getHeader().getID());
            Message last = new Message(DnsTestClient.readFrame(socket));
            ids.add(last.getHeader().getID());

            assertThat(ids).containsExactlyInAnyOrder(slow.getHeader().getID(), fast.getHeader().getID(),
                    local.getHeader().getID());
            assertThat(last.getHeader().getID()).as("the delayed answer comes last").isEqualTo(slow.getHeader().getID());
        }
    }

    @Test
    void idleTcpConnectionIsClosed() throws Exception {
        try (Socket socket = client.openTcp()) {
            DnsTestClient.writeFrame(socket, query("idle.allowed.test.", Type.A).toWire());
            DnsTestClient.readFrame(socket);

            assertThat(socket.getInputStream().read()).as("end of stream after the idle timeout").isEqualTo(-1);
        }
    }

    @Test
    void policyHitIsLoggedAsJson() throws Exception {
        HitLogCapture capture = HitLogCapture.start(policyHitLog);
        client.udp(query("logged.blocked.test.", Type.AAAA));
        List<String> lines = capture.lines();

        assertThat(lines).hasSize(1);
        String line = lines.get(0);
        assertThat(line).startsWith("{\"time\":\"");
        assertThat(line).contains("\"client\":\"127.0.0.1\"", "\"qname\":\"logged.blocked.test.\"",
                "\"qtype\":\"AAAA\"", "\"zone\":\"first-policy\"", "\"rule\":\"*.blocked.test.first-policy.\"",
                "\"action\":\"nxdomain\"");
    }

    @Test
    void metricsCountQueriesHitsAndUpstreams() throws Exception {
        client.udp(query("metrics.blocked.test.", Type.A));
        client.tcp(query("metrics.allowed.test.", Type.A));

        given().get("/q/metrics").then().statusCode(200)
                .body(containsString("rpzgate_queries_total{protocol=\"udp\",rcode=\"NXDOMAIN\"}"))
                .body(containsString("rpzgate_queries_total{protocol=\"tcp\",rcode=\"NOERROR\"}"))
                .body(containsString("rpzgate_policy_hits_total{action=\"nxdomain\",zone=\"first-policy\"}"))
                .body(containsString("rpzgate_upstream_responses_total{rcode=\"NOERROR\",upstream=\""
                        + primary.address() + "\",zone=\".\"}"));
    }

    @Test
    void readinessReportsLoadedZones() {
        given().get("/q/health/ready").then().statusCode(200)
                .body(containsString("\"status\": \"UP\""))
                .body(containsString("\"zones\": 2"));
    }

    /** Asserts that the primary upstream's A record for {@code name} arrives and the secondary is never asked. */
    private void assertPrimaryAnswers(String name, String why) throws IOException {
        Message answer = client.udp(query(name, Type.A));

        assertThat(texts(answer.getSection(Section.ANSWER))).containsExactly(record(name + " 300 IN A 192.0.2.1"));
        assertThat(secondary.countQueries(name, Type.A)).as(why).isZero();
    }

    private static void assertFlags(Message answer, boolean rd, boolean ra, boolean aa, boolean tc) {
        assertThat(answer.getHeader().getFlag(Flags.QR)).as("QR").isTrue();
        assertThat(answer.getHeader().getFlag(Flags.RD)).as("RD").isEqualTo(rd);
        assertThat(answer.getHeader().getFlag(Flags.RA)).as("RA").isEqualTo(ra);
        assertThat(answer.getHeader().getFlag(Flags.AA)).as("AA").isEqualTo(aa);
        assertThat(answer.getHeader().getFlag(Flags.TC)).as("TC").isEqualTo(tc);
    }

    /**
     * Returns a record line in dnsjava's text form with fields separated by one space, TTL
     * included, so that expected and received records compare alike (2001:db8::1 included).
     */
    private static String record(String text) {
        try (Master master = new Master(new ByteArrayInputStream(text.getBytes(StandardCharsets.US_ASCII)), Name.root)) {
            return canonical(master.nextRecord().toString());
        } catch (IOException e) {
            throw new IllegalArgumentException(text, e);
        }
    }

    private static String canonical(String recordText) {
        return String.join(" ", recordText.trim().split("\\s+"));
    }

    /** Returns the records as {@link #record} lines, so that assertions compare TTLs too. */
    private static List<String> texts(List<Record> records) {
        return records.stream().map(r -> canonical(r.toString())).toList();
    }
}
