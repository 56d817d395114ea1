package io.esb.async;

import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import com.typesafe.config.ConfigFactory;
import io.esb.config.EsbSettings;
import io.esb.config.SettingsLoader;
import io.esb.function.FunctionActor;
import io.esb.function.FunctionTable;
import io.esb.function.Invocation;
import io.esb.function.InvocationResult;
import io.esb.observability.GatewayMetrics;
import io.esb.testing.ActorTestKitSupport;
import io.esb.testing.LogCapture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The async invoker against a real store (SQLite in a temp dir) and a function actor played by a probe: what is
 * answered when, what is retried, what is dead-lettered, what comes back after a restart.
 */
class AsyncInvokerTest extends ActorTestKitSupport {
    private static final Duration WAIT = Duration.ofSeconds(5);

    @TempDir
    Path dataDir;

    private EsbSettings settings;
    private EventJournal journal;
    private TestProbe<FunctionActor.Command> fx;
    private TestProbe<FunctionActor.Command> other;
    private final AtomicReference<FunctionTable> table = new AtomicReference<>();
    private LogCapture logs;

    @BeforeEach
    void setUp() {
        settings = settings("");
        journal = EventJournal.open(settings.async(), "test");
        fx = testKit.createTestProbe(FunctionActor.Command.class);
        other = testKit.createTestProbe(FunctionActor.Command.class);
        table.set(FunctionTable.of(1, settings.functions(), Map.of("fx", fx.ref(), "other", other.ref())));
        logs = new LogCapture();
    }

    @AfterEach
    void tearDown() {
        logs.close();
        journal.close();
    }

    private EsbSettings settings(String extra) {
        return SettingsLoader.load(ConfigFactory.parseString(extra + """
                esb.data-dir = "%s"
                esb.async { retry-delays = [50ms, 50ms], service-retry-min-delay = 20ms, service-retry-max-delay = 40ms, max-queued = 3 }
                esb.functions.fx { image = "esb-fixture:latest", timeout = 3s }
                esb.functions.other { image = "esb-fixture:latest", timeout = 3s }
                """.formatted(dataDir.toString().replace("\\", "/"))).withFallback(ConfigFactory.defaultReference()).resolve());
    }

    private ActorRef<AsyncInvoker.Command> start() {
        return testKit.spawn(AsyncInvoker.create(settings, journal, AsyncMetrics.of(GatewayMetrics.disabled()), GatewayMetrics.disabled(),
                table::get, io.esb.function.FunctionCalls.local(testKit.system()), Clock.systemUTC()));
    }

    private static Invocation invocation(String requestId) {
        return new Invocation(("{\"n\":\"" + requestId + "\"}").getBytes(StandardCharsets.UTF_8), requestId, false, "{\"custom\":{\"a\":1}}");
    }

    private AsyncInvoker.Accepting enqueue(ActorRef<AsyncInvoker.Command> invoker, String requestId) {
        return enqueue(invoker, "fx", requestId);
    }

    private AsyncInvoker.Accepting enqueue(ActorRef<AsyncInvoker.Command> invoker, String function, String requestId) {
        var reply = testKit.<AsyncInvoker.Accepting>createTestProbe();
        invoker.tell(new AsyncInvoker.Enqueue(function, invocation(requestId), reply.ref()));
        return reply.receiveMessage(WAIT);
    }

