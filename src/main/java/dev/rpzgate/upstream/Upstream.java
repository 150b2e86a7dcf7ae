package dev.rpzgate.upstream;

import dev.rpzgate.wire.HostPort;

import java.net.InetSocketAddress;

/**
 * One upstream resolver that rpzgate forwards to. {@code name} is the address as configured and is
 * the metric tag and log name. For DNS over TLS and DNS over HTTPS, {@code tlsName} is the name
 * that the server's certificate must carry and that is sent as SNI; when null, the certificate must
 * carry the IP address. {@code path} is the HTTP path of a DNS over HTTPS endpoint.
 */
public record Upstream(String name, InetSocketAddress address, Protocol protocol, String tlsName, String path) {

    /** Protocol that carries queries to the upstream. */
    public enum Protocol {
        /** UDP, and TCP when an answer is truncated (RFC 1035, RFC 7766). */
        DNS,
        /** DNS over TLS on one persistent, pipelined connection per event loop (RFC 7858). */
        TLS,
        /** DNS over HTTPS with POST and {@code application/dns-message} (RFC 8484). */
        HTTPS
    }

    /** Returns a plain DNS upstream at {@code hostPort}. */
    public static Upstream of(HostPort hostPort) {
        return new Upstream(hostPort.toString(), hostPort.toSocketAddress(), Protocol.DNS, null, null);
    }

    public String host() {
        return address.getAddress().getHostAddress();
    }

    public int port() {
        return address.getPort();
    }

    public boolean isIpv6() {
        return address.getAddress() instanceof java.net.Inet6Address;
    }

    /** Returns the name the TLS certificate is checked against: the configured name, else the IP address. */
    public String verifiedName() {
        return tlsName != null ? tlsName : host();
    }
}
