package dev.rpzgate.source.transfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.SecureRandom;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Name;
import org.xbill.DNS.TSIG;

class TsigKeyTest {

    private static final String SECRET = randomSecret();

    private static String randomSecret() {
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        return Base64.getEncoder().encodeToString(secret);
    }

    @Test
    void missingAlgorithmIsHmacSha256() {
        TsigKey key = TsigKey.of("transfer-key", null, SECRET);

        assertThat(key.algorithm()).isEqualTo(TSIG.HMAC_SHA256);
        assertThat(key.name()).isEqualTo(Name.fromConstantString("transfer-key."));
    }

    @Test
    void everyAlgorithmParses() {
        assertThat(TsigKey.of("k.", "hmac-md5", SECRET).algorithm()).isEqualTo(TSIG.HMAC_MD5);
        assertThat(TsigKey.of("k.", "hmac-sha1", SECRET).algorithm()).isEqualTo(TSIG.HMAC_SHA1);
        assertThat(TsigKey.of("k.", "hmac-sha224", SECRET).algorithm()).isEqualTo(TSIG.HMAC_SHA224);
        assertThat(TsigKey.of("k.", "HMAC-SHA256", SECRET).algorithm()).isEqualTo(TSIG.HMAC_SHA256);
        assertThat(TsigKey.of("k.", "hmac-sha384.", SECRET).algorithm()).isEqualTo(TSIG.HMAC_SHA384);
        assertThat(TsigKey.of("k.", "hmac-sha512", SECRET).algorithm()).isEqualTo(TSIG.HMAC_SHA512);
    }

    @Test
    void algorithmLabelMatchesConfiguration() {
        assertThat(TsigKey.of("k.", "hmac-sha384", SECRET).algorithmLabel()).isEqualTo("hmac-sha384");
    }

    @Test
    void unknownAlgorithmIsRejected() {
        assertThatThrownBy(() -> TsigKey.of("k.", "hmac-sha3", SECRET))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unsupported TSIG algorithm 'hmac-sha3' for key k.")
                .hasMessageContaining("hmac-sha256");
    }

    @Test
    void invalidSecretIsRejectedWithoutQuotingIt() {
        assertThatThrownBy(() -> TsigKey.of("k.", null, "not base64 !"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("TSIG key k.: secret is not valid base64");
    }

    @Test
    void emptySecretIsRejected() {
        assertThatThrownBy(() -> TsigKey.of("k.", null, ""))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("TSIG key k.: secret is empty");
    }

    @Test
    void toStringLeavesSecretOut() {
        TsigKey key = TsigKey.of("k.", null, SECRET);

        assertThat(key.toString()).isEqualTo("TsigKey[k. hmac-sha256]");
        assertThat(key.toString()).doesNotContain(SECRET);
    }
}
