package dev.rpzgate.operator;

import dev.rpzgate.config.RpzgateConfig;
import dev.rpzgate.policy.PolicyOverride;
import dev.rpzgate.policy.PolicyStore;
import dev.rpzgate.source.ZoneSource;
import dev.rpzgate.source.ZoneSpec;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Name;

import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Turns PolicyZone specs into zone specs without an API server. */
class PolicyZoneSpecsTest {

    private static final RpzgateConfig.Policy POLICY = new RpzgateConfig.Policy() {
        @Override
        public Optional<List<String>> files() {
            return Optional.empty();
        }

        @Override
        public Optional<List<RpzgateConfig.Zone>> zones() {
            return Optional.empty();
        }

        @Override
        public Duration maxPolicyTtl() {
            return Duration.ofSeconds(5);
        }

        @Override
        public String cacheDir() {
            return "cache";
        }

        @Override
        public PolicyStore.FailMode failMode() {
            return PolicyStore.FailMode.CLOSED;
        }
    };

    private static final Function<String, Optional<ConfigMap>> NO_CONFIG_MAPS = name -> Optional.empty();
    private static final Function<String, Optional<Secret>> NO_SECRETS = name -> Optional.empty();

    private static PolicyZone zone(PolicyZoneSource source) {
        PolicyZone zone = new PolicyZone();
        zone.getMetadata().setName("lab");
        zone.getMetadata().setNamespace("dns");
        zone.setSpec(new PolicyZoneSpec());
        zone.getSpec().source = source;
        return zone;
    }

    private static PolicyZoneSource rules(String text) {
        PolicyZoneSource source = new PolicyZoneSource();
        source.rules = text;
        return source;
    }

    @Test
    void inlineZoneGetsDefaultsAndNamedSource() throws Exception {
        PolicyZone zone = zone(rules("bad.example CNAME ."));
        zone.getSpec().dryRun = true;
        zone.getSpec().maxPolicyTtl = "1m30s";
        zone.getSpec().clientCIDRs = List.of("10.0.0.0/8");

        ZoneSpec spec = PolicyZoneSpecs.read(zone, POLICY, NO_CONFIG_MAPS, NO_SECRETS);

        assertThat(spec.origin()).isEqualTo(Name.fromConstantString("lab.dns."));
        assertThat(spec.source()).isEqualTo(new ZoneSource.Inline("PolicyZone dns/lab spec.source.rules",
                "bad.example CNAME ."));
        assertThat(spec.settings().override().kind()).isEqualTo(PolicyOverride.Kind.DISABLED);
        assertThat(spec.settings().maxPolicyTtl()).isEqualTo(Duration.ofSeconds(90));
        assertThat(spec.settings().clientCidrs().networks()).containsExactly("10.0.0.0/8");
        assertThat(spec.settings().addSoa()).isTrue();
        assertThat(spec.settings().recursiveOnly()).isTrue();
    }

    @Test
    void configMapKeyIsRead() throws Exception {
        PolicyZoneSource source = new PolicyZoneSource();
        source.configMapRef = new PolicyZoneSource.ConfigMapKeyRef();
        source.configMapRef.name = "lists";
        source.configMapRef.key = "block.txt";
        PolicyZone zone = zone(source);
        zone.getSpec().format = PolicyZoneSpec.Format.DOMAINS;
        ConfigMap map = new ConfigMapBuilder().withNewMetadata().withName("lists").endMetadata()
                .addToData("block.txt", "a.example\n").build();

        ZoneSpec spec = PolicyZoneSpecs.read(zone, POLICY, name -> Optional.of(map), NO_SECRETS);

        assertThat(spec.source()).isEqualTo(new ZoneSource.Inline("ConfigMap dns/lists key block.txt", "a.example\n"));
        assertThatThrownBy(() -> PolicyZoneSpecs.read(zone, POLICY, NO_CONFIG_MAPS, NO_SECRETS))
                .isInstanceOf(InvalidPolicyZoneException.class)
                .hasMessage("spec.source.configMapRef: ConfigMap dns/lists not found; create it, and the zone loads");
        source.configMapRef.key = "other";
        assertThatThrownBy(() -> PolicyZoneSpecs.read(zone, POLICY, name -> Optional.of(map), NO_SECRETS))
                .hasMessage("spec.source.configMapRef.key: ConfigMap dns/lists has no key 'other'");
    }

