package io.esb.it;

import io.esb.testing.Docker;
import io.esb.testing.Eventually;
import io.esb.testing.GatewayUnderTest;
import io.esb.testing.RequiresDocker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** SIGTERM on the real jar: in-flight invocations finish, then containers are left for adoption or removed. */
@ExtendWith(RequiresDocker.class)
@Timeout(120)
class ShutdownIT {
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void sigtermDrainsInFlightInvocationsAndRemovesContainersWhenConfigured() throws Exception {
        var instance = GatewayUnderTest.newInstanceId("it-shutdown-rm");
        try {
            var port = freePort();
            var process = startJar(instance, port, true, "");
            try {
                awaitHealthy(port);
                assertThat(invoke(port, "{}").statusCode()).isEqualTo(200);
                assertThat(Docker.runningContainers(instance)).hasSize(1);

                var inFlight = http.sendAsync(invokeRequest(port, "{\"action\":\"sleep\",\"ms\":2000}"), HttpResponse.BodyHandlers.ofString());
                Thread.sleep(500);
                process.destroy(); // SIGTERM
                var answer = inFlight.get(20, TimeUnit.SECONDS);
                assertThat(answer.statusCode()).isEqualTo(200);
                assertThat(GatewayUnderTest.JSON.readTree(answer.body()).get("echo").get("ms").asInt()).isEqualTo(2000);
                assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
                assertThat(Docker.containers(instance)).isEmpty();
            } finally {
                process.destroyForcibly();
            }
        } finally {
            Docker.removeAll(instance);
        }
    }

    /** Push mode: an RIE outlives the gateway. (A pull-mode runtime ends with its Runtime API, as AWS's clients do.) */
    @Test
    void byDefaultContainersAreLeftForTheNextGatewayToAdopt() throws Exception {
        var instance = GatewayUnderTest.newInstanceId("it-shutdown-keep");
        try {
            var port = freePort();
            var process = startJar(instance, port, false, "esb.functions.fx.mode = push");
            try {
                awaitHealthy(port);
                assertThat(invoke(port, "{}").statusCode()).isEqualTo(200);
                process.destroy();
                assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
                assertThat(Docker.runningContainers(instance)).hasSize(1);
                // New connections are refused once the gateway has gone.
                assertThat(healthAnswers(port)).isFalse();
            } finally {
                process.destroyForcibly();
            }
        } finally {
            Docker.removeAll(instance);
        }
    }

    private Process startJar(String instance, int port, boolean removeContainers, String extraConfig) throws Exception {
        var conf = Files.createTempFile("esb-shutdown", ".conf");
        Files.writeString(conf, extraConfig + "\n" + GatewayUnderTest.BASE_FUNCTIONS + """
                esb.http.port = %d
                esb.docker.instance-id = "%s"
                esb.shutdown.drain-timeout = 10s
                esb.shutdown.remove-containers = %s
                """.formatted(port, instance, removeContainers));
        var jar = Path.of("target", "esb.jar").toAbsolutePath();
        assertThat(jar).exists();
        return new ProcessBuilder("java", "-Dconfig.file=" + conf, "-jar", jar.toString())
                .redirectErrorStream(true)
                .redirectOutput(Path.of("target", instance + ".log").toFile())
                .start();
    }

    private void awaitHealthy(int port) throws Exception {
        Eventually.await(Duration.ofSeconds(30), "healthy on port " + port, () -> healthAnswers(port), Boolean::booleanValue);
    }

    private boolean healthAnswers(int port) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode() == 200;
        } catch (Exception e) {
            return false;
        }
    }

    private HttpResponse<String> invoke(int port, String payload) throws Exception {
        return http.send(invokeRequest(port, payload), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpRequest invokeRequest(int port, String payload) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/2015-03-31/functions/fx/invocations"))
                .timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofString(payload)).build();
    }

    private static int freePort() throws Exception {
        try (var socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
