package dev.rpzgate.upstream;

import dev.rpzgate.observability.DnsMetrics;
import dev.rpzgate.testing.LogCapture;
import dev.rpzgate.testing.TestUpstream;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.rpzgate.upstream.ResolverHarness.settings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class UpstreamResolverTest {

    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void closeResources() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    private TestUpstream upstream(String address) throws Exception {
        TestUpstream upstream = TestUpstream.start();
        upstream.answerAnyName(address, null, 300);
        resources.add(upstream);
        return upstream;
    }

    private ResolverHarness harness(ResolverHarness harness) {
        resources.add(harness);
        return harness;
    }

    /** Starts a resolver whose root zone forwards to {@code upstreams}; it closes after the test. */
    private ResolverHarness harness(Selection selection, Forwarding.Settings settings, TestUpstream... upstreams)
            throws Exception {
        String[] addresses = Arrays.stream(upstreams).map(TestUpstream::address).toArray(String[]::new);
        return harness(ResolverHarness.of(selection, settings, addresses));
    }

    private static String address(Message answer) {
        return ((ARecord) answer.getSection(Section.ANSWER).get(0)).getAddress().getHostAddress();
    }

    @Test
    void failoverFromDeadUpstreamWithinBudget() throws Exception {
        TestUpstream dead = upstream("192.0.2.1");
        dead.drop();
        TestUpstream live = upstream("192.0.2.2");
        ResolverHarness resolver = harness(Selection.SEQUENTIAL,
                settings(Duration.ofMillis(300), Duration.ofSeconds(2)), dead, live);

        Message answer = resolver.resolve("www.example.");

        assertThat(address(answer)).isEqualTo("192.0.2.2");
        assertThat(dead.countQueries("www.example.", Type.A)).isEqualTo(1);
        assertThat(live.countQueries("www.example.", Type.A)).isEqualTo(1);
        assertThat(resolver.counter("rpzgate_upstream_timeouts", dead.address())).isEqualTo(1);
    }

    @Test
    void budgetEndsQueryWhenNoUpstreamAnswers() throws Exception {
        TestUpstream first = upstream("192.0.2.1");
        first.drop();
        TestUpstream second = upstream("192.0.2.2");
        second.drop();
        TestUpstream third = upstream("192.0.2.3");
        ResolverHarness resolver = harness(Selection.SEQUENTIAL,
                settings(Duration.ofMillis(300), Duration.ofMillis(450)), first, second, third);

        UpstreamFailedException failure = resolver.failure("www.example.");

        assertThat(failure).isNotNull();
        assertThat(failure.reason()).isEqualTo(UpstreamFailedException.Reason.TIMED_OUT);
        assertThat(failure.getMessage()).contains("www.example.", "time budget of 450 ms");
        assertThat(first.countQueries()).isEqualTo(1);
        // The second try got the 150 ms left of the budget, so the third upstream was never reached.
        assertThat(second.countQueries()).isEqualTo(1);
        assertThat(third.countQueries()).isZero();
    }

    @Test
    void garbageOverUdpFailsOverAfterTimeout() throws Exception {
        TestUpstream broken = upstream("192.0.2.1");
        broken.garbage();
        TestUpstream live = upstream("192.0.2.2");
        ResolverHarness resolver = harness(Selection.SEQUENTIAL,
                settings(Duration.ofMillis(200), Duration.ofSeconds(2)), broken, live);

        assertThat(address(resolver.resolve("www.example."))).isEqualTo("192.0.2.2");
        assertThat(broken.countQueries()).isEqualTo(1);
    }

    @Test
    void zeroLengthTcpAnswerFailsOver() throws Exception {
        TestUpstream broken = upstream("192.0.2.1");
        broken.emptyMessageOverTcp();
        TestUpstream live = upstream("192.0.2.2");
        // The try timeout is the whole budget, so only a failure, not a timeout, leaves time for the second upstream.
        ResolverHarness resolver = harness(Selection.SEQUENTIAL,
                settings(Duration.ofSeconds(8), Duration.ofSeconds(8)), broken, live);

        Message answer;
        List<String> warnings;
        try (LogCapture log = LogCapture.start(UdpTransport.class.getName())) {
            answer = resolver.resolve("www.example.");
            warnings = log.lines();
        }

        assertThat(address(answer)).isEqualTo("192.0.2.2");
        assertThat(broken.countQueries("www.example.", Type.A, TestUpstream.Transport.UDP)).isEqualTo(1);
        assertThat(broken.countQueries("www.example.", Type.A, TestUpstream.Transport.TCP)).isEqualTo(1);
        assertThat(resolver.counter("rpzgate_upstream_timeouts", broken.address())).isEqualTo(1);
        assertThat(warnings).hasSize(1);
        assertThat(warnings.get(0)).contains("upstream " + broken.address(), "www.example.", "0-byte message",
                "the query goes to the next upstream");
    }

    @Test
    void zeroLengthTcpAnswerFailsQuery() throws Exception {
        TestUpstream broken = upstream("192.0.2.1");
        broken.emptyMessageOverTcp();
        ResolverHarness resolver = harness(Selection.SEQUENTIAL,
                settings(Duration.ofSeconds(8), Duration.ofSeconds(8)), broken);

        UpstreamFailedException failure = resolver.failure("www.example.");

        assertThat(failure).isNotNull();
        assertThat(failure.reason()).isEqualTo(UpstreamFailedException.Reason.FAILED);
        assertThat(failure.getMessage()).contains(broken.address() + ": sent a 0-byte message over TCP");
    }

    @Test
    void refusedFailsOverAndLastRefusedIsReturned() throws Exception {
        TestUpstream refusing = upstream("192.0.2.1");
        refusing.refused();
        TestUpstream live = upstream("192.0.2.2");
        live.refused("everywhere.example.");
        ResolverHarness resolver = harness(Selection.SEQUENTIAL,
                settings(Duration.ofMillis(300), Duration.ofSeconds(2)), refusing, live);

        assertThat(address(resolver.resolve("www.example."))).isEqualTo("192.0.2.2");
        assertThat(resolver.resolve("everywhere.example.").getRcode()).isEqualTo(Rcode.REFUSED);
        assertThat(refusing.countQueries()).isEqualTo(2);
        assertThat(live.countQueries()).isEqualTo(2);
    }

    @Test
    void servfailStreakMarksDownAndProbeBringsBack() throws Exception {
        TestUpstream flaky = upstream("192.0.2.1");
        flaky.servfail();
        TestUpstream backup = upstream("192.0.2.2");
        ResolverHarness resolver = harness(Selection.SEQUENTIAL,
                ResolverHarness.withHealth(settings(Duration.ofMillis(300), Duration.ofSeconds(2)),
                        2, Duration.ofMillis(100)), flaky, backup);

        assertThat(resolver.resolve("a.example.").getRcode()).isEqualTo(Rcode.SERVFAIL);
        assertThat(resolver.state(".", 0).isUp()).isTrue();
        assertThat(resolver.resolve("b.example.").getRcode()).isEqualTo(Rcode.SERVFAIL);
        assertThat(resolver.state(".", 0).isUp()).isFalse();
        assertThat(resolver.gauge("rpzgate_upstream_up", flaky.address())).isZero();

        // While it is down, queries go to the backup, and only probes reach the flaky upstream.
        assertThat(address(resolver.resolve("c.example."))).isEqualTo("192.0.2.2");
        assertThat(flaky.countQueries("c.example.", Type.A)).isZero();
        await().atMost(Duration.ofSeconds(5)).until(() -> flaky.countQueries(".", Type.NS) >= 2);
        assertThat(resolver.state(".", 0).isUp()).isFalse();

        flaky.reset();
        await().atMost(Duration.ofSeconds(5)).until(() -> resolver.state(".", 0).isUp());
        assertThat(resolver.gauge("rpzgate_upstream_up", flaky.address())).isEqualTo(1);
        assertThat(address(resolver.resolve("d.example."))).isEqualTo("192.0.2.1");
        await().atMost(Duration.ofSeconds(5)).until(() -> !resolver.state(".", 0).isProbing());
        int probes = flaky.countQueries(".", Type.NS);
        assertThat(address(resolver.resolve("e.example."))).isEqualTo("192.0.2.1");
        assertThat(flaky.countQueries(".", Type.NS)).as("probes stop once the upstream is up").isEqualTo(probes);
    }

    @Test
    void timeoutsMarkDownAndQueriesSkipDownUpstream() throws Exception {
        TestUpstream silent = upstream("192.0.2.1");
        silent.drop();
        TestUpstream live = upstream("192.0.2.2");
        ResolverHarness resolver = harness(Selection.SEQUENTIAL,
                ResolverHarness.withHealth(settings(Duration.ofMillis(150), Duration.ofSeconds(2)),
                        3, Duration.ofSeconds(10)), silent, live);

        for (int i = 0; i < 3; i++) {
            assertThat(address(resolver.resolve("q" + i + ".example."))).isEqualTo("192.0.2.2");
        }
        assertThat(resolver.state(".", 0).isUp()).isFalse();

        assertThat(address(resolver.resolve("after.example."))).isEqualTo("192.0.2.2");
        assertThat(silent.countQueries("after.example.", Type.A)).isZero();
    }

    @Test
    void downUpstreamsAreTriedWhenNoneIsUp() throws Exception {
        TestUpstream only = upstream("192.0.2.1");
        only.servfail();
        ResolverHarness resolver = harness(Selection.SEQUENTIAL,
                ResolverHarness.withHealth(settings(Duration.ofMillis(300), Duration.ofSeconds(2)),
                        1, Duration.ofSeconds(10)), only);
        resolver.resolve("a.example.");
        assertThat(resolver.state(".", 0).isUp()).isFalse();

        only.reset();
        Message answer = resolver.resolve("b.example.");

        assertThat(address(answer)).isEqualTo("192.0.2.1");
        assertThat(resolver.state(".", 0).isUp()).as("a good answer puts it back in rotation").isTrue();
    }

    @Test
    void sequentialSelectionKeepsConfiguredOrder() throws Exception {
        TestUpstream first = upstream("192.0.2.1");
        TestUpstream second = upstream("192.0.2.2");
        ResolverHarness resolver = harness(Selection.SEQUENTIAL,
                settings(Duration.ofMillis(500), Duration.ofSeconds(2)), first, second);

        for (int i = 0; i < 20; i++) {
            resolver.resolve("n" + i + ".example.");
        }

        assertThat(first.countQueries()).isEqualTo(20);
        assertThat(second.countQueries()).isZero();
    }

    @Test
    void randomSelectionSpreadsQueries() throws Exception {
        List<TestUpstream> upstreams = List.of(upstream("192.0.2.1"), upstream("192.0.2.2"), upstream("192.0.2.3"));
        ResolverHarness resolver = harness(Selection.RANDOM,
                settings(Duration.ofMillis(500), Duration.ofSeconds(2)), upstreams.toArray(new TestUpstream[0]));

        for (int i = 0; i < 300; i++) {
            resolver.resolve("n" + i + ".example.");
        }

        // 100 each on average; below 50 has a probability far under one in a million.
        for (TestUpstream upstream : upstreams) {
            assertThat(upstream.countQueries()).isGreaterThan(50);
        }
        assertThat(upstreams.stream().mapToInt(TestUpstream::countQueries).sum()).isEqualTo(300);
    }

    @Test
    void fastestSelectionPrefersFastUpstream() throws Exception {
        TestUpstream slow = upstream("192.0.2.1");
        slow.delay(Duration.ofMillis(50));
        TestUpstream fast = upstream("192.0.2.2");
        ResolverHarness resolver = harness(Selection.FASTEST,
                settings(Duration.ofMillis(500), Duration.ofSeconds(2)), slow, fast);

        for (int i = 0; i < 200; i++) {
            resolver.resolve("n" + i + ".example.");
        }

        assertThat(fast.countQueries()).isGreaterThan(170);
        assertThat(slow.countQueries()).as("measured once, then explored now and then").isGreaterThanOrEqualTo(1);
        assertThat(resolver.state(".", 0).smoothedRttNanos())
                .isGreaterThan(resolver.state(".", 1).smoothedRttNanos());
    }

    @Test
    void forwardZonesRouteByLongestMatch() throws Exception {
        TestUpstream fallback = upstream("192.0.2.1");
        TestUpstream corporate = upstream("192.0.2.2");
        TestUpstream lab = upstream("192.0.2.3");
        ResolverHarness resolver = harness(new ResolverHarness(List.of(
                ResolverHarness.zone(".", Selection.SEQUENTIAL, fallback.address()),
                ResolverHarness.zone("corp.example", Selection.SEQUENTIAL, corporate.address()),
                ResolverHarness.zone("lab.corp.example", Selection.RANDOM, lab.address())),
                settings(Duration.ofMillis(500), Duration.ofSeconds(2))));

        assertThat(address(resolver.resolve("www.lab.corp.example."))).isEqualTo("192.0.2.3");
        assertThat(address(resolver.resolve("lab.corp.example."))).isEqualTo("192.0.2.3");
        assertThat(address(resolver.resolve("WWW.LAB.Corp.Example."))).isEqualTo("192.0.2.3");
        assertThat(address(resolver.resolve("www.corp.example."))).isEqualTo("192.0.2.2");
        assertThat(address(resolver.resolve("corp.example."))).isEqualTo("192.0.2.2");
        assertThat(address(resolver.resolve("notcorp.example."))).isEqualTo("192.0.2.1");
        assertThat(address(resolver.resolve("www.other.test."))).isEqualTo("192.0.2.1");
    }

    @Test
    void forwardZoneHealthIsItsOwn() throws Exception {
        TestUpstream shared = upstream("192.0.2.1");
        ResolverHarness resolver = harness(new ResolverHarness(List.of(
                ResolverHarness.zone(".", Selection.SEQUENTIAL, shared.address()),
                ResolverHarness.zone("corp.example", Selection.SEQUENTIAL, shared.address())),
                ResolverHarness.withHealth(settings(Duration.ofMillis(300), Duration.ofSeconds(2)), 1,
                        Duration.ofSeconds(10))));
        shared.servfail("bad.corp.example.");

        resolver.resolve("bad.corp.example.");

        assertThat(resolver.state("x.corp.example.", 0).isUp()).isFalse();
        assertThat(resolver.state("x.other.test.", 0).isUp()).isTrue();
    }

    @Test
    void capSendsExcessToAnotherUpstream() throws Exception {
        TestUpstream first = upstream("192.0.2.1");
        first.delay(Duration.ofMillis(300));
        TestUpstream second = upstream("192.0.2.2");
        second.delay(Duration.ofMillis(300));
        ResolverHarness resolver = harness(Selection.SEQUENTIAL,
                ResolverHarness.withCap(settings(Duration.ofSeconds(1), Duration.ofSeconds(2)),
                        1, 10, Duration.ofMillis(250)), first, second);

        CompletableFuture<Message> one = resolver.start("one.example.");
        CompletableFuture<Message> two = resolver.start("two.example.");

        assertThat(address(one.get())).isEqualTo("192.0.2.1");
        assertThat(address(two.get())).isEqualTo("192.0.2.2");
        assertThat(resolver.counter("rpzgate_upstream_over_capacity", first.address())).isEqualTo(1);
    }

    @Test
    void capQueuesBrieflyThenFailsOverCapacity() throws Exception {
        TestUpstream only = upstream("192.0.2.1");
        only.delay(Duration.ofMillis(400));
        ResolverHarness resolver = harness(Selection.SEQUENTIAL,
                ResolverHarness.withCap(settings(Duration.ofSeconds(1), Duration.ofSeconds(2)),
                        2, 1, Duration.ofMillis(50)), only);

        List<CompletableFuture<Message>> pending = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            pending.add(resolver.start("n" + i + ".example."));
        }

        assertThat(ResolverHarness.failureOf(pending.get(0))).isNull();
        assertThat(ResolverHarness.failureOf(pending.get(1))).isNull();
        // The third waited 50 ms in the queue, the fourth found the queue full.
        for (CompletableFuture<Message> rejected : pending.subList(2, 4)) {
            UpstreamFailedException failure = ResolverHarness.failureOf(rejected);
            assertThat(failure).isNotNull();
            assertThat(failure.reason()).isEqualTo(UpstreamFailedException.Reason.OVER_CAPACITY);
        }
        assertThat(ResolverHarness.failureOf(pending.get(3)).getMessage())
                .contains("the queue is full (rpzgate.upstream.max-queued 1)");
        assertThat(only.countQueries()).isEqualTo(2);
        assertThat(resolver.registry.get("rpzgate_upstream_queued").counter().count()).isEqualTo(1);
        assertThat(resolver.registry.get("rpzgate_upstream_rejected").counter().count()).isEqualTo(2);
        assertThat(resolver.state(".", 0).inFlight()).isZero();
    }

    @Test
    void capPrefersQueueOverDownUpstream() throws Exception {
        TestUpstream busy = upstream("192.0.2.1");
        busy.delay(Duration.ofMillis(200));
        TestUpstream down = upstream("192.0.2.2");
        ResolverHarness resolver = harness(Selection.SEQUENTIAL,
                ResolverHarness.withCap(ResolverHarness.withHealth(settings(Duration.ofSeconds(1),
                        Duration.ofSeconds(3)), 1, Duration.ofSeconds(10)), 1, 10, Duration.ofSeconds(2)), busy, down);
        resolver.state(".", 1).recordFailure(0); // one failure marks it down with max-failures 1
        assertThat(resolver.state(".", 1).isUp()).isFalse();

        CompletableFuture<Message> first = resolver.start("one.example.");
        CompletableFuture<Message> second = resolver.start("two.example.");

        assertThat(address(first.get())).isEqualTo("192.0.2.1");
        assertThat(address(second.get())).isEqualTo("192.0.2.1");
        assertThat(down.countQueries()).isZero();
    }

    @Test
    void slotFreedByOtherLoopWakesQueue() throws Exception {
        TestUpstream only = upstream("192.0.2.1");
        only.delay(Duration.ofMillis(200));
        Vertx vertx = Vertx.vertx();
        resources.add(() -> vertx.close().toCompletionStage().toCompletableFuture().get());
        DnsMetrics metrics = new DnsMetrics(new SimpleMeterRegistry());
        Forwarding forwarding = Forwarding.of(List.of(Upstreams.parse(only.address())), Selection.SEQUENTIAL,
                ResolverHarness.withCap(settings(Duration.ofSeconds(1), Duration.ofSeconds(3)), 1, 10,
                        Duration.ofSeconds(2)), metrics);
        // Two resolvers sharing one plan, as two event loops of the server do.
        Context firstLoop = vertx.getOrCreateContext();
        Context secondLoop = vertx.getOrCreateContext();
        UpstreamResolver first = new UpstreamResolver(vertx, forwarding, metrics);
        UpstreamResolver second = new UpstreamResolver(vertx, forwarding, metrics);
        startOn(firstLoop, first);
        startOn(secondLoop, second);

        CompletableFuture<Message> holder = resolveOn(firstLoop, first, "one.example.");
        await().atMost(Duration.ofSeconds(5)).until(() -> only.countQueries() == 1);
        CompletableFuture<Message> waiter = resolveOn(secondLoop, second, "two.example.");

        assertThat(address(holder.get(10, TimeUnit.SECONDS))).isEqualTo("192.0.2.1");
        // The second loop has nothing in flight, so only the queue's poll can see the slot that the
        // first loop freed; without it, the query would fail with OVER_CAPACITY after 2 s.
        assertThat(address(waiter.get(10, TimeUnit.SECONDS))).isEqualTo("192.0.2.1");
        assertThat(only.countQueries()).isEqualTo(2);
    }

    private static void startOn(Context loop, UpstreamResolver resolver) throws Exception {
        CompletableFuture<Void> started = new CompletableFuture<>();
        loop.runOnContext(v -> resolver.start().onComplete(result -> started.complete(null)));
        started.get(10, TimeUnit.SECONDS);
    }

    private static CompletableFuture<Message> resolveOn(Context loop, UpstreamResolver resolver,
                                                        String name) {
        Record question = Record.newRecord(Name.fromConstantString(name), Type.A, DClass.IN);
        CompletableFuture<Message> answer = new CompletableFuture<>();
        loop.runOnContext(v -> resolver.resolve(question, false, false).onComplete(result -> {
            if (result.succeeded()) {
                answer.complete(result.result());
            } else {
                answer.completeExceptionally(result.cause());
            }
        }));
        return answer;
    }

    @Test
    void compatibilityConstructorForwardsInOrder() throws Exception {
        TestUpstream first = upstream("192.0.2.1");
        first.drop();
        TestUpstream second = upstream("192.0.2.2");
        Vertx vertx = Vertx.vertx();
        resources.add(() -> vertx.close().toCompletionStage().toCompletableFuture().get());
        UpstreamResolver resolver = new UpstreamResolver(vertx,
                List.of(Upstreams.parse(first.address()), Upstreams.parse(second.address())), Duration.ofMillis(200),
                new DnsMetrics(new SimpleMeterRegistry()));
        Record question = Record.newRecord(Name.fromConstantString("www.example."), Type.A, DClass.IN);
        CompletableFuture<Message> answer = new CompletableFuture<>();
        vertx.getOrCreateContext().runOnContext(v -> resolver.start().onSuccess(started -> resolver
                .resolve(question, false, false)
                .onComplete(result -> answer.complete(result.result()))));

        assertThat(address(answer.get(10, TimeUnit.SECONDS))).isEqualTo("192.0.2.2");
        assertThat(first.countQueries()).isEqualTo(1);
    }

    @Test
    void queuedQueryGoesOutWhenSlotFrees() throws Exception {
        TestUpstream only = upstream("192.0.2.1");
        only.delay(Duration.ofMillis(100));
        ResolverHarness resolver = harness(Selection.SEQUENTIAL,
                ResolverHarness.withCap(settings(Duration.ofSeconds(1), Duration.ofSeconds(3)),
                        1, 10, Duration.ofSeconds(2)), only);

        CompletableFuture<Message> first = resolver.start("one.example.");
        CompletableFuture<Message> second = resolver.start("two.example.");

        assertThat(address(first.get())).isEqualTo("192.0.2.1");
        assertThat(address(second.get())).isEqualTo("192.0.2.1");
        assertThat(only.countQueries()).isEqualTo(2);
        assertThat(resolver.registry.get("rpzgate_upstream_queued").counter().count()).isEqualTo(1);
    }

    @Test
    void metricsCountQueriesAnswersAndLatency() throws Exception {
        TestUpstream upstream = upstream("192.0.2.1");
        ResolverHarness resolver = harness(Selection.SEQUENTIAL,
                settings(Duration.ofMillis(500), Duration.ofSeconds(2)), upstream);

        for (int i = 0; i < 5; i++) {
            resolver.resolve("n" + i + ".example.");
        }

        assertThat(resolver.counter("rpzgate_upstream_queries", upstream.address())).isEqualTo(5);
        assertThat(resolver.registry.get("rpzgate_upstream_responses").tag("upstream", upstream.address())
                .tag("rcode", "NOERROR").tag("zone", ".").counter().count()).isEqualTo(5);
        assertThat(resolver.registry.get("rpzgate_upstream_latency").tag("upstream", upstream.address())
                .timer().count()).isEqualTo(5);
        assertThat(resolver.gauge("rpzgate_upstream_up", upstream.address())).isEqualTo(1);
        assertThat(resolver.gauge("rpzgate_upstream_in_flight", upstream.address())).isZero();
    }
}
