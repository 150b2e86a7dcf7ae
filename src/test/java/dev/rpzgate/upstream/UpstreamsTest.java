package dev.rpzgate.upstream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.rpzgate.config.RpzgateConfig;
import dev.rpzgate.wire.HostPort;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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

    private static RpzgateConfig config(List<String> upstreams, String resolvConf) {
        return UpstreamTestConfig.of(upstreams, resolvConf, List.of(), UpstreamTestConfig.settings());
    }
}
