package dev.rpzgate.bind;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.jboss.logging.Logger;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

/**
 * A BIND 9 {@code named} on 127.0.0.1 for tests: a forward-only resolver that sends every query
 * to one upstream on the loopback and applies the given response policy zones.
 *
 * <p>{@link Builder#start()} writes {@code named.conf} into a work directory, starts
 * {@code named -g} (foreground, log to {@code named.log} in that directory) on a free port, and
 * returns once named has loaded every policy zone. {@link #close()} stops that one
 * process. The work directory is kept, so its configuration and log can be read after a run.
 *
 * <p>named listens on 127.0.0.1 only and sends queries only to the forwarder: recursion is
 * forward-only, the root hints name 127.0.0.1, DNSSEC validation is off, and there is no control
 * channel, NOTIFY or zone transfer.
 */
public final class BindServer implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(BindServer.class);

    /** Where Debian's bind9 package installs named. */
    private static final Path DEBIAN_NAMED = Path.of("/usr/sbin/named");

    private static final InetAddress LOOPBACK = loopback();
    private static final Duration SOA_RECEIVE_TIMEOUT = Duration.ofMillis(250);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(15);
    private static final int LOG_TAIL_LINES = 40;

    /** Options that BIND 9.18 accepts after a zone inside {@code response-policy { ... }}. */
    private static final Set<String> ZONE_OPTIONS = Set.of("add-soa", "log", "max-policy-ttl",
            "min-update-interval", "policy", "recursive-only", "nsip-enable", "nsdname-enable");

    /** Options that BIND 9.18 accepts after the closing brace of {@code response-policy}. */
    private static final Set<String> GLOBAL_OPTIONS = Set.of("add-soa", "break-dnssec", "max-policy-ttl",
            "min-update-interval", "min-ns-dots", "nsip-wait-recurse", "nsdname-wait-recurse",
            "qname-wait-recurse", "recursive-only", "nsip-enable", "nsdname-enable");

    private static final Set<String> BOOLEAN_OPTIONS = Set.of("add-soa", "log", "recursive-only", "nsip-enable",
            "nsdname-enable", "break-dnssec", "nsip-wait-recurse", "nsdname-wait-recurse", "qname-wait-recurse");
    private static final Set<String> DURATION_OPTIONS = Set.of("max-policy-ttl", "min-update-interval");
    private static final Pattern DURATION = Pattern.compile("(?i)\\d+[smhdw]?|P[0-9A-Z]+");
    private static final Pattern POLICY = Pattern.compile("given|disabled|passthru|drop|tcp-only|nxdomain|nodata"
            + "|no-op|cname [A-Za-z0-9*._-]+");

    private final Process process;
    private final int port;
    private final Path workDirectory;
    private final Thread shutdownHook;

    private BindServer(Process process, int port, Path workDirectory) {
        this.process = process;
        this.port = port;
        this.workDirectory = workDirectory;
        this.shutdownHook = new Thread(this::stopProcess, "named-" + port + "-stop");
    }

    /**
     * A zone of the {@code response-policy} statement and the zone file it is loaded from.
     *
     * @param origin zone name, absolute
     * @param file zone file, absolute
     * @param options BIND's per-zone options in the order they are written, such as
     *     {@code policy given} or {@code max-policy-ttl 30}
     */
    public record ResponsePolicyZone(Name origin, Path file, Map<String, String> options) {

        public ResponsePolicyZone {
            Objects.requireNonNull(origin, "origin");
            Objects.requireNonNull(file, "file");
            if (!origin.isAbsolute()) {
                throw new IllegalArgumentException("zone origin must be absolute: " + origin);
            }
            if (!file.isAbsolute() || file.toString().contains("\"")) {
                throw new IllegalArgumentException("zone file must be an absolute path without quotes: " + file);
            }
            options.forEach((option, value) -> validateOption(ZONE_OPTIONS, option, value));
            options = Collections.unmodifiableMap(new LinkedHashMap<>(options));
        }

        /** Returns a zone without options of its own. */
        public static ResponsePolicyZone of(Name origin, Path file) {
            return new ResponsePolicyZone(origin, file, Map.of());
        }

        /** Returns a copy with {@code option} set to {@code value}, for example {@code with("log", "no")}. */
        public ResponsePolicyZone with(String option, String value) {
            Map<String, String> copy = new LinkedHashMap<>(options);
            copy.put(option, value);
            return new ResponsePolicyZone(origin, file, copy);
        }
    }

    /** Returns a builder whose files go to {@code workDirectory}, which is emptied first. */
    public static Builder builder(Path workDirectory) {
        return new Builder(workDirectory);
    }

    /** Settings of the server to start. */
    public static final class Builder {

        private final Path workDirectory;
        private InetSocketAddress forwarder;
        private final List<ResponsePolicyZone> zones = new ArrayList<>();
        private final Map<String, String> policyOptions = new LinkedHashMap<>();
        private Duration readinessTimeout = Duration.ofSeconds(60);

        private Builder(Path workDirectory) {
            this.workDirectory = workDirectory.toAbsolutePath();
        }

        /** Sets the upstream that named forwards every query to, which must be on the loopback. */
        public Builder forwarder(InetSocketAddress upstream) {
            if (!upstream.getAddress().isLoopbackAddress()) {
                throw new IllegalArgumentException("the forwarder must be a loopback address, got " + upstream);
            }
            this.forwarder = upstream;
            return this;
        }

        /** Adds a response policy zone after the ones added so far: earlier zones take precedence. */
        public Builder zone(ResponsePolicyZone zone) {
            zones.add(zone);
            return this;
        }

        /** Sets an option of the whole {@code response-policy} statement, such as {@code qname-wait-recurse no}. */
        public Builder responsePolicyOption(String option, String value) {
            validateOption(GLOBAL_OPTIONS, option, value);
            policyOptions.put(option, value);
            return this;
        }

        /** Sets how long {@link #start()} waits for named to be ready. */
        public Builder readinessTimeout(Duration timeout) {
            this.readinessTimeout = timeout;
            return this;
        }

        /**
         * Writes the configuration and starts named.
         *
         * @throws IllegalStateException if named is not installed, exits, or is not ready in time.
         *     The message then ends with named's last log lines.
         * @throws IOException if the work directory cannot be written
         */
        public BindServer start() throws IOException {
            Objects.requireNonNull(forwarder, "forwarder");
            Path named = findNamed();
            recreateDirectory(workDirectory);
            int port = findFreePort();
            Path config = workDirectory.resolve("named.conf");
            Files.writeString(workDirectory.resolve("root.hint"), ROOT_HINTS, StandardCharsets.US_ASCII);
            Files.writeString(config, namedConf(port), StandardCharsets.UTF_8);

            Process process = new ProcessBuilder(named.toString(), "-g", "-4", "-c", config.toString())
                    .directory(workDirectory.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(workDirectory.resolve("named.log").toFile())
                    .start();
            BindServer server = new BindServer(process, port, workDirectory);
            Runtime.getRuntime().addShutdownHook(server.shutdownHook);
            LOG.infof("started named (pid %d) on 127.0.0.1:%d, forwarding to %s:%d; files in %s",
                    process.pid(), port, forwarder.getAddress().getHostAddress(), forwarder.getPort(), workDirectory);

            try {
                server.awaitReady(zones.stream().map(ResponsePolicyZone::origin).toList(), readinessTimeout);
            } catch (RuntimeException e) {
                server.close();
                throw e;
            }
            return server;
        }

        private String namedConf(int port) {
            String directory = quote(workDirectory.toString());
            String forwarderAddress = forwarder.getAddress().getHostAddress();
            // rrset-order none keeps records in the order of named's database instead of rotating
            // them per answer, so a truncated answer always keeps the same records. There is no
            // control channel: the test stops named through its process, never through rndc.
            String options = """
                    // Written by %s for one test run.
                    options {
                        directory %s;
                        pid-file "named.pid";
                        lock-file "named.lock";
                        managed-keys-directory %s;
                        session-keyfile none;
                        listen-on port %d { 127.0.0.1; };
                        listen-on-v6 { none; };
                        query-source address 127.0.0.1;
                        recursion yes;
                        allow-query { 127.0.0.0/8; };
                        allow-recursion { 127.0.0.0/8; };
                        allow-query-cache { 127.0.0.0/8; };
                        allow-transfer { none; };
                        forward only;
                        forwarders { %s port %d; };
                        dnssec-validation no;
                        qname-minimization off;
                        notify no;
                        empty-zones-enable no;
                        automatic-interface-scan no;
                        max-cache-size 32m;
                        rrset-order { order none; };
                        version none;
                        hostname none;
                        server-id none;
                    %s};

                    controls { };

                    zone "." { type hint; file "root.hint"; };
                    """.formatted(BindServer.class.getName(), directory, directory, port, forwarderAddress,
                    forwarder.getPort(), responsePolicyStatement());

            StringBuilder conf = new StringBuilder(options);
            for (ResponsePolicyZone zone : zones) {
                conf.append("zone ").append(quote(zone.origin().toString())).append(" { type primary; file ")
                        .append(quote(zone.file().toString())).append("; notify no; };\n");
            }
            return conf.toString();
        }

        /** Returns the {@code response-policy} statement of the options block, or "" without zones. */
        private String responsePolicyStatement() {
            if (zones.isEmpty()) {
                return "";
            }
            StringBuilder statement = new StringBuilder("    response-policy {\n");
            for (ResponsePolicyZone zone : zones) {
                statement.append("        zone ").append(quote(zone.origin().toString()));
                zone.options().forEach((option, value) -> statement.append(' ').append(option).append(' ').append(value));
                statement.append(";\n");
            }
            statement.append("    }");
            policyOptions.forEach((option, value) -> statement.append(' ').append(option).append(' ').append(value));
            statement.append(";\n");
            return statement.toString();
        }
    }

    /**
     * Root hints that name a server on 127.0.0.1, so that named never contacts the real root
     * servers, whose addresses it would otherwise take from its built-in hints.
     */
    private static final String ROOT_HINTS = """
            .                         3600000 IN NS fake-root.hints.invalid.
            fake-root.hints.invalid.  3600000 IN A  127.0.0.1
            """;

    /** Returns the UDP and TCP port that named listens on, on 127.0.0.1. */
    public int port() {
        return port;
    }

    /** Returns named's listening address. */
    public InetSocketAddress address() {
        return new InetSocketAddress(LOOPBACK, port);
    }

    /** Returns the directory that contains named.conf, named.log and named's other files. */
    public Path workDirectory() {
        return workDirectory;
    }

    /** Returns the last {@code lines} lines of named's log. */
    public String logTail(int lines) {
        Path log = workDirectory.resolve("named.log");
        try {
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e.getMessage() + ")";
        }
    }

    /** Stops named: SIGTERM to its process, then SIGKILL if it has not exited after 15 seconds. */
    @Override
    public void close() {
        stopProcess();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // The JVM is already shutting down, and the hook runs or has run stopProcess itself.
        }
    }

    private void stopProcess() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warnf("named (pid %d) did not exit %s after SIGTERM; killing it", process.pid(), STOP_TIMEOUT);
                process.destroyForcibly();
                process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        LOG.infof("stopped named (pid %d)", process.pid());
    }

    /**
     * Waits until named answers the SOA query of every policy zone and has logged, for each, that
     * it built the zone's policy summary. named loads a zone and answers queries before the
     * summary is in place, and a query it answers in that gap is forwarded without a rewrite.
     */
    private void awaitReady(List<Name> policyZones, Duration timeout) {
        try {
            Awaitility.await("named on port " + port + " is ready")
                    .atMost(timeout)
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> isReady(policyZones));
        } catch (ConditionTimeoutException e) {
            throw new IllegalStateException("named on 127.0.0.1:" + port + " was not ready within " + timeout
                    + ": it must answer the SOA of every policy zone and log \"rpz: ZONE: reload done\" for each of "
                    + policyZones + ". Last lines of " + workDirectory.resolve("named.log") + ":\n"
                    + logTail(LOG_TAIL_LINES), e);
        }
    }

    /** Returns whether named serves every policy zone and has its summary; throws if named has exited. */
    private boolean isReady(List<Name> policyZones) throws IOException {
        if (!process.isAlive()) {
            throw new IllegalStateException("named exited with status " + process.exitValue()
                    + " before it was ready. Last lines of " + workDirectory.resolve("named.log") + ":\n"
                    + logTail(LOG_TAIL_LINES));
        }
        String log = Files.readString(workDirectory.resolve("named.log"), StandardCharsets.UTF_8);
        for (Name zone : policyZones) {
            // BIND 9.18 logs "rpz: first.rpz: reload done: success" once the summary is in place.
            if (!log.contains("rpz: " + zone.toString(true) + ": reload done")) {
                return false;
            }
            Message answer = askSoa(zone);
            if (answer == null || answer.getRcode() != Rcode.NOERROR) {
                return false;
            }
        }
        return true;
    }

    /** Returns named's answer to the SOA query of {@code zone}, or null when none came in time. */
    private Message askSoa(Name zone) throws IOException {
        Message query = Message.newQuery(Record.newRecord(zone, Type.SOA, DClass.IN));
        byte[] wire = query.toWire();
        // An unconnected socket, so that an ICMP port-unreachable before named listens is
        // ignored and the receive timeout paces the polling.
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
            socket.setSoTimeout((int) SOA_RECEIVE_TIMEOUT.toMillis());
            socket.send(new DatagramPacket(wire, wire.length, LOOPBACK, port));
            DatagramPacket packet = new DatagramPacket(new byte[65535], 65535);
            socket.receive(packet);
            Message answer = new Message(Arrays.copyOf(packet.getData(), packet.getLength()));
            return answer.getHeader().getID() == query.getHeader().getID() ? answer : null;
        } catch (SocketTimeoutException e) {
            return null;
        }
    }

    /**
     * Returns the named executable: the system property {@code rpzgate.named}, else
     * {@code /usr/sbin/named}, else the first {@code named} on the PATH.
     *
     * @throws IllegalStateException telling how to install BIND when none is found
     */
    static Path findNamed() {
        String configured = System.getProperty("rpzgate.named");
        if (configured != null && !configured.isBlank()) {
            Path named = Path.of(configured);
            if (!Files.isExecutable(named)) {
                throw new IllegalStateException("-Drpzgate.named=" + configured + " is not an executable file");
            }
            return named;
        }
        if (Files.isExecutable(DEBIAN_NAMED)) {
            return DEBIAN_NAMED;
        }
        String path = System.getenv().getOrDefault("PATH", "");
        for (String directory : path.split(File.pathSeparator)) {
            if (!directory.isEmpty() && Files.isExecutable(Path.of(directory, "named"))) {
                return Path.of(directory, "named");
            }
        }
        throw new IllegalStateException("named (BIND 9) was not found in /usr/sbin or on the PATH, and the BIND "
                + "comparison tests need it. Install it with 'apt-get install bind9' (.ci/run does so on CI), "
                + "or point -Drpzgate.named=/path/to/named at one.");
    }

    private static void validateOption(Set<String> allowed, String option, String value) {
        if (!allowed.contains(option)) {
            throw new IllegalArgumentException("unknown response-policy option " + option + "; BIND 9.18 accepts "
                    + allowed.stream().sorted().toList() + " here");
        }
        boolean valid;
        if (BOOLEAN_OPTIONS.contains(option)) {
            valid = value.equals("yes") || value.equals("no");
        } else if (DURATION_OPTIONS.contains(option)) {
            valid = DURATION.matcher(value).matches();
        } else if (option.equals("policy")) {
            valid = POLICY.matcher(value).matches();
        } else {
            valid = value.matches("\\d+");
        }
        if (!valid) {
            throw new IllegalArgumentException("invalid value for response-policy option " + option + ": " + value);
        }
    }

    private static String quote(String text) {
        if (text.contains("\"") || text.contains("\\")) {
            throw new IllegalArgumentException("cannot quote for named.conf: " + text);
        }
        return "\"" + text + "\"";
    }

    /** Deletes {@code directory} with its content if it exists, then creates it empty. */
    private static void recreateDirectory(Path directory) throws IOException {
        if (Files.exists(directory)) {
            try (Stream<Path> paths = Files.walk(directory)) {
                for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(path);
                }
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
        }
        Files.createDirectories(directory);
    }

    /**
     * Returns a port that is free on 127.0.0.1 for both UDP and TCP. Another process could take it
     * before named binds it; named then logs that it cannot listen, and start() fails after its
     * readiness timeout with that log.
     */
    private static int findFreePort() throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            try (DatagramSocket udp = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0));
                    ServerSocket tcp = new ServerSocket()) {
                tcp.bind(new InetSocketAddress(LOOPBACK, udp.getLocalPort()));
                return udp.getLocalPort();
            } catch (BindException e) {
                // The TCP port is taken although the UDP port was free: try another one.
            }
        }
        throw new IOException("no port on 127.0.0.1 was free for both UDP and TCP after 50 attempts");
    }

    private static InetAddress loopback() {
        try {
            return InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
        } catch (IOException e) {
            throw new IllegalStateException("cannot build the address 127.0.0.1", e);
        }
    }
}
