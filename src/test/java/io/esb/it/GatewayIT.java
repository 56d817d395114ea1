package io.esb.it;

import io.esb.testing.Docker;
import io.esb.testing.Eventually;
import io.esb.testing.GatewayUnderTest;
import io.esb.testing.LogCapture;
import io.esb.testing.RequiresDocker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static io.esb.testing.GatewayUnderTest.json;
import static org.assertj.core.api.Assertions.assertThat;

/** The gateway end to end against the real Docker daemon and the fixture images. */
@ExtendWith(RequiresDocker.class)
class GatewayIT {
    static final String INSTANCE = GatewayUnderTest.newInstanceId("it-gw");
    static GatewayUnderTest gw;
    static LogCapture logs;

    @BeforeAll
    static void start() throws Exception {
        logs = new LogCapture();
        gw = GatewayUnderTest.start(INSTANCE, "");
    }

    @AfterAll
    static void stop() {
        GatewayUnderTest.stopAndClean(gw, logs, INSTANCE);
    }

    @Test
    void coldStartThenWarmCallReusesTheContainer() throws Exception {
        var first = gw.get("/api/hello?name=Ada");
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.headers().firstValue("Content-Type")).hasValue("application/json");
        var firstBody = json(first);
        assertThat(firstBody.get("message").asText()).isEqualTo("Hello, Ada!");
        var containerIds = Docker.runningContainers(INSTANCE, "hello");
        assertThat(containerIds).hasSize(1);
        assertThat(containerIds.get(0)).startsWith(firstBody.get("container").asText());

        var second = gw.get("/api/hello?name=Grace");
        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(json(second).get("message").asText()).isEqualTo("Hello, Grace!");
        assertThat(json(second).get("container").asText()).isEqualTo(firstBody.get("container").asText());
        var afterWarm = Docker.runningContainers(INSTANCE, "hello");
        assertThat(afterWarm).isEqualTo(containerIds);

