package io.esb.async;

import io.esb.observability.GatewayMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The async queue's meters: {@code esb_async_events_queued} (accepted and not yet delivered or dead-lettered),
 * {@code esb_async_dead_letters} (in the store now) and {@code esb_async_dead_lettered_total} by function and reason.
 */
public final class AsyncMetrics {
    private final MeterRegistry registry;
    private final AtomicLong queued = new AtomicLong();
    private final AtomicLong deadLetters = new AtomicLong();

    private AsyncMetrics(MeterRegistry registry) {
        this.registry = registry;
        Gauge.builder("esb.async.events.queued", queued, AtomicLong::get)
                .description("Event invocations accepted (202) and durably stored, not yet delivered or dead-lettered")
                .strongReference(true).register(registry);
        Gauge.builder("esb.async.dead.letters", deadLetters, AtomicLong::get)
                .description("Event invocations in the dead-letter store now (list, replay and delete them under /admin/dead-letters)")
                .strongReference(true).register(registry);
    }

    public static AsyncMetrics of(GatewayMetrics metrics) {
        return metrics.meters("async", "", AsyncMetrics::new);
    }

    void queued(long count) {
        queued.set(count);
    }

    void deadLettersStored(long count) {
        deadLetters.set(count);
    }

    void deadLettered(String function, String reason) {
        deadLetters.incrementAndGet();
        Counter.builder("esb.async.dead.lettered").description("Event invocations moved to the dead-letter store, by function and reason")
                .tag("function", function).tag("reason", reason).register(registry).increment();
    }

    void deadLetterLeft() {
        deadLetters.decrementAndGet();
    }
}
