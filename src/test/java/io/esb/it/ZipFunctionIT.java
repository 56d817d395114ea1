package io.esb.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.esb.testing.Docker;
import io.esb.testing.Eventually;
import io.esb.testing.GatewayUnderTest;
import io.esb.testing.LogCapture;
import io.esb.testing.RequiresDocker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvokeRequest;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static io.esb.testing.GatewayUnderTest.JSON;
import static io.esb.testing.GatewayUnderTest.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Zip functions from the example's SAM template (examples/zip-hello), run by AWS's real Java runtime interface client
 * (aws-lambda-java-runtime-interface-client, in esb-runtime-java21) against the gateway's Runtime API, called with the
 * real AWS SDK v2 and over API routes.
 */
@ExtendWith(RequiresDocker.class)
@Timeout(300)
class ZipFunctionIT {
    static final String INSTANCE = GatewayUnderTest.newInstanceId("it-zip");
    static final String RUNTIME_IMAGE = "esb-runtime-java21:latest";
    static final Path EXAMPLE = Path.of("examples/zip-hello").toAbsolutePath();
    static GatewayUnderTest gw;
    static LambdaClient lambda;
    static LogCapture logs;

    @BeforeAll
    static void start() throws Exception {
        assertThat(Docker.run("image", "ls", "-q", RUNTIME_IMAGE).strip()).as(RUNTIME_IMAGE + " (docker/build-images.sh builds it)").isNotEmpty();
        assertThat(EXAMPLE.resolve("build/example/Plain.class")).as("the example's code (examples/zip-hello/build.sh)").exists();
        logs = new LogCapture();
        var build = EXAMPLE.resolve("build");
        gw = GatewayUnderTest.start(INSTANCE, """
                esb.sam.template = "%s"
                esb.runtimes.java21 = "%s"
                esb.functions {
                  slow { runtime = java21, handler = "example.Plain::handleRequest", code-uri = "%s", timeout = 2s }
                  broken { runtime = java21, handler = "example.Missing::handleRequest", code-uri = "%s" }
                  pooled { runtime = java21, handler = "example.Plain::handleRequest", code-uri = "%s", max-concurrency = 3 }
                  # its runtime's default image, AWS's, is not on this host (nothing is pulled here)
                  absent { runtime = "python3.12", handler = "app.handler", code-uri = "%s" }
                }
                """.formatted(EXAMPLE.resolve("template.yaml"), RUNTIME_IMAGE, build, build, build, build));
        lambda = gw.lambdaClient(Region.US_EAST_1, Duration.ofSeconds(60));
    }

    @AfterAll
    static void stop() {
        GatewayUnderTest.stopAndClean(lambda, gw, logs, INSTANCE);
    }

    private static InvokeResponse invoke(String function, String payload) {
        return GatewayUnderTest.invoke(lambda, function, payload);
    }

    private static JsonNode payload(InvokeResponse response) throws Exception {
        return JSON.readTree(response.payload().asUtf8String());
    }

