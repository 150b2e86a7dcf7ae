package dev.rpzgate.packaging;

import dev.rpzgate.testing.TestUpstream;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Starts a test upstream on 127.0.0.1 for the packaged rpzgate (the native executable or the
 * jar) and configures it with the application.yaml that the Helm chart renders, with the example
 * policy zone and an inline zone. The chart's extraConfig value moves the listeners and the cache
 * directory, which the chart puts on the pod's addresses and volumes, to 127.0.0.1 and target/.
 *
 * <p>The pod reads the file as config/application.yaml under its working directory; the test
 * cannot choose the launched process's working directory, so it names the file with
 * {@code quarkus.config.locations} instead. A file named there takes precedence over system
 * properties, so every setting of this test is in the file.
 */
public class PackagedAppResource implements QuarkusTestResourceLifecycleManager {

    private static volatile TestUpstream upstream;
    private static volatile int dnsPort;

    static int dnsPort() {
        return dnsPort;
    }

    @Override
    public Map<String, String> start() {
        try {
            upstream = TestUpstream.start();
            upstream.answerAnyName("192.0.2.1", "2001:db8::1", 300);
            dnsPort = freePort();
        } catch (IOException e) {
            throw new UncheckedIOException("failed to start the test upstream for the packaged rpzgate", e);
        }
        return Map.of("quarkus.config.locations", renderApplicationYaml().toUri().toString());
    }

    /** Renders the chart with this test's upstream, ports and zones, and writes its application.yaml under target/. */
    private static Path renderApplicationYaml() {
        Path example = Path.of("examples", "rpzgate-example.zone").toAbsolutePath();
        Path directory = Path.of("target", "packaged-app").toAbsolutePath();
        String values = """
                upstreams: ["%s"]
                policy:
                  zones:
                    - file: "%s"
                    - origin: inline-list
                      format: domains
                      rules: blocked-inline.example
                extraConfig:
                  rpzgate:
                    listen: "127.0.0.1:%d"
                    policy:
                      cache-dir: "%s"
                  quarkus:
                    http:
                      host: 127.0.0.1
                      port: 0
                """.formatted(upstream.address(), example, dnsPort, directory.resolve("cache"));
        try {
            Files.createDirectories(directory);
            RenderedChart chart = RenderedChart.render(directory, values);
            String yaml = (String) RenderedChart.at(chart.get("ConfigMap", "dns-rpzgate"), "data", "application.yaml");
            return Files.writeString(directory.resolve("application.yaml"), yaml);
        } catch (Exception e) {
            throw new IllegalStateException("failed to render application.yaml from the Helm chart", e);
        }
    }

    /**
     * Returns a port that is free on 127.0.0.1 for both UDP and TCP. The launched process binds it
     * a moment later, because it cannot report a port it picked itself before the test needs it.
     * Another process that takes the port in between makes the start fail, not the test pass.
     */
    private static int freePort() throws IOException {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        for (int attempt = 0; attempt < 20; attempt++) {
            try (DatagramSocket udp = new DatagramSocket(new InetSocketAddress(loopback, 0))) {
                int port = udp.getLocalPort();
                try (ServerSocket tcp = new ServerSocket(port, 1, loopback)) {
                    return port;
                } catch (IOException taken) {
                    // TCP port in use: try another.
                }
            }
        }
        throw new IOException("no port free for both UDP and TCP on 127.0.0.1 after 20 attempts");
    }

    @Override
    public void stop() {
        if (upstream != null) {
            upstream.close();
        }
    }
}
