package io.esb.async;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.TimerScheduler;
import io.esb.config.AsyncSettings;
import io.esb.config.EsbSettings;
import io.esb.config.FunctionAsync;
import io.esb.function.FunctionActor;
import io.esb.function.FunctionCalls;
import io.esb.function.FunctionMetrics;
import io.esb.function.FunctionTable;
import io.esb.function.Invocation;
import io.esb.function.InvocationResult;
import io.esb.function.LambdaOutcome;
import io.esb.observability.GatewayMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

import static net.logstash.logback.argument.StructuredArguments.kv;

/**
 * Runs {@code Event} invocations, which were answered 202 only once the {@link EventJournal} had them on disk. At
 * start it takes back every event the store still holds (delivered at least once, with its request id). Then, as on
 * AWS: a function error is retried {@code max-retry-attempts} times (the function's own, else the gateway's) after the
 * {@code retry-delays}; a throttle or a
 * failure of the gateway or Docker is retried with backoff; an event older than {@code max-event-age}, or out of
 * retries, goes to the dead letters with a WARN line. Nothing is dropped silently.
 */
public final class AsyncInvoker {
    private static final Logger log = LoggerFactory.getLogger(AsyncInvoker.class);

    public sealed interface Command {}

    /** Persists the event and answers whether it was accepted (then 202), the queue is full, or the store failed. */
    public record Enqueue(String functionName, Invocation invocation, ActorRef<Accepting> replyTo) implements Command {}

    /** The answer to {@link Enqueue}. */
    public sealed interface Accepting {}

    public record Accepted() implements Accepting {}

    public record QueueFull(int limit) implements Accepting {}

    public record StoreUnavailable(String reason) implements Accepting {}

    /** Dead letters, oldest first; {@code function} filters when not null. */
    public record ListDeadLetters(String function, int limit, ActorRef<StoreAnswer<List<DeadLetter>>> replyTo) implements Command {}

    /** Puts a dead letter back in the queue as a fresh event with its request id; the answer is false when there is none. */
    public record Replay(String requestId, ActorRef<StoreAnswer<Boolean>> replyTo) implements Command {}

    /** Deletes a dead letter; the answer is false when there is none. */
    public record Discard(String requestId, ActorRef<StoreAnswer<Boolean>> replyTo) implements Command {}

    /** A store operation's result, or why the store could not do it. */
    public record StoreAnswer<T>(T value, String failure) {
        static <T> StoreAnswer<T> of(T value, Throwable error) {
            return error == null ? new StoreAnswer<>(value, null) : new StoreAnswer<>(null, describe(error));
        }
    }

    /**
     * Takes over the queued events of another gateway instance's store under the same {@code esb.data-dir}: a cluster
     * node that was lost. They run here with their request ids, at least once.
     */
    public record Adopt(String instanceId) implements Command {}

    private record Adopted(String instanceId, java.nio.file.Path store, List<PendingEvent> events, Throwable error) implements Command {}

    private record Recovered(List<PendingEvent> events, long deadLetters, Throwable error) implements Command {}

    private record Persisted(PendingEvent event, ActorRef<Accepting> replyTo, Throwable error) implements Command {}

    private record PayloadLoaded(PendingEvent event, byte[] payload, Throwable error) implements Command {}

    private record Attempted(PendingEvent event, LambdaOutcome outcome, long startedAt) implements Command {}

    private record Due(String requestId) implements Command {}

    private record Buried(DeadLetter letter, Throwable error) implements Command {}

    private record Replayed(Optional<PendingEvent> event, Throwable error, ActorRef<StoreAnswer<Boolean>> replyTo) implements Command {}

    private record Discarded(boolean removed, Throwable error, ActorRef<StoreAnswer<Boolean>> replyTo) implements Command {}

    private record StoreWriteFailed(String what, String requestId, Throwable error) implements Command {}

