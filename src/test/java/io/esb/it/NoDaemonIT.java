package io.esb.it;

import io.esb.testing.GatewayUnderTest;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static io.esb.testing.GatewayUnderTest.json;
import static org.assertj.core.api.Assertions.assertThat;

/** With no daemon at the configured host the gateway still starts, serves /health and answers 503 naming the host. */
class NoDaemonIT {
    @Test
    void gatewayStartsAndFailsColdStartsFastWithTheHostNamed() throws Exception {
        var missing = "unix:///tmp/esb-no-daemon-" + System.nanoTime() + ".sock";
        try (var gw = GatewayUnderTest.start(GatewayUnderTest.newInstanceId("it-nodaemon"),
                "esb.docker.host = \"" + missing + "\"\nesb.docker.probe-interval = 200ms")) {
            var health = gw.get("/health");
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(json(health).get("status").asText()).isEqualTo("healthy");

            long start = System.nanoTime();
            var route = gw.get("/api/hello?name=Ada");
            assertThat(route.statusCode()).isEqualTo(503);
            assertThat(json(route).get("message").asText()).isEqualTo("Docker daemon unavailable");
            assertThat(json(route).get("reason").asText()).contains(missing);

            var invoke = gw.invoke("fx", "{}");
            assertThat(invoke.statusCode()).isEqualTo(503);
            assertThat(invoke.headers().firstValue("x-amzn-ErrorType")).hasValue("ServiceException");
            assertThat(json(invoke).get("message").asText()).contains("Docker daemon unavailable").contains(missing);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));

            var status = gw.get("/status");
            assertThat(status.statusCode()).isEqualTo(503);
            assertThat(json(status).get("docker").get("status").asText()).isEqualTo("down");
            assertThat(json(status).get("docker").get("lastError").asText()).isNotBlank();
        }
    }
}
