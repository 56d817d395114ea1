package io.esb.it;

import io.esb.testing.Docker;
import io.esb.testing.DockerFaultProxy;
import io.esb.testing.Eventually;
import io.esb.testing.GatewayJar;
import io.esb.testing.GatewayUnderTest;
import io.esb.testing.RequiresDocker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Event invocations on the real daemon, through the real jar: a 202 is a promise kept across {@code kill -9}, and an
 * event that keeps failing ends in the dead letters, where an operator lists, replays and deletes it.
 */
@ExtendWith(RequiresDocker.class)
@Timeout(300)
class AsyncDurabilityIT {
    private final HttpClient http = HttpClient.newHttpClient();

    /**
     * What the fixture's containers say they ran, once per run. Push mode, so a container outlives a killed gateway, is
     * adopted by the next one, and keeps its whole log.
     */
    private static List<String> runs(String instance) {
        return Docker.requestIdsRun(instance);
    }

    private static Set<String> ran(String instance) {
        return new HashSet<>(runs(instance));
    }

    private static long runsOf(String instance, String requestId) {
        return runs(instance).stream().filter(requestId::equals).count();
    }

    private static String config(String instance, int port, java.nio.file.Path dataDir, String extra) {
        return GatewayJar.pushFixtureConfig(instance, port, dataDir, 1) + "esb.shutdown.remove-containers = false\n" + extra;
    }

    private static void awaitQueueEmpty(java.util.concurrent.Callable<String> metrics) {
        Eventually.await(Duration.ofSeconds(30), "the async queue empty", metrics, body -> body.contains("esb_async_events_queued 0.0"));
    }

