package io.esb.it;

import io.esb.testing.Docker;
import io.esb.testing.Eventually;
import io.esb.testing.GatewayUnderTest;
import io.esb.testing.PrometheusText;
import io.esb.testing.RequiresDocker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

import static io.esb.testing.GatewayUnderTest.json;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code GET /metrics} over real HTTP from a real gateway driving the real daemon, parsed and checked series by series. */
@ExtendWith(RequiresDocker.class)
@Timeout(180)
class MetricsIT {

    private static HttpResponse<String> scrape(GatewayUnderTest gw, String accept) throws Exception {
        var request = HttpRequest.newBuilder(URI.create(gw.url("/metrics"))).timeout(Duration.ofSeconds(10)).GET();
        if (accept != null) {
            request.header("Accept", accept);
        }
        return gw.http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static PrometheusText metrics(GatewayUnderTest gw) throws Exception {
        var response = scrape(gw, null);
        assertThat(response.statusCode()).isEqualTo(200);
        return PrometheusText.parse(response.body());
    }

    /**
     * Scrapes until {@code ready} holds (gauges follow the actor's last message, and an asynchronous attempt is counted
     * just after its container is handed back), then returns that scrape; or the last one, for the assertions to explain.
     */
    private static PrometheusText awaitMetrics(GatewayUnderTest gw, Predicate<PrometheusText> ready) throws Exception {
        return Eventually.await(Duration.ofSeconds(30), "the expected metrics", () -> metrics(gw), ready);
    }

    private static double value(PrometheusText text, String name, String... labels) {
        return text.value(name, labels).orElseThrow(() -> new AssertionError("no series " + name + " " + String.join(",", labels)));
    }

    private static CompletableFuture<HttpResponse<String>> invokeAsync(GatewayUnderTest gw, String function, String payload) {
        return gw.http.sendAsync(HttpRequest.newBuilder(URI.create(gw.url("/2015-03-31/functions/" + function + "/invocations")))
                .timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofString(payload)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void invocationsColdStartsContainersThrottlesAndDockerOperationsAreScraped() throws Exception {
        var instance = GatewayUnderTest.newInstanceId("it-metrics");
        try (var gw = GatewayUnderTest.start(instance, """
                esb.containers.max-queue-depth = 1
                esb.functions.one { image = "esb-fixture:latest", timeout = 10s, max-concurrency = 1 }
                """)) {
            var up = awaitMetrics(gw, t -> t.value("docker_daemon_up").orElse(0) == 1);
            assertThat(value(up, "docker_daemon_up")).isEqualTo(1);

            // fx: a cold call, three warm ones, one through an API route, a handler error, and an Event invocation.
            var cold = gw.invoke("fx", "{}");
            assertThat(cold.statusCode()).isEqualTo(200);
            for (int i = 0; i < 3; i++) {
                var warm = gw.invoke("fx", "{\"i\":" + i + "}");
                assertThat(json(warm).get("container").asText()).isEqualTo(json(cold).get("container").asText());
            }
            assertThat(gw.get("/fx").statusCode()).isEqualTo(200);
            var error = gw.invoke("fx", "{\"action\":\"throw\",\"message\":\"for metrics\"}");
            assertThat(error.headers().firstValue("X-Amz-Function-Error")).hasValue("Unhandled");
            var event = gw.http.send(HttpRequest.newBuilder(URI.create(gw.url("/2015-03-31/functions/fx/invocations")))
                    .header("X-Amz-Invocation-Type", "Event").POST(HttpRequest.BodyPublishers.ofString("{\"async\":true}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(event.statusCode()).isEqualTo(202);

            // one (max-concurrency 1, max-queue-depth 1): a slow call holds the container, a second waits, a third is throttled.
            var slow = invokeAsync(gw, "one", "{\"action\":\"sleep\",\"ms\":6000}");
            var busy = awaitMetrics(gw, t -> t.value("esb_containers", "function", "one", "state", "busy").orElse(0) == 1);
            assertThat(value(busy, "esb_containers", "function", "one", "state", "busy")).isEqualTo(1);
            var waiting = invokeAsync(gw, "one", "{}");
            var queued = awaitMetrics(gw, t -> t.value("esb_queue_depth", "function", "one").orElse(0) == 1);
            assertThat(value(queued, "esb_queue_depth", "function", "one")).isEqualTo(1);
            var throttled = gw.invoke("one", "{}");
            assertThat(throttled.statusCode()).isEqualTo(429);
            assertThat(slow.join().statusCode()).isEqualTo(200);
            assertThat(waiting.join().statusCode()).isEqualTo(200);

            var response = scrape(gw, null);
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(type ->
                    assertThat(type).isEqualToIgnoringCase("text/plain; version=0.0.4; charset=utf-8"));
            var text = awaitMetrics(gw, t -> t.value("esb_invocations_total", "function", "fx", "outcome", "success").orElse(0) == 6
                    && t.value("esb_containers", "function", "fx", "state", "idle").orElse(0) == 1
                    && t.value("esb_containers", "function", "one", "state", "idle").orElse(0) == 1);

            assertThat(text.types).containsEntry("esb_invocations_total", "counter")
                    .containsEntry("esb_invocation_duration_seconds", "histogram")
                    .containsEntry("esb_container_invocation_duration_seconds", "histogram")
                    .containsEntry("esb_cold_start_duration_seconds", "histogram")
                    .containsEntry("esb_containers", "gauge")
                    .containsEntry("docker_daemon_up", "gauge");
            assertThat(value(text, "esb_invocations_total", "function", "fx", "outcome", "success")).isEqualTo(6);
            assertThat(value(text, "esb_invocations_total", "function", "fx", "outcome", "function_error")).isEqualTo(1);
            assertThat(text.sum("esb_invocations_total", "function", "fx")).isEqualTo(7);
            assertThat(value(text, "esb_invocations_total", "function", "one", "outcome", "success")).isEqualTo(2);
            assertThat(value(text, "esb_invocations_total", "function", "one", "outcome", "throttled")).isEqualTo(1);
            assertThat(text.sum("esb_invocations_total", "function", "one")).isEqualTo(3);
            assertThat(text.sum("esb_invocations_total", "function", "hello")).isZero();
            assertThat(value(text, "esb_throttles_total", "function", "one", "reason", "queue_full")).isEqualTo(1);
            assertThat(value(text, "esb_throttles_total", "function", "one", "reason", "queue_timeout")).isZero();

            assertThat(value(text, "esb_invocation_duration_seconds_count", "function", "fx")).isEqualTo(7);
            assertThat(value(text, "esb_invocation_duration_seconds_bucket", "function", "fx", "le", "+Inf")).isEqualTo(7);
            assertThat(value(text, "esb_invocation_duration_seconds_count", "function", "one")).isEqualTo(3);
            // The slow call alone took 6 s.
            assertThat(value(text, "esb_invocation_duration_seconds_sum", "function", "one")).isGreaterThan(6.0);
            assertThat(value(text, "esb_container_invocation_duration_seconds_count", "function", "fx")).isEqualTo(7);
            assertThat(value(text, "esb_container_invocation_duration_seconds_count", "function", "one")).isEqualTo(2);

            assertThat(value(text, "esb_cold_starts_total", "function", "fx")).isEqualTo(1);
            assertThat(value(text, "esb_cold_starts_total", "function", "one")).isEqualTo(1);
            assertThat(value(text, "esb_cold_starts_total", "function", "hello")).isZero();
            assertThat(value(text, "esb_cold_start_duration_seconds_count", "function", "fx")).isEqualTo(1);
            assertThat(value(text, "esb_cold_start_duration_seconds_sum", "function", "fx")).isPositive();

            assertThat(value(text, "esb_containers", "function", "fx", "state", "idle")).isEqualTo(1);
            assertThat(value(text, "esb_containers", "function", "fx", "state", "busy")).isZero();
            assertThat(value(text, "esb_containers", "function", "fx", "state", "starting")).isZero();
            assertThat(value(text, "esb_containers", "function", "one", "state", "idle")).isEqualTo(1);
            assertThat(value(text, "esb_queue_depth", "function", "one")).isZero();
            assertThat(Docker.runningContainers(instance)).hasSize(2);

            assertThat(value(text, "esb_docker_operations_total", "operation", "create-and-start", "result", "success")).isEqualTo(2);
            assertThat(value(text, "esb_docker_operations_total", "operation", "create-and-start", "result", "error")).isZero();
            assertThat(value(text, "esb_docker_operation_duration_seconds_count", "operation", "create-and-start")).isEqualTo(2);
            assertThat(value(text, "esb_docker_operations_total", "operation", "reconcile", "result", "success")).isEqualTo(1);
            // The log followers' and each function's adoption listing; a pull-mode function (fx, hello, one) lists once
            // more a few seconds after adoption, which may or may not have come yet.
            assertThat(value(text, "esb_docker_operations_total", "operation", "list-containers", "result", "success")).isBetween(3.0, 6.0);
            assertThat(value(text, "esb_docker_operations_total", "operation", "ping", "result", "success")).isPositive();
            assertThat(value(text, "docker_daemon_up")).isEqualTo(1);
            assertThat(text.sum("jvm_memory_used_bytes", "area", "heap")).isPositive();
            assertThat(text.value("process_uptime_seconds")).isPresent();

            // Scraping never calls Docker: nothing but the background ping moves between two scrapes.
            var before = metrics(gw);
            var after = metrics(gw);
            assertThat(after.sum("esb_docker_operations_total") - after.sum("esb_docker_operations_total", "operation", "ping"))
                    .isEqualTo(before.sum("esb_docker_operations_total") - before.sum("esb_docker_operations_total", "operation", "ping"));

            var openMetrics = scrape(gw, "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5");
            assertThat(openMetrics.statusCode()).isEqualTo(200);
            assertThat(openMetrics.headers().firstValue("Content-Type")).hasValueSatisfying(type ->
                    assertThat(type).isEqualToIgnoringCase("application/openmetrics-text; version=1.0.0; charset=utf-8"));
            assertThat(openMetrics.body()).contains("esb_invocations_total{function=\"fx\",outcome=\"success\"} 6.0").endsWith("# EOF\n");

            var head = gw.http.send(HttpRequest.newBuilder(URI.create(gw.url("/metrics"))).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(head.statusCode()).isEqualTo(200);
            assertThat(head.headers().firstValue("Content-Type").orElseThrow()).startsWithIgnoringCase("text/plain; version=0.0.4");
            var post = gw.post("/metrics", "");
            assertThat(post.statusCode()).isEqualTo(405);
            assertThat(json(post).get("allowedMethods").asText()).isEqualTo("GET, HEAD");
        } finally {
            Docker.removeAll(instance);
        }
    }

    @Test
    void withoutADaemonTheGaugeIsZeroAndCallsCountAsDockerUnavailable() throws Exception {
        var missing = "unix:///tmp/esb-no-daemon-" + System.nanoTime() + ".sock";
        // Push mode: its cold start asks Docker to create the container, which counts as an unavailable operation. (A
        // pull-mode one fails before that, its Runtime API unable to learn its address: counted as network-addresses.)
        try (var gw = GatewayUnderTest.start(GatewayUnderTest.newInstanceId("it-metrics-nodaemon"),
                "esb.docker.host = \"" + missing + "\"\nesb.docker.probe-interval = 200ms\nesb.functions.fx.mode = push")) {
            Eventually.await(Duration.ofSeconds(20), "Docker down in /status", () -> gw.get("/status").statusCode(), code -> code == 503);
            assertThat(gw.invoke("fx", "{}").statusCode()).isEqualTo(503);
            var text = awaitMetrics(gw, t -> t.value("esb_invocations_total", "function", "fx", "outcome", "docker_unavailable").orElse(0) == 1);
            assertThat(value(text, "docker_daemon_up")).isZero();
            assertThat(value(text, "esb_invocations_total", "function", "fx", "outcome", "docker_unavailable")).isEqualTo(1);
            assertThat(value(text, "esb_docker_operations_total", "operation", "create-and-start", "result", "unavailable")).isEqualTo(1);
            assertThat(value(text, "esb_docker_operations_total", "operation", "ping", "result", "unavailable")).isPositive();
            assertThat(value(text, "esb_docker_operations_total", "operation", "network-addresses", "result", "unavailable")).isPositive();
            assertThat(value(text, "esb_docker_operations_total", "operation", "ping", "result", "success")).isZero();
            assertThat(value(text, "esb_cold_starts_total", "function", "fx")).isEqualTo(1);
            assertThat(value(text, "esb_cold_start_duration_seconds_count", "function", "fx")).isZero();
        }
    }

    @Test
    void metricsCanBeTurnedOff() throws Exception {
        try (var gw = GatewayUnderTest.start(GatewayUnderTest.newInstanceId("it-metrics-off"), "esb.metrics.enabled = false")) {
            var response = scrape(gw, null);
            assertThat(response.statusCode()).isEqualTo(404);
            assertThat(json(response).get("message").asText()).contains("esb.metrics.enabled");
            assertThat(gw.get("/health").statusCode()).isEqualTo(200);
        }
    }
}
