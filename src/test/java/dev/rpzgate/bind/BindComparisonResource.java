package dev.rpzgate.bind;

import dev.rpzgate.testing.TestUpstream;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.xbill.DNS.Name;

/**
 * Starts the test upstream and a BIND named on 127.0.0.1 before rpzgate starts, loads the same
 * policy zones with the same settings into named and rpzgate, and points both at the same
 * upstream.
 *
 * <p>named runs with {@code qname-wait-recurse no}, because rpzgate applies QNAME rules without
 * asking the upstream. With BIND's default ({@code yes}) named would resolve every query name
 * before it looks at the rules, so a failing upstream would turn a blocked name into SERVFAIL.
 * {@code break-dnssec} stays at its default ({@code no}) on both servers; named then still asks the
 * upstream first for queries with DO set, and rewrites because the upstream's answers are unsigned.
 * {@code max-policy-ttl} is 5 seconds on both, BIND's default and rpzgate's, except where a zone
 * sets its own. {@code nsdname-wait-recurse} and {@code nsip-wait-recurse} keep BIND's default
 * ({@code yes}), but named as a forwarder still applies NSDNAME and NSIP rules only to name
 * servers already in its cache: the scenarios show it.
 */
public class BindComparisonResource implements QuarkusTestResourceLifecycleManager {

    /** Directory of the policy zones and scenario files, relative to the project directory. */
    static final Path BIND_RESOURCES = Path.of("src/test/resources/bind");

    /** Directory of named's configuration and log, kept after the run for reading. */
    static final Path WORK_DIRECTORY = Path.of("target/bind-comparison");

    /** The max-policy-ttl of zones that do not set their own, in seconds, on both servers. */
    static final long DEFAULT_MAX_POLICY_TTL_SECONDS = 5;

    /** BIND's boolean zone options, which rpzgate takes under the same name as true or false. */
    private static final Set<String> BOOLEAN_OPTIONS =
            Set.of("add-soa", "log", "recursive-only", "nsip-enable", "nsdname-enable");

    /**
     * A policy zone of the comparison.
     *
     * @param origin zone name
     * @param file zone file name in {@link #BIND_RESOURCES}
     * @param options BIND's per-zone options, such as {@code policy nxdomain}. rpzgate gets the
     *     same settings from {@link #rpzgateSettings}.
     */
    record ComparedZone(Name origin, String file, Map<String, String> options) {

        Path path() {
            return BIND_RESOURCES.resolve(file).toAbsolutePath();
        }

        /** Returns the zone's max-policy-ttl in seconds. */
        long maxPolicyTtlSeconds() {
            String value = options.get("max-policy-ttl");
            return value == null ? DEFAULT_MAX_POLICY_TTL_SECONDS : Long.parseLong(value);
        }
    }

    /** The policy zones in precedence order: the first zone with a rule for a name wins. */
    static final List<ComparedZone> ZONES = List.of(
            zone("first.rpz.", "first.zone"),
            zone("second.rpz.", "second.zone"),
            zone("third.rpz.", "third.zone"),
            zone("example-copy.rpz.", "example-copy.zone"),
            zone("nxdomain-override.rpz.", "nxdomain-override.zone", "policy", "nxdomain"),
            zone("disabled.rpz.", "disabled.zone", "policy", "disabled"),
            zone("cname-override.rpz.", "cname-override.zone", "policy", "cname walled-garden.example."),
            zone("settings.rpz.", "settings.zone", "max-policy-ttl", "30", "add-soa", "no", "recursive-only", "no"),
            zone("passthru-override.rpz.", "passthru-override.zone", "policy", "passthru"),
            zone("drop-override.rpz.", "drop-override.zone", "policy", "drop"),
            zone("tcponly-override.rpz.", "tcponly-override.zone", "policy", "tcp-only"),
            zone("nodata-override.rpz.", "nodata-override.zone", "policy", "nodata"),
            zone("quiet.rpz.", "quiet.zone", "log", "no", "nsip-enable", "no", "nsdname-enable", "no"),
            zone("clients.rpz.", "clients.zone"),
            zone("response-ip.rpz.", "response-ip.zone"),
            zone("nameservers.rpz.", "nameservers.zone"));

    private static volatile TestUpstream upstream;
    private static volatile BindServer bind;

    /** Returns the running named. */
    static BindServer bind() {
        return bind;
    }

    /** Returns the largest max-policy-ttl of any zone, in seconds. */
    static long largestMaxPolicyTtlSeconds() {
        return ZONES.stream().mapToLong(ComparedZone::maxPolicyTtlSeconds).max().orElse(DEFAULT_MAX_POLICY_TTL_SECONDS);
    }

    @Override
    public Map<String, String> start() {
        try {
            upstream = withComparisonData(TestUpstream.start());
            BindServer.Builder builder = BindServer.builder(WORK_DIRECTORY)
                    .forwarder(upstream.socketAddress())
                    .responsePolicyOption("qname-wait-recurse", "no")
                    .responsePolicyOption("max-policy-ttl", Long.toString(DEFAULT_MAX_POLICY_TTL_SECONDS));
            for (ComparedZone zone : ZONES) {
                builder.zone(new BindServer.ResponsePolicyZone(zone.origin(), zone.path(), zone.options()));
            }
            bind = builder.start();
        } catch (Exception e) {
            stop();
            throw new IllegalStateException("cannot start the upstream and named for the BIND comparison: "
                    + e.getMessage(), e);
        }

        Map<String, String> config = new HashMap<>(rpzgateSettings(ZONES));
        config.put("rpzgate.upstreams", upstream.address());
        config.put("rpzgate.policy.max-policy-ttl", DEFAULT_MAX_POLICY_TTL_SECONDS + "s");
        return config;
    }

