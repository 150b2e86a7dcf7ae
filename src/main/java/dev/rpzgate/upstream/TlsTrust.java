package dev.rpzgate.upstream;

import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.TCPSSLOptions;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.util.Optional;

/** Trust anchors for upstream certificates: a PEM file when configured, else the JVM's default trust store. */
final class TlsTrust {

    private final Optional<Path> caFile;

    TlsTrust(Optional<Path> caFile) {
        this.caFile = caFile;
    }

    void apply(TCPSSLOptions options) {
        caFile.ifPresent(file -> options.setTrustOptions(new PemTrustOptions().addCertPath(file.toString())));
    }

    /**
     * Checks that {@code file} contains at least one PEM certificate, so that a wrong path fails at
     * start-up rather than on the first upstream connection.
     *
     * @throws IllegalArgumentException naming the file and the problem
     */
    static void check(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            if (CertificateFactory.getInstance("X.509").generateCertificates(in).isEmpty()) {
                throw new IllegalArgumentException("rpzgate.upstream.tls.ca-file " + file
                        + " contains no certificate; give a PEM file of CA certificates");
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("rpzgate.upstream.tls.ca-file " + file + " cannot be read: " + e, e);
        } catch (CertificateException e) {
            throw new IllegalArgumentException("rpzgate.upstream.tls.ca-file " + file
                    + " is not a PEM file of certificates: " + e.getMessage(), e);
        }
    }
}
