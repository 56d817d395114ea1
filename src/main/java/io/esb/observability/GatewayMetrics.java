package io.esb.observability;

import io.esb.config.MetricsSettings;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The gateway's Prometheus metrics: one {@link PrometheusMeterRegistry} per gateway, the meters of each function and of
 * Docker, the daemon's state and the JVM's basics. {@code GET /metrics} renders it from memory; nothing here calls
 * Docker. With {@code esb.metrics.enabled = false} every meter is a no-op and there is nothing to scrape.
 */
public final class GatewayMetrics implements AutoCloseable {
    /** Prometheus's text format, served unless the scraper asks for OpenMetrics. */
    public static final String TEXT_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    public static final String OPENMETRICS_CONTENT_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    /** Histogram buckets of every latency: 1 ms to 30 s, then +Inf. */
    static final Duration[] LATENCY_BUCKETS = {
            Duration.ofMillis(1), Duration.ofNanos(2_500_000), Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
            Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
            Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30)};

    private static final GatewayMetrics DISABLED = new GatewayMetrics(null, noop());

    /** Null when metrics are disabled. */
    private final PrometheusMeterRegistry prometheus;
    private final MeterRegistry registry;
    /**
     * Kind (functions, Docker) → name → meters, registered once by the package that owns what they measure. Keyed in two
     * levels so a lookup per invocation builds no key.
     */
    private final Map<String, Map<String, Object>> meters = new ConcurrentHashMap<>();
    private final JvmGcMetrics gc;

    private GatewayMetrics(PrometheusMeterRegistry prometheus, MeterRegistry registry) {
        this.prometheus = prometheus;
        this.registry = registry;
        if (prometheus != null) {
            new JvmMemoryMetrics().bindTo(registry);
            new JvmThreadMetrics().bindTo(registry);
            new ClassLoaderMetrics().bindTo(registry);
            new ProcessorMetrics().bindTo(registry);
            new UptimeMetrics().bindTo(registry);
            gc = new JvmGcMetrics();
            gc.bindTo(registry);
        } else {
            gc = null;
        }
    }

    public static GatewayMetrics create(MetricsSettings settings) {
        if (!settings.enabled()) {
            return DISABLED;
        }
        var prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        return new GatewayMetrics(prometheus, prometheus);
    }

    /** Records nothing; for actors created without a gateway (tests) and for {@code esb.metrics.enabled = false}. */
    public static GatewayMetrics disabled() {
        return DISABLED;
    }

    public boolean enabled() {
        return prometheus != null;
    }

    public MeterRegistry registry() {
        return registry;
    }

    /**
     * The meters of {@code kind} registered under {@code name} ({@code create} makes them on first use, against
     * {@link #registry()}); hold on to them rather than looking them up per event.
     */
    @SuppressWarnings("unchecked")
    public <T> T meters(String kind, String name, java.util.function.Function<MeterRegistry, T> create) {
        var ofKind = meters.get(kind);
        if (ofKind == null) {
            ofKind = meters.computeIfAbsent(kind, k -> new ConcurrentHashMap<>());
        }
        var known = ofKind.get(name);
        return (T) (known != null ? known : ofKind.computeIfAbsent(name, n -> create.apply(registry)));
    }

    /** Drops the meters of {@code kind} under {@code name} and, when they are {@link AutoCloseable}, their series. */
    public void removeMeters(String kind, String name) {
        var ofKind = meters.get(kind);
        var removed = ofKind == null ? null : ofKind.remove(name);
        if (removed instanceof AutoCloseable closeable) {
            try {
                closeable.close();
            } catch (Exception e) {
                throw new IllegalStateException("could not remove the " + kind + " meters of " + name, e);
            }
        }
    }

    /** A rendered scrape: its content type and body. */
    public record Scrape(String contentType, byte[] body) {}

    /**
     * Renders every series in Prometheus's text format, or in OpenMetrics when {@code accept} asks for it (as Prometheus
     * does when configured to). Only from memory; null when metrics are disabled.
     */
    public Scrape scrape(String accept) {
        if (prometheus == null) {
            return null;
        }
        var contentType = negotiate(accept);
        var out = new ByteArrayOutputStream(64 * 1024);
        try {
            prometheus.scrape(out, contentType);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not throw
        }
        return new Scrape(contentType, out.toByteArray());
    }

    /** A registry that keeps no meter: every meter asked of it is a no-op. */
    private static MeterRegistry noop() {
        var registry = new CompositeMeterRegistry();
        registry.config().meterFilter(MeterFilter.deny());
        return registry;
    }

    /** The content type served for this {@code Accept} header: OpenMetrics only when asked for, never protobuf. */
    public static String negotiate(String accept) {
        return accept != null && accept.contains("application/openmetrics-text") ? OPENMETRICS_CONTENT_TYPE : TEXT_CONTENT_TYPE;
    }

    /** Gives a latency timer the gateway's histogram buckets. */
    public static Timer.Builder latency(Timer.Builder builder) {
        return builder.serviceLevelObjectives(LATENCY_BUCKETS);
    }

    /** Stops the GC listener; the registry itself holds no threads. */
    @Override
    public void close() {
        if (gc != null) {
            gc.close();
        }
    }
}