    /**
     * Returns rpzgate's {@code rpzgate.policy.zones[N].*} properties for the zones: the file, the
     * origin, and each BIND option under the setting of the same name.
     *
     * @throws IllegalArgumentException for a BIND option that rpzgate has no setting for
     */
    static Map<String, String> rpzgateSettings(List<ComparedZone> zones) {
        Map<String, String> settings = new LinkedHashMap<>();
        for (int i = 0; i < zones.size(); i++) {
            ComparedZone zone = zones.get(i);
            String prefix = "rpzgate.policy.zones[" + i + "].";
            settings.put(prefix + "file", zone.path().toString());
            settings.put(prefix + "origin", zone.origin().toString());
            zone.options().forEach((option, value) -> {
                if (option.equals("policy")) {
                    settings.put(prefix + "policy", value);
                } else if (option.equals("max-policy-ttl")) {
                    settings.put(prefix + "max-policy-ttl", value + "s");
                } else if (BOOLEAN_OPTIONS.contains(option)) {
                    settings.put(prefix + option, Boolean.toString(value.equals("yes")));
                } else {
                    throw new IllegalArgumentException("zone " + zone.origin() + ": no rpzgate setting for BIND's "
                            + option);
                }
            });
        }
        return settings;
    }

    /**
     * Loads the upstream data that the scenarios ask about. No catch-all answer is set: names
     * under {@code test.} and {@code example.} exist through wildcards, and {@code nx.test.} is a
     * zone apex without one, so names below it are NXDOMAIN with its SOA. Every TTL is 300
     * seconds, above every max-policy-ttl, as {@link AnswerDiff} requires of upstream records.
     * named counts the TTLs of cached records down, so they stay above it for the first 270
     * seconds of a run. The whole comparison took about 20 seconds on a 2-core machine.
     */
    static TestUpstream withComparisonData(TestUpstream upstream) {
        upstream.add("""
                *.test.                 300 IN A     192.0.2.1
                *.test.                 300 IN AAAA  2001:db8::1
                *.example.              300 IN A     192.0.2.1
                *.example.              300 IN AAAA  2001:db8::1
                nx.test.                300 IN SOA   ns.nx.test. hostmaster.nx.test. 1 3600 600 86400 300
                walled-garden.example.  300 IN A     192.0.2.200
                *.garden.example.       300 IN A     192.0.2.201
                *.sinkhole.example.     300 IN A     192.0.2.202
                alias.example.          300 IN CNAME target.example.
                target.example.         300 IN A     192.0.2.7
                cloak.example.          300 IN CNAME tracker.bad.example.
                tracker.bad.example.    300 IN A     192.0.2.66
                cloak-nodata.example.   300 IN CNAME nodata.test.
                cloak-local.example.    300 IN CNAME local.test.
                cloak-drop.example.     300 IN CNAME drop.test.
                cloak-tcponly.example.  300 IN CNAME tcponly.test.
                cloak-passthru.example. 300 IN CNAME ok.pt-block.test.
                cloak-garden.example.   300 IN CNAME garden.test.
                ipblock.example.        300 IN A     198.51.100.7
                ip24.example.           300 IN A     198.51.100.9
                ippass.example.         300 IN A     198.51.100.8
                iplocal.example.        300 IN A     198.51.100.10
                ipdrop.example.         300 IN A     198.51.100.11
                ip6block.example.       300 IN AAAA  2001:db8:bad::1
                ipcloak.example.        300 IN CNAME ipblock.example.
                ipmixed.example.        300 IN A     192.0.2.50
                ipmixed.example.        300 IN A     198.51.100.7
                nsbad.example.          300 IN SOA   ns1.evil.example. hostmaster.nsbad.example. 1 3600 600 86400 300
                nsbad.example.          300 IN NS    ns1.evil.example.
                www.nsbad.example.      300 IN A     192.0.2.31
                www2.nsbad.example.     300 IN A     192.0.2.33
                ns1.evil.example.       300 IN A     203.0.113.53
                nsip.example.           300 IN SOA   ns.ipbad.example. hostmaster.nsip.example. 1 3600 600 86400 300
                nsip.example.           300 IN NS    ns.ipbad.example.
                www.nsip.example.       300 IN A     192.0.2.32
                www2.nsip.example.      300 IN A     192.0.2.34
                ns.ipbad.example.       300 IN A     203.0.113.99
                """);
        for (int i = 1; i <= 8; i++) {
            upstream.add("bigtxt.example. 300 IN TXT \"" + ("chunk" + i + "-").repeat(25) + "\"");
        }
        return upstream;
    }

    @Override
    public void stop() {
        if (bind != null) {
            bind.close();
            bind = null;
        }
        if (upstream != null) {
            upstream.close();
            upstream = null;
        }
    }

    /** Returns a zone with BIND options given as alternating names and values. */
    private static ComparedZone zone(String origin, String file, String... optionsAndValues) {
        if (optionsAndValues.length % 2 != 0) {
            throw new IllegalArgumentException("zone " + origin + ": an option has no value");
        }
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 0; i < optionsAndValues.length; i += 2) {
            options.put(optionsAndValues[i], optionsAndValues[i + 1]);
        }
        return new ComparedZone(Name.fromConstantString(origin), file, Collections.unmodifiableMap(options));
    }
}
