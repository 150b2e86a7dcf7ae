package dev.rpzgate.cache;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.io.IOException;
import java.util.ArrayList;
import java.util.concurrent.CompletableFuture;

/**
 * The answer cache as one event loop sees it: answers from the shared {@link AnswerCache} when it
 * has a fresh entry, otherwise asks this loop's upstream resolver, or joins the upstream query that
 * another query, on any loop, has already sent for the same key. Every future it returns completes
 * on this loop's context.
 *
 * <p>When the upstream fails, or answers SERVFAIL, an entry that expired less than
 * {@code max-staleness} ago answers instead, with every TTL at {@code stale-answer-ttl} (RFC 8767).
 * For {@code failure-recheck} after such a failure, further queries for that entry get the stale
 * answer at once instead of waiting for the upstream to time out again. SERVFAIL answers are not
 * cached, so without a stale entry every query asks the upstream again.
 */
public final class CachingResolver {

    private final AnswerCache cache;
    private final AnswerSource upstream;
    private final Context context;

    /** {@code context} is the event loop that calls {@link #resolve} and receives the answers. */
    public CachingResolver(AnswerCache cache, AnswerSource upstream, Context context) {
        this.cache = cache;
        this.upstream = upstream;
        this.context = context;
    }

    /**
     * Returns the answer to {@code question} with the client's DO and CD bits. With
     * {@code recursionDesired} false only a fresh entry answers, as BIND does for RD=0; a miss then
     * gets an empty NOERROR answer without asking the upstream. Fails with the upstream's error when
     * neither the upstream nor a stale entry answers.
     */
    public Future<ResolvedAnswer> resolve(Record question, boolean dnssecOk, boolean checkingDisabled,
                                          boolean recursionDesired) {
        if (!cache.enabled()) {
            return upstream.resolve(question, dnssecOk, checkingDisabled)
                    .map(answer -> new ResolvedAnswer(answer, false));
        }
        CacheKey key = new CacheKey(question.getName(), question.getType(), question.getDClass(), dnssecOk,
                checkingDisabled);
        long now = cache.now();
        CachedAnswer entry = cache.get(key);
        if (entry != null && entry.isFresh(now)) {
            cache.listener().hit();
            prefetchIfDue(key, question, entry, now);
            return Future.succeededFuture(ResolvedAnswer.fromCache(entry, now));
        }

        if (!recursionDesired) {
            return Future.succeededFuture(new ResolvedAnswer(cacheOnlyAnswer(key, question, now), false));
        }
        cache.listener().miss();
        if (entry != null && entry.refreshFailedWithin(now, cache.settings().failureRecheck().toMillis())) {
            ResolvedAnswer stale = staleAnswer(entry, now);
            if (stale != null) {
                return Future.succeededFuture(stale);
            }
        }

        CompletableFuture<AnswerCache.Fetched> fetch = startOrJoin(key, question);
        Promise<ResolvedAnswer> result = Promise.promise();
        fetch.whenComplete((fetched, error) -> context.runOnContext(ignored -> {
            ResolvedAnswer answer = answerFrom(key, fetched, error);
            if (answer != null) {
                result.complete(answer);
            } else {
                result.fail(error);
            }
        }));
        return result.future();
    }

    /**
     * Refreshes {@code entry} in the background once it has had {@code prefetch.min-hits} hits and
     * is in the last tenth of its lifetime; only the first query to see that starts the refresh.
     */
    private void prefetchIfDue(CacheKey key, Record question, CachedAnswer entry, long now) {
        CacheSettings settings = cache.settings();
        if (!settings.prefetch()) {
            return;
        }
        // Hits are counted only up to the threshold, so that a hot entry's counter stops being written.
        int hits = entry.hitsSoFar();
        if (hits < settings.prefetchMinHits()) {
            hits = entry.recordHit();
        }
        if (hits >= settings.prefetchMinHits() && entry.inPrefetchWindow(now) && entry.claimPrefetch()) {
            cache.listener().prefetch();
            startOrJoin(key, question);
        }
    }

