package dev.rpzgate.source.transfer;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionTimeoutException;
import org.awaitility.core.TerminalFailureException;
import org.xbill.DNS.Name;
import org.xbill.DNS.SOARecord;

/**
 * A Knot DNS primary server ({@code knotd}) on 127.0.0.1 for one zone, run from a temporary
 * directory as a child process of the test. It serves IXFR for every change made with
 * {@link #updateZone}, signs with a TSIG key when one is set, and can send NOTIFY to a port.
 *
 * <p>Knot DNS builds IXFR differences from zone-file edits only with {@code zonefile-load:
 * difference}: on each reload it compares the zone file with the zone it serves and stores the
 * difference in its journal ({@code journal-content: changes}). {@code zonefile-sync: -1} stops
 * knotd from writing the zone back into the file that the test edits.
 *
 * <p>{@link #close()} destroys only the process this fixture started.
 */
public final class KnotPrimary implements AutoCloseable {

    public static final Name ZONE = Name.fromConstantString("rpz.test.");
    public static final Name KEY_NAME = Name.fromConstantString("transfer-key.");

    private static final Duration START_TIMEOUT = Duration.ofSeconds(20);
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(20);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
    private static final int MAX_BIND_ATTEMPTS = 50;
    private static final InetAddress LOOPBACK = loopback();

    private final Path directory;
    private final int port;
    private final Integer notifyPort;
    private final boolean provideIxfr;
    private final String soaTimers;
    private TsigKey key;
    private Process process;

    /**
     * Starts knotd with the zone {@code rpz.test.} at {@code serial} holding {@code rules}, zone-file
     * lines relative to the zone.
     *
     * @param key key that transfers must be signed with, or null to allow unsigned transfers from 127.0.0.1
     * @param notifyPort port on 127.0.0.1 that knotd sends NOTIFY to after each change, or null
     * @param provideIxfr false to make knotd respond to IXFR requests with the whole zone
     * @param soaTimers refresh, retry, expire and minimum of the SOA record, such as {@code 3600 600 86400 60}
     */
    public static KnotPrimary start(Path directory, TsigKey key, Integer notifyPort, boolean provideIxfr, String soaTimers,
                             long serial, List<String> rules) throws IOException {
        KnotPrimary primary = new KnotPrimary(directory, key, notifyPort, provideIxfr, soaTimers);
        primary.writeConfig();
        primary.writeZone(serial, rules);
        primary.launch();
        try {
            primary.awaitSerial(serial);
        } catch (AssertionError e) {
            // The caller gets no primary to close, so a knotd that never served the zone stops here.
            try {
                primary.close();
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
            }
            throw e;
        }
        return primary;
    }

    /** Returns a new hmac-sha256 key with a random 32-byte secret. */
    public static TsigKey randomKey() {
        return randomKey("hmac-sha256");
    }

    /** Returns a new key of {@code algorithm}, such as {@code hmac-sha1}, with a random 32-byte secret. */
    public static TsigKey randomKey(String algorithm) {
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        return TsigKey.of(KEY_NAME.toString(), algorithm, Base64.getEncoder().encodeToString(secret));
    }

    private KnotPrimary(Path directory, TsigKey key, Integer notifyPort, boolean provideIxfr, String soaTimers) {
        this.directory = directory;
        this.key = key;
        this.notifyPort = notifyPort;
        this.provideIxfr = provideIxfr;
        this.soaTimers = soaTimers;
        this.port = freePort();
    }

    /** Returns the address knotd listens on for UDP and TCP. */
    public InetSocketAddress address() {
        return new InetSocketAddress(LOOPBACK, port);
    }

    /**
     * Rewrites the zone file with {@code serial} and {@code rules}, makes knotd load it with
     * {@code knotc zone-reload}, and waits until knotd serves the new serial.
     */
    public void updateZone(long serial, List<String> rules) throws IOException {
        writeZone(serial, rules);
        knotc("zone-reload", ZONE.toString());
        awaitSerial(serial);
    }

