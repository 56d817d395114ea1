package io.esb.it;

import io.esb.testing.Docker;
import io.esb.testing.Eventually;
import io.esb.testing.GatewayUnderTest;
import io.esb.testing.LogCapture;
import io.esb.testing.RequiresDocker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static io.esb.testing.GatewayUnderTest.json;
import static org.assertj.core.api.Assertions.assertThat;

/** Per-function pools, the global cap, min-warm, queue timeouts and OOM reporting, against the real daemon. */
@ExtendWith(RequiresDocker.class)
@Timeout(240)
class ScaleIT {

    private static String containerOf(HttpResponse<String> response) throws Exception {
        return json(response).get("container").asText();
    }

    @Test
    void burstOf200ColdRequestsUsesAtMostTenContainersAndAnswersEveryOne() throws Exception {
        var instance = GatewayUnderTest.newInstanceId("it-burst200");
        try (var gw = GatewayUnderTest.start(instance, "esb.functions.pool { image = \"esb-fixture:latest\", timeout = 10s, max-concurrency = 10 }");
             var logs = new LogCapture()) {
            var calls = new ArrayList<CompletableFuture<HttpResponse<String>>>();
            for (int i = 0; i < 200; i++) {
                calls.add(gw.http.sendAsync(HttpRequest.newBuilder(URI.create(gw.url("/2015-03-31/functions/pool/invocations")))
                        .timeout(Duration.ofSeconds(120))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"action\":\"sleep\",\"ms\":20,\"i\":" + i + "}")).build(),
                        HttpResponse.BodyHandlers.ofString()));
            }
            var containers = new HashSet<String>();
            for (int i = 0; i < 200; i++) {
                var response = calls.get(i).join();
                assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
                assertThat(response.headers().firstValue("X-Amz-Function-Error")).isEmpty();
                assertThat(json(response).get("echo").get("i").asInt()).isEqualTo(i);
                containers.add(containerOf(response));
            }
            assertThat(containers).hasSizeBetween(2, 10);
            assertThat(Docker.containers(instance)).hasSizeLessThanOrEqualTo(10);
            var status = json(gw.get("/status")).get("functions").get("pool");
            assertThat(status.get("coldStarts").asInt()).isLessThanOrEqualTo(10);
            assertThat(status.get("queued").asInt()).isZero();
            // A fixture that gets two invocations at once dies; none did, and no Docker call failed (e.g. a name conflict).
            assertThat(logs.withMessage("Lambda invocation failed for function 'pool'")).isEmpty();
            assertThat(logs.withMessage("Docker operation failed")).isEmpty();
        } finally {
            Docker.removeAll(instance);
        }
    }

    @Test
    void globalCapEvictsTheLeastRecentlyUsedIdleContainerOfAnotherFunction() throws Exception {
        var instance = GatewayUnderTest.newInstanceId("it-cap");
        try (var gw = GatewayUnderTest.start(instance, """
                esb.containers.max-total = 2
                esb.functions.a { image = "esb-fixture:latest" }
                esb.functions.b { image = "esb-fixture:latest" }
                esb.functions.c { image = "esb-fixture:latest" }
                """)) {
            var a = containerOf(gw.invoke("a", "{}"));
            var b = containerOf(gw.invoke("b", "{}"));
            assertThat(Docker.containers(instance)).hasSize(2);
            var c = gw.invoke("c", "{}");
            assertThat(c.statusCode()).isEqualTo(200);
            assertThat(Docker.containers(instance)).hasSizeLessThanOrEqualTo(2);
            var running = String.join(",", Docker.runningContainers(instance));
            assertThat(running).doesNotContain(a).contains(b).contains(containerOf(c));
            assertThat(json(gw.get("/status")).get("functions").get("a").get("idle").asInt()).isZero();
        } finally {
            Docker.removeAll(instance);
        }
    }

    /**
     * A caller that waits for each answer before its next call never needs a second container, in push or pull mode:
     * the pool learns its container is free before the caller gets the answer. (When the answer went out first, a quick
     * caller's next call could find the container still busy and start another; ClusterIT caught it in one CI run.)
     */
    @Test
    void oneCallerAtATimeIsServedByOneContainer() throws Exception {
        var instance = GatewayUnderTest.newInstanceId("it-onecaller");
        try (var gw = GatewayUnderTest.start(instance, """
                esb.functions.seq { image = "esb-fixture:latest", timeout = 10s, max-concurrency = 4, mode = push }
                esb.functions.pseq { image = "esb-fixture:latest", timeout = 10s, max-concurrency = 4, mode = pull }
                """)) {
            for (var function : List.of("seq", "pseq")) {
                var containers = new HashSet<String>();
                // One keep-alive connection and no client-side work between calls: the next call follows each answer
                // by well under a millisecond, as from a tight loop.
                try (var socket = new Socket("127.0.0.1", gw.gateway.port())) {
                    socket.setTcpNoDelay(true);
                    socket.setSoTimeout(30_000);
                    var in = new BufferedInputStream(socket.getInputStream());
                    var out = socket.getOutputStream();
                    for (int i = 0; i < 300; i++) {
                        var body = "{\"action\":\"env\"}".getBytes(StandardCharsets.UTF_8);
                        out.write(("POST /2015-03-31/functions/" + function + "/invocations HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                + "Content-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                        out.write(body);
                        out.flush();
                        var answer = readResponse(in);
                        assertThat(answer[0]).as("call %d to %s: %s", i, function, answer[1]).isEqualTo("200");
                        containers.add(GatewayUnderTest.JSON.readTree(answer[1]).get("container").asText());
                    }
                }
                var status = json(gw.get("/status")).get("functions").get(function);
                assertThat(status.get("coldStarts").asInt()).as("%s cold starts: %s", function, status).isEqualTo(1);
                assertThat(containers).as(function).hasSize(1);
                assertThat(Docker.containers(instance, function)).as(function).hasSize(1);
            }
        } finally {
            Docker.removeAll(instance);
        }
    }

    /** Status code and body of one HTTP/1.1 response with a Content-Length. */
    private static String[] readResponse(BufferedInputStream in) throws IOException {
        var head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                throw new EOFException("connection closed after " + head);
            }
            head.append((char) c);
        }
        int length = 0;
        for (var line : head.toString().split("\r\n")) {
            if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).trim());
            }
        }
        return new String[] {head.substring(9, 12), new String(in.readNBytes(length), StandardCharsets.UTF_8)};
    }

    @Test
    void minWarmContainersStartAtBootAndAreNotReaped() throws Exception {
        var instance = GatewayUnderTest.newInstanceId("it-minwarm");
        try (var gw = GatewayUnderTest.start(instance, """
                esb.containers.idle-timeout = 1s
                esb.functions.ready { image = "esb-fixture:latest", min-warm = 2 }
                """)) {
            Eventually.within(Duration.ofSeconds(30),
                    () -> assertThat(json(gw.get("/status")).get("functions").get("ready").get("idle").asInt()).isEqualTo(2));
            Thread.sleep(3000); // well past idle-timeout
            assertThat(Docker.runningContainers(instance)).hasSize(2);
            var response = gw.invoke("ready", "{}");
            assertThat(json(response).get("invocation").asInt()).isEqualTo(1);
            assertThat(json(gw.get("/status")).get("functions").get("ready").get("coldStarts").asInt()).isEqualTo(2);
        } finally {
            Docker.removeAll(instance);
        }
    }

    @Test
    void waitingPastTheQueueTimeoutIsAnswered429() throws Exception {
        var instance = GatewayUnderTest.newInstanceId("it-queue");
        try (var gw = GatewayUnderTest.start(instance, """
                esb.containers.queue-timeout = 500ms
                esb.functions.one { image = "esb-fixture:latest", timeout = 10s, max-concurrency = 1 }
                """)) {
            assertThat(gw.invoke("one", "{}").statusCode()).isEqualTo(200);
            var slow = gw.http.sendAsync(HttpRequest.newBuilder(URI.create(gw.url("/2015-03-31/functions/one/invocations")))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"action\":\"sleep\",\"ms\":3000}")).build(), HttpResponse.BodyHandlers.ofString());
            Thread.sleep(200);
            long start = System.nanoTime();
            var waiting = gw.invoke("one", "{}");
            var waited = Duration.ofNanos(System.nanoTime() - start);
            assertThat(waiting.statusCode()).isEqualTo(429);
            assertThat(waiting.headers().firstValue("x-amzn-ErrorType")).hasValue("TooManyRequestsException");
            assertThat(json(waiting).get("message").asText()).contains("esb.containers.queue-timeout");
            assertThat(waited).isBetween(Duration.ofMillis(400), Duration.ofMillis(2500));
            assertThat(slow.join().statusCode()).isEqualTo(200);
        } finally {
            Docker.removeAll(instance);
        }
    }

    @Test
    void containerKilledForMemoryIsReportedAsOutOfMemory() throws Exception {
        var instance = GatewayUnderTest.newInstanceId("it-oom");
        try (var gw = GatewayUnderTest.start(instance, """
                esb.functions.hungry {
                  image = "esb-fixture:latest"
                  memory-mb = 64
                  timeout = 20s
                  environment { JAVA_TOOL_OPTIONS = "-Xmx1g -XX:+AlwaysPreTouch" }
                }
                """)) {
            var response = gw.invoke("hungry", "{\"action\":\"bytes\",\"n\":200000000}");
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("X-Amz-Function-Error")).hasValue("Unhandled");
            assertThat(json(response).get("errorType").asText()).isEqualTo("Runtime.OutOfMemory");
            assertThat(json(response).get("errorMessage").asText()).contains("memory-mb = 64");
        } finally {
            Docker.removeAll(instance);
        }
    }
}
