package dev.rpzgate.upstream;

import dev.rpzgate.wire.HostPort;

import java.net.InetSocketAddress;

/** One upstream resolver that rpzgate forwards to; {@code name} is its metric tag and log name. */
public record Upstream(String name, InetSocketAddress address) {

    public static Upstream of(HostPort hostPort) {
        return new Upstream(hostPort.toString(), hostPort.toSocketAddress());
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
}
