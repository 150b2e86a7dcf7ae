package dev.rpzgate.cache;

import dev.rpzgate.testing.ManualCacheClock;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import static dev.rpzgate.cache.CacheMessages.answer;
import static dev.rpzgate.cache.CacheMessages.question;
import static dev.rpzgate.cache.CacheMessages.ttls;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Drives {@link CachingResolver} on real Vert.x event loops against an upstream stand-in that
 * counts questions and answers as each test sets.
 */
class CachingResolverTest {

    private static final Record WWW = question("www.example.", Type.A);

    private final Vertx vertx = Vertx.vertx();
    private final ManualCacheClock clock = new ManualCacheClock();
    private final CountingListener events = new CountingListener();
    private final AtomicInteger upstreamQueries = new AtomicInteger();
    /** How the stand-in upstream answers; replaced by tests. */
    private volatile Function<Record, Future<Message>> upstream = q -> Future.succeededFuture(
            answer(q, q.getName() + " 300 IN A 192.0.2.1"));

    @AfterEach
    void closeVertx() {
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    private AnswerCache cache(CacheSettings settings) {
        return new AnswerCache(settings, clock, events, Runnable::run);
    }

    private CachingResolver resolver(AnswerCache cache, Context context) {
        return new CachingResolver(cache, (question, dnssecOk, checkingDisabled) -> {
            upstreamQueries.incrementAndGet();
            return upstream.apply(question);
        }, context);
    }

    /** Resolves on {@code context} and waits for the answer, checking it arrives on that context. */
    private static ResolvedAnswer resolve(CachingResolver resolver, Context context, Record question,
                                          boolean recursionDesired) throws Exception {
        return start(resolver, context, question, recursionDesired).get(5, TimeUnit.SECONDS);
    }

    private static CompletableFuture<ResolvedAnswer> start(CachingResolver resolver, Context context, Record question,
                                                           boolean recursionDesired) {
        CompletableFuture<ResolvedAnswer> result = new CompletableFuture<>();
        context.runOnContext(ignored -> resolver.resolve(question, false, false, recursionDesired)
                .onComplete(done -> {
                    if (Vertx.currentContext() != context) {
                        result.completeExceptionally(new AssertionError("answer completed on another context"));
                    } else if (done.succeeded()) {
                        result.complete(done.result());
                    } else {
                        result.completeExceptionally(done.cause());
                    }
                }));
        return result;
    }

    private static CacheSettings withPrefetchAndStaleness(int minHits, Duration maxStaleness) {
        CacheSettings base = AnswerCacheTest.settings();
        return new CacheSettings(true, base.maxSizeBytes(), base.minTtl(), base.maxTtl(), base.maxNegativeTtl(),
                minHits, maxStaleness, base.staleAnswerTtl(), base.failureRecheck());
    }

    @Test
    void secondQueryAnsweredFromCache() throws Exception {
        AnswerCache cache = cache(AnswerCacheTest.settings());
        Context loop = vertx.getOrCreateContext();
        CachingResolver resolver = resolver(cache, loop);

        ResolvedAnswer first = resolve(resolver, loop, WWW, true);
        clock.advance(Duration.ofSeconds(7));
        ResolvedAnswer second = resolve(resolver, loop, WWW, true);

        assertThat(upstreamQueries.get()).isEqualTo(1);
        assertThat(ttls(first.message(), Section.ANSWER)).containsExactly("www.example. 300 A");
        assertThat(ttls(second.message(), Section.ANSWER)).containsExactly("www.example. 293 A");
        assertThat(second.stale()).isFalse();
        assertThat(events.hits.get()).isEqualTo(1);
        assertThat(events.misses.get()).isEqualTo(1);
    }

    @Test
    void missesOnFourLoopsShareOneQuery() throws Exception {
        Promise<Message> slow = Promise.promise();
        upstream = q -> slow.future();
        AnswerCache cache = cache(AnswerCacheTest.settings());
        List<CompletableFuture<ResolvedAnswer>> answers = new ArrayList<>();
        List<Context> loops = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Context loop = vertx.getOrCreateContext();
            loops.add(loop);
            CachingResolver resolver = resolver(cache, loop);
            for (int j = 0; j < 5; j++) {
                answers.add(start(resolver, loop, WWW, true));
            }
        }
        // Wait until every query has reached the resolver before the upstream answers.
        for (Context loop : loops) {
            CompletableFuture<Void> drained = new CompletableFuture<>();
            loop.runOnContext(ignored -> drained.complete(null));
            drained.get(5, TimeUnit.SECONDS);
        }
        assertThat(answers).noneMatch(CompletableFuture::isDone);

        slow.complete(answer(WWW, "www.example. 300 IN A 192.0.2.1"));

        for (CompletableFuture<ResolvedAnswer> answer : answers) {
            assertThat(ttls(answer.get(5, TimeUnit.SECONDS).message(), Section.ANSWER))
                    .containsExactly("www.example. 300 A");
        }
        assertThat(upstreamQueries.get()).isEqualTo(1);
        assertThat(events.coalesced.get()).isEqualTo(19);
    }

