package dev.rpzgate.source.transfer;

import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.time.Duration;

/** Formats durations and addresses for log lines and error messages. */
final class Formats {

    private Formats() {}

    /** Returns {@code duration} in the largest unit that shows it exactly: {@code 2 h}, {@code 90 s}, {@code 250 ms}. */
    static String duration(Duration duration) {
        long millis = duration.toMillis();
        if (millis % 1000 != 0) {
            return millis + " ms";
        }
        long seconds = millis / 1000;
        if (seconds == 0 || seconds % 60 != 0) {
            return seconds + " s";
        }
        long minutes = seconds / 60;
        if (minutes % 60 != 0) {
            return minutes + " min";
        }
        return minutes / 60 + " h";
    }

    /** Returns {@code 192.0.2.1:53} or {@code [2001:db8::1]:53}, without the leading slash of {@link InetSocketAddress#toString()}. */
    static String address(InetSocketAddress address) {
        String host = address.getAddress().getHostAddress();
        if (address.getAddress() instanceof Inet6Address) {
            host = "[" + host + "]";
        }
        return host + ":" + address.getPort();
    }
}