    private HttpResponse<String> event(GatewayJar gateway, String payload) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(gateway.url("/2015-03-31/functions/fx/invocations")))
                .header("X-Amz-Invocation-Type", "Event").timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(payload)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> send(GatewayJar gateway, String method, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(gateway.url(path))).timeout(Duration.ofSeconds(30))
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void eventsQueuedBehindASlowFunctionSurviveKill9AndAreAllDeliveredAfterTheRestart() throws Exception {
        var instance = GatewayUnderTest.newInstanceId("it-async-kill");
        var dataDir = Path.of("target", "esb-data").toAbsolutePath(); // the store is <data-dir>/<instance>/events.db
        int port = GatewayJar.freePort();
        try {
            var accepted = new LinkedHashSet<String>();
            try (var first = GatewayJar.start(instance, port, config(instance, port, dataDir, ""))) {
                first.awaitHealthy();
                for (int i = 0; i < 200; i++) {
                    var answer = event(first, "{\"action\":\"sleep\",\"ms\":40,\"n\":" + i + "}");
                    assertThat(answer.statusCode()).as("Event %d", i).isEqualTo(202);
                    accepted.add(answer.headers().firstValue("X-Amzn-RequestId").orElseThrow());
                }
                assertThat(accepted).hasSize(200);
                // Some have run, most are queued behind the one container: now the gateway dies without a word.
                Eventually.await(Duration.ofSeconds(60), "a few events delivered", () -> ran(instance), ids -> ids.size() >= 5);
                first.kill();
            }
            var beforeRestart = ran(instance);
            assertThat(beforeRestart).as("events delivered before the kill").hasSizeLessThan(200);

            try (var second = GatewayJar.start(instance, port, config(instance, port, dataDir, ""))) {
                second.awaitHealthy();
                var delivered = Eventually.await(Duration.ofSeconds(120), "every accepted event delivered", () -> ran(instance),
                        ids -> ids.containsAll(accepted));
                assertThat(delivered).containsAll(accepted);
                assertThat(second.output()).contains("Async events recovered");
                // Nothing is left queued once all are delivered.
                awaitQueueEmpty(() -> send(second, "GET", "/metrics").body());
            }
        } finally {
            Docker.removeAll(instance);
        }
    }

    @Test
    void anEventAcceptedWhileDockerRefusesIsDeliveredOnceDockerIsBack() throws Exception {
        var instance = GatewayUnderTest.newInstanceId("it-async-outage");
        try (var proxy = new DockerFaultProxy(); var gw = GatewayUnderTest.start(instance, """
                esb.docker.host = "%s"
                esb.docker.probe-interval = 500ms
                esb.async { service-retry-min-delay = 200ms, service-retry-max-delay = 1s }
                """.formatted(proxy.dockerHost()))) {
            proxy.setMode(DockerFaultProxy.Mode.REFUSE);
            Eventually.await(Duration.ofSeconds(15), "docker down in /status", () -> gw.get("/status").statusCode(), code -> code == 503);

            var answer = http.send(HttpRequest.newBuilder(URI.create(gw.url("/2015-03-31/functions/hello/invocations")))
                    .header("X-Amz-Invocation-Type", "Event").POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"outage\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(answer.statusCode()).isEqualTo(202);
            var requestId = answer.headers().firstValue("X-Amzn-RequestId").orElseThrow();
            // Attempts fail while the daemon refuses; they are retried, not dead-lettered.
            Eventually.await(Duration.ofSeconds(15), "a failed attempt", () -> gw.get("/metrics").body(),
                    body -> body.contains("esb_invocations_total{function=\"hello\",outcome=\"docker_unavailable\""));
            assertThat(gw.get("/metrics").body()).contains("esb_async_events_queued 1.0").contains("esb_async_dead_letters 0.0");

            proxy.setMode(DockerFaultProxy.Mode.PASS);
            Eventually.await(Duration.ofSeconds(60), "the event run once Docker is back", () -> ran(instance), ids -> ids.contains(requestId));
            awaitQueueEmpty(() -> gw.get("/metrics").body());
        } finally {
            Docker.removeAll(instance);
        }
    }

    @Test
    void aFailingEventEndsInTheDeadLettersWhereItCanBeListedReplayedAndDeleted() throws Exception {
        var instance = GatewayUnderTest.newInstanceId("it-async-dlq");
        var dataDir = Path.of("target", "esb-data").toAbsolutePath();
        int port = GatewayJar.freePort();
        try (var gateway = GatewayJar.start(instance, port, config(instance, port, dataDir, "esb.async.retry-delays = [200ms, 200ms]\n"))) {
            gateway.awaitHealthy();
            var answer = event(gateway, "{\"action\":\"throw\",\"message\":\"always fails\"}");
            assertThat(answer.statusCode()).isEqualTo(202);
            var requestId = answer.headers().firstValue("X-Amzn-RequestId").orElseThrow();

            var letters = Eventually.await(Duration.ofSeconds(60), "the dead letter listed", () -> GatewayUnderTest.JSON.readTree(
                    send(gateway, "GET", "/admin/dead-letters?function=fx").body()).path("deadLetters"), l -> l.size() == 1);
            var letter = letters.get(0);
            assertThat(letter.path("requestId").asText()).isEqualTo(requestId);
            assertThat(letter.path("functionName").asText()).isEqualTo("fx");
            assertThat(letter.path("reason").asText()).isEqualTo("RetriesExhausted");
            assertThat(letter.path("attempts").asInt()).isEqualTo(3);
            assertThat(letter.path("lastError").asText()).isEqualTo("IllegalStateException");
            assertThat(letter.path("payload").asText()).isEqualTo("{\"action\":\"throw\",\"message\":\"always fails\"}");
            assertThat(letter.path("firstAttemptAt").asText()).isNotEmpty();
            assertThat(runsOf(instance, requestId)).isEqualTo(3);
            assertThat(gateway.output()).contains("Async invocation dead-lettered").contains(requestId);
            var metrics = send(gateway, "GET", "/metrics").body();
            assertThat(metrics).contains("esb_async_dead_letters 1.0")
                    .containsPattern("esb_async_dead_lettered_total\\{function=\"fx\",reason=\"RetriesExhausted\",?\\} 1.0");

            // Replay: the same request id runs again (three more attempts, as a fresh event), then is dead again.
            var replay = send(gateway, "POST", "/admin/dead-letters/" + requestId + "/replay");
            assertThat(replay.statusCode()).isEqualTo(202);
            assertThat(GatewayUnderTest.JSON.readTree(replay.body()).path("replayed").asBoolean()).isTrue();
            Eventually.await(Duration.ofSeconds(60), "the replay run", () -> runsOf(instance, requestId), n -> n >= 4);
            Eventually.await(Duration.ofSeconds(60), "dead again after its retries", () -> GatewayUnderTest.JSON.readTree(
                    send(gateway, "GET", "/admin/dead-letters").body()).path("deadLetters").size(), n -> n == 1);

            var deleted = send(gateway, "DELETE", "/admin/dead-letters/" + requestId);
            assertThat(deleted.statusCode()).isEqualTo(200);
            assertThat(GatewayUnderTest.JSON.readTree(deleted.body()).path("deleted").asBoolean()).isTrue();
            var again = send(gateway, "DELETE", "/admin/dead-letters/" + requestId);
            assertThat(again.statusCode()).isEqualTo(404);
            assertThat(GatewayUnderTest.JSON.readTree(again.body()).path("message").asText()).contains(requestId);
            assertThat(send(gateway, "POST", "/admin/dead-letters/nope/replay").statusCode()).isEqualTo(404);
            assertThat(send(gateway, "GET", "/admin/dead-letters?limit=0").statusCode()).isEqualTo(400);
            assertThat(send(gateway, "GET", "/metrics").body()).contains("esb_async_dead_letters 0.0");
        } finally {
            Docker.removeAll(instance);
        }
    }
}
