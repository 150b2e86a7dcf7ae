package dev.rpzgate.wire;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * A host and port as written in configuration: {@code host}, {@code host:port},
 * {@code [v6]:port} or a bare IPv6 address. Host names are not looked up here, because rpzgate
 * must not depend on the system resolver to find its own upstream.
 */
public record HostPort(String host, int port) {

    /**
     * Parses {@code text}, taking {@code defaultPort} when it names no port.
     *
     * @throws IllegalArgumentException naming the text when it is not a host and port
     */
    public static HostPort parse(String text, int defaultPort) {
        String value = text.trim();
        if (value.isEmpty()) {
            throw new IllegalArgumentException("empty address, expected host[:port]");
        }
        String host;
        String port = null;
        if (value.startsWith("[")) {
            int close = value.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("invalid address '" + text + "': missing ']'");
            }
            host = value.substring(1, close);
            String rest = value.substring(close + 1);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) {
                    throw new IllegalArgumentException("invalid address '" + text + "': expected ':' after ']'");
                }
                port = rest.substring(1);
            }
        } else if (value.indexOf(':') != value.lastIndexOf(':')) {
            host = value; // a bare IPv6 address has several colons and no port
        } else {
            int colon = value.indexOf(':');
            host = colon < 0 ? value : value.substring(0, colon);
            port = colon < 0 ? null : value.substring(colon + 1);
        }
        if (host.isEmpty()) {
            throw new IllegalArgumentException("invalid address '" + text + "': empty host");
        }
        return new HostPort(host, port == null ? defaultPort : parsePort(text, port));
    }

    private static int parsePort(String text, String port) {
        try {
            int value = Integer.parseInt(port);
            if (value < 0 || value > 65535) {
                throw new NumberFormatException();
            }
            return value;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid port in '" + text + "': expected 0 to 65535");
        }
    }

    /**
     * Returns the socket address of an IP literal.
     *
     * @throws IllegalArgumentException when the host is not an IPv4 or IPv6 literal
     */
    public InetSocketAddress toSocketAddress() {
        if (!isIpLiteral(host)) {
            throw new IllegalArgumentException("'" + host + "' is not an IP address; give upstreams as IP literals");
        }
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("invalid IP address '" + host + "'", e);
        }
    }

    /** Whether {@code host} is an IPv4 dotted quad or an IPv6 literal, so no lookup is needed. */
    static boolean isIpLiteral(String host) {
        if (host.indexOf(':') >= 0) {
            return host.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == ':' || c == '.' || c == '%');
        }
        String[] parts = host.split("\\.", -1);
        if (parts.length != 4) {
            return false;
        }
        for (String part : parts) {
            if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(Character::isDigit)
                    || Integer.parseInt(part) > 255) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}
