package io.esb.docker;

import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.PostStop;
import akka.actor.typed.javadsl.Behaviors;
import com.github.dockerjava.api.exception.ConflictException;
import io.esb.config.DockerSettings;
import io.esb.observability.GatewayMetrics;
import io.esb.testing.ActorTestKitSupport;
import io.esb.testing.Eventually;
import io.esb.testing.LogCapture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A supervisor incarnation's call bookkeeping without Docker: the calls are plain lambdas on a small worker pool, so
 * the queue-timeout, the deadline, the undo and its one retry, and stopping are driven by real timers and threads.
 * The error classification and the queue/worker race through {@link DockerCalls.Ticket} are checked directly.
 */
class DockerCallsTest extends ActorTestKitSupport {
    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final String HOST = "unix:///nowhere/docker.sock";
    /** Each test's own workers, so a call one test left blocked cannot hold up another's. */
    private final ExecutorService oneWorker = Executors.newFixedThreadPool(1);
    private final ExecutorService twoWorkers = Executors.newFixedThreadPool(2);

    @AfterEach
    void stopWorkers() {
        oneWorker.shutdownNow();
        twoWorkers.shutdownNow();
    }

    @Test
    void aCallThatWaitsPastTheQueueTimeoutIsRefusedOverloadedAndNeverRuns() {
        var shared = new DockerSupervisor.Shared(HOST);
        var host = testKit.spawn(host(settings(Duration.ofSeconds(5), Duration.ofMillis(200)), oneWorker, shared));
        var release = new CountDownLatch(1);
        var secondRan = new AtomicBoolean();
        var first = testKit.<DockerReply<Object>>createTestProbe();
        var second = testKit.<DockerReply<Object>>createTestProbe();
        try (var logs = new LogCapture()) {
            host.tell(run("first", c -> {
                release.await();
                return "done";
            }, first, null, null));
            host.tell(run("second", c -> {
                secondRan.set(true);
                return "ran";
            }, second, null, null));

            var refused = failure(second);
            assertThat(refused.kind()).isEqualTo(DockerFailure.Kind.OVERLOADED);
            assertThat(refused.operation()).isEqualTo("second");
            assertThat(refused.message()).startsWith("Docker is overloaded: 'second' waited ")
                    .endsWith(" ms for one of the 1 Docker workers (esb.docker.queue-timeout) and was not run");
            // Logged just after the answer.
            Eventually.within(WAIT, () -> {
                var warned = logs.withMessage("Docker operation waited too long for a worker; not run");
                assertThat(warned).hasSize(1);
                assertThat(LogCapture.fields(warned.get(0))).containsEntry("operation", "second")
                        .containsEntry("operations_in_flight", "2").containsKey("waited_ms");
            });

            release.countDown();
            assertThat(first.expectMessageClass(DockerReply.Ok.class, WAIT).value()).isEqualTo("done");
            Eventually.within(WAIT, () -> assertThat(shared.operationsInFlight()).isZero());
            assertThat(secondRan).isFalse();
            second.expectNoMessage(Duration.ofMillis(200));
        }
        testKit.stop(host);
    }

    @Test
    void aCallPastItsDeadlineIsAnsweredTimeoutAloneAndItsUndoRunsOnceMoreWhenItFoundNothing() {
        var shared = new DockerSupervisor.Shared(HOST);
        var host = testKit.spawn(host(settings(Duration.ofMillis(300), Duration.ofSeconds(5)), twoWorkers, shared));
        var release = new CountDownLatch(1);
        var slow = testKit.<DockerReply<Object>>createTestProbe();
        var undos = testKit.<String>createTestProbe();
        var undo = new DockerSupervisor.Undo("remove-made", c -> {
            undos.ref().tell("undo");
            return false;
        });
        try (var logs = new LogCapture()) {
            host.tell(run("slow", c -> {
                release.await();
                return "late";
            }, slow, null, undo));

            var timedOut = failure(slow);
            assertThat(timedOut).isEqualTo(new DockerFailure(DockerFailure.Kind.TIMEOUT, "slow",
                    "Docker operation 'slow' timed out after 300 ms (esb.docker.client-timeout)"));
            Eventually.within(WAIT, () -> {
                var logged = logs.withMessage("Docker operation timed out; aborting it alone");
                assertThat(logged).hasSize(1);
                assertThat(LogCapture.fields(logged.get(0))).containsEntry("operation", "slow").containsEntry("timeout_ms", "300")
                        .containsEntry("operations_in_flight", "1");
            });
            // Found nothing: once more a probe interval later, then no more.
            undos.expectMessage(WAIT, "undo");
            undos.expectMessage(WAIT, "undo");
            undos.expectNoMessage(Duration.ofMillis(600));

            release.countDown();
            slow.expectNoMessage(Duration.ofMillis(300)); // answered already; its late result is dropped
        }
        testKit.stop(host);
    }