    @Test
    void staleAnswerWhenUpstreamFails() throws Exception {
        Context loop = vertx.getOrCreateContext();
        CachingResolver resolver = resolver(cache(AnswerCacheTest.settings()), loop);

        ResolvedAnswer stale = expireEntryAndFailUpstream(resolver, loop);

        assertThat(stale.stale()).isTrue();
        assertThat(ttls(stale.message(), Section.ANSWER)).containsExactly("www.example. 30 A");
        assertThat(upstreamQueries.get()).isEqualTo(2);
        assertThat(events.stale.get()).isEqualTo(1);
    }

    @Test
    void staleAnswersWithoutAskingWithinFailureRecheck() throws Exception {
        Context loop = vertx.getOrCreateContext();
        CachingResolver resolver = resolver(cache(AnswerCacheTest.settings()), loop);
        expireEntryAndFailUpstream(resolver, loop);

        clock.advance(Duration.ofSeconds(29));
        ResolvedAnswer withinRecheck = resolve(resolver, loop, WWW, true);
        assertThat(withinRecheck.stale()).isTrue();
        assertThat(upstreamQueries.get()).isEqualTo(2);

        clock.advance(Duration.ofSeconds(1));
        upstream = q -> Future.succeededFuture(answer(q, "www.example. 300 IN A 192.0.2.9"));
        ResolvedAnswer fresh = resolve(resolver, loop, WWW, true);
        assertThat(fresh.stale()).isFalse();
        assertThat(fresh.message().getSection(Section.ANSWER).get(0).rdataToString()).isEqualTo("192.0.2.9");
        assertThat(upstreamQueries.get()).isEqualTo(3);
    }

    @Test
    void staleAnswerWhenUpstreamAnswersServfail() throws Exception {
        AnswerCache cache = cache(AnswerCacheTest.settings());
        Context loop = vertx.getOrCreateContext();
        CachingResolver resolver = resolver(cache, loop);
        resolve(resolver, loop, WWW, true);

        clock.advance(Duration.ofSeconds(301));
        upstream = q -> Future.succeededFuture(answer(q, Rcode.SERVFAIL));
        ResolvedAnswer stale = resolve(resolver, loop, WWW, true);

        assertThat(stale.stale()).isTrue();
        assertThat(stale.message().getRcode()).isEqualTo(Rcode.NOERROR);
    }

    @Test
    void servfailPassedOnWithoutStaleEntry() throws Exception {
        AnswerCache cache = cache(AnswerCacheTest.settings());
        Context loop = vertx.getOrCreateContext();
        CachingResolver resolver = resolver(cache, loop);
        upstream = q -> Future.succeededFuture(answer(q, Rcode.SERVFAIL));

        ResolvedAnswer first = resolve(resolver, loop, WWW, true);
        ResolvedAnswer second = resolve(resolver, loop, WWW, true);

        assertThat(first.message().getRcode()).isEqualTo(Rcode.SERVFAIL);
        assertThat(second.message().getRcode()).isEqualTo(Rcode.SERVFAIL);
        assertThat(upstreamQueries.get()).as("SERVFAIL is not cached").isEqualTo(2);
    }

