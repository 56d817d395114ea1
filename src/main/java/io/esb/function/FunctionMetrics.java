package io.esb.function;

import io.esb.observability.GatewayMetrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One function's meters, registered once when the function is set up, so recording on the invocation path is a few
 * atomic increments on meters already in hand: no registry lookup, no tag allocation, no lock.
 */
public final class FunctionMetrics implements AutoCloseable {
    private static final long STALE_COLD_START_NANOS = TimeUnit.MINUTES.toNanos(30);

    private final MeterRegistry registry;
    private final List<Meter> meters = new ArrayList<>();
    private final Counter[] invocations = new Counter[InvocationOutcome.values().length];
    private final Timer invocationDuration;
    private final Timer containerInvocationDuration;
    private final Counter coldStarts;
    private final Timer coldStartDuration;
    private final Counter throttledQueueFull;
    private final Counter throttledQueueTimeout;
    private final AtomicInteger idle = new AtomicInteger();
    private final AtomicInteger busy = new AtomicInteger();
    private final AtomicInteger starting = new AtomicInteger();
    private final AtomicInteger queued = new AtomicInteger();
    /** Container name → when its cold start began; an entry lives from create-and-start to the readiness verdict. */
    private final Map<String, Long> coldStartsBegun = new ConcurrentHashMap<>();

    /** The function's meters in {@code metrics}, registered on first use; hold on to them, do not look them up per call. */
    public static FunctionMetrics of(GatewayMetrics metrics, String function) {
        return metrics.meters("function", function, registry -> new FunctionMetrics(registry, function));
    }

    /** Drops a function's series, for a function removed from the configuration. */
    public static void remove(GatewayMetrics metrics, String function) {
        metrics.removeMeters("function", function);
    }

    FunctionMetrics(MeterRegistry registry, String function) {
        this.registry = registry;
        for (var outcome : InvocationOutcome.values()) {
            invocations[outcome.ordinal()] = keep(Counter.builder("esb.invocations")
                    .description("Invocations of a function by outcome, synchronous requests and asynchronous attempts alike")
                    .tag("function", function).tag("outcome", outcome.label()).register(registry));
        }
        invocationDuration = keep(GatewayMetrics.latency(Timer.builder("esb.invocation.duration")
                .description("Gateway time of an invocation, end to end: from the request reaching the function's route to the"
                        + " answer, including queueing, a cold start and the container call")
                .tag("function", function)).register(registry));
        containerInvocationDuration = keep(GatewayMetrics.latency(Timer.builder("esb.container.invocation.duration")
                .description("Duration of the HTTP call that sends an event to a function container and reads its answer")
                .tag("function", function)).register(registry));
        coldStarts = keep(Counter.builder("esb.cold.starts")
                .description("Containers started for a function (cold starts begun, including min-warm starts)")
                .tag("function", function).register(registry));
        coldStartDuration = keep(GatewayMetrics.latency(Timer.builder("esb.cold.start.duration")
                .description("Time from asking Docker to create and start a container until it answered its readiness probe")
                .tag("function", function)).register(registry));
        throttledQueueFull = keep(throttles(registry, function, "queue_full"));
        throttledQueueTimeout = keep(throttles(registry, function, "queue_timeout"));
        keep(containers(registry, function, "idle", idle));
        keep(containers(registry, function, "busy", busy));
        keep(containers(registry, function, "starting", starting));
        keep(Gauge.builder("esb.queue.depth", queued, AtomicInteger::get)
                .description("Invocations waiting for a free container of the function")
                .tag("function", function).strongReference(true).register(registry));
    }

    private static Counter throttles(MeterRegistry registry, String function, String reason) {
        return Counter.builder("esb.throttles")
                .description("Invocations answered 429: the function's queue was full, or no container became free within the queue timeout")
                .tag("function", function).tag("reason", reason).register(registry);
    }

    private static Gauge containers(MeterRegistry registry, String function, String state, AtomicInteger value) {
        return Gauge.builder("esb.containers", value, AtomicInteger::get)
                .description("Containers of a function by state: idle (warm, free), busy (running an invocation), starting (cold start under way)")
                .tag("function", function).tag("state", state).strongReference(true).register(registry);
    }

    private <M extends Meter> M keep(M meter) {
        meters.add(meter);
        return meter;
    }

    /** Counts one finished invocation and its end-to-end time since {@code startNanos}; returns {@code outcome}. */
    public LambdaOutcome invoked(LambdaOutcome outcome, long startNanos) {
        invocations[InvocationOutcome.of(outcome).ordinal()].increment();
        invocationDuration.record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
        return outcome;
    }

    /** Times the HTTP call to a container, begun at {@code sentNanos}; the returned stage completes as {@code call} does. */
    public <T> CompletionStage<T> containerCall(CompletionStage<T> call, long sentNanos) {
        return call.whenComplete((value, error) ->
                containerInvocationDuration.record(System.nanoTime() - sentNanos, TimeUnit.NANOSECONDS));
    }

    /** A cold start of the container to be named {@code containerName} begins (its create-and-start is asked for). */
    public void coldStartBegan(String containerName) {
        coldStarts.increment();
        long now = System.nanoTime();
        if (coldStartsBegun.size() > 64) {
            // Starts whose create-and-start failed never get a verdict by name; drop them once they are long stale.
            coldStartsBegun.values().removeIf(began -> now - began > STALE_COLD_START_NANOS);
        }
        coldStartsBegun.put(containerName, now);
    }

    /** The readiness verdict of a cold start: its duration is recorded when the container became ready. */
    public void coldStartEnded(String containerName, boolean ready) {
        var began = coldStartsBegun.remove(containerName);
        if (ready && began != null) {
            coldStartDuration.record(System.nanoTime() - began, TimeUnit.NANOSECONDS);
        }
    }

    /** An invocation found the function's queue full ({@code esb.containers.max-queue-depth}). */
    public void queueFull() {
        throttledQueueFull.increment();
    }

    /** An invocation waited past {@code esb.containers.queue-timeout}. */
    public void queueTimedOut() {
        throttledQueueTimeout.increment();
    }

    /** The function's pool as its actor last left it; read by the gauges at scrape time. */
    public void pool(int idleContainers, int busyContainers, int startingContainers, int queuedInvocations) {
        idle.lazySet(idleContainers);
        busy.lazySet(busyContainers);
        starting.lazySet(startingContainers);
        queued.lazySet(queuedInvocations);
    }

    /** Removes this function's series (a function taken out of the configuration). */
    @Override
    public void close() {
        for (var meter : meters) {
            registry.remove(meter);
        }
    }
}