    /** Replaces the TSIG key with {@code newKey} of the same name, as a key rotation on the primary does. */
    void replaceKey(TsigKey newKey) throws IOException {
        this.key = newKey;
        writeConfig();
        knotc("reload");
        await("knotd accepts the new key").atMost(START_TIMEOUT).ignoreExceptions()
                .until(() -> SoaQuery.query(ZONE, address(), newKey, Duration.ofSeconds(2)) != null);
    }

    /** Returns the end of knotd's log, for assertion messages. */
    public String logTail() {
        try {
            List<String> lines = Files.readAllLines(directory.resolve("knotd.log"), StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(knotd.log unreadable: " + e.getMessage() + ")";
        }
    }

    /** Stops knotd, the process this fixture started, and waits until it has exited. */
    @Override
    public void close() throws InterruptedException {
        if (process == null || !process.isAlive()) {
            return;
        }
        process.destroy();
        if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void launch() throws IOException {
        Path knotd = findProgram("knotd");
        process = new ProcessBuilder(knotd.toString(), "-c", directory.resolve("knot.conf").toString())
                .directory(directory.toFile())
                .redirectErrorStream(true)
                .redirectOutput(directory.resolve("knotd.log").toFile())
                .start();
    }

    private void awaitSerial(long serial) {
        TsigKey queryKey = key;
        try {
            await("knotd serves zone " + ZONE + " at serial " + serial).atMost(START_TIMEOUT).ignoreExceptions()
                    .failFast("knotd exited", () -> !process.isAlive())
                    .until(() -> {
                        SOARecord soa = SoaQuery.query(ZONE, address(), queryKey, Duration.ofSeconds(2));
                        return soa.getSerial() == serial;
                    });
        } catch (ConditionTimeoutException | TerminalFailureException e) {
            throw new AssertionError(e.getMessage() + "; knotd log:\n" + logTail(), e);
        }
    }

    private void knotc(String... command) throws IOException {
        List<String> arguments = new ArrayList<>();
        arguments.add(findProgram("knotc").toString());
        arguments.add("-c");
        arguments.add(directory.resolve("knot.conf").toString());
        arguments.add("-b");
        arguments.addAll(List.of(command));
        Path output = directory.resolve("knotc.log");
        Process knotc = new ProcessBuilder(arguments).directory(directory.toFile()).redirectErrorStream(true)
                .redirectOutput(output.toFile()).start();
        try {
            if (!knotc.waitFor(COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                knotc.destroyForcibly();
                throw new AssertionError("knotc " + String.join(" ", command) + " did not finish within "
                        + COMMAND_TIMEOUT.toSeconds() + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            knotc.destroyForcibly();
            throw new AssertionError("interrupted while waiting for knotc", e);
        }
        if (knotc.exitValue() != 0) {
            throw new AssertionError("knotc " + String.join(" ", command) + " failed with status " + knotc.exitValue()
                    + ": " + Files.readString(output) + "\nknotd log:\n" + logTail());
        }
    }

    private void writeZone(long serial, List<String> rules) throws IOException {
        StringBuilder zone = new StringBuilder();
        zone.append("$ORIGIN ").append(ZONE).append('\n');
        zone.append("$TTL 300\n");
        zone.append("@ SOA ns.rpz.test. admin.rpz.test. ").append(serial).append(' ').append(soaTimers).append('\n');
        // An NS target outside the zone needs no address record, which would be a policy rule here.
        zone.append("@ NS localhost.\n");
        for (String rule : rules) {
            zone.append(rule).append('\n');
        }
        Files.writeString(directory.resolve("rpz.test.zone"), zone.toString());
    }

    private void writeConfig() throws IOException {
        Files.createDirectories(directory.resolve("run"));
        Files.createDirectories(directory.resolve("db"));
        StringBuilder conf = new StringBuilder();
        conf.append("server:\n")
                .append("    rundir: \"").append(directory.resolve("run")).append("\"\n")
                .append("    listen: 127.0.0.1@").append(port).append('\n')
                .append("    udp-workers: 1\n")
                .append("    tcp-workers: 1\n")
                .append("    background-workers: 1\n")
                .append("database:\n")
                .append("    storage: \"").append(directory.resolve("db")).append("\"\n")
                .append("    journal-db-max-size: 64M\n")
                .append("    kasp-db-max-size: 8M\n")
                .append("    timer-db-max-size: 8M\n")
                .append("    catalog-db-max-size: 8M\n")
                .append("control:\n")
                .append("    listen: \"").append(directory.resolve("run/knot.sock")).append("\"\n")
                .append("log:\n")
                .append("  - target: stdout\n")
                .append("    any: info\n");
        if (key != null) {
            conf.append("key:\n")
                    .append("  - id: ").append(key.name()).append('\n')
                    .append("    algorithm: ").append(key.algorithmLabel()).append('\n')
                    .append("    secret: ").append(key.secret()).append('\n');
        }
        if (notifyPort != null) {
            conf.append("remote:\n")
                    .append("  - id: secondary\n")
                    .append("    address: 127.0.0.1@").append(notifyPort).append('\n');
            if (key != null) {
                conf.append("    key: ").append(key.name()).append('\n');
            }
        }
        conf.append("acl:\n")
                .append("  - id: transfer\n")
                .append("    action: transfer\n");
        if (key != null) {
            conf.append("    key: ").append(key.name()).append('\n');
        } else {
            conf.append("    address: 127.0.0.0/8\n");
        }
        conf.append("template:\n")
                .append("  - id: default\n")
                .append("    storage: \"").append(directory).append("\"\n")
                .append("    zonefile-load: difference\n")
                .append("    journal-content: changes\n")
                .append("    zonefile-sync: -1\n")
                .append("    provide-ixfr: ").append(provideIxfr ? "on" : "off").append('\n')
                .append("zone:\n")
                .append("  - domain: ").append(ZONE).append('\n')
                .append("    file: rpz.test.zone\n")
                .append("    acl: transfer\n");
        if (notifyPort != null) {
            conf.append("    notify: secondary\n");
        }
        Files.writeString(directory.resolve("knot.conf"), conf.toString());
    }

    /**
     * Finds a program on PATH or in the sbin directories, which a non-login shell may leave off
     * PATH.
     */
    static Path findProgram(String name) {
        List<String> directories = new ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null) {
            directories.addAll(List.of(path.split(":")));
        }
        directories.addAll(List.of("/usr/sbin", "/usr/local/sbin", "/sbin"));
        for (String directory : directories) {
            Path candidate = Path.of(directory, name);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        throw new AssertionError(name + " not found on PATH or in /usr/sbin; the zone transfer tests need"
                + " Knot DNS: install the Debian package knot (.ci/run installs it)");
    }

    /** Returns a port that is free for both UDP and TCP on 127.0.0.1 right now. */
    public static int freePort() {
        for (int attempt = 0; attempt < MAX_BIND_ATTEMPTS; attempt++) {
            try (ServerSocket tcp = new ServerSocket(0, 1, LOOPBACK)) {
                int candidate = tcp.getLocalPort();
                try (DatagramSocket udp = new DatagramSocket(new InetSocketAddress(LOOPBACK, candidate))) {
                    return candidate;
                } catch (IOException e) {
                    // Taken for UDP: try another.
                }
            } catch (IOException e) {
                throw new AssertionError("cannot open a TCP socket on 127.0.0.1", e);
            }
        }
        throw new AssertionError("no port free for both UDP and TCP on 127.0.0.1 after " + MAX_BIND_ATTEMPTS + " attempts");
    }

    private static InetAddress loopback() {
        try {
            return InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