    @Test
    void theSdkInvokesAZipFunctionAndItsRuntimeSeesWhatAwsWouldTellIt() throws Exception {
        var context = Base64.getEncoder().encodeToString("{\"custom\":{\"tenant\":\"t1\"}}".getBytes(StandardCharsets.UTF_8));
        var response = lambda.invoke(InvokeRequest.builder().functionName("Plain").clientContext(context)
                .payload(SdkBytes.fromUtf8String("{\"a\":1}")).build());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.functionError()).isNull();
        var body = payload(response);
        assertThat(body.get("a").asInt()).isEqualTo(1);
        assertThat(body.get("handledBy").asText()).isEqualTo("Plain");
        assertThat(body.get("functionArn").asText()).isEqualTo("arn:aws:lambda:us-east-1:000000000000:function:Plain");
        assertThat(body.get("memoryLimitMb").asInt()).isEqualTo(256); // Globals.Function.MemorySize
        assertThat(body.get("requestId").asText()).isEqualTo(response.responseMetadata().requestId());
        assertThat(body.get("clientCustom").get("tenant").asText()).isEqualTo("t1");
        // The deadline (Globals Timeout: 10 s) reached the runtime: its remaining time counts down from it.
        assertThat(body.get("remainingMs").asLong()).isBetween(1_000L, 10_000L);
        assertThat(body.get("logStream").asText()).matches("\\d{4}/\\d{2}/\\d{2}/\\[\\$LATEST\\][0-9a-f]+");
    }

    @Test
    void anApiRouteReachesAZipFunctionThatNeedsItsLayer() throws Exception {
        var response = gw.get("/hello?name=Ada");
        assertThat(response.statusCode()).isEqualTo(200);
        var body = json(response);
        // Greeting lives only in the layer (mounted at /opt/java/lib): without it the handler class would not load.
        assertThat(body.get("message").asText()).isEqualTo("Hello, Ada!");
        assertThat(body.get("function").asText()).isEqualTo("HelloApi");
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
    }

    @Test
    void aThrownErrorIsTheFunctionsErrorOnTheInvokeApi() throws Exception {
        var response = invoke("Plain", "{\"fail\":true}");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.functionError()).isEqualTo("Unhandled");
        var error = payload(response);
        assertThat(error.get("errorType").asText()).isEqualTo("java.lang.RuntimeException");
        assertThat(error.get("errorMessage").asText()).isEqualTo("failing as asked");
        assertThat(error.get("stackTrace").isArray()).isTrue();
        // The container serves on: the next call succeeds on it.
        assertThat(invoke("Plain", "{}").functionError()).isNull();
    }

    @Test
    void aTimedOutInvocationIsSandboxTimedoutAndItsContainerIsReplaced() throws Exception {
        var first = invoke("slow", "{}");
        assertThat(first.functionError()).isNull();
        var container = payload(first).get("logStream").asText();
        var timedOut = invoke("slow", "{\"sleepMs\":5000}");
        assertThat(timedOut.functionError()).isEqualTo("Unhandled");
        assertThat(payload(timedOut).get("errorType").asText()).isEqualTo("Sandbox.Timedout");
        assertThat(payload(timedOut).get("errorMessage").asText()).contains("Task timed out after 2.00 seconds");
        Eventually.within(Duration.ofSeconds(15), () -> assertThat(Docker.containers(INSTANCE, "slow")).hasSizeLessThanOrEqualTo(1));
        var after = invoke("slow", "{}");
        assertThat(after.functionError()).isNull();
        assertThat(payload(after).get("logStream").asText()).isNotEqualTo(container);
    }

    @Test
    void anInitErrorReachesTheCallerAsTheFunctionsError() throws Exception {
        var response = invoke("broken", "{}");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.functionError()).isEqualTo("Unhandled");
        var error = payload(response);
        assertThat(error.get("errorMessage").asText()).contains("example.Missing");
        assertThat(error.get("errorType").asText()).isNotBlank();
    }

    @Test
    void concurrentInvocationsShareOneFunctionsPoolWithinItsMaxConcurrency() throws Exception {
        var pool = Executors.newFixedThreadPool(9);
        try {
            var calls = new ArrayList<Future<InvokeResponse>>();
            for (int i = 0; i < 9; i++) {
                calls.add(pool.submit((Callable<InvokeResponse>) () -> invoke("pooled", "{\"sleepMs\":300}")));
            }
            var containers = new HashSet<String>();
            for (var call : calls) {
                var response = call.get();
                assertThat(response.functionError()).isNull();
                containers.add(payload(response).get("logStream").asText());
            }
            assertThat(containers).hasSizeBetween(2, 3);
            assertThat(Docker.containers(INSTANCE, "pooled")).hasSizeLessThanOrEqualTo(3);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aRuntimeImageNotOnTheHostIsA503SayingWhatToDo() throws Exception {
        var response = gw.invoke("absent", "{}");
        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(json(response).get("message").asText()).contains("public.ecr.aws/lambda/python:3.12").contains("docker pull");
        assertThat(Docker.containers(INSTANCE, "absent")).isEmpty();
    }
}
