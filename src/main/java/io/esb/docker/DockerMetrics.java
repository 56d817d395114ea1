package io.esb.docker;

import io.esb.observability.GatewayMetrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Docker operations by the names the DockerSupervisor gives them ({@code create-and-start}, {@code remove},
 * {@code ping}, ...): how many ended how, and how long those that ran took. Meters of an operation are registered the
 * first time it is seen; there are a handful of names, all fixed in the code.
 */
public final class DockerMetrics {
    /** The {@code result} label. */
    public enum Result {
        SUCCESS("success"),
        /** The daemon answered with an error (bad image, conflict, ...). */
        ERROR("error"),
        /** The daemon was down or the connection failed; also calls refused at once while it is known to be down. */
        UNAVAILABLE("unavailable"),
        /** The call ran past its deadline and was aborted. */
        TIMEOUT("timeout"),
        /** Refused at once: too many Docker calls were pending. */
        OVERLOADED("overloaded");

        private final String label;

        Result(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }

        public static Result of(DockerFailure.Kind kind) {
            switch (kind) {
                case TIMEOUT:
                    return TIMEOUT;
                case OVERLOADED:
                    return OVERLOADED;
                case UNAVAILABLE:
                    return UNAVAILABLE;
                case REJECTED:
                default:
                    return ERROR;
            }
        }
    }

    private final MeterRegistry registry;
    private final Map<String, Operation> operations = new ConcurrentHashMap<>();

    DockerMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** The Docker call meters in {@code metrics}, registered on first use. */
    public static DockerMetrics of(GatewayMetrics metrics) {
        return metrics.meters("docker", "", DockerMetrics::new);
    }

    /** {@code docker_daemon_up} (1 while the last probe succeeded) and the Docker calls in flight, read at scrape time. */
    public static void watchDaemon(GatewayMetrics metrics, DockerSupervisor.Shared shared) {
        io.micrometer.core.instrument.Gauge.builder("docker.daemon.up", shared, s -> s.daemonState().up() ? 1 : 0)
                .description("1 when the Docker daemon answered the last probe, 0 when it is down or not yet probed")
                .strongReference(true).register(metrics.registry());
        io.micrometer.core.instrument.Gauge.builder("esb.docker.operations.in.flight", shared, DockerSupervisor.Shared::operationsInFlight)
                .description("Docker calls running on the Docker dispatcher now")
                .strongReference(true).register(metrics.registry());
    }

    private final class Operation {
        final Counter[] results = new Counter[Result.values().length];
        final Timer duration;

        Operation(String name) {
            for (var result : Result.values()) {
                results[result.ordinal()] = Counter.builder("esb.docker.operations")
                        .description("Docker operations by kind and result; unavailable and overloaded include calls refused without reaching Docker")
                        .tag("operation", name).tag("result", result.label()).register(registry);
            }
            duration = GatewayMetrics.latency(Timer.builder("esb.docker.operation.duration")
                    .description("Duration of Docker operations that reached the daemon, until their answer or deadline")
                    .tag("operation", name)).register(registry);
        }
    }

    private Operation operation(String name) {
        var known = operations.get(name);
        return known != null ? known : operations.computeIfAbsent(name, Operation::new);
    }

    /** A call that ran, begun at {@code startNanos}: {@code failure} is null when it succeeded. */
    public void completed(String operation, long startNanos, DockerFailure failure) {
        var meters = operation(operation);
        meters.results[(failure == null ? Result.SUCCESS : Result.of(failure.kind())).ordinal()].increment();
        meters.duration.record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
    }

    /** A call refused before it reached Docker (daemon known down, too many pending). */
    public void refused(String operation, DockerFailure.Kind kind) {
        operation(operation).results[Result.of(kind).ordinal()].increment();
    }

    /** Records the daemon ping when {@code ping} completes: a ping past its deadline is a timeout, any other error unavailable. */
    public <T> void ping(CompletableFuture<T> ping) {
        long start = System.nanoTime();
        ping.whenComplete((value, error) -> {
            var meters = operation("ping");
            var cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            var result = error == null ? Result.SUCCESS : cause instanceof TimeoutException ? Result.TIMEOUT : Result.UNAVAILABLE;
            meters.results[result.ordinal()].increment();
            meters.duration.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        });
    }
}
