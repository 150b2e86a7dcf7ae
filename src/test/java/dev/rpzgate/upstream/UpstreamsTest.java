package dev.rpzgate.upstream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.rpzgate.config.RpzgateConfig;
import dev.rpzgate.observability.DnsMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.xbill.DNS.Name;
import dev.rpzgate.wire.HostPort;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class UpstreamsTest {

    @Test
    void readsNameserversFromResolvConf(@TempDir Path dir) throws Exception {
        Path resolvConf = dir.resolve("resolv.conf");
        Files.writeString(resolvConf, """
                # written by the test
                search svc.cluster.local cluster.local
                nameserver 127.0.0.53
                nameserver fe80::1%eth0
                options ndots:5
                """);

        assertThat(Upstreams.nameservers(resolvConf)).containsExactly("127.0.0.53", "fe80::1");
    }

    @Test
    void missingResolvConfGivesNoNameserver(@TempDir Path dir) {
        assertThat(Upstreams.nameservers(dir.resolve("absent"))).isEmpty();
    }

    @Test
    void configuredUpstreamsComeInOrder() {
        List<Upstream> upstreams = Upstreams.resolve(config(List.of("127.0.0.1:5300", "[::1]:5301"), "/nonexistent"),
                HostPort.parse("127.0.0.1:5353", 53));

        assertThat(upstreams).extracting(Upstream::name).containsExactly("127.0.0.1:5300", "[::1]:5301");
    }

    @Test
    void resolvConfIsUsedWhenNoUpstreamIsConfigured(@TempDir Path dir) throws Exception {
        Path resolvConf = dir.resolve("resolv.conf");
        Files.writeString(resolvConf, "nameserver 127.0.0.53\n");

        List<Upstream> upstreams = Upstreams.resolve(config(null, resolvConf.toString()),
                HostPort.parse("127.0.0.1:5353", 53));

        assertThat(upstreams).extracting(Upstream::name).containsExactly("127.0.0.53:53");
    }

    @Test
    void ownListenAddressIsRejected() {
        assertThatThrownBy(() -> Upstreams.resolve(config(List.of("127.0.0.1:5353"), "/nonexistent"),
                HostPort.parse("127.0.0.1:5353", 53)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("own listening address");
    }

    @Test
    void loopbackIsOwnAddressWhenListeningOnWildcard() {
        assertThatThrownBy(() -> Upstreams.resolve(config(List.of("127.0.0.1:5353"), "/nonexistent"),
                HostPort.parse("0.0.0.0:5353", 53)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("own listening address");
    }

    @Test
    void missingUpstreamIsExplained() {
        assertThatThrownBy(() -> Upstreams.resolve(config(null, "/nonexistent/resolv.conf"),
                HostPort.parse("127.0.0.1:5353", 53)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("RPZGATE_UPSTREAMS");
    }

    @Test
    void hostNameUpstreamIsRejected() {
        assertThatThrownBy(() -> Upstreams.resolve(config(List.of("dns.example"), "/nonexistent"),
                HostPort.parse("127.0.0.1:5353", 53)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("invalid upstream 'dns.example'");
    }

    @Test
    void parsesEachUpstreamSyntax() {
        Upstream plain = Upstreams.parse("192.0.2.53");
        assertThat(plain.protocol()).isEqualTo(Upstream.Protocol.DNS);
        assertThat(plain.port()).isEqualTo(53);

        Upstream tls = Upstreams.parse("tls://192.0.2.53#dns.example");
        assertThat(tls.protocol()).isEqualTo(Upstream.Protocol.TLS);
        assertThat(tls.port()).isEqualTo(853);
        assertThat(tls.tlsName()).isEqualTo("dns.example");
        assertThat(tls.verifiedName()).isEqualTo("dns.example");
        assertThat(tls.name()).isEqualTo("tls://192.0.2.53#dns.example");

        Upstream tlsByIp = Upstreams.parse("tls://[2001:db8::53]:8853");
        assertThat(tlsByIp.port()).isEqualTo(8853);
        assertThat(tlsByIp.verifiedName()).isEqualTo("2001:db8:0:0:0:0:0:53");

        Upstream https = Upstreams.parse("https://192.0.2.53");
        assertThat(https.protocol()).isEqualTo(Upstream.Protocol.HTTPS);
        assertThat(https.port()).isEqualTo(443);
        assertThat(https.path()).isEqualTo("/dns-query");

        Upstream httpsWithPath = Upstreams.parse("https://192.0.2.53:8443/resolve#doh.example");
        assertThat(httpsWithPath.port()).isEqualTo(8443);
        assertThat(httpsWithPath.path()).isEqualTo("/resolve");
        assertThat(httpsWithPath.tlsName()).isEqualTo("doh.example");
    }

    @Test
    void invalidUpstreamSyntaxIsExplained() {
        assertThatThrownBy(() -> Upstreams.parse("quic://192.0.2.53"))
                .hasMessageContaining("unknown scheme 'quic://'");
        assertThatThrownBy(() -> Upstreams.parse("192.0.2.53#dns.example"))
                .hasMessageContaining("use tls:// or https://");
        assertThatThrownBy(() -> Upstreams.parse("tls://192.0.2.53/path"))
                .hasMessageContaining("takes no path");
        assertThatThrownBy(() -> Upstreams.parse("tls://192.0.2.53#"))
                .hasMessageContaining("empty TLS name");
        assertThatThrownBy(() -> Upstreams.parse("https://dns.example/dns-query"))
                .hasMessageContaining("not an IP address");
    }

    @Test
    void forwardZonesBecomeGroupsWithTheirOwnSelection() {
        RpzgateConfig config = UpstreamTestConfig.of(List.of("127.0.0.1:5300"), "/nonexistent", List.of(
                new UpstreamTestConfig.ForwardZone("cluster.local", List.of("127.0.0.1:5301", "127.0.0.1:5302"),
                        Optional.of(Selection.RANDOM)),
                new UpstreamTestConfig.ForwardZone("corp.example.", List.of("tls://127.0.0.1:853#dns.corp.example"),
                        Optional.empty())),
                UpstreamTestConfig.settings().withSelection(Selection.FASTEST));

        Forwarding forwarding = Upstreams.forwarding(config, HostPort.parse("127.0.0.1:5353", 53), metrics());

        UpstreamGroup cluster = forwarding.groupFor(Name.fromConstantString("kube-dns.kube-system.svc.cluster.local."));
        assertThat(cluster.zoneLabel()).isEqualTo("cluster.local.");
        assertThat(cluster.selection()).isEqualTo(Selection.RANDOM);
        assertThat(cluster.upstreams()).extracting(Upstream::name).containsExactly("127.0.0.1:5301", "127.0.0.1:5302");
        UpstreamGroup corp = forwarding.groupFor(Name.fromConstantString("www.corp.example."));
        assertThat(corp.selection()).isEqualTo(Selection.FASTEST);
        assertThat(corp.upstream(0).protocol()).isEqualTo(Upstream.Protocol.TLS);
        UpstreamGroup root = forwarding.groupFor(Name.fromConstantString("www.example.org."));
        assertThat(root.zoneLabel()).isEqualTo(".");
        assertThat(root.upstreams()).extracting(Upstream::name).containsExactly("127.0.0.1:5300");
    }

    @Test
    void sameUpstreamInTwoZonesSharesInFlightCount() {
        RpzgateConfig config = UpstreamTestConfig.of(List.of("127.0.0.1:5300"), "/nonexistent", List.of(
                new UpstreamTestConfig.ForwardZone("corp.example", List.of("127.0.0.1:5300"), Optional.empty())),
                UpstreamTestConfig.settings().withMaxInFlight(1));
        Forwarding forwarding = Upstreams.forwarding(config, HostPort.parse("127.0.0.1:5353", 53), metrics());
        UpstreamState root = forwarding.groupFor(Name.root).state(0);
        UpstreamState corp = forwarding.groupFor(Name.fromConstantString("corp.example.")).state(0);

        assertThat(root.tryAcquire()).isTrue();

        assertThat(corp.tryAcquire()).isFalse();
        assertThat(corp.inFlight()).isEqualTo(1);
        root.release();
        assertThat(corp.tryAcquire()).isTrue();
    }

    @Test
    void twoNamesOfOneAddressShareCap() {
        RpzgateConfig config = UpstreamTestConfig.of(List.of("tls://127.0.0.1"), "/nonexistent", List.of(
                new UpstreamTestConfig.ForwardZone("corp.example",
                        List.of("tls://127.0.0.1:853#dns.corp.example"), Optional.empty())),
                UpstreamTestConfig.settings().withMaxInFlight(1));
        Forwarding forwarding = Upstreams.forwarding(config, HostPort.parse("127.0.0.1:5353", 53), metrics());
        UpstreamState root = forwarding.groupFor(Name.root).state(0);
        UpstreamState corp = forwarding.groupFor(Name.fromConstantString("corp.example.")).state(0);

        assertThat(root.tryAcquire()).isTrue();

        assertThat(corp.tryAcquire()).as("one endpoint, one cap").isFalse();
        assertThat(corp.inFlight()).isEqualTo(1);
    }

    @Test
    void invalidForwardZonesAreExplained() {
        HostPort listen = HostPort.parse("127.0.0.1:5353", 53);
        assertThatThrownBy(() -> Upstreams.forwarding(forwardZone(".", List.of("127.0.0.1:5301")), listen, metrics()))
                .hasMessageContaining("rpzgate.forward-zones[0].name is the root");
        assertThatThrownBy(() -> Upstreams.forwarding(forwardZone("corp.example", List.of()), listen, metrics()))
                .hasMessageContaining("rpzgate.forward-zones[0].upstreams is empty");
        assertThatThrownBy(() -> Upstreams.forwarding(forwardZone("corp..example", List.of("127.0.0.1:5301")), listen,
                metrics()))
                .hasMessageContaining("invalid domain 'corp..example' in rpzgate.forward-zones[0].name");
        assertThatThrownBy(() -> Upstreams.forwarding(forwardZone("corp.example", List.of("tls://host.example")), listen,
                metrics()))
                .hasMessageContaining("invalid upstream 'tls://host.example' in rpzgate.forward-zones[0].upstreams");
    }

    @Test
    void missingCaFileIsExplained(@TempDir Path dir) throws Exception {
        HostPort listen = HostPort.parse("127.0.0.1:5353", 53);
        Path notPem = dir.resolve("ca.pem");
        Files.writeString(notPem, "not a certificate\n");

        assertThatThrownBy(() -> Upstreams.forwarding(UpstreamTestConfig.of(List.of("127.0.0.1:5300"), "/nonexistent",
                List.of(), UpstreamTestConfig.settings().withCaFile(dir.resolve("absent.pem").toString())), listen,
                metrics()))
                .hasMessageContaining("rpzgate.upstream.tls.ca-file")
                .hasMessageContaining("absent.pem cannot be read");
        assertThatThrownBy(() -> Upstreams.forwarding(UpstreamTestConfig.of(List.of("127.0.0.1:5300"), "/nonexistent",
                List.of(), UpstreamTestConfig.settings().withCaFile(notPem.toString())), listen, metrics()))
                .hasMessageContaining("rpzgate.upstream.tls.ca-file " + notPem);
    }

    private static RpzgateConfig forwardZone(String name, List<String> upstreams) {
        return UpstreamTestConfig.of(List.of("127.0.0.1:5300"), "/nonexistent",
                List.of(new UpstreamTestConfig.ForwardZone(name, upstreams, Optional.empty())),
                UpstreamTestConfig.settings());
    }

    private static DnsMetrics metrics() {
        return new DnsMetrics(new SimpleMeterRegistry());
    }

    private static RpzgateConfig config(List<String> upstreams, String resolvConf) {
        return UpstreamTestConfig.of(upstreams, resolvConf, List.of(), UpstreamTestConfig.settings());
    }
}