    @Test
    void failureAfterMaxStalenessPropagates() throws Exception {
        AnswerCache cache = cache(withPrefetchAndStaleness(3, Duration.ofMinutes(10)));
        Context loop = vertx.getOrCreateContext();
        CachingResolver resolver = resolver(cache, loop);
        resolve(resolver, loop, WWW, true);

        clock.advance(Duration.ofSeconds(300).plus(Duration.ofMinutes(10)));
        upstream = q -> Future.failedFuture(new IllegalStateException("no upstream answered"));

        assertThatThrownBy(() -> resolve(resolver, loop, WWW, true)).hasMessageContaining("no upstream answered");
    }

    @Test
    void serveStaleOffPropagatesFailure() throws Exception {
        AnswerCache cache = cache(withPrefetchAndStaleness(3, Duration.ZERO));
        Context loop = vertx.getOrCreateContext();
        CachingResolver resolver = resolver(cache, loop);
        resolve(resolver, loop, WWW, true);

        clock.advance(Duration.ofSeconds(301));
        upstream = q -> Future.failedFuture(new IllegalStateException("no upstream answered"));

        assertThatThrownBy(() -> resolve(resolver, loop, WWW, true)).hasMessageContaining("no upstream answered");
    }

    @Test
    void popularEntryPrefetchedOnceNearExpiry() throws Exception {
        AnswerCache cache = cache(withPrefetchAndStaleness(3, Duration.ofDays(1)));
        Context loop = vertx.getOrCreateContext();
        CachingResolver resolver = resolver(cache, loop);
        resolve(resolver, loop, WWW, true);
        for (int i = 0; i < 3; i++) {
            resolve(resolver, loop, WWW, true);
        }
        assertThat(upstreamQueries.get()).isEqualTo(1);

        clock.advance(Duration.ofSeconds(271));
        ResolvedAnswer nearExpiry = resolve(resolver, loop, WWW, true);
        resolve(resolver, loop, WWW, true);

        assertThat(ttls(nearExpiry.message(), Section.ANSWER)).containsExactly("www.example. 29 A");
        assertThat(upstreamQueries.get()).as("one prefetch").isEqualTo(2);
        assertThat(events.prefetches.get()).isEqualTo(1);
        ResolvedAnswer refreshed = resolve(resolver, loop, WWW, true);
        assertThat(ttls(refreshed.message(), Section.ANSWER)).containsExactly("www.example. 300 A");
    }

    @Test
    void rarelyAskedEntryNotPrefetched() throws Exception {
        AnswerCache cache = cache(withPrefetchAndStaleness(3, Duration.ofDays(1)));
        Context loop = vertx.getOrCreateContext();
        CachingResolver resolver = resolver(cache, loop);
        resolve(resolver, loop, WWW, true);
        resolve(resolver, loop, WWW, true);

        clock.advance(Duration.ofSeconds(280));
        resolve(resolver, loop, WWW, true);

        assertThat(upstreamQueries.get()).isEqualTo(1);
        assertThat(events.prefetches.get()).isZero();
    }

