package dev.rpzgate.server;

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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.ExtendedErrorCodeOption;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.rpzgate.testing.DnsTestClient.ednsQuery;
import static dev.rpzgate.testing.DnsTestClient.query;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;

/** Runs rpzgate with zones configured one by one in {@code rpzgate.policy.zones}, each with its own settings. */
@QuarkusTest
@TestProfile(ZoneSettingsEndToEndTest.Zones.class)
@QuarkusTestResource(value = UpstreamResource.class, restrictToAnnotatedClass = true)
class ZoneSettingsEndToEndTest {

    /** Seven zones in precedence order, written as indexed properties. */
    public static class Zones implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            Map<String, String> config = new HashMap<>();
            zone(config, 0, "settings-dryrun.zone", "dryrun", Map.of("policy", "disabled"));
            zone(config, 1, "settings-override.zone", "nxover",
                    Map.of("policy", "nxdomain", "ede", "filtered", "log", "false"));
            zone(config, 2, "settings-garden.zone", "garden",
                    Map.of("policy", "cname walled-garden.example.", "add-soa", "false", "max-policy-ttl", "30s"));
            zone(config, 3, "settings-local.zone", "localor", Map.of("policy", "local-data-or-passthru"));
            zone(config, 4, "settings-local.zone", "localordis", Map.of("policy", "local-data-or-disabled"));
            zone(config, 5, "settings-ede.zone", "ede",
                    Map.of("ede", "blocked", "max-policy-ttl", "60s", "break-dnssec", "true"));
            zone(config, 6, "settings-strict.zone", "strict", Map.of());
            return config;
        }

        private static void zone(Map<String, String> config, int index, String file, String origin,
                                 Map<String, String> settings) {
            String prefix = "rpzgate.policy.zones[" + index + "].";
            config.put(prefix + "file", "src/test/resources/zones/" + file);
            config.put(prefix + "origin", origin);
            settings.forEach((key, value) -> config.put(prefix + key, value));
        }
    }

    @Inject
    DnsServer server;

    private DnsTestClient client;
    private TestUpstream upstream;
    @Inject
    PolicyHitLog policyHitLog;

    private HitLogCapture hitLog;

    @BeforeEach
    void setUp() throws IOException {
        client = new DnsTestClient(server.port());
        upstream = UpstreamResource.primary();
        upstream.reset();
        hitLog = HitLogCapture.start(policyHitLog);
    }

    @Test
    void disabledZoneLogsWouldHitAndForwards() throws Exception {
        Message answer = client.udp(query("dry.test.", Type.A));

        assertThat(answer.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(answer.getSection(Section.ANSWER)).hasSize(1);
        assertThat(hitLines()).hasSize(1);
        assertThat(hitLines().get(0)).contains("\"zone\":\"dryrun\"", "\"action\":\"nxdomain\"", "\"disabled\":true");
        given().get("/q/metrics").then()
                .body(containsString("rpzgate_policy_disabled_hits_total{action=\"nxdomain\",zone=\"dryrun\"}"));
    }

    @Test
    void disabledZoneLetsLaterZoneDecide() throws Exception {
        Message answer = client.udp(ednsQuery("dryboth.test.", Type.A, 1232, false));

        assertThat(answer.getRcode()).as("NODATA rule under policy nxdomain").isEqualTo(Rcode.NXDOMAIN);
        ExtendedErrorCodeOption ede = extendedError(answer);
        assertThat(ede.getErrorCode()).isEqualTo(ExtendedErrorCodeOption.FILTERED);
        assertThat(ede.getText()).isEqualTo("zone nxover serial 12 rule dryboth.test");
        assertThat(hitLines()).as("only the disabled zone logs; nxover has log false").hasSize(1);
        assertThat(hitLines().get(0)).contains("\"zone\":\"dryrun\"");
    }

    @Test
    void policyOverrideReplacesLocalData() throws Exception {
        Message answer = client.udp(query("over.test.", Type.A));

        assertThat(answer.getRcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(answer.getSection(Section.ANSWER)).isEmpty();
        assertThat(answer.getOPT()).as("no EDE without EDNS").isNull();
        assertThat(hitLines()).as("log false").isEmpty();
    }

    @Test
    void cnameOverrideRewritesWithoutSoa() throws Exception {
        Message answer = client.udp(query("gardened.test.", Type.A));

        List<Record> records = answer.getSection(Section.ANSWER);
        assertThat(records).hasSize(2);
        assertThat(records.get(0).rdataToString()).isEqualTo("walled-garden.example.");
        assertThat(records.get(0).getType()).isEqualTo(Type.CNAME);
        assertThat(records.get(0).getTTL()).isEqualTo(30);
        assertThat(records.get(1).rdataToString()).isEqualTo("192.0.2.200");
        assertThat(answer.getSection(Section.ADDITIONAL)).as("add-soa false").isEmpty();
    }

    @Test
    void recursiveOnlyZoneIgnoresQueryWithoutRd() throws Exception {
        Message query = query("gardened.test.", Type.A);
        query.getHeader().unsetFlag(Flags.RD);

        Message answer = client.udp(query);

        // Without the rule, an RD=0 query is answered from the cache only, and nothing asked for
        // gardened.test before: the answer is empty instead of the rule's CNAME.
        assertThat(answer.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(answer.getSection(Section.ANSWER)).isEmpty();
    }

    @Test
    void localDataOrPassthruKeepsLocalData() throws Exception {
        Message answer = client.udp(query("ld.test.", Type.A));

        assertThat(answer.getSection(Section.ANSWER).get(0).rdataToString()).isEqualTo("192.0.2.7");
    }

    @Test
    void localDataOrPassthruPassesOtherRules() throws Exception {
        Message answer = client.udp(query("ldnot.test.", Type.A));

        assertThat(answer.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(answer.getSection(Section.ANSWER).get(0).rdataToString()).isEqualTo("192.0.2.1");
        assertThat(hitLines()).hasSize(1);
        assertThat(hitLines().get(0)).contains("\"zone\":\"localor\"", "\"action\":\"passthru\"");
    }

    @Test
    void zoneMaxPolicyTtlCapsLocalData() throws Exception {
        Message answer = client.udp(query("ttl.test.", Type.A));

        assertThat(answer.getSection(Section.ANSWER)).hasSize(1);
        assertThat(answer.getSection(Section.ANSWER).get(0).getTTL()).isEqualTo(60);
    }

    @Test
    void blockedEdeNamesZoneSerialAndRule() throws Exception {
        Message answer = client.udp(ednsQuery("ede.test.", Type.A, 1232, false));

        assertThat(answer.getRcode()).isEqualTo(Rcode.NXDOMAIN);
        ExtendedErrorCodeOption ede = extendedError(answer);
        assertThat(ede.getErrorCode()).isEqualTo(ExtendedErrorCodeOption.BLOCKED);
        assertThat(ede.getText()).isEqualTo("zone ede serial 15 rule ede.test");
    }

    @Test
    void signedAnswerIsRewrittenWithBreakDnssec() throws Exception {
        upstream.add(signature("signed.test."));

        Message answer = client.udp(ednsQuery("signed.test.", Type.A, 1232, true));

        assertThat(answer.getRcode()).isEqualTo(Rcode.NXDOMAIN);
    }

    @Test
    void signedAnswerIsKeptWithoutBreakDnssec() throws Exception {
        upstream.add(signature("signed-strict.test."));

        Message answer = client.udp(ednsQuery("signed-strict.test.", Type.A, 1232, true));

        assertThat(answer.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(answer.getSection(Section.ANSWER)).extracting(Record::getType).containsExactly(Type.A, Type.RRSIG);
    }

    @Test
    void unsignedAnswerIsRewrittenForDoQuery() throws Exception {
        Message answer = client.udp(ednsQuery("unsigned.test.", Type.A, 1232, true));

        assertThat(answer.getRcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(upstream.countQueries("unsigned.test.", Type.A)).as("asked first to look for signatures").isEqualTo(1);
    }

    private static String signature(String owner) {
        return owner + " 300 IN A 192.0.2.77\n"
                + owner + " 300 IN RRSIG A 13 2 300 20300101000000 20200101000000 12345 test. "
                + "c2lnbmF0dXJlLWJ5dGVzLWZvci1hLXRlc3Qtb25seS1ub3QtYS1yZWFsLWtleQ==";
    }

    private static ExtendedErrorCodeOption extendedError(Message answer) {
        assertThat(answer.getOPT()).isNotNull();
        List<EDNSOption> options = answer.getOPT().getOptions(EDNSOption.Code.EDNS_EXTENDED_ERROR);
        assertThat(options).hasSize(1);
        return (ExtendedErrorCodeOption) options.get(0);
    }

    private List<String> hitLines() {
        return hitLog.lines();
    }
}
