package dev.rpzgate.source.transfer;

import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.xbill.DNS.Name;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.TextParseException;

/**
 * A TSIG key (RFC 8945) shared with the primary servers of a zone.
 *
 * <p>{@link #toString()} leaves the secret out, so the key can be logged.
 *
 * @param name key name, absolute; it must equal the key's name on the primary
 * @param algorithm one of {@link TSIG#HMAC_MD5}, {@link TSIG#HMAC_SHA1}, {@link TSIG#HMAC_SHA224},
 *     {@link TSIG#HMAC_SHA256}, {@link TSIG#HMAC_SHA384} or {@link TSIG#HMAC_SHA512}
 * @param secret the shared secret in base64, as in BIND's and Knot's key statements
 */
public record TsigKey(Name name, Name algorithm, String secret) {

    /** Algorithm of a key whose configuration names none: the one that Knot DNS 3.2 {@code keymgr -t} generates by default. */
    public static final Name DEFAULT_ALGORITHM = TSIG.HMAC_SHA256;

    private static final Map<String, Name> ALGORITHMS = Map.of(
            "hmac-md5", TSIG.HMAC_MD5,
            "hmac-sha1", TSIG.HMAC_SHA1,
            "hmac-sha224", TSIG.HMAC_SHA224,
            "hmac-sha256", TSIG.HMAC_SHA256,
            "hmac-sha384", TSIG.HMAC_SHA384,
            "hmac-sha512", TSIG.HMAC_SHA512);

    private static final String SUPPORTED_ALGORITHMS =
            "hmac-md5, hmac-sha1, hmac-sha224, hmac-sha256, hmac-sha384, hmac-sha512";

    public TsigKey {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(secret, "secret");
        if (!name.isAbsolute()) {
            throw new IllegalArgumentException("TSIG key name must be absolute: " + name);
        }
        if (!ALGORITHMS.containsValue(algorithm)) {
            throw new IllegalArgumentException("unsupported TSIG algorithm " + algorithm
                    + " for key " + name + "; expected one of " + SUPPORTED_ALGORITHMS);
        }
        byte[] decoded;
        try {
            decoded = Base64.getDecoder().decode(secret.strip());
        } catch (IllegalArgumentException e) {
            // The exception message may quote part of the secret, so it is not passed on.
            throw new IllegalArgumentException("TSIG key " + name + ": secret is not valid base64");
        }
        if (decoded.length == 0) {
            throw new IllegalArgumentException("TSIG key " + name + ": secret is empty");
        }
        secret = secret.strip();
    }

    /**
     * Creates a key from configuration text.
     *
     * @param name key name; a name without a trailing dot is taken as absolute
     * @param algorithm {@code hmac-md5}, {@code hmac-sha1}, {@code hmac-sha224}, {@code hmac-sha256},
     *     {@code hmac-sha384} or {@code hmac-sha512}, in any letter case, or null for
     *     {@code hmac-sha256}
     * @param secret the shared secret in base64
     * @throws IllegalArgumentException naming the key when a value is invalid
     */
    public static TsigKey of(String name, String algorithm, String secret) {
        Objects.requireNonNull(name, "name");
        Name keyName;
        try {
            keyName = Name.fromString(name.strip(), Name.root);
        } catch (TextParseException e) {
            throw new IllegalArgumentException("invalid TSIG key name '" + name + "': " + e.getMessage(), e);
        }
        return new TsigKey(keyName, parseAlgorithm(keyName, algorithm), secret);
    }

    /**
     * Parses an algorithm as configuration writes it.
     *
     * @param algorithm {@code hmac-md5}, {@code hmac-sha1}, {@code hmac-sha224}, {@code hmac-sha256},
     *     {@code hmac-sha384} or {@code hmac-sha512}, in any letter case, or null for
     *     {@code hmac-sha256}
     * @throws IllegalArgumentException naming the algorithm when it is not supported
     */
    public static Name parseAlgorithm(String algorithm) {
        return parseAlgorithm(null, algorithm);
    }

    /** Returns the dnsjava key that signs requests and verifies responses. */
    public TSIG toTsig() {
        return new TSIG(algorithm, name, secret);
    }

    /** Returns the algorithm as configuration writes it, such as {@code hmac-sha256}. */
    public String algorithmLabel() {
        for (Map.Entry<String, Name> entry : ALGORITHMS.entrySet()) {
            if (entry.getValue().equals(algorithm)) {
                return entry.getKey();
            }
        }
        return algorithm.toString();
    }

    @Override
    public String toString() {
        return "TsigKey[" + name + " " + algorithmLabel() + "]";
    }

    private static Name parseAlgorithm(Name keyName, String algorithm) {
        if (algorithm == null || algorithm.isBlank()) {
            return DEFAULT_ALGORITHM;
        }
        String label = algorithm.strip().toLowerCase(Locale.ROOT);
        if (label.endsWith(".")) {
            label = label.substring(0, label.length() - 1);
        }
        Name parsed = ALGORITHMS.get(label);
        if (parsed == null) {
            String key = keyName == null ? "" : " for key " + keyName;
            throw new IllegalArgumentException("unsupported TSIG algorithm '" + algorithm + "'" + key
                    + "; expected one of " + SUPPORTED_ALGORITHMS);
        }
        return parsed;
    }
}
