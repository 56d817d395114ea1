package io.esb.observability;

import io.esb.docker.DockerMetrics;
import io.esb.function.FunctionMetrics;
import io.esb.function.InvocationOutcome;

import com.typesafe.config.ConfigFactory;
import io.esb.config.MetricsSettings;
import io.esb.config.SettingsLoader;
import io.esb.docker.DockerFailure;
import io.esb.docker.DockerSupervisor;
import io.esb.function.InvocationResult;
import io.esb.function.LambdaOutcome;
import io.esb.testing.PrometheusText;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.assertj.core.api.Assertions.assertThat;

/** Recording into a real PrometheusMeterRegistry, then reading the series back from the scrape text. */
class GatewayMetricsTest {
    private final GatewayMetrics metrics = GatewayMetrics.create(new MetricsSettings(true));

    @AfterEach
    void close() {
        metrics.close();
    }

    private PrometheusText scrape() {
        var scrape = metrics.scrape(null);
        assertThat(scrape.contentType()).isEqualTo("text/plain; version=0.0.4; charset=utf-8");
        return PrometheusText.parse(new String(scrape.body(), StandardCharsets.UTF_8));
    }

    private static LambdaOutcome outcome(InvocationResult result) {
        return LambdaOutcome.of(result, "req-1", 3);
    }

    private static InvocationResult.Completed answered(int status, String body) {
        return new InvocationResult.Completed(status, body.getBytes(StandardCharsets.UTF_8), "application/json", false, "c1", null);
    }

    private static long msAgo(long millis) {
        return System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(millis);
    }

    @Test
    void invocationsAreCountedByFunctionAndOutcomeWithTheirLatency() {
        var fx = FunctionMetrics.of(metrics, "fx");
        fx.invoked(outcome(answered(200, "{\"ok\":true}")), msAgo(3));
        fx.invoked(outcome(answered(200, "{\"ok\":true}")), msAgo(3));
        fx.invoked(outcome(answered(200, "{\"errorMessage\":\"boom\",\"errorType\":\"IllegalStateException\"}")), msAgo(3));
        fx.invoked(outcome(answered(200, "Task timed out after 3.00 seconds")), msAgo(3));
        FunctionMetrics.of(metrics, "fx").invoked(outcome(new InvocationResult.Failed(InvocationResult.Reason.THROTTLED, "queue full", false)), msAgo(3));
        FunctionMetrics.of(metrics, "other").invoked(outcome(new InvocationResult.Failed(InvocationResult.Reason.DOCKER_UNAVAILABLE, "down", false)), msAgo(3));

        var text = scrape();
        assertThat(text.types).containsEntry("esb_invocations_total", "counter")
                .containsEntry("esb_invocation_duration_seconds", "histogram");
        assertThat(text.value("esb_invocations_total", "function", "fx", "outcome", "success")).hasValue(2);
        assertThat(text.value("esb_invocations_total", "function", "fx", "outcome", "function_error")).hasValue(1);
        assertThat(text.value("esb_invocations_total", "function", "fx", "outcome", "timed_out")).hasValue(1);
        assertThat(text.value("esb_invocations_total", "function", "fx", "outcome", "throttled")).hasValue(1);
        // Every outcome is there from the start, so rate() sees a zero rather than a missing series.
        assertThat(text.value("esb_invocations_total", "function", "fx", "outcome", "docker_unavailable")).hasValue(0);
        assertThat(text.value("esb_invocations_total", "function", "other", "outcome", "docker_unavailable")).hasValue(1);
        assertThat(text.matching("esb_invocations_total", "function", "fx")).hasSize(InvocationOutcome.values().length);

        assertThat(text.value("esb_invocation_duration_seconds_count", "function", "fx")).hasValue(5);
        assertThat(text.value("esb_invocation_duration_seconds_sum", "function", "fx").getAsDouble()).isGreaterThanOrEqualTo(0.015);
        // 3 ms each: none within 1 ms, all within 5 ms... unless the machine stalled, so only the bounds that cannot move.
        assertThat(text.value("esb_invocation_duration_seconds_bucket", "function", "fx", "le", "0.001")).hasValue(0);
        assertThat(text.value("esb_invocation_duration_seconds_bucket", "function", "fx", "le", "+Inf")).hasValue(5);
        assertThat(text.matching("esb_invocation_duration_seconds_bucket", "function", "fx")).extracting(s -> s.labels().get("le"))
                .containsExactly("0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1.0", "2.5", "5.0", "10.0", "30.0", "+Inf");
    }