    @Test
    void aLongerDeadlineNamesItsSettingAndAFailedCallIsClassified() {
        var host = testKit.spawn(host(settings(Duration.ofMillis(100), Duration.ofSeconds(5)), twoWorkers,
                new DockerSupervisor.Shared(HOST)));
        var release = new CountDownLatch(1);
        var build = testKit.<DockerReply<Object>>createTestProbe();
        var fails = testKit.<DockerReply<Object>>createTestProbe();

        host.tell(run("build-image", c -> {
            release.await();
            return "built";
        }, build, new DockerSupervisor.Deadline(Duration.ofMillis(250), DockerTimeouts.BUILD_KEY), null));
        host.tell(run("inspect", c -> {
            throw new IllegalStateException("boom\nsecond line");
        }, fails, null, null));

        assertThat(failure(fails)).isEqualTo(new DockerFailure(DockerFailure.Kind.REJECTED, "inspect",
                "Docker operation 'inspect' failed: IllegalStateException: boom"));
        assertThat(failure(build)).isEqualTo(new DockerFailure(DockerFailure.Kind.TIMEOUT, "build-image",
                "Docker operation 'build-image' timed out after 250 ms (esb.docker.build-timeout)"));
        release.countDown();
        testKit.stop(host);
    }

    @Test
    void stoppingAnswersEveryPendingCallUnavailableAndAQueuedOneNeverRuns() {
        var shared = new DockerSupervisor.Shared(HOST);
        var host = testKit.spawn(host(settings(Duration.ofSeconds(5), Duration.ofSeconds(5)), oneWorker, shared));
        var started = new CountDownLatch(1);
        var release = new CountDownLatch(1);
        var queuedRan = new AtomicBoolean();
        var running = testKit.<DockerReply<Object>>createTestProbe();
        var queued = testKit.<DockerReply<Object>>createTestProbe();
        host.tell(run("running", c -> {
            started.countDown();
            release.await();
            return "done";
        }, running, null, null));
        host.tell(run("queued", c -> {
            queuedRan.set(true);
            return "ran";
        }, queued, null, null));
        Eventually.within(WAIT, () -> assertThat(started.getCount()).isZero());
        // Both submitted: a stop is a system message and overtakes a Run still in the mailbox, which would then
        // never be answered (the test's race, not the supervisor's).
        Eventually.within(WAIT, () -> assertThat(shared.operationsInFlight()).isEqualTo(2));

        testKit.stop(host);

        assertThat(failure(running)).isEqualTo(new DockerFailure(DockerFailure.Kind.UNAVAILABLE, "running",
                "Docker daemon unavailable at " + HOST + ": 'running' was aborted because the test stopped it"));
        assertThat(failure(queued)).isEqualTo(new DockerFailure(DockerFailure.Kind.UNAVAILABLE, "queued",
                "Docker daemon unavailable at " + HOST + ": 'queued' was aborted because the test stopped it"));
        release.countDown();
        Eventually.within(WAIT, () -> assertThat(shared.operationsInFlight()).isZero());
        assertThat(queuedRan).isFalse();
    }

    @Test
    void theQueueTimeoutAndTheWorkerRaceForATicketAndOnlyTheFirstWins() {
        var expiredFirst = new DockerCalls.Ticket();
        assertThat(expiredFirst.claim()).isTrue();
        assertThat(expiredFirst.claim()).as("the worker comes too late: the call is not run").isFalse();

        var takenFirst = new DockerCalls.Ticket();
        assertThat(takenFirst.claim()).isTrue();
        assertThat(takenFirst.claim()).as("the queue-timeout comes too late: the deadline applies").isFalse();
    }

