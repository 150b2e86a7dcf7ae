package dev.rpzgate.packaging;

import static dev.rpzgate.packaging.RenderedChart.at;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rpzgate.config.RpzgateConfig;
import dev.rpzgate.policy.PolicyAction;
import dev.rpzgate.policy.PolicyStore;
import dev.rpzgate.source.ConfiguredZones;
import dev.rpzgate.source.ZoneFormat;
import dev.rpzgate.source.ZoneSource;
import dev.rpzgate.source.ZoneSpec;
import dev.rpzgate.observability.DnsMetrics;
import dev.rpzgate.upstream.Forwarding;
import dev.rpzgate.upstream.Selection;
import dev.rpzgate.upstream.Upstream;
import dev.rpzgate.upstream.UpstreamGroup;
import dev.rpzgate.upstream.Upstreams;
import dev.rpzgate.wire.HostPort;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quarkus.runtime.configuration.DurationConverter;
import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.runtime.configuration.MemorySizeConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.smallrye.config.source.yaml.YamlConfigSource;
import java.lang.reflect.Method;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Name;
import org.xbill.DNS.TSIG;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Reads the application.yaml that the chart renders into its ConfigMap through rpzgate's own
 * configuration mapping and zone checks, as the pod would at start-up, without starting the
 * server. A value that the chart writes under a wrong name or in a wrong form fails here.
 */
class ChartApplicationYamlTest {

    private static final String TSIG_SECRET = "c2VjcmV0IGZvciB0aGUgY2hhcnQgdGVzdA==";

    /** Returns the application.yaml of the ConfigMap that the chart renders with these values. */
    private static String applicationYaml(Path values) {
        RenderedChart chart = RenderedChart.render(values);
        Object yaml = at(chart.get("ConfigMap", "dns-rpzgate"), "data", "application.yaml");
        assertThat(yaml).isInstanceOf(String.class);
        return (String) yaml;
    }

    /**
     * Builds the configuration that rpzgate would see: the rendered file, an environment variable
     * that the pod gets from a Secret, and the converters Quarkus registers for durations and sizes.
     * The mapping rejects unknown {@code rpzgate.*} properties, so a misspelt key fails here too.
     */
    private static SmallRyeConfig config(String applicationYaml) {
        return new SmallRyeConfigBuilder()
                // Expands ${RPZ_TSIG_SECRET}, as Quarkus does.
                .addDefaultInterceptors()
                .withSources(new YamlConfigSource("application.yaml from the chart", applicationYaml, 255))
                .withSources(new PropertiesConfigSource(Map.of("RPZ_TSIG_SECRET", TSIG_SECRET), "pod environment", 300))
                .withConverter(Duration.class, 200, new DurationConverter())
                .withConverter(MemorySize.class, 200, new MemorySizeConverter())
                .withMapping(RpzgateConfig.class)
                .build();
    }

    @Test
    void defaultsMapToRpzgateConfig() {
        SmallRyeConfig config = config(applicationYaml(HelmChartTemplateTest.MINIMAL_VALUES));
        RpzgateConfig rpzgate = config.getConfigMapping(RpzgateConfig.class);

        assertThat(rpzgate.listen()).isEqualTo("0.0.0.0:5353");
        assertThat(rpzgate.upstreams()).contains(List.of("192.0.2.53"));
        assertThat(rpzgate.upstream().timeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(rpzgate.policy().failMode()).isEqualTo(PolicyStore.FailMode.CLOSED);
        assertThat(rpzgate.policy().maxPolicyTtl()).isEqualTo(Duration.ofSeconds(5));
        assertThat(rpzgate.policy().cacheDir()).isEqualTo("/var/cache/rpzgate");
        assertThat(rpzgate.policy().zones()).isEmpty();
        assertThat(rpzgate.policy().files()).isEmpty();
        assertThat(ConfiguredZones.read(rpzgate.policy())).isEmpty();
        assertThat(config.getValue("quarkus.http.port", Integer.class)).isEqualTo(8080);

        List<Upstream> upstreams = Upstreams.resolve(rpzgate, HostPort.parse(rpzgate.listen(), 53));
        assertThat(upstreams).extracting(Upstream::address)
                .containsExactly(new InetSocketAddress("192.0.2.53", 53));
    }

    @Test
    void customValuesMapToRpzgateConfig() {
        SmallRyeConfig config = config(applicationYaml(HelmChartTemplateTest.CUSTOM_VALUES));
        RpzgateConfig rpzgate = config.getConfigMapping(RpzgateConfig.class);

        assertThat(rpzgate.listen()).isEqualTo("0.0.0.0:5300");
        assertThat(rpzgate.upstream().timeout()).isEqualTo(Duration.ofMillis(1500));
        assertThat(rpzgate.tcp().idleTimeout()).isEqualTo(Duration.ofSeconds(20));
        assertThat(rpzgate.policy().failMode()).isEqualTo(PolicyStore.FailMode.OPEN);
        assertThat(rpzgate.policy().maxPolicyTtl()).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.getValue("quarkus.http.port", Integer.class)).isEqualTo(9000);
        assertThat(config.getValue("quarkus.log.level", String.class)).isEqualTo("DEBUG");

        List<Upstream> upstreams = Upstreams.resolve(rpzgate, HostPort.parse(rpzgate.listen(), 53));
        assertThat(upstreams).extracting(Upstream::address).containsExactly(
                new InetSocketAddress("192.0.2.53", 5300),
                new InetSocketAddress("2001:db8::53", 53));
    }