    @Test
    void transferReadsTsigSecret() throws Exception {
        String tsig = Base64.getEncoder().encodeToString(new byte[32]);
        PolicyZoneSource source = new PolicyZoneSource();
        source.transfer = new PolicyZoneSource.TransferSource();
        source.transfer.primaries = List.of("127.0.0.1:5300");
        source.transfer.tsigKeyName = "xfr";
        source.transfer.tsigSecretRef = new PolicyZoneSource.SecretKeyRef();
        source.transfer.tsigSecretRef.name = "tsig";
        PolicyZone zone = zone(source);
        zone.getSpec().origin = "rpz.example";
        Secret secret = new SecretBuilder().withNewMetadata().withName("tsig").endMetadata()
                .withData(Map.of("secret", Base64.getEncoder().encodeToString(tsig.getBytes()))).build();

        ZoneSpec spec = PolicyZoneSpecs.read(zone, POLICY, NO_CONFIG_MAPS, name -> Optional.of(secret));

        ZoneSource.Transfer transfer = (ZoneSource.Transfer) spec.source();
        assertThat(transfer.config().tsigKey().secret()).isEqualTo(tsig);
        assertThatThrownBy(() -> PolicyZoneSpecs.read(zone, POLICY, NO_CONFIG_MAPS, NO_SECRETS))
                .hasMessage("spec.source.transfer.tsigSecretRef: Secret dns/tsig not found; create it, and the zone "
                        + "loads");
    }

    @Test
    void configurationErrorsNamePolicyZoneFields() {
        PolicyZone zone = zone(rules("bad.example CNAME ."));
        zone.getSpec().clientCIDRs = List.of("10.1.0.0/8");

        assertThatThrownBy(() -> PolicyZoneSpecs.read(zone, POLICY, NO_CONFIG_MAPS, NO_SECRETS))
                .isInstanceOf(InvalidPolicyZoneException.class)
                .hasMessageStartingWith("spec.clientCIDRs: invalid CIDR '10.1.0.0/8'");
        zone.getSpec().clientCIDRs = null;
        zone.getSpec().maxPolicyTtl = "5 minutes";
        assertThatThrownBy(() -> PolicyZoneSpecs.read(zone, POLICY, NO_CONFIG_MAPS, NO_SECRETS))
                .hasMessage("spec.maxPolicyTtl: invalid duration '5 minutes'; write it as 30s, 5m or 1h30m");
    }

    @Test
    void refreshComesFromUrlOrTransfer() {
        PolicyZoneSource source = new PolicyZoneSource();
        source.url = new PolicyZoneSource.UrlSource();
        source.url.url = "http://127.0.0.1/zone.rpz";
        PolicyZoneSpec spec = zone(source).getSpec();
        PolicyZoneConfig config = new PolicyZoneConfig(spec, "lab.dns", Optional.empty(), Optional.empty());

        assertThat(config.refresh()).as("URL zone without refresh").isEmpty();
        source.url.refresh = "1h30m";
        assertThat(config.refresh()).contains(Duration.ofMinutes(90));

        source.url = null;
        source.transfer = new PolicyZoneSource.TransferSource();
        source.transfer.primaries = List.of("127.0.0.1:5300");
        assertThat(config.refresh()).as("transfer without refresh").isEmpty();
        source.transfer.refresh = "5m";
        assertThat(config.refresh()).contains(Duration.ofMinutes(5));
        source.transfer.refresh = "5 m";
        assertThatThrownBy(config::refresh)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("spec.source.transfer.refresh: invalid duration '5 m'; write it as 30s, 5m or 1h30m");
    }

    @Test
    void oversizedDurationNamesField() {
        PolicyZone zone = zone(rules("bad.example CNAME ."));

        zone.getSpec().maxPolicyTtl = "999999999999999d";
        assertThatThrownBy(() -> PolicyZoneSpecs.read(zone, POLICY, NO_CONFIG_MAPS, NO_SECRETS))
                .isInstanceOf(InvalidPolicyZoneException.class)
                .hasMessage("spec.maxPolicyTtl: duration '999999999999999d' is too large; write at most 106751991167d");

        zone.getSpec().maxPolicyTtl = "106751991168d";
        assertThatThrownBy(() -> PolicyZoneSpecs.read(zone, POLICY, NO_CONFIG_MAPS, NO_SECRETS))
                .isInstanceOf(InvalidPolicyZoneException.class)
                .hasMessage("spec.maxPolicyTtl: duration '106751991168d' is too large; write at most 106751991167d");

        zone.getSpec().maxPolicyTtl = "99999999999999999999s";
        assertThatThrownBy(() -> PolicyZoneSpecs.read(zone, POLICY, NO_CONFIG_MAPS, NO_SECRETS))
                .isInstanceOf(InvalidPolicyZoneException.class)
                .hasMessage("spec.maxPolicyTtl: duration '99999999999999999999s' is too large; "
                        + "write at most 106751991167d");
    }
}