    /**
     * {@code functions}: the current functions, looked up at each attempt, so an event queued or waiting for a retry
     * across a live reload goes to the function as configured then (and to the dead letters when it was removed).
     */
    public static Behavior<Command> create(EsbSettings settings, EventJournal journal, AsyncMetrics metrics, GatewayMetrics gatewayMetrics,
                                           Supplier<FunctionTable> functions, FunctionCalls calls, Clock clock) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
            var invoker = new AsyncInvoker(ctx, timers, settings, journal, metrics, gatewayMetrics, functions, calls, clock);
            ctx.pipeToSelf(journal.read(store -> new Recovered(store.pending(), store.deadLetterCount(), null)),
                    (recovered, error) -> error == null ? recovered : new Recovered(List.of(), 0, error));
            return invoker.recovering();
        }));
    }

    private final ActorContext<Command> ctx;
    private final TimerScheduler<Command> timers;
    private final EsbSettings settings;
    private final AsyncSettings async;
    private final EventJournal journal;
    private final AsyncMetrics metrics;
    private final GatewayMetrics gatewayMetrics;
    private final Supplier<FunctionTable> functions;
    private final FunctionCalls calls;
    private final Clock clock;
    /** Every event held, by request id: ready, running or waiting for its next attempt. */
    private final Map<String, PendingEvent> held = new HashMap<>();
    private final ArrayDeque<String> ready = new ArrayDeque<>();
    /** Per function, the events held and those enqueued but not yet on disk: what {@code max-queued} bounds. */
    private final Map<String, Integer> queuedByFunction = new HashMap<>();
    private int running;

    private AsyncInvoker(ActorContext<Command> ctx, TimerScheduler<Command> timers, EsbSettings settings, EventJournal journal,
                         AsyncMetrics metrics, GatewayMetrics gatewayMetrics, Supplier<FunctionTable> functions, FunctionCalls calls,
                         Clock clock) {
        this.calls = calls;
        this.ctx = ctx;
        this.timers = timers;
        this.settings = settings;
        this.async = settings.async();
        this.journal = journal;
        this.metrics = metrics;
        this.gatewayMetrics = gatewayMetrics;
        this.functions = functions;
        this.clock = clock;
    }

    /** Until the store's events are back, new ones are stashed, so the recovered ones keep their place ahead of them. */
    private Behavior<Command> recovering() {
        return Behaviors.withStash(10_000, stash -> Behaviors.receive(Command.class)
                .onMessage(Recovered.class, recovered -> {
                    onRecovered(recovered);
                    return stash.unstashAll(behavior());
                })
                .onAnyMessage(message -> {
                    if (stash.isFull()) {
                        ctx.getLog().warn("Async invoker still recovering; a command waits in vain");
                    } else {
                        stash.stash(message);
                    }
                    return Behaviors.same();
                })
                .build());
    }

    private void onRecovered(Recovered recovered) {
        if (recovered.error() != null) {
            // The store opened and checked fine moments ago, so this is rare; events stay on disk for the next start.
            log.error("Async events could not be read back from the store; they stay there for the next start",
                    kv("store", journal.file().toString()), kv("error_detail", describe(recovered.error())));
            return;
        }
        hold(recovered.events());
        metrics.deadLettersStored(recovered.deadLetters());
        metrics.queued(held.size());
        if (!recovered.events().isEmpty() || recovered.deadLetters() > 0) {
            log.info("Async events recovered", kv("pending", recovered.events().size()), kv("dead_letters", recovered.deadLetters()),
                    kv("store", journal.file().toString()));
        }
        startReady();
    }

    /** Events read back from a store: held, counted, and each scheduled for its next attempt. */
    private void hold(List<PendingEvent> events) {
        long now = clock.millis();
        for (var event : events) {
            if (held.putIfAbsent(event.requestId(), event) == null) {
                count(event.functionName(), 1);
                scheduleAt(event, now);
            }
        }
    }

    private Behavior<Command> onAdopt(Adopt adopt) {
        if (adopt.instanceId().equals(settings.docker().instanceId())) {
            return Behaviors.same(); // our own store
        }
        var other = async.dataDir().resolve(adopt.instanceId()).resolve(EventJournal.FILE_NAME);
        // Looked for on the journal's thread, not this dispatcher's: a store not on this node's disk waits for its node.
        ctx.pipeToSelf(journal.read(store -> java.nio.file.Files.isRegularFile(other) ? store.adopt(other) : List.<PendingEvent>of()),
                (events, error) -> new Adopted(adopt.instanceId(), other, events, error));
        return Behaviors.same();
    }

    private Behavior<Command> onAdopted(Adopted adopted) {
        if (adopted.error() != null) {
            log.error("Could not take over a lost node's queued Event invocations; they stay in its store", kv("instance", adopted.instanceId()),
                    kv("store", adopted.store().toString()), kv("error_detail", describe(adopted.error())));
            return Behaviors.same();
        }
        hold(adopted.events());
        metrics.queued(held.size());
        if (!adopted.events().isEmpty()) {
            log.info("Took over a lost node's queued Event invocations", kv("instance", adopted.instanceId()), kv("events", adopted.events().size()),
                    kv("store", adopted.store().toString()));
        }
        startReady();
        return Behaviors.same();
    }

    private Behavior<Command> behavior() {
        return Behaviors.receive(Command.class)
                .onMessage(Enqueue.class, this::onEnqueue)
                .onMessage(Persisted.class, this::onPersisted)
                .onMessage(PayloadLoaded.class, this::onPayloadLoaded)
                .onMessage(Attempted.class, this::onAttempted)
                .onMessage(Due.class, this::onDue)
                .onMessage(Buried.class, this::onBuried)
                .onMessage(ListDeadLetters.class, this::onList)
                .onMessage(Replay.class, this::onReplay)
                .onMessage(Replayed.class, this::onReplayed)
                .onMessage(Discard.class, this::onDiscard)
                .onMessage(Discarded.class, this::onDiscarded)
                .onMessage(StoreWriteFailed.class, this::onStoreWriteFailed)
                .onMessage(Adopt.class, this::onAdopt)
                .onMessage(Adopted.class, this::onAdopted)
                .build();
    }

    private Behavior<Command> onEnqueue(Enqueue enqueue) {
        if (queuedByFunction.getOrDefault(enqueue.functionName(), 0) >= async.maxQueued()) {
            enqueue.replyTo().tell(new QueueFull(async.maxQueued()));
            return Behaviors.same();
        }
        var invocation = enqueue.invocation();
        var event = PendingEvent.accepted(invocation.requestId(), enqueue.functionName(), invocation.event(), invocation.clientContext(),
                clock.millis());
        count(event.functionName(), 1);
        ctx.pipeToSelf(journal.write(new EventStore.Append(event)), (done, error) -> new Persisted(event, enqueue.replyTo(), error));
        return Behaviors.same();
    }

    private Behavior<Command> onPersisted(Persisted persisted) {
        var event = persisted.event();
        if (persisted.error() != null) {
            count(event.functionName(), -1);
            var reason = describe(persisted.error());
            log.error("Async invocation not accepted: the event store cannot write", kv("function_name", event.functionName()),
                    kv("request_id", event.requestId()), kv("store", journal.file().toString()), kv("error_detail", reason));
            persisted.replyTo().tell(new StoreUnavailable(reason));
            return Behaviors.same();
        }
        persisted.replyTo().tell(new Accepted());
        held.put(event.requestId(), event.withoutPayload());
        metrics.queued(held.size());
        ready.add(event.requestId());
        startReady();
        return Behaviors.same();
    }

    private void startReady() {
        while (running < async.maxConcurrent() && !ready.isEmpty()) {
            var event = held.get(ready.poll());
            if (event == null) {
                continue;
            }
            long now = clock.millis();
            if (now - event.acceptedAt() > policy(event).maxEventAge(async).toMillis()) {
                bury(event, "EventAgeExceeded", now);
                continue;
            }
            running++;
            // The payload waits in the store, not on the heap, until the event runs.
            ctx.pipeToSelf(journal.read(store -> store.payload(event.requestId())),
                    (payload, error) -> new PayloadLoaded(event, payload == null ? null : payload.orElse(null), error));
        }
    }

    /** Asks the function, as configured now (a reload may have come since the event was dispatched). */
    private Behavior<Command> onPayloadLoaded(PayloadLoaded loaded) {
        var event = loaded.event();
        var table = functions.get();
        var function = table.function(event.functionName());
        if (loaded.payload() == null) {
            // The store could not give it back now; it stays there, and this tries again after a while.
            running--;
            log.error("Async event could not be read from the store; trying again", kv("function_name", event.functionName()),
                    kv("request_id", event.requestId()), kv("error_detail", loaded.error() == null ? "not in the store" : describe(loaded.error())));
            timers.startSingleTimer(event.requestId(), new Due(event.requestId()), async.serviceRetryMaxDelay());
            startReady();
            return Behaviors.same();
        }
        if (function == null) {
            running--;
            bury(event, "FunctionNotFound", clock.millis());
            startReady();
            return Behaviors.same();
        }
        var bound = FunctionActor.invocationBound(function, settings);
        long started = System.nanoTime();
        long now = clock.millis();
        var invocation = new Invocation(loaded.payload(), event.requestId(), false, event.clientContext());
        ctx.pipeToSelf(calls.invoke(table, function.name(), invocation, bound),
                (result, error) -> new Attempted(event, FunctionMetrics.of(gatewayMetrics, function.name()).invoked(LambdaOutcome.of(
                        result != null ? result : new InvocationResult.Failed(InvocationResult.Reason.TIMED_OUT,
                                "no answer within " + bound.toSeconds() + " s", false),
                        event.requestId(), function.timeout().toSeconds()), started), now));
        return Behaviors.same();
    }

    private Behavior<Command> onAttempted(Attempted attempted) {
        running--;
        var event = attempted.event();
        var outcome = attempted.outcome();
        if (outcome instanceof LambdaOutcome.Success) {
            forget(event);
            write(new EventStore.Remove(event.requestId()), "remove", event.requestId());
        } else {
            retryOrBury(event, outcome, attempted.startedAt());
        }
        startReady();
        return Behaviors.same();
    }

    private void retryOrBury(PendingEvent event, LambdaOutcome outcome, long attemptedAt) {
        boolean byFunction = outcome instanceof LambdaOutcome.FunctionError;
        var errorType = byFunction ? ((LambdaOutcome.FunctionError) outcome).errorType()
                : ((LambdaOutcome.ServiceFailure) outcome).failure().reason().name();
        var errorDetail = byFunction ? errorType : errorType + ": " + ((LambdaOutcome.ServiceFailure) outcome).failure().message();
        long now = clock.millis();
        var delay = byFunction ? functionRetryDelay(event.functionErrors()) : serviceRetryDelay(event.attempts() - event.functionErrors());
        var failed = event.failed(attemptedAt, byFunction, errorDetail, now + delay.toMillis());
        var policy = policy(event);
        if (byFunction && failed.functionErrors() > policy.maxRetryAttempts(async)) {
            bury(failed, "RetriesExhausted", now);
            return;
        }
        if (failed.nextAttemptAt() - failed.acceptedAt() > policy.maxEventAge(async).toMillis()) {
            bury(failed, "EventAgeExceeded", now);
            return;
        }
        log.warn("Async invocation failed; retrying", kv("function_name", event.functionName()), kv("request_id", event.requestId()),
                kv("attempt", failed.attempts()), kv("error_type", errorType), kv("retry_in_ms", delay.toMillis()));
        held.put(failed.requestId(), failed);
        write(new EventStore.Reschedule(failed), "reschedule", failed.requestId());
        scheduleAt(failed, now);
    }

    /** The event's function's retry policy as configured now; the gateway's when the function is gone. */
    private FunctionAsync policy(PendingEvent event) {
        var function = functions.get().function(event.functionName());
        return function == null ? FunctionAsync.GATEWAY_DEFAULTS : function.async();
    }

    /** AWS's waits before retries after a function error: {@code retry-delays}, the last repeated. */
    private Duration functionRetryDelay(int functionErrorsSoFar) {
        var delays = async.retryDelays();
        return delays.isEmpty() ? Duration.ZERO : delays.get(Math.min(functionErrorsSoFar, delays.size() - 1));
    }

    /** Doubling from {@code service-retry-min-delay} up to {@code service-retry-max-delay}. */
    private Duration serviceRetryDelay(int serviceFailuresSoFar) {
        var delay = async.serviceRetryMinDelay().multipliedBy(1L << Math.min(serviceFailuresSoFar, 30));
        return delay.compareTo(async.serviceRetryMaxDelay()) > 0 ? async.serviceRetryMaxDelay() : delay;
    }

    private void scheduleAt(PendingEvent event, long now) {
        long wait = event.nextAttemptAt() - now;
        if (wait <= 0) {
            ready.add(event.requestId());
        } else {
            timers.startSingleTimer(event.requestId(), new Due(event.requestId()), Duration.ofMillis(wait));
        }
    }

    private Behavior<Command> onDue(Due due) {
        if (held.containsKey(due.requestId())) {
            ready.add(due.requestId());
            startReady();
        }
        return Behaviors.same();
    }

    /** Moves the event to the dead letters, durably; the WARN line follows once it is there. */
    private void bury(PendingEvent event, String reason, long now) {
        forget(event);
        var letter = new DeadLetter(event, reason, now);
        ctx.pipeToSelf(journal.write(new EventStore.Bury(letter)), (done, error) -> new Buried(letter, error));
    }

    private Behavior<Command> onBuried(Buried buried) {
        var event = buried.letter().event();
        if (buried.error() != null) {
            // Still pending in the store, so the next start retries it; nothing is lost.
            log.error("Async invocation could not be dead-lettered; it stays queued in the store for the next start",
                    kv("function_name", event.functionName()), kv("request_id", event.requestId()), kv("error_detail", describe(buried.error())));
            return Behaviors.same();
        }
        metrics.deadLettered(event.functionName(), buried.letter().reason());
        log.warn("Async invocation dead-lettered", kv("function_name", event.functionName()), kv("request_id", event.requestId()),
                kv("reason", buried.letter().reason()), kv("attempts", event.attempts()),
                kv("last_error", event.lastError() == null ? "none" : event.lastError()));
        return Behaviors.same();
    }

    private void forget(PendingEvent event) {
        if (held.remove(event.requestId()) != null) {
            count(event.functionName(), -1);
        }
        timers.cancel(event.requestId());
        metrics.queued(held.size());
    }

    private void count(String function, int delta) {
        if (queuedByFunction.merge(function, delta, Integer::sum) <= 0) {
            queuedByFunction.remove(function);
        }
    }

    private Behavior<Command> onList(ListDeadLetters list) {
        journal.read(store -> store.deadLetters(list.function(), list.limit()))
                .whenComplete((letters, error) -> list.replyTo().tell(StoreAnswer.of(letters, error)));
        return Behaviors.same();
    }

    private Behavior<Command> onReplay(Replay replay) {
        long now = clock.millis();
        ctx.pipeToSelf(journal.read(store -> store.replay(replay.requestId(), now)),
                (event, error) -> new Replayed(event, error, replay.replyTo()));
        return Behaviors.same();
    }

    private Behavior<Command> onReplayed(Replayed replayed) {
        if (replayed.error() != null) {
            replayed.replyTo().tell(StoreAnswer.of(null, replayed.error()));
            return Behaviors.same();
        }
        replayed.event().ifPresent(event -> {
            metrics.deadLetterLeft();
            log.info("Dead letter replayed", kv("function_name", event.functionName()), kv("request_id", event.requestId()));
            held.put(event.requestId(), event.withoutPayload());
            count(event.functionName(), 1);
            metrics.queued(held.size());
            ready.add(event.requestId());
            startReady();
        });
        replayed.replyTo().tell(new StoreAnswer<>(replayed.event().isPresent(), null));
        return Behaviors.same();
    }

    private Behavior<Command> onDiscard(Discard discard) {
        ctx.pipeToSelf(journal.read(store -> store.discard(discard.requestId())),
                (removed, error) -> new Discarded(Boolean.TRUE.equals(removed), error, discard.replyTo()));
        return Behaviors.same();
    }

    private Behavior<Command> onDiscarded(Discarded discarded) {
        if (discarded.error() == null && discarded.removed()) {
            metrics.deadLetterLeft();
        }
        discarded.replyTo().tell(StoreAnswer.of(discarded.removed(), discarded.error()));
        return Behaviors.same();
    }

    private void write(EventStore.Change change, String what, String requestId) {
        var self = ctx.getSelf();
        journal.write(change).whenComplete((done, error) -> {
            if (error != null) {
                self.tell(new StoreWriteFailed(what, requestId, error));
            }
        });
    }

    private Behavior<Command> onStoreWriteFailed(StoreWriteFailed failed) {
        // A delivered event the store could not remove is delivered again after a restart: at least once, as promised.
        log.error("Async event store write failed", kv("operation", failed.what()), kv("request_id", failed.requestId()),
                kv("error_detail", describe(failed.error())));
        return Behaviors.same();
    }

    private static String describe(Throwable error) {
        var cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null ? error.getCause() : error;
        return cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    }
}