    private List<PendingEvent> pending() throws Exception {
        return journal.read(EventStore::pending).toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    private List<DeadLetter> deadLetters(ActorRef<AsyncInvoker.Command> invoker) {
        var reply = testKit.<AsyncInvoker.StoreAnswer<List<DeadLetter>>>createTestProbe();
        invoker.tell(new AsyncInvoker.ListDeadLetters(null, 100, reply.ref()));
        var answer = reply.receiveMessage(WAIT);
        assertThat(answer.failure()).isNull();
        return answer.value();
    }

    private static InvocationResult.Completed success() {
        return new InvocationResult.Completed(200, "{\"ok\":true}".getBytes(StandardCharsets.UTF_8), "application/json", false, "c1", null);
    }

    private static InvocationResult.Completed functionError() {
        return new InvocationResult.Completed(200, "{\"errorMessage\":\"boom\",\"errorType\":\"IllegalStateException\"}".getBytes(StandardCharsets.UTF_8),
                "application/json", false, "c1", null);
    }

    private void awaitStore(String what, java.util.function.Predicate<List<PendingEvent>> condition) throws Exception {
        io.esb.testing.Eventually.await(WAIT, what, this::pending, condition);
    }

    @Test
    void anEventIsAcceptedOnlyOnceOnDiskThenDeliveredWithItsRequestIdAndRemoved() throws Exception {
        var invoker = start();
        assertThat(enqueue(invoker, "r1")).isInstanceOf(AsyncInvoker.Accepted.class);
        // The 202's promise: on disk before the function has even been asked.
        var invoke = fx.expectMessageClass(FunctionActor.Invoke.class, WAIT);
        assertThat(pending()).extracting(PendingEvent::requestId).containsExactly("r1");
        assertThat(invoke.invocation().requestId()).isEqualTo("r1");
        assertThat(new String(invoke.invocation().event(), StandardCharsets.UTF_8)).isEqualTo("{\"n\":\"r1\"}");
        assertThat(invoke.invocation().clientContext()).isEqualTo("{\"custom\":{\"a\":1}}");

        invoke.replyTo().send(success());
        awaitStore("the delivered event removed", List::isEmpty);
        fx.expectNoMessage(Duration.ofMillis(200));
    }

    @Test
    void aLostNodesQueuedEventsAreTakenOverWithTheirPayloadsAndRequestIdsAndLeaveItsStore() throws Exception {
        var lost = EventJournal.open(settings.async(), "lost-node");
        try {
            for (var id : List.of("l1", "l2")) {
                lost.write(new EventStore.Append(PendingEvent.accepted(id, "fx", ("{\"from\":\"" + id + "\"}").getBytes(StandardCharsets.UTF_8),
                        null, System.currentTimeMillis()))).toCompletableFuture().get(5, TimeUnit.SECONDS);
            }
        } finally {
            lost.close();
        }
        var invoker = start();
        invoker.tell(new AsyncInvoker.Adopt("lost-node"));
        for (var id : List.of("l1", "l2")) {
            var invoke = fx.expectMessageClass(FunctionActor.Invoke.class, WAIT);
            assertThat(invoke.invocation().requestId()).isEqualTo(id);
            assertThat(new String(invoke.invocation().event(), StandardCharsets.UTF_8)).isEqualTo("{\"from\":\"" + id + "\"}");
            invoke.replyTo().send(success());
        }
        awaitStore("the taken-over events delivered and removed", List::isEmpty);
        var reopened = EventJournal.open(settings.async(), "lost-node");
        try {
            assertThat(reopened.read(EventStore::pending).toCompletableFuture().get(5, TimeUnit.SECONDS)).as("the lost node's queue").isEmpty();
        } finally {
            reopened.close();
        }
        assertThat(logs.withMessage("Took over a lost node's queued Event invocations")).singleElement()
                .satisfies(e -> assertThat(LogCapture.fields(e)).containsEntry("instance", "lost-node").containsEntry("events", "2"));
        // An instance with no store on this disk (or this node's own) is left alone.
        invoker.tell(new AsyncInvoker.Adopt("elsewhere"));
        invoker.tell(new AsyncInvoker.Adopt("test"));
        fx.expectNoMessage(Duration.ofMillis(300));
    }

    @Test
    void eventsInTheStoreAtStartAreDeliveredInOrderWithTheirRequestIds() throws Exception {
        for (var id : List.of("a", "b", "c")) {
            journal.write(new EventStore.Append(PendingEvent.accepted(id, "fx", "{}".getBytes(StandardCharsets.UTF_8), null,
                    System.currentTimeMillis()))).toCompletableFuture().get(5, TimeUnit.SECONDS);
        }
        var invoker = start();
        var seen = new java.util.ArrayList<String>();
        for (int i = 0; i < 3; i++) {
            var invoke = fx.expectMessageClass(FunctionActor.Invoke.class, WAIT);
            seen.add(invoke.invocation().requestId());
            invoke.replyTo().send(success());
        }
        assertThat(seen).containsExactly("a", "b", "c");
        awaitStore("all delivered", List::isEmpty);
        var recovered = logs.withMessage("Async events recovered");
        assertThat(recovered).singleElement().satisfies(e -> assertThat(LogCapture.fields(e)).containsEntry("pending", "3"));
        assertThat(invoker).isNotNull();
    }

    @Test
    void aFunctionErrorIsRetriedTwiceThenDeadLetteredAndAReplayDeliversItAgain() throws Exception {
        var invoker = start();
        enqueue(invoker, "r1");
        for (int attempt = 1; attempt <= 3; attempt++) {
            var invoke = fx.expectMessageClass(FunctionActor.Invoke.class, WAIT);
            assertThat(invoke.invocation().requestId()).isEqualTo("r1");
            invoke.replyTo().send(functionError());
        }
        fx.expectNoMessage(Duration.ofMillis(300));
        io.esb.testing.Eventually.await(WAIT, "the dead-letter line", () -> logs.withMessage("Async invocation dead-lettered"), l -> !l.isEmpty());
        var line = logs.withMessage("Async invocation dead-lettered").get(0);
        assertThat(line.getLevel().toString()).isEqualTo("WARN");
        assertThat(LogCapture.fields(line)).containsEntry("function_name", "fx").containsEntry("request_id", "r1")
                .containsEntry("reason", "RetriesExhausted").containsEntry("attempts", "3").containsEntry("last_error", "IllegalStateException");
        assertThat(pending()).isEmpty();
        assertThat(deadLetters(invoker)).singleElement().satisfies(letter -> {
            assertThat(letter.reason()).isEqualTo("RetriesExhausted");
            assertThat(letter.event().attempts()).isEqualTo(3);
            assertThat(letter.event().firstAttemptAt()).isPositive().isLessThanOrEqualTo(letter.event().lastAttemptAt());
            assertThat(new String(letter.event().payload(), StandardCharsets.UTF_8)).isEqualTo("{\"n\":\"r1\"}");
        });

        var replayed = testKit.<AsyncInvoker.StoreAnswer<Boolean>>createTestProbe();
        invoker.tell(new AsyncInvoker.Replay("r1", replayed.ref()));
        assertThat(replayed.receiveMessage(WAIT).value()).isTrue();
        var again = fx.expectMessageClass(FunctionActor.Invoke.class, WAIT);
        assertThat(again.invocation().requestId()).isEqualTo("r1");
        again.replyTo().send(success());
        awaitStore("the replayed event delivered", List::isEmpty);
        assertThat(deadLetters(invoker)).isEmpty();

        invoker.tell(new AsyncInvoker.Replay("r1", replayed.ref()));
        assertThat(replayed.receiveMessage(WAIT).value()).isFalse();
    }

    @Test
    void throttlesAreRetriedBeyondTheFunctionErrorBudget() throws Exception {
        var invoker = start();
        enqueue(invoker, "r1");
        for (int attempt = 1; attempt <= 4; attempt++) {
            fx.expectMessageClass(FunctionActor.Invoke.class, WAIT).replyTo()
                    .send(new InvocationResult.Failed(InvocationResult.Reason.THROTTLED, "queue full", false));
        }
        var last = fx.expectMessageClass(FunctionActor.Invoke.class, WAIT);
        assertThat(pending()).singleElement().satisfies(e -> {
            assertThat(e.attempts()).isEqualTo(4);
            assertThat(e.functionErrors()).isZero();
            assertThat(e.lastError()).startsWith("THROTTLED");
        });
        last.replyTo().send(success());
        awaitStore("delivered after the throttles", List::isEmpty);
        assertThat(deadLetters(invoker)).isEmpty();
    }

    @Test
    void anEventForAFunctionNoLongerConfiguredIsDeadLetteredNotDropped() throws Exception {
        table.set(FunctionTable.of(2, Map.of(), Map.of()));
        var invoker = start();
        enqueue(invoker, "r1");
        io.esb.testing.Eventually.await(WAIT, "a dead letter", () -> deadLetters(invoker), l -> !l.isEmpty());
        assertThat(deadLetters(invoker)).singleElement().satisfies(l -> assertThat(l.reason()).isEqualTo("FunctionNotFound"));
        assertThat(pending()).isEmpty();
    }

    @Test
    void aFullQueueAndAStoreThatCannotWriteAreRefusedWithTheirReasons() throws Exception {
        var invoker = start();
        for (var id : List.of("r1", "r2", "r3")) {
            assertThat(enqueue(invoker, id)).isInstanceOf(AsyncInvoker.Accepted.class);
        }
        assertThat(enqueue(invoker, "r4")).isEqualTo(new AsyncInvoker.QueueFull(3));
        // The bound is per function: another function's queue still takes events.
        assertThat(enqueue(invoker, "other", "o1")).isInstanceOf(AsyncInvoker.Accepted.class);
        other.expectMessageClass(FunctionActor.Invoke.class, WAIT).replyTo().send(success());

        journal.close();
        // r1 is running (the probe holds it); finishing it frees a place, but the store is gone: its removal fails,
        // and it stays in the file to be delivered again after a restart (at least once).
        fx.expectMessageClass(FunctionActor.Invoke.class, WAIT).replyTo().send(success());
        // o1's removal may fail too (the journal closed under it), so wait for r1's line, not any.
        io.esb.testing.Eventually.await(WAIT, "r1's failed removal logged", () -> logs.withMessage("Async event store write failed"),
                l -> l.stream().anyMatch(e -> "r1".equals(LogCapture.fields(e).get("request_id"))));
        var refused = enqueue(invoker, "r5");
        assertThat(refused).isInstanceOfSatisfying(AsyncInvoker.StoreUnavailable.class,
                s -> assertThat(s.reason()).isEqualTo("the event journal is closed"));
    }
}
