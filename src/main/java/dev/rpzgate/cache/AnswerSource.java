package dev.rpzgate.cache;

import io.vertx.core.Future;
import org.xbill.DNS.Message;
import org.xbill.DNS.Record;

/**
 * Where the cache gets answers it does not have: the event loop's upstream resolver. The future
 * fails when no upstream answers, and completes on the loop that asked.
 */
@FunctionalInterface
public interface AnswerSource {

    Future<Message> resolve(Record question, boolean dnssecOk, boolean checkingDisabled);
}