    @Test
    void recursionNotDesiredAnswersFromCacheOnly() throws Exception {
        AnswerCache cache = cache(AnswerCacheTest.settings());
        Context loop = vertx.getOrCreateContext();
        CachingResolver resolver = resolver(cache, loop);

        ResolvedAnswer miss = resolve(resolver, loop, WWW, false);
        assertThat(miss.message().getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(miss.message().getSection(Section.ANSWER)).isEmpty();
        assertThat(miss.message().getSection(Section.AUTHORITY)).isEmpty();
        assertThat(upstreamQueries.get()).isZero();

        resolve(resolver, loop, WWW, true);
        ResolvedAnswer hit = resolve(resolver, loop, WWW, false);
        assertThat(ttls(hit.message(), Section.ANSWER)).containsExactly("www.example. 300 A");
        assertThat(upstreamQueries.get()).isEqualTo(1);
    }

    @Test
    void recursionNotDesiredUsesSignedEntryWithoutSignatures() throws Exception {
        upstream = q -> {
            Message signed = answer(q, "www.example. 300 IN A 192.0.2.1",
                    "www.example. 300 IN RRSIG A 13 2 300 20270101000000 20260101000000 12345 example. "
                            + "dGVzdHNpZ25hdHVyZQ==");
            signed.getHeader().setFlag(org.xbill.DNS.Flags.AD);
            return Future.succeededFuture(signed);
        };
        AnswerCache cache = cache(AnswerCacheTest.settings());
        Context loop = vertx.getOrCreateContext();
        CachingResolver resolver = resolver(cache, loop);
        CompletableFuture<ResolvedAnswer> signed = new CompletableFuture<>();
        loop.runOnContext(ignored -> resolver.resolve(WWW, true, false, true)
                .onSuccess(signed::complete).onFailure(signed::completeExceptionally));
        assertThat(ttls(signed.get(5, TimeUnit.SECONDS).message(), Section.ANSWER))
                .containsExactly("www.example. 300 A", "www.example. 300 RRSIG");

        ResolvedAnswer plain = resolve(resolver, loop, WWW, false);

        assertThat(ttls(plain.message(), Section.ANSWER)).containsExactly("www.example. 300 A");
        assertThat(plain.message().getHeader().getFlag(org.xbill.DNS.Flags.AD)).isFalse();
        assertThat(upstreamQueries.get()).isEqualTo(1);
    }

    @Test
    void upstreamThrowingDoesNotBlockLaterMisses() throws Exception {
        upstream = q -> {
            throw new IllegalStateException("resolver closed");
        };
        AnswerCache cache = cache(AnswerCacheTest.settings());
        Context loop = vertx.getOrCreateContext();
        CachingResolver resolver = resolver(cache, loop);

        assertThatThrownBy(() -> resolve(resolver, loop, WWW, true)).hasMessageContaining("resolver closed");
        upstream = q -> Future.succeededFuture(answer(q, "www.example. 300 IN A 192.0.2.1"));
        ResolvedAnswer answer = resolve(resolver, loop, WWW, true);

        assertThat(ttls(answer.message(), Section.ANSWER)).containsExactly("www.example. 300 A");
        assertThat(upstreamQueries.get()).isEqualTo(2);
    }

    @Test
    void disabledCacheAsksEveryTime() throws Exception {
        CacheSettings base = AnswerCacheTest.settings();
        AnswerCache cache = cache(new CacheSettings(false, base.maxSizeBytes(), base.minTtl(), base.maxTtl(),
                base.maxNegativeTtl(), 3, base.maxStaleness(), base.staleAnswerTtl(), base.failureRecheck()));
        Context loop = vertx.getOrCreateContext();
        CachingResolver resolver = resolver(cache, loop);

        resolve(resolver, loop, WWW, true);
        resolve(resolver, loop, WWW, true);

        assertThat(upstreamQueries.get()).isEqualTo(2);
        assertThat(cache.size()).isZero();
    }

    /**
     * Caches the answer to {@link #WWW}, lets it expire 100 seconds ago, makes the upstream fail and
     * resolves {@link #WWW} once more; returns that answer.
     */
    private ResolvedAnswer expireEntryAndFailUpstream(CachingResolver resolver, Context loop) throws Exception {
        resolve(resolver, loop, WWW, true);
        clock.advance(Duration.ofSeconds(400));
        upstream = q -> Future.failedFuture(new IllegalStateException("no upstream answered"));
        return resolve(resolver, loop, WWW, true);
    }

    /** Counts the cache's events. */
    private static final class CountingListener implements CacheListener {
        final AtomicInteger hits = new AtomicInteger();
        final AtomicInteger misses = new AtomicInteger();
        final AtomicInteger coalesced = new AtomicInteger();
        final AtomicInteger stale = new AtomicInteger();
        final AtomicInteger prefetches = new AtomicInteger();

        @Override
        public void hit() {
            hits.incrementAndGet();
        }

        @Override
        public void miss() {
            misses.incrementAndGet();
        }

        @Override
        public void coalesced() {
            coalesced.incrementAndGet();
        }

        @Override
        public void staleAnswer() {
            stale.incrementAndGet();
        }

        @Override
        public void prefetch() {
            prefetches.incrementAndGet();
        }
    }
}
