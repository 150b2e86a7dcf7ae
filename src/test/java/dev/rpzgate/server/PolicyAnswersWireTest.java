package dev.rpzgate.server;

import dev.rpzgate.policy.ExtendedError;
import dev.rpzgate.policy.PolicyAction;
import dev.rpzgate.policy.PolicyOverride;
import dev.rpzgate.policy.PolicyRule;
import dev.rpzgate.policy.PolicyZone;
import dev.rpzgate.policy.ZoneSettings;
import dev.rpzgate.source.RpzZoneFileLoader;
import dev.rpzgate.wire.ClientQuery;
import dev.rpzgate.wire.Responses;
import dev.rpzgate.wire.Transport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
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

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Checks the NXDOMAIN and NODATA answers written as bytes against the dnsjava messages that
 * {@link PolicyAnswers#nxdomain} and {@link PolicyAnswers#nodata} build, encoded by
 * {@link Responses#encode}, for random queries.
 */
class PolicyAnswersWireTest {

    private static final InetSocketAddress CLIENT = new InetSocketAddress(InetAddress.getLoopbackAddress(), 5353);
    private static final String ZONE = """
            $TTL 300
            @ SOA ns.rpz.test. admin.rpz.test. 7 3600 600 86400 60
            @ NS ns.rpz.test.
            blocked.example CNAME .
            *.blocked.example CNAME .
            nodata.example CNAME *.
            """;

    @TempDir
    Path directory;

    @Test
    void randomQueriesMatchMessagePath() throws Exception {
        PolicyZone zone = load(new ZoneSettings(Duration.ofSeconds(5)));
        PolicyAnswers answers = new PolicyAnswers();
        Random random = new Random(7);
        for (int round = 0; round < 2000; round++) {
            String base = random.nextBoolean() ? "blocked.example." : "nodata.example.";
            String owner = random.nextInt(3) == 0 && base.startsWith("blocked") ? "sub" + round + "." + base : base;
            Name qname = Name.fromString(randomCase(random, owner));
            PolicyRule rule = zone.matchQname(qname);
            assertThat(rule).as("rule for %s", qname).isNotNull();
            PolicyDecision decision = new PolicyDecision(zone, rule, rule.action(), qname, List.of());
            int rcode = rule.action() == PolicyAction.NXDOMAIN ? Rcode.NXDOMAIN : Rcode.NOERROR;
            ClientQuery query = randomQuery(random, qname);

            byte[] wire = answers.negativeWire(query, decision, rcode);
            Message expected = rcode == Rcode.NXDOMAIN ? answers.nxdomain(query, decision)
                    : answers.nodata(query, decision);
            byte[] general = Responses.encode(expected, query, List.of());

            assertThat(wire).as("bytes for %s", qname).isNotNull();
            // The SOA is written without name compression, so only the sizes may differ.
            assertThat(withoutSize(new Message(wire))).isEqualTo(withoutSize(new Message(general)));
        }
    }

    @Test
    void zoneWithoutSoaInAnswerMatches() throws Exception {
        ZoneSettings noSoa = new ZoneSettings(Duration.ofSeconds(5), PolicyOverride.GIVEN, false, true, false, true,
                true, true, ExtendedError.NONE);
        PolicyZone zone = load(noSoa);
        Name qname = Name.fromConstantString("Blocked.Example.");
        PolicyRule rule = zone.matchQname(qname);
        PolicyDecision decision = new PolicyDecision(zone, rule, rule.action(), qname, List.of());
        ClientQuery query = randomQuery(new Random(1), qname);

        byte[] wire = new PolicyAnswers().negativeWire(query, decision, Rcode.NXDOMAIN);

        Message answer = new Message(wire);
        assertThat(answer.getRcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(answer.getSection(Section.ADDITIONAL)).noneMatch(record -> record.getType() == Type.SOA);
        assertThat(answer.getQuestion().getName().toString()).isEqualTo("Blocked.Example.");
    }

    @Test
    void extendedErrorLeftToMessagePath() throws Exception {
        ZoneSettings withEde = new ZoneSettings(Duration.ofSeconds(5), PolicyOverride.GIVEN, true, true, false, true,
                true, true, ExtendedError.BLOCKED);
        PolicyZone zone = load(withEde);
        Name qname = Name.fromConstantString("blocked.example.");
        PolicyRule rule = zone.matchQname(qname);
        PolicyDecision decision = new PolicyDecision(zone, rule, rule.action(), qname, List.of());
        Message query = Message.newQuery(Record.newRecord(qname, Type.A, DClass.IN));
        query.addRecord(new OPTRecord(1232, 0, 0), Section.ADDITIONAL);
        byte[] packet = query.toWire();

        assertThat(new PolicyAnswers().negativeWire(new ClientQuery(new Message(packet), packet, CLIENT,
                Transport.UDP), decision, Rcode.NXDOMAIN)).isNull();
    }

    private PolicyZone load(ZoneSettings settings) throws Exception {
        Path file = directory.resolve("rpz.test.zone");
        Files.writeString(file, ZONE);
        return RpzZoneFileLoader.load(file, Name.fromConstantString("rpz.test."), settings);
    }

    private static ClientQuery randomQuery(Random random, Name qname) throws Exception {
        Message query = new Message(random.nextInt(65536));
        if (random.nextInt(5) > 0) {
            query.getHeader().setFlag(Flags.RD);
        }
        if (random.nextInt(4) == 0) {
            query.getHeader().setFlag(Flags.CD);
        }
        int type = new int[] {Type.A, Type.AAAA, Type.TXT, Type.MX}[random.nextInt(4)];
        query.addRecord(Record.newRecord(qname, type, DClass.IN), Section.QUESTION);
        if (random.nextBoolean()) {
            query.addRecord(new OPTRecord(512 + random.nextInt(4000), 0, 0,
                    random.nextBoolean() ? ExtendedFlags.DO : 0), Section.ADDITIONAL);
        }
        byte[] packet = query.toWire();
        return new ClientQuery(new Message(packet), packet, CLIENT, random.nextBoolean() ? Transport.UDP : Transport.TCP);
    }

    private static String withoutSize(Message message) {
        return message.toString().replaceAll(";; Message size: \\d+ bytes", "");
    }

    private static String randomCase(Random random, String text) {
        StringBuilder mixed = new StringBuilder();
        for (char c : text.toCharArray()) {
            mixed.append(random.nextBoolean() ? Character.toUpperCase(c) : c);
        }
        return mixed.toString();
    }
}