    @Test
    void everyLambdaOutcomeHasItsLabel() {
        assertThat(InvocationOutcome.of(outcome(answered(200, "{}"))).label()).isEqualTo("success");
        assertThat(InvocationOutcome.of(outcome(answered(200, "{\"errorMessage\":\"x\",\"errorType\":\"E\"}"))).label()).isEqualTo("function_error");
        assertThat(InvocationOutcome.of(outcome(answered(200, "Task timed out after 3.00 seconds"))).label()).isEqualTo("timed_out");
        assertThat(InvocationOutcome.of(outcome(answered(502, ""))).label()).isEqualTo("runtime_exited");
        for (var reason : InvocationResult.Reason.values()) {
            var label = InvocationOutcome.of(outcome(new InvocationResult.Failed(reason, "m", false))).label();
            assertThat(label).isEqualTo(switch (reason) {
                case DOCKER_UNAVAILABLE -> "docker_unavailable";
                case START_FAILED -> "start_failed";
                case CONTAINER_FAILED -> "container_failed";
                case RUNTIME_EXITED -> "runtime_exited";
                case OUT_OF_MEMORY -> "out_of_memory";
                case TIMED_OUT -> "timed_out";
                case THROTTLED -> "throttled";
                case IMAGE_NOT_READY -> "image_not_ready";
                case NODE_LOST -> "node_lost";
                case NODE_UNAVAILABLE -> "node_unavailable";
            });
        }
    }

    @Test
    void containerCallsColdStartsThrottlesAndThePool() {
        var fx = FunctionMetrics.of(metrics, "fx");
        var call = new CompletableFuture<String>();
        var timed = fx.containerCall(call, msAgo(2));
        assertThat(scrape().value("esb_container_invocation_duration_seconds_count", "function", "fx")).hasValue(0);
        call.complete("answer");
        assertThat(timed.toCompletableFuture().join()).isEqualTo("answer");
        var failed = new CompletableFuture<String>();
        fx.containerCall(failed, msAgo(2));
        failed.completeExceptionally(new IllegalStateException("connection reset"));

        fx.coldStartBegan("esb-a-fx-1");
        fx.coldStartBegan("esb-a-fx-2");
        fx.coldStartEnded("esb-a-fx-1", true);
        fx.coldStartEnded("esb-a-fx-2", false); // never became ready: counted as a start, no duration
        fx.queueFull();
        fx.queueFull();
        fx.queueTimedOut();
        fx.pool(1, 2, 3, 4);

        var text = scrape();
        assertThat(text.value("esb_container_invocation_duration_seconds_count", "function", "fx")).hasValue(2);
        assertThat(text.value("esb_container_invocation_duration_seconds_sum", "function", "fx").getAsDouble()).isGreaterThanOrEqualTo(0.004);
        assertThat(text.value("esb_cold_starts_total", "function", "fx")).hasValue(2);
        assertThat(text.value("esb_cold_start_duration_seconds_count", "function", "fx")).hasValue(1);
        assertThat(text.value("esb_throttles_total", "function", "fx", "reason", "queue_full")).hasValue(2);
        assertThat(text.value("esb_throttles_total", "function", "fx", "reason", "queue_timeout")).hasValue(1);
        assertThat(text.value("esb_containers", "function", "fx", "state", "idle")).hasValue(1);
        assertThat(text.value("esb_containers", "function", "fx", "state", "busy")).hasValue(2);
        assertThat(text.value("esb_containers", "function", "fx", "state", "starting")).hasValue(3);
        assertThat(text.value("esb_queue_depth", "function", "fx")).hasValue(4);
        assertThat(text.types).containsEntry("esb_containers", "gauge").containsEntry("esb_cold_start_duration_seconds", "histogram");
    }