        var access = logs.withMessage("GET /api/hello 200").stream().map(LogCapture::fields).toList();
        assertThat(access).anySatisfy(f -> assertThat(f).containsEntry("cold_start", "true").containsEntry("function_name", "hello"));
        assertThat(access).anySatisfy(f -> assertThat(f).containsEntry("cold_start", "false"));
    }

    @Test
    void containerGetsTheLambdaEnvironmentAndMemoryLimit() throws Exception {
        var response = gw.invoke("fx", "{\"action\":\"env\"}");
        assertThat(response.statusCode()).isEqualTo(200);
        var env = json(response);
        assertThat(env.toString()).contains("\"AWS_LAMBDA_FUNCTION_NAME\":\"fx\"", "\"AWS_LAMBDA_FUNCTION_TIMEOUT\":\"3\"",
                "\"AWS_LAMBDA_FUNCTION_MEMORY_SIZE\":\"128\"", "\"AWS_LAMBDA_FUNCTION_VERSION\":\"$LATEST\"", "\"GREETING\":\"Hi\"");
        // Pull mode (the default): the container is told where the Runtime API is, as host:port, and publishes nothing.
        assertThat(env.get("AWS_LAMBDA_RUNTIME_API").asText()).matches("\\d+\\.\\d+\\.\\d+\\.\\d+:\\d+");
        var id = Docker.runningContainers(INSTANCE, "fx").get(0);
        assertThat(Docker.run("inspect", "-f", "{{.HostConfig.Memory}}", id).strip()).isEqualTo(String.valueOf(128L * 1024 * 1024));
        assertThat(Docker.run("inspect", "-f", "{{len .HostConfig.PortBindings}}", id).strip()).isEqualTo("0");
    }

    @Test
    void invokeApiPassesTheEventThroughAndReturnsTheResultAsIs() throws Exception {
        var response = gw.invoke("fx", "{\"action\":\"echo\",\"n\":[1,2,{\"k\":\"v\"}]}");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("X-Amz-Executed-Version")).hasValue("$LATEST");
        var body = json(response);
        assertThat(body.get("echo").toString()).isEqualTo("{\"action\":\"echo\",\"n\":[1,2,{\"k\":\"v\"}]}");
    }

    @Test
    void routeEventCarriesTheApiGatewayFields() throws Exception {
        var request = HttpRequest.newBuilder(URI.create(gw.url("/fx/a/b%20c?x=1&x=2&y=z")))
                .header("X-Request-Id", "req-route-1").header("X-Custom", "one")
                .method("PUT", HttpRequest.BodyPublishers.ofString("not json at all")).build();
        var response = gw.http.send(request, HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("X-Request-Id")).hasValue("req-route-1");
        var event = json(response).get("echo");
        assertThat(event.get("resource").asText()).isEqualTo("/fx/{proxy+}");
        assertThat(event.get("path").asText()).isEqualTo("/fx/a/b c");
        assertThat(event.get("httpMethod").asText()).isEqualTo("PUT");
        assertThat(event.get("pathParameters").get("proxy").asText()).isEqualTo("a/b c");
        assertThat(event.get("queryStringParameters").get("x").asText()).isEqualTo("2");
        assertThat(event.get("multiValueQueryStringParameters").get("x").toString()).isEqualTo("[\"1\",\"2\"]");
        assertThat(event.get("headers").get("X-Custom").asText()).isEqualTo("one");
        assertThat(event.get("requestContext").get("requestId").asText()).isEqualTo("req-route-1");
        assertThat(event.get("requestContext").get("identity").get("sourceIp").asText()).isEqualTo("127.0.0.1");
        assertThat(event.get("requestContext").get("stage").asText()).isEqualTo("local");
        assertThat(event.get("requestContext").get("protocol").asText()).isEqualTo("HTTP/1.1");
        // A body that is not JSON reaches the function as the event's string body, as API Gateway does.
        assertThat(event.get("body").asText()).isEqualTo("not json at all");
        assertThat(event.get("isBase64Encoded").asBoolean()).isFalse();
    }

    @Test
    void twentyConcurrentFirstCallsShareOneContainer() throws Exception {
        var burst = GatewayUnderTest.newInstanceId("it-burst");
        try (var g = GatewayUnderTest.start(burst, "")) {
            var calls = new ArrayList<CompletableFuture<HttpResponse<String>>>();
            for (int i = 0; i < 20; i++) {
                var request = HttpRequest.newBuilder(URI.create(g.url("/2015-03-31/functions/fx/invocations")))
                        .timeout(Duration.ofSeconds(60))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"action\":\"echo\",\"i\":" + i + "}")).build();
                calls.add(g.http.sendAsync(request, HttpResponse.BodyHandlers.ofString()));
            }
            var seen = new HashSet<Integer>();
            var containers = new HashSet<String>();
            for (int i = 0; i < 20; i++) {
                var response = calls.get(i).join();
                assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
                var body = json(response);
                assertThat(body.get("echo").get("i").asInt()).isEqualTo(i);
                seen.add(body.get("invocation").asInt());
                containers.add(body.get("container").asText());
            }
            assertThat(containers).hasSize(1);
            assertThat(seen).hasSize(20); // each call was its own invocation in that one container
            assertThat(Docker.containers(burst)).hasSize(1);
        } finally {
            Docker.removeAll(burst);
        }
    }

    @Test
    void containerKilledBehindTheGatewaysBackIsReplaced() throws Exception {
        var killed = GatewayUnderTest.newInstanceId("it-kill");
        try (var g = GatewayUnderTest.start(killed, "")) {
            var first = g.get("/fx");
            assertThat(first.statusCode()).isEqualTo(200);
            var victim = json(first).get("container").asText();
            Docker.run("kill", Docker.containers(killed).get(0));

            long start = System.nanoTime();
            var next = g.get("/fx");
            if (next.statusCode() == 200) {
                assertThat(json(next).get("container").asText()).isNotEqualTo(victim);
            } else {
                assertThat(next.statusCode()).isEqualTo(502);
                assertThat(json(next).get("message").asText()).isEqualTo("Internal server error");
            }
            var after = g.get("/fx");
            assertThat(after.statusCode()).isEqualTo(200);
            assertThat(json(after).get("container").asText()).isNotEqualTo(victim);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
        } finally {
            Docker.removeAll(killed);
        }
    }

    @Test
    void idleContainersAreReaped() throws Exception {
        var idle = GatewayUnderTest.newInstanceId("it-idle");
        try (var g = GatewayUnderTest.start(idle, "esb.containers.idle-timeout = 1s")) {
            assertThat(g.invoke("fx", "{}").statusCode()).isEqualTo(200);
            assertThat(Docker.containers(idle)).hasSize(1);
            Eventually.within(Duration.ofSeconds(15), () -> assertThat(Docker.containers(idle)).isEmpty());
            assertThat(json(g.get("/status")).get("functions").get("fx").get("idle").asInt()).isZero();
            // And the function still works afterwards, on a new container.
            assertThat(g.invoke("fx", "{}").statusCode()).isEqualTo(200);
        } finally {
            Docker.removeAll(idle);
        }
    }

    /** Push mode: a container's RIE outlives the gateway, so a restarted gateway reaches it again. */
    @Test
    void restartedGatewayAdoptsTheRunningContainer() throws Exception {
        var adopt = GatewayUnderTest.newInstanceId("it-adopt");
        try {
            String container;
            try (var first = GatewayUnderTest.start(adopt, "esb.functions.fx.mode = push")) {
                var response = first.invoke("fx", "{}");
                assertThat(response.statusCode()).isEqualTo(200);
                container = json(response).get("container").asText();
            }
            assertThat(Docker.runningContainers(adopt)).hasSize(1);
            try (var second = GatewayUnderTest.start(adopt, "esb.functions.fx.mode = push")) {
                // Adoption happens when the supervisor first sees the daemon up; wait for it through /status.
                Eventually.await(Duration.ofSeconds(10), "fx adopted", () -> json(second.get("/status")),
                        status -> status.get("functions").get("fx").get("idle").asInt() > 0);
                var response = second.invoke("fx", "{}");
                assertThat(response.statusCode()).isEqualTo(200);
                assertThat(json(response).get("container").asText()).isEqualTo(container);
                assertThat(json(second.get("/status")).get("functions").get("fx").get("coldStarts").asInt()).isZero();
                assertThat(Docker.containers(adopt)).hasSize(1);
            }
        } finally {
            Docker.removeAll(adopt);
        }
    }

    /**
     * Pull mode: a runtime's connection to the Runtime API ends with the gateway that served it, and AWS's runtime
     * clients never call another, so a restarted gateway removes the predecessor's containers and starts its own.
     */
    @Test
    void restartedGatewayReplacesPullModeContainers() throws Exception {
        var restart = GatewayUnderTest.newInstanceId("it-pull-restart");
        try {
            String container;
            try (var first = GatewayUnderTest.start(restart, "esb.shutdown.remove-containers = false")) {
                var response = first.invoke("fx", "{}");
                assertThat(response.statusCode()).isEqualTo(200);
                container = json(response).get("container").asText();
            }
            try (var second = GatewayUnderTest.start(restart, "esb.shutdown.remove-containers = false")) {
                var response = second.invoke("fx", "{}");
                assertThat(response.statusCode()).isEqualTo(200);
                assertThat(json(response).get("container").asText()).isNotEqualTo(container);
                Eventually.within(Duration.ofSeconds(10), () -> assertThat(Docker.containers(restart)).hasSize(1));
            }
        } finally {
            Docker.removeAll(restart);
        }
    }

    @Test
    void nonJsonProxyBodyIsLoggedAndReturnedUnchanged() throws Exception {
        var response = gw.get("/fx/x?action=nonjson");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("plain text, not json");
        assertThat(response.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
        var warnings = logs.withMessage("Failed to parse Lambda response body as JSON. Returning as string.");
        assertThat(warnings).isNotEmpty();
        var warning = warnings.get(warnings.size() - 1);
        assertThat(warning.getLevel().toString()).isEqualTo("WARN");
        assertThat(LogCapture.fields(warning)).containsEntry("snippet", "plain text, not json").containsEntry("status_code", "200");
    }

    @Test
    void failedInvocationIsLoggedWithItsFieldsAndAnswers502() throws Exception {
        var response = gw.get("/fx/die?action=exit");
        assertThat(response.statusCode()).isEqualTo(502);
        assertThat(json(response).get("message").asText()).isEqualTo("Internal server error");
        var errors = logs.withMessage("Lambda invocation failed for function 'fx'");
        assertThat(errors).isNotEmpty();
        var error = errors.get(errors.size() - 1);
        assertThat(error.getLevel().toString()).isEqualTo("ERROR");
        var fields = LogCapture.fields(error);
        assertThat(fields).containsEntry("function_name", "fx");
        // Pull mode: the container is reached through the Runtime API, where it calls from its bridge address.
        assertThat(fields.get("target_url")).matches("runtime-api://\\d+\\.\\d+\\.\\d+\\.\\d+");
        assertThat(fields.get("error_type")).isNotBlank();
        assertThat(fields.get("error_detail")).isNotBlank();
        assertThat(error.getMDCPropertyMap()).containsKey("request_id");
        // The dead container is not reused.
        var next = gw.invoke("fx", "{\"action\":\"echo\"}");
        assertThat(next.statusCode()).isEqualTo(200);
        assertThat(json(next).get("invocation").asInt()).isEqualTo(1);
    }

    @Test
    void timedOutContainerIsReplacedNotReused() throws Exception {
        var before = json(gw.invoke("fx", "{}")).get("container").asText();
        var timedOut = gw.invoke("fx", "{\"action\":\"sleep\",\"ms\":5000}");
        assertThat(timedOut.statusCode()).isEqualTo(200);
        assertThat(timedOut.headers().firstValue("X-Amz-Function-Error")).hasValue("Unhandled");
        assertThat(json(timedOut).get("errorMessage").asText()).endsWith("Task timed out after 3.00 seconds");
        var after = json(gw.invoke("fx", "{}")).get("container").asText();
        assertThat(after).isNotEqualTo(before);
    }

    @Test
    void dockerOperationsAreLoggedFromTheDockerDispatcher() throws Exception {
        assertThat(gw.invoke("fx", "{}").statusCode()).isEqualTo(200);
        var dockerOps = logs.events().stream().filter(e -> e.getLoggerName().equals("io.esb.docker.DockerSupervisor")
                && e.getFormattedMessage().startsWith("Docker operation")).toList();
        assertThat(dockerOps).isNotEmpty();
        assertThat(dockerOps).allSatisfy(e -> assertThat(e.getThreadName()).contains("esb.docker-dispatcher"));
        assertThat(dockerOps).extracting(e -> LogCapture.fields(e).get("operation")).contains("create-and-start");
    }

    // ---- bad input ----

    @Test
    void invokeApiRejectsNonJsonPayload() throws Exception {
        var response = gw.invoke("fx", "this is not json");
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.headers().firstValue("x-amzn-ErrorType")).hasValue("InvalidRequestContentException");
        assertThat(json(response).get("message").asText()).contains("JSON");
        assertThat(json(response).get("Type").asText()).isEqualTo("User");
    }

    @Test
    void unknownFunctionAndRouteAre404Json() throws Exception {
        var response = gw.invoke("nope", "{}");
        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.headers().firstValue("x-amzn-ErrorType")).hasValue("ResourceNotFoundException");
        assertThat(json(response).get("message").asText()).isEqualTo("Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope");
        var route = gw.get("/no/such/route");
        assertThat(route.statusCode()).isEqualTo(404);
        assertThat(json(route).get("message").asText()).contains("/no/such/route");
    }

    @Test
    void oversizedBodiesGet413Json() throws Exception {
        var invoke = gw.invoke("fx", "\"" + "a".repeat(6 * 1024 * 1024) + "\"");
        assertThat(invoke.statusCode()).isEqualTo(413);
        assertThat(invoke.headers().firstValue("x-amzn-ErrorType")).hasValue("RequestTooLargeException");
        var route = gw.post("/fx/big", "a".repeat(10 * 1024 * 1024 + 1));
        assertThat(route.statusCode()).isEqualTo(413);
        assertThat(json(route).get("message").asText()).contains("exceeds");
        assertThat(gw.get("/health").statusCode()).isEqualTo(200);
    }

    @Test
    void dotSegmentsAndEncodedSlashesDoNotEscapeRouting() throws Exception {
        for (var target : List.of("/fx/../health", "/api/hello/..", "/api%2Fhello", "/fx%2F..%2Fapi/hello", "/api/./hello", "/%2e%2e/api/hello")) {
            var answer = gw.rawRequest("GET", target);
            assertThat(answer[0]).as(target).isEqualTo("404");
            assertThat(GatewayUnderTest.JSON.readTree(answer[1]).get("message").asText()).as(target).isNotBlank();
        }
    }

    @Test
    void methodNotConfiguredGets405JsonEveryTime() throws Exception {
        for (int i = 0; i < 2; i++) {
            var response = gw.http.send(HttpRequest.newBuilder(URI.create(gw.url("/api/hello"))).DELETE().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(405);
            assertThat(json(response).get("message").asText()).contains("DELETE");
            assertThat(json(response).get("allowedMethods").asText()).contains("GET", "POST");
        }
    }

    @Test
    void healthNeverTouchesDocker() throws Exception {
        var response = gw.get("/health");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(json(response).get("status").asText()).isEqualTo("healthy");
    }
}