    @Test
    void encryptedUpstreamsAndForwardZonesMap(@TempDir Path directory) throws Exception {
        RenderedChart chart = RenderedChart.render(directory, """
                upstreams:
                  - tls://192.0.2.53#dns.example
                  - https://192.0.2.54/dns-query#doh.example
                extraConfig:
                  rpzgate:
                    upstream:
                      selection: fastest
                    forward-zones:
                      - name: cluster.local
                        upstreams: 10.96.0.10
                """);
        String yaml = (String) at(chart.get("ConfigMap", "dns-rpzgate"), "data", "application.yaml");
        RpzgateConfig rpzgate = config(yaml).getConfigMapping(RpzgateConfig.class);

        Forwarding forwarding = Upstreams.forwarding(rpzgate, HostPort.parse(rpzgate.listen(), 53),
                new DnsMetrics(new SimpleMeterRegistry()));

        UpstreamGroup root = forwarding.groupFor(Name.fromConstantString("www.example.org."));
        assertThat(root.selection()).isEqualTo(Selection.FASTEST);
        assertThat(root.upstreams()).extracting(Upstream::protocol)
                .containsExactly(Upstream.Protocol.TLS, Upstream.Protocol.HTTPS);
        assertThat(root.upstreams()).extracting(Upstream::tlsName).containsExactly("dns.example", "doh.example");
        UpstreamGroup cluster = forwarding.groupFor(Name.fromConstantString("kube-dns.kube-system.svc.cluster.local."));
        assertThat(cluster.zoneLabel()).isEqualTo("cluster.local.");
        assertThat(cluster.upstreams()).extracting(Upstream::name).containsExactly("10.96.0.10:53");
    }

    @Test
    void customZonesPassRpzgateChecks() throws Exception {
        RpzgateConfig rpzgate = config(applicationYaml(HelmChartTemplateTest.CUSTOM_VALUES))
                .getConfigMapping(RpzgateConfig.class);

        List<ZoneSpec> zones = ConfiguredZones.read(rpzgate.policy());

        assertThat(zones).extracting(ZoneSpec::zoneName).containsExactly("blocklist", "threats", "rpz.example");

        ZoneSpec list = zones.get(0);
        assertThat(list.format()).isEqualTo(ZoneFormat.DOMAINS);
        assertThat(list.subdomains()).isTrue();
        assertThat(list.listAction()).isEqualTo(PolicyAction.NODATA);
        assertThat(list.source()).isInstanceOf(ZoneSource.Inline.class);
        assertThat(((ZoneSource.Inline) list.source()).text()).isEqualTo("malware.example\nphish.example\n");

        ZoneSpec feed = zones.get(1);
        ZoneSource.Url url = (ZoneSource.Url) feed.source();
        assertThat(url.uri()).isEqualTo(URI.create("https://feeds.example/threats.rpz"));
        assertThat(url.refresh()).isEqualTo(Duration.ofMinutes(30));
        assertThat(url.maxBytes()).isEqualTo(64L * 1024 * 1024);
        assertThat(feed.maxRemoval()).isEqualTo(0.25);

        ZoneSpec transferred = zones.get(2);
        ZoneSource.Transfer transfer = (ZoneSource.Transfer) transferred.source();
        assertThat(transfer.config().primaries()).containsExactly(
                new InetSocketAddress("192.0.2.60", 53), new InetSocketAddress("192.0.2.61", 5300));
        assertThat(transfer.config().tsigKey().name()).isEqualTo(Name.fromConstantString("rpzgate-key."));
        assertThat(transfer.config().tsigKey().algorithm()).isEqualTo(TSIG.HMAC_SHA512);
        assertThat(transfer.config().tsigKey().secret())
                .as("tsig-secret resolved from the pod's environment").isEqualTo(TSIG_SECRET);
        assertThat(transfer.config().limits().maxRecords()).isEqualTo(2_000_000L);
        assertThat(transferred.settings().log()).isFalse();
        assertThat(transferred.settings().ede().name()).isEqualTo("BLOCKED");
    }

    /**
     * The values schema lists the zone keys that the chart accepts; each must be a setting of
     * {@link RpzgateConfig.Zone} and each setting must be accepted, so the two cannot drift apart.
     */
    @Test
    void schemaZoneKeysMatchConfigMapping() throws Exception {
        // JSON is YAML, so SnakeYAML reads the schema.
        Object schema = new Yaml(new SafeConstructor(new LoaderOptions()))
                .load(Files.readString(RenderedChart.CHART.resolve("values.schema.json")));
        Object zoneProperties = at(schema, "properties", "policy", "properties", "zones", "items", "properties");

        TreeSet<String> schemaKeys = new TreeSet<>(RenderedChart.map(zoneProperties).keySet());
        TreeSet<String> mappingKeys = new TreeSet<>();
        for (Method method : RpzgateConfig.Zone.class.getDeclaredMethods()) {
            if (!method.isSynthetic() && !method.isDefault() && method.getParameterCount() == 0) {
                mappingKeys.add(kebabCase(method.getName()));
            }
        }

        assertThat(schemaKeys).isEqualTo(mappingKeys);
    }

    /** Converts a method name to its property name as SmallRye Config does: {@code maxPolicyTtl} to {@code max-policy-ttl}. */
    private static String kebabCase(String name) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        for (char c : name.toCharArray()) {
            if (Character.isUpperCase(c) && word.length() > 0) {
                words.add(word.toString());
                word.setLength(0);
            }
            word.append(Character.toLowerCase(c));
        }
        words.add(word.toString());
        return String.join("-", words);
    }

    @Test
    void kebabCaseMatchesDocumentedNames() {
        assertThat(Arrays.asList(kebabCase("maxPolicyTtl"), kebabCase("tsigKeyName"), kebabCase("ede")))
                .containsExactly("max-policy-ttl", "tsig-key-name", "ede");
    }
}
