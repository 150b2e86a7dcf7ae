package dev.rpzgate.testing;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.util.Map;

/**
 * Starts two test upstreams on 127.0.0.1 before rpzgate starts and points rpzgate at them:
 * {@link #primary()} first, {@link #secondary()} second. Both serve the same data: any name
 * resolves to 192.0.2.1 / 2001:db8::1 (TTL 300), plus the edge cases the tests ask for.
 */
public class UpstreamResource implements QuarkusTestResourceLifecycleManager {

    private static volatile TestUpstream primary;
    private static volatile TestUpstream secondary;

    public static TestUpstream primary() {
        return primary;
    }

    public static TestUpstream secondary() {
        return secondary;
    }

    @Override
    public Map<String, String> start() {
        try {
            primary = withData(TestUpstream.start());
            secondary = withData(TestUpstream.start());
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the test upstreams", e);
        }
        // Tests that make the primary fail a name or two must not mark it down for the tests that
        // run next and expect their queries there, so no failure streak ends its rotation here.
        return Map.of(
                "rpzgate.upstreams", primary.address() + "," + secondary.address(),
                "rpzgate.upstream.timeout", "500ms",
                "rpzgate.upstream.health.max-failures", "1000",
                "rpzgate.tcp.idle-timeout", "1s");
    }

    /** Loads the data every end-to-end test expects from the upstream. */
    static TestUpstream withData(TestUpstream upstream) {
        upstream.answerAnyName("192.0.2.1", "2001:db8::1", 300);
        upstream.add("""
                walled-garden.example. 300 IN A 192.0.2.200
                cloak.example. 300 IN CNAME tracker.bad.example.
                tracker.bad.example. 300 IN A 192.0.2.66
                mx.example. 300 IN MX 10 mail1.example.
                respip.example. 300 IN A 198.51.100.7
                respip.example. 300 IN AAAA 2001:db8::7
                evilzone.example. 300 IN SOA ns.evil.example. hostmaster.evilzone.example. 1 3600 600 86400 60
                evilzone.example. 300 IN NS ns.evil.example.
                www.evilzone.example. 300 IN A 192.0.2.70
                badns.example. 300 IN SOA ns1.badns.example. hostmaster.badns.example. 1 3600 600 86400 60
                badns.example. 300 IN NS ns1.badns.example.
                ns1.badns.example. 300 IN A 192.0.2.80
                host.badns.example. 300 IN A 192.0.2.81
                """);
        for (int i = 1; i <= 8; i++) {
            upstream.add("bigtxt.example. 300 IN TXT \"" + ("chunk" + i + "-").repeat(25) + "\"");
        }
        return upstream;
    }

    @Override
    public void stop() {
        if (primary != null) {
            primary.close();
        }
        if (secondary != null) {
            secondary.close();
        }
    }
}