    /**
     * Returns the upstream query in flight for {@code key}, sending one from this loop when there is
     * none. Its answer is stored before the query leaves the in-flight map, so a later miss finds
     * either the query or the entry.
     */
    private CompletableFuture<AnswerCache.Fetched> startOrJoin(CacheKey key, Record question) {
        CompletableFuture<AnswerCache.Fetched> running = cache.inFlight(key);
        if (running != null) {
            cache.listener().coalesced();
            return running;
        }
        CompletableFuture<AnswerCache.Fetched> mine = new CompletableFuture<>();
        running = cache.claimInFlight(key, mine);
        if (running != null) {
            cache.listener().coalesced();
            return running;
        }
        Future<Message> asked;
        try {
            asked = upstream.resolve(question, key.dnssecOk(), key.checkingDisabled());
        } catch (RuntimeException e) {
            // Left in the map, a query that never completes would hold every later miss of this key.
            cache.releaseInFlight(key, mine);
            mine.completeExceptionally(e);
            return mine;
        }
        asked.onComplete(done -> {
            if (done.succeeded()) {
                AnswerCache.Fetched fetched = cache.store(key, done.result());
                cache.releaseInFlight(key, mine);
                mine.complete(fetched);
            } else {
                cache.releaseInFlight(key, mine);
                mine.completeExceptionally(done.cause());
            }
        });
        return mine;
    }

    /**
     * Builds one waiting query's answer from the shared result of the upstream query, or returns
     * null when the upstream failed and no stale entry can stand in.
     */
    private ResolvedAnswer answerFrom(CacheKey key, AnswerCache.Fetched fetched, Throwable error) {
        long now = cache.now();
        if (error != null || fetched.rcode() == Rcode.SERVFAIL) {
            CachedAnswer entry = cache.get(key);
            ResolvedAnswer stale = entry == null ? null : staleAnswer(entry, now);
            if (stale != null && stale.stale()) {
                entry.markRefreshFailed(now);
            }
            if (stale != null || error != null) {
                return stale;
            }
        }
        if (fetched.stored() != null) {
            return ResolvedAnswer.fromCache(fetched.stored(), now);
        }
        return new ResolvedAnswer(parse(fetched.uncachedWire()), false);
    }

    /**
     * Returns {@code entry} as a stale answer, or null when serve-stale is off or the entry expired
     * more than {@code max-staleness} ago. An entry that a refresh from another query made fresh
     * again is returned as a fresh answer.
     */
    private ResolvedAnswer staleAnswer(CachedAnswer entry, long now) {
        CacheSettings settings = cache.settings();
        if (entry.isFresh(now)) {
            return ResolvedAnswer.fromCache(entry, now);
        }
        if (!settings.serveStale() || now - entry.expiresAtMillis() >= settings.maxStaleness().toMillis()) {
            return null;
        }
        cache.listener().staleAnswer();
        return new ResolvedAnswer(entry.toStaleMessage(settings.staleAnswerTtl().toSeconds()), true);
    }

    /**
     * Answers an RD=0 query without a fresh entry of its own. A query without DO is answered from a
     * fresh entry fetched with DO, stripped of its DNSSEC records and the AD flag, because BIND's
     * cache answers it from such records too. Otherwise the answer is NOERROR with no records.
     */
    private Message cacheOnlyAnswer(CacheKey key, Record question, long now) {
        if (!key.dnssecOk()) {
            CacheKey signedKey = new CacheKey(key.name(), key.type(), key.dclass(), true, key.checkingDisabled());
            CachedAnswer signed = cache.get(signedKey);
            if (signed != null && signed.isFresh(now)) {
                cache.listener().hit();
                return withoutDnssecRecords(signed.toMessage(now));
            }
        }
        cache.listener().miss();
        Message answer = new Message();
        answer.getHeader().setFlag(Flags.QR);
        answer.addRecord(question, Section.QUESTION);
        return answer;
    }

    /** Removes what only a client that set DO may get (RFC 4035 section 3.2.1). */
    private static Message withoutDnssecRecords(Message answer) {
        answer.getHeader().unsetFlag(Flags.AD);
        for (int section : new int[] {Section.ANSWER, Section.AUTHORITY, Section.ADDITIONAL}) {
            for (Record record : new ArrayList<>(answer.getSection(section))) {
                int type = record.getType();
                if (type == Type.RRSIG || type == Type.NSEC || type == Type.NSEC3) {
                    answer.removeRecord(record, section);
                }
            }
        }
        return answer;
    }

    private static Message parse(byte[] wire) {
        try {
            return new Message(wire);
        } catch (IOException e) {
            throw new IllegalStateException("upstream answer does not parse after encoding", e);
        }
    }
}
