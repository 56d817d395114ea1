package io.esb.it;

import io.esb.testing.Docker;
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
            var gateway = startJar(instance, port, true, "");
            var process = gateway.process;
            try {
                gateway.awaitHealthy();
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
            var gateway = startJar(instance, port, false, "esb.functions.fx.mode = push");
            var process = gateway.process;
            try {
                gateway.awaitHealthy();
                assertThat(invoke(port, "{}").statusCode()).isEqualTo(200);
                process.destroy();
                assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
                assertThat(Docker.runningContainers(instance)).hasSize(1);
                // New connections are refused once the gateway has gone.
                assertThat(gateway.healthAnswers()).isFalse();
            } finally {
                process.destroyForcibly();
            }
        } finally {
            Docker.removeAll(instance);
        }
    }

    private GatewayJar startJar(String instance, int port, boolean removeContainers, String extraConfig) throws Exception {
        return GatewayJar.start(instance, port, extraConfig + "\n" + GatewayUnderTest.BASE_FUNCTIONS + """
                esb.http.port = %d
                esb.docker.instance-id = "%s"
                esb.shutdown.drain-timeout = 10s
                esb.shutdown.remove-containers = %s
                """.formatted(port, instance, removeContainers));
    }

    private HttpResponse<String> invoke(int port, String payload) throws Exception {
        return http.send(invokeRequest(port, payload), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpRequest invokeRequest(int port, String payload) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/2015-03-31/functions/fx/invocations"))
                .timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofString(payload)).build();
    }

    private static int freePort() throws Exception {
        return GatewayJar.freePort();
    }
}
