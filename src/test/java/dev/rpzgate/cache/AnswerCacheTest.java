package dev.rpzgate.cache;

import dev.rpzgate.testing.ManualCacheClock;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.rpzgate.cache.CacheMessages.answer;
import static dev.rpzgate.cache.CacheMessages.question;
import static dev.rpzgate.cache.CacheMessages.ttls;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AnswerCacheTest {

    private final ManualCacheClock clock = new ManualCacheClock();
    private final AtomicInteger sizeEvictions = new AtomicInteger();
    private final AtomicInteger expiryEvictions = new AtomicInteger();

    static CacheSettings settings() {
        return new CacheSettings(true, 64L << 20, Duration.ZERO, Duration.ofDays(1), Duration.ofHours(1), 3,
                Duration.ofDays(1), Duration.ofSeconds(30), Duration.ofSeconds(30));
    }

    private AnswerCache cache(CacheSettings settings) {
        CacheListener listener = new CacheListener() {
            @Override
            public void evicted(boolean sizeBound) {
                (sizeBound ? sizeEvictions : expiryEvictions).incrementAndGet();
            }
        };
        return new AnswerCache(settings, clock, listener, Runnable::run);
    }

    private static CacheKey key(String name, int type) {
        return new CacheKey(Name.fromConstantString(name), type, DClass.IN, false, false);
    }

    @Test
    void ttlCountsDownInWholeSeconds() {
        AnswerCache cache = cache(settings());
        Record question = question("www.example.", Type.A);
        cache.store(key("www.example.", Type.A), answer(question,
                "www.example. 300 IN CNAME host.example.",
                "host.example. 120 IN A 192.0.2.1",
                "auth example. 600 IN NS ns.example.",
                "add ns.example. 900 IN A 192.0.2.53"));

        clock.advance(Duration.ofMillis(10_500));
        CachedAnswer entry = cache.get(key("www.example.", Type.A));
        Message served = entry.toMessage(clock.millis());

        assertThat(ttls(served, Section.ANSWER)).containsExactly("www.example. 290 CNAME", "host.example. 110 A");
        assertThat(ttls(served, Section.AUTHORITY)).containsExactly("example. 590 NS");
        assertThat(ttls(served, Section.ADDITIONAL)).containsExactly("ns.example. 890 A", ". 32768 OPT");
        assertThat(entry.isFresh(clock.millis())).isTrue();
    }

    @Test
    void entryExpiresWithItsSmallestTtl() {
        AnswerCache cache = cache(settings());
        cache.store(key("www.example.", Type.A), answer(question("www.example.", Type.A),
                "www.example. 300 IN CNAME host.example.",
                "host.example. 120 IN A 192.0.2.1"));
        CachedAnswer entry = cache.get(key("www.example.", Type.A));

        clock.advance(Duration.ofMillis(119_999));
        assertThat(entry.isFresh(clock.millis())).isTrue();
        clock.advance(Duration.ofMillis(1));
        assertThat(entry.isFresh(clock.millis())).isFalse();
    }

    @Test
    void keyIgnoresLetterCase() {
        AnswerCache cache = cache(settings());
        cache.store(key("WWW.Example.", Type.A), answer(question("WWW.Example.", Type.A),
                "WWW.Example. 300 IN A 192.0.2.1"));

        assertThat(cache.get(key("www.example.", Type.A))).isNotNull();
        assertThat(cache.get(key("www.example.", Type.AAAA))).isNull();
    }

    @Test
    void dnssecOkAndCheckingDisabledAreSeparateEntries() {
        AnswerCache cache = cache(settings());
        Name name = Name.fromConstantString("www.example.");
        cache.store(new CacheKey(name, Type.A, DClass.IN, true, false), answer(question("www.example.", Type.A),
                "www.example. 300 IN A 192.0.2.1"));

        assertThat(cache.get(new CacheKey(name, Type.A, DClass.IN, true, false))).isNotNull();
        assertThat(cache.get(new CacheKey(name, Type.A, DClass.IN, false, false))).isNull();
        assertThat(cache.get(new CacheKey(name, Type.A, DClass.IN, true, true))).isNull();
        assertThat(cache.get(new CacheKey(name, Type.A, DClass.IN, false, true))).isNull();
    }

    @Test
    void nxdomainLivesForSoaMinimum() {
        AnswerCache cache = cache(settings());
        cache.store(key("gone.example.", Type.A), answer(question("gone.example.", Type.A), Rcode.NXDOMAIN,
                "auth example. 300 IN SOA ns.example. host.example. 1 3600 600 86400 60"));

        CachedAnswer entry = cache.get(key("gone.example.", Type.A));
        assertThat(entry.negative()).isTrue();
        Message served = entry.toMessage(clock.millis());
        assertThat(served.getRcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(ttls(served, Section.AUTHORITY)).containsExactly("example. 60 SOA");
        clock.advance(Duration.ofSeconds(60));
        assertThat(entry.isFresh(clock.millis())).isFalse();
    }

    @Test
    void nodataLivesForSoaTtlWhenBelowMinimum() {
        AnswerCache cache = cache(settings());
        cache.store(key("www.example.", Type.MX), answer(question("www.example.", Type.MX),
                "auth example. 40 IN SOA ns.example. host.example. 1 3600 600 86400 600"));

        CachedAnswer entry = cache.get(key("www.example.", Type.MX));
        assertThat(entry.negative()).isTrue();
        clock.advance(Duration.ofSeconds(15));
        assertThat(ttls(entry.toMessage(clock.millis()), Section.AUTHORITY)).containsExactly("example. 25 SOA");
        clock.advance(Duration.ofSeconds(25));
        assertThat(entry.isFresh(clock.millis())).isFalse();
    }

    @Test
    void cnameWithoutAskedTypeIsNodata() {
        AnswerCache cache = cache(settings());
        cache.store(key("alias.example.", Type.AAAA), answer(question("alias.example.", Type.AAAA),
                "alias.example. 300 IN CNAME host.example.",
                "auth example. 300 IN SOA ns.example. host.example. 1 3600 600 86400 30"));

        CachedAnswer entry = cache.get(key("alias.example.", Type.AAAA));
        assertThat(entry.negative()).isTrue();
        clock.advance(Duration.ofSeconds(30));
        assertThat(entry.isFresh(clock.millis())).isFalse();
    }

    @Test
    void negativeTtlCappedByMaxNegativeTtl() {
        CacheSettings base = settings();
        AnswerCache cache = cache(new CacheSettings(true, base.maxSizeBytes(), base.minTtl(), base.maxTtl(),
                Duration.ofSeconds(20), 3, base.maxStaleness(), base.staleAnswerTtl(), base.failureRecheck()));
        cache.store(key("gone.example.", Type.A), answer(question("gone.example.", Type.A), Rcode.NXDOMAIN,
                "auth example. 3600 IN SOA ns.example. host.example. 1 3600 600 86400 3600"));

        Message served = cache.get(key("gone.example.", Type.A)).toMessage(clock.millis());
        assertThat(ttls(served, Section.AUTHORITY)).containsExactly("example. 20 SOA");
    }

    @Test
    void negativeAnswerWithoutSoaIsNotCached() {
        AnswerCache cache = cache(settings());
        AnswerCache.Fetched fetched = cache.store(key("gone.example.", Type.A),
                answer(question("gone.example.", Type.A), Rcode.NXDOMAIN));

        assertThat(fetched.stored()).isNull();
        assertThat(fetched.rcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(cache.get(key("gone.example.", Type.A))).isNull();
    }

    @Test
    void servfailIsNotCached() {
        AnswerCache cache = cache(settings());
        cache.store(key("broken.example.", Type.A), answer(question("broken.example.", Type.A), Rcode.SERVFAIL));

        assertThat(cache.get(key("broken.example.", Type.A))).isNull();
    }

    @Test
    void zeroTtlIsNotCached() {
        AnswerCache cache = cache(settings());
        cache.store(key("now.example.", Type.A), answer(question("now.example.", Type.A),
                "now.example. 0 IN A 192.0.2.1"));

        assertThat(cache.get(key("now.example.", Type.A))).isNull();
    }

    @Test
    void minAndMaxTtlBoundPositiveTtls() {
        CacheSettings base = settings();
        AnswerCache cache = cache(new CacheSettings(true, base.maxSizeBytes(), Duration.ofSeconds(60),
                Duration.ofSeconds(3600), base.maxNegativeTtl(), 3, base.maxStaleness(), base.staleAnswerTtl(),
                base.failureRecheck()));
        cache.store(key("short.example.", Type.A), answer(question("short.example.", Type.A),
                "short.example. 5 IN A 192.0.2.1"));
        cache.store(key("long.example.", Type.A), answer(question("long.example.", Type.A),
                "long.example. 86400 IN A 192.0.2.2"));

        assertThat(ttls(cache.get(key("short.example.", Type.A)).toMessage(clock.millis()), Section.ANSWER))
                .containsExactly("short.example. 60 A");
        assertThat(ttls(cache.get(key("long.example.", Type.A)).toMessage(clock.millis()), Section.ANSWER))
                .containsExactly("long.example. 3600 A");
    }

    @Test
    void staleAnswerCarriesThirtySecondTtl() {
        AnswerCache cache = cache(settings());
        cache.store(key("www.example.", Type.A), answer(question("www.example.", Type.A),
                "www.example. 10 IN A 192.0.2.1"));
        clock.advance(Duration.ofHours(2));

        CachedAnswer entry = cache.get(key("www.example.", Type.A));
        assertThat(entry).isNotNull();
        assertThat(entry.isFresh(clock.millis())).isFalse();
        assertThat(ttls(entry.toStaleMessage(30), Section.ANSWER)).containsExactly("www.example. 30 A");
    }

    @Test
    void ednsFlagsSurviveTtlRewrite() {
        AnswerCache cache = cache(settings());
        cache.store(key("www.example.", Type.A), answer(question("www.example.", Type.A),
                "www.example. 300 IN A 192.0.2.1"));
        clock.advance(Duration.ofSeconds(100));

        Message served = cache.get(key("www.example.", Type.A)).toMessage(clock.millis());
        assertThat(served.getOPT().getFlags() & ExtendedFlags.DO).isEqualTo(ExtendedFlags.DO);
    }

    @Test
    void entryDroppedAfterMaxStaleness() {
        AnswerCache cache = cache(settings());
        cache.store(key("www.example.", Type.A), answer(question("www.example.", Type.A),
                "www.example. 10 IN A 192.0.2.1"));

        clock.advance(Duration.ofSeconds(10).plus(Duration.ofDays(1)));
        assertThat(cache.get(key("www.example.", Type.A))).isNull();
        cache.cleanUp();
        assertThat(cache.size()).isZero();
        assertThat(expiryEvictions.get()).isEqualTo(1);
    }

    @Test
    void minTtlAboveMaxTtlRejected() {
        CacheSettings base = settings();

        assertThatThrownBy(() -> new CacheSettings(true, base.maxSizeBytes(), Duration.ofHours(2),
                Duration.ofHours(1), base.maxNegativeTtl(), 3, base.maxStaleness(), base.staleAnswerTtl(),
                base.failureRecheck()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("rpzgate.cache.min-ttl (PT2H) is above rpzgate.cache.max-ttl (PT1H)");
    }

    @Test
    void sizeBoundEvictsEntries() {
        CacheSettings base = settings();
        long bound = 20_000;
        AnswerCache cache = cache(new CacheSettings(true, bound, base.minTtl(), base.maxTtl(),
                base.maxNegativeTtl(), 3, base.maxStaleness(), base.staleAnswerTtl(), base.failureRecheck()));
        int weight = 0;
        for (int i = 0; i < 1000; i++) {
            String name = "host" + i + ".example.";
            AnswerCache.Fetched fetched = cache.store(key(name, Type.A), answer(question(name, Type.A),
                    name + " 300 IN A 192.0.2.1"));
            weight = fetched.stored().weightBytes();
        }
        cache.cleanUp();

        assertThat(cache.size()).isLessThanOrEqualTo(bound / weight);
        assertThat(cache.size()).isGreaterThan(0);
        assertThat(sizeEvictions.get()).isEqualTo(1000 - (int) cache.size());
    }
}
