package io.esb.function;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.TimerScheduler;
import io.esb.config.AsyncSettings;
import io.esb.config.EsbSettings;
import io.esb.config.FunctionSettings;
import io.esb.observability.GatewayMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;

import static net.logstash.logback.argument.StructuredArguments.kv;

/**
 * Runs {@code Event} invocations after they were answered 202: a bounded queue, a bounded number running at once,
 * and AWS's retry policy (two retries after a function error, with delays). Failures are logged, never dropped silently.
 */
public final class AsyncInvoker {
    private static final Logger log = LoggerFactory.getLogger(AsyncInvoker.class);

    public sealed interface Command {}

    /** Answers true when the event was queued, false when the queue is full. */
    public record Enqueue(FunctionSettings function, ActorRef<FunctionActor.Command> target, Invocation invocation,
                          ActorRef<Boolean> replyTo) implements Command {}

    private record Attempted(Job job, LambdaOutcome outcome) implements Command {}

    private record RetryDue(Job job) implements Command {}

    private record Job(FunctionSettings function, ActorRef<FunctionActor.Command> target, Invocation invocation, int attempt) {}

    /**
     * {@code functions}: the current functions, looked up at each attempt, so an event queued or waiting for a retry
     * across a live reload goes to the function as configured then (and is dropped, logged, when it was removed).
     */
    public static Behavior<Command> create(EsbSettings settings, GatewayMetrics metrics, java.util.function.Supplier<FunctionTable> functions) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new AsyncInvoker(ctx, timers, settings, metrics, functions).behavior()));
    }

    private final ActorContext<Command> ctx;
    private final TimerScheduler<Command> timers;
    private final EsbSettings settings;
    private final AsyncSettings async;
    private final GatewayMetrics metrics;
    private final ArrayDeque<Job> ready = new ArrayDeque<>();
    private int running;
    private int waitingForRetry;
    private final java.util.function.Supplier<FunctionTable> functions;

    private AsyncInvoker(ActorContext<Command> ctx, TimerScheduler<Command> timers, EsbSettings settings, GatewayMetrics metrics,
                         java.util.function.Supplier<FunctionTable> functions) {
        this.ctx = ctx;
        this.functions = functions;
        this.metrics = metrics;
        this.timers = timers;
        this.settings = settings;
        this.async = settings.async();
    }

    private Behavior<Command> behavior() {
        return Behaviors.receive(Command.class)
                .onMessage(Enqueue.class, this::onEnqueue)
                .onMessage(Attempted.class, this::onAttempted)
                .onMessage(RetryDue.class, this::onRetryDue)
                .build();
    }

    private Behavior<Command> onEnqueue(Enqueue enqueue) {
        if (ready.size() + running + waitingForRetry >= async.maxQueued()) {
            enqueue.replyTo().tell(false);
            return Behaviors.same();
        }
        ready.add(new Job(enqueue.function(), enqueue.target(), enqueue.invocation(), 1));
        enqueue.replyTo().tell(true);
        startReady();
        return Behaviors.same();
    }

    private void startReady() {
        while (running < async.maxConcurrent() && !ready.isEmpty()) {
            var job = current(ready.poll());
            if (job == null) {
                continue;
            }
            running++;
            var bound = FunctionActor.invocationBound(job.function(), settings);
            long started = System.nanoTime();
            ctx.ask(InvocationResult.class, job.target(), bound,
                    replyTo -> new FunctionActor.Invoke(job.invocation(), replyTo),
                    (result, error) -> new Attempted(job, FunctionMetrics.of(metrics, job.function().name()).invoked(LambdaOutcome.of(result != null ? result
                            : new InvocationResult.Failed(InvocationResult.Reason.TIMED_OUT, "no answer within " + bound.toSeconds() + " s", false),
                            job.invocation().requestId(), job.function().timeout().toSeconds()), started)));
        }
    }

    /** The job aimed at the function's current actor and settings; null (logged) when the function is gone. */
    private Job current(Job job) {
        var table = functions.get();
        var name = job.function().name();
        var ref = table.ref(name);
        if (ref == null) {
            log.error("Async invocation dropped: the function is no longer configured", kv("function_name", name),
                    kv("request_id", job.invocation().requestId()), kv("attempts", job.attempt() - 1));
            return null;
        }
        return ref.equals(job.target()) ? job : new Job(table.function(name), ref, job.invocation(), job.attempt());
    }

    private Behavior<Command> onAttempted(Attempted attempted) {
        running--;
        var job = attempted.job();
        var outcome = attempted.outcome();
        if (!(outcome instanceof LambdaOutcome.Success)) {
            var errorType = outcome instanceof LambdaOutcome.FunctionError fe ? fe.errorType()
                    : ((LambdaOutcome.ServiceFailure) outcome).failure().reason().name();
            var retries = async.retryDelays();
            if (job.attempt() <= retries.size()) {
                var delay = retries.get(job.attempt() - 1);
                log.warn("Async invocation failed; retrying", kv("function_name", job.function().name()),
                        kv("request_id", job.invocation().requestId()), kv("attempt", job.attempt()), kv("error_type", errorType),
                        kv("retry_in_ms", delay.toMillis()));
                waitingForRetry++;
                timers.startSingleTimer(new RetryDue(new Job(job.function(), job.target(), job.invocation(), job.attempt() + 1)), delay);
            } else {
                log.error("Async invocation failed after all retries", kv("function_name", job.function().name()),
                        kv("request_id", job.invocation().requestId()), kv("attempts", job.attempt()), kv("error_type", errorType));
            }
        }
        startReady();
        return Behaviors.same();
    }

    private Behavior<Command> onRetryDue(RetryDue due) {
        waitingForRetry--;
        ready.add(due.job());
        startReady();
        return Behaviors.same();
    }
}