    @Test
    void dockerOperationsByKindAndResultAndTheDaemonGauge() {
        var docker = DockerMetrics.of(metrics);
        docker.completed("create-and-start", msAgo(40), null);
        docker.completed("create-and-start", msAgo(40), new DockerFailure(DockerFailure.Kind.REJECTED, "create-and-start", "no such image"));
        docker.completed("remove", msAgo(5), new DockerFailure(DockerFailure.Kind.TIMEOUT, "remove", "timed out"));
        docker.refused("remove", DockerFailure.Kind.UNAVAILABLE);
        docker.refused("inspect", DockerFailure.Kind.OVERLOADED);
        var ping = new CompletableFuture<String>();
        docker.ping(ping);
        ping.complete("OK");
        var hungPing = new CompletableFuture<String>();
        docker.ping(hungPing);
        hungPing.completeExceptionally(new TimeoutException());
        var settings = SettingsLoader.load(ConfigFactory.load());
        DockerMetrics.watchDaemon(metrics, DockerSupervisor.sharedState(settings));

        var text = scrape();
        assertThat(text.value("esb_docker_operations_total", "operation", "create-and-start", "result", "success")).hasValue(1);
        assertThat(text.value("esb_docker_operations_total", "operation", "create-and-start", "result", "error")).hasValue(1);
        assertThat(text.value("esb_docker_operations_total", "operation", "remove", "result", "timeout")).hasValue(1);
        assertThat(text.value("esb_docker_operations_total", "operation", "remove", "result", "unavailable")).hasValue(1);
        assertThat(text.value("esb_docker_operations_total", "operation", "inspect", "result", "overloaded")).hasValue(1);
        assertThat(text.value("esb_docker_operations_total", "operation", "ping", "result", "success")).hasValue(1);
        assertThat(text.value("esb_docker_operations_total", "operation", "ping", "result", "timeout")).hasValue(1);
        // Durations only for calls that reached the daemon; refusals are instant and would drag the figures down.
        assertThat(text.value("esb_docker_operation_duration_seconds_count", "operation", "create-and-start")).hasValue(2);
        assertThat(text.value("esb_docker_operation_duration_seconds_count", "operation", "remove")).hasValue(1);
        assertThat(text.value("esb_docker_operation_duration_seconds_count", "operation", "inspect")).hasValue(0);
        assertThat(text.value("esb_docker_operation_duration_seconds_sum", "operation", "create-and-start").getAsDouble()).isGreaterThanOrEqualTo(0.08);
        // Not probed yet: the state is unknown, which is not up.
        assertThat(text.value("docker_daemon_up")).hasValue(0);
        assertThat(text.value("esb_docker_operations_in_flight")).hasValue(0);
    }

    @Test
    void jvmBasicsAreThere() {
        var text = scrape();
        assertThat(text.sum("jvm_memory_used_bytes", "area", "heap")).isPositive();
        assertThat(text.matching("jvm_threads_live_threads")).hasSize(1);
        assertThat(text.value("process_uptime_seconds").getAsDouble()).isPositive();
        assertThat(text.value("system_cpu_count").getAsDouble()).isPositive();
        assertThat(text.types).containsKey("jvm_gc_memory_allocated_bytes_total");
    }

    @Test
    void openMetricsWhenTheScraperAsksForIt() {
        FunctionMetrics.of(metrics, "fx").invoked(outcome(answered(200, "{}")), System.nanoTime());
        var scrape = metrics.scrape("application/openmetrics-text; version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1");
        assertThat(scrape.contentType()).isEqualTo("application/openmetrics-text; version=1.0.0; charset=utf-8");
        var text = new String(scrape.body(), StandardCharsets.UTF_8);
        assertThat(text).contains("esb_invocations_total{function=\"fx\",outcome=\"success\"} 1.0").endsWith("# EOF\n");
        assertThat(metrics.scrape("text/plain").contentType()).isEqualTo(GatewayMetrics.TEXT_CONTENT_TYPE);
    }

    @Test
    void aRemovedFunctionLeavesNoSeries() {
        FunctionMetrics.of(metrics, "gone").invoked(outcome(answered(200, "{}")), System.nanoTime());
        FunctionMetrics.of(metrics, "kept");
        assertThat(scrape().matching("esb_invocations_total", "function", "gone")).isNotEmpty();
        FunctionMetrics.remove(metrics, "gone");
        var text = scrape();
        assertThat(text.samples).noneMatch(s -> "gone".equals(s.labels().get("function")));
        assertThat(text.matching("esb_invocations_total", "function", "kept")).isNotEmpty();
    }

    @Test
    void disabledMetricsRecordNothingAndHaveNothingToScrape() {
        var off = GatewayMetrics.create(new MetricsSettings(false));
        assertThat(off.enabled()).isFalse();
        var fx = FunctionMetrics.of(off, "fx");
        fx.invoked(outcome(answered(200, "{}")), System.nanoTime());
        fx.coldStartBegan("c");
        fx.coldStartEnded("c", true);
        fx.pool(1, 0, 0, 0);
        DockerMetrics.of(off).completed("remove", System.nanoTime(), null);
        assertThat(off.scrape(null)).isNull();
        assertThat(off.registry().getMeters()).isEmpty();
        assertThat(off.registry().find("esb.invocations").counter()).isNull();
    }
}