    @Test
    void aTicketAbortsItsCallOnlyOnceAWorkerRunsIt() {
        var ticket = new DockerCalls.Ticket();
        assertThat(ticket.abort("timed out")).isFalse();
        try (var call = AbortableDockerHttpClient.open()) {
            ticket.running(call);
            assertThat(ticket.abort("timed out after 300 ms")).isTrue();
            assertThat(call.aborted()).isTrue();
        }
    }

    @Test
    void classifiesRejectionsUnreachableDaemonsAndOtherFailures() {
        var conflict = DockerCalls.classify("create-and-start", new ConflictException("Conflict. The name is in use\nmore"), HOST);
        assertThat(conflict).isEqualTo(new DockerFailure(DockerFailure.Kind.REJECTED, "create-and-start",
                "Docker rejected 'create-and-start' (HTTP 409): Status 409: Conflict. The name is in use"));

        var refused = new UncheckedIOException(new IOException("connect failed", new ConnectException("Connection refused")));
        assertThat(DockerCalls.classify("ping", refused, HOST)).isEqualTo(new DockerFailure(DockerFailure.Kind.UNAVAILABLE, "ping",
                "Docker daemon unavailable at " + HOST + ": ConnectException: Connection refused"));

        assertThat(DockerCalls.classify("stop", new IllegalArgumentException(), HOST)).isEqualTo(
                new DockerFailure(DockerFailure.Kind.REJECTED, "stop", "Docker operation 'stop' failed: IllegalArgumentException"));
    }

    @Test
    void unwrapsFuturesWrappersAndKeepsTheFirstLineOfAMessage() {
        var cause = new IllegalStateException("inner");
        assertThat(DockerCalls.unwrap(new CompletionException(new ExecutionException(cause)))).isSameAs(cause);
        assertThat(DockerCalls.unwrap(new CompletionException("no cause", null))).isInstanceOf(CompletionException.class);
        assertThat(DockerCalls.firstLine("  first\nsecond")).isEqualTo("first");
        assertThat(DockerCalls.firstLine(null)).isEmpty();
        assertThat(DockerCalls.firstLine("x".repeat(400))).hasSize(300);
        assertThat(DockerCalls.describe(new RuntimeException("outer", new IOException("Broken pipe")))).isEqualTo("IOException: Broken pipe");
    }

    /** A stand-in for the supervisor's incarnation: it hands Runs and call events to a DockerCalls, as the real one does. */
    @SuppressWarnings("unchecked")
    private static Behavior<DockerSupervisor.Command> host(DockerSettings docker, ExecutorService workers, DockerSupervisor.Shared shared) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
            var calls = new DockerCalls(ctx, timers, null, workers, DockerTimeouts.of(docker), docker, shared,
                    DockerMetrics.of(GatewayMetrics.disabled()));
            return Behaviors.receive(DockerSupervisor.Command.class)
                    .onMessage(DockerSupervisor.Run.class, run -> {
                        calls.submit(run.operation(), run.requestId(), (DockerOperation<Object>) run.call(),
                                (ActorRef<DockerReply<Object>>) (ActorRef<?>) run.replyTo(), run.deadline(), run.undo());
                        return Behaviors.same();
                    })
                    .onMessage(DockerCalls.Event.class, event -> {
                        calls.on(event);
                        return Behaviors.same();
                    })
                    .onSignal(PostStop.class, stopped -> {
                        calls.abortAll("the test stopped it");
                        return Behaviors.same();
                    })
                    .build();
        }));
    }

    private static DockerSettings settings(Duration clientTimeout, Duration queueTimeout) {
        return new DockerSettings(HOST, 1, clientTimeout, 10, Duration.ofMillis(200), Duration.ofSeconds(1), Duration.ofSeconds(10),
                Duration.ofMillis(100), Duration.ofSeconds(1), "calls-test", Duration.ofSeconds(30), "", queueTimeout, 2);
    }

    private static DockerSupervisor.Run<Object> run(String operation, DockerOperation<Object> call, TestProbe<DockerReply<Object>> replyTo,
                                                    DockerSupervisor.Deadline deadline, DockerSupervisor.Undo undo) {
        return new DockerSupervisor.Run<>(operation, null, call, replyTo.ref(), deadline, undo);
    }

    private static DockerFailure failure(TestProbe<DockerReply<Object>> probe) {
        return ((DockerReply.Failed<?>) probe.expectMessageClass(DockerReply.Failed.class, WAIT)).failure();
    }
}
