package dev.rpzgate.cache;

import org.xbill.DNS.Message;

/**
 * The upstream's answer to a question, fresh from the upstream or from the cache, which the
 * caller may change.
 *
 * @param stale whether the answer is an expired entry served because the upstream failed, so the
 *              client's answer must carry the Extended DNS Error "Stale Answer" (RFC 8914 code 3)
 */
public record ResolvedAnswer(Message message, boolean stale) {
}
