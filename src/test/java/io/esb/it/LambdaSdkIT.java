package io.esb.it;

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
import software.amazon.awssdk.services.lambda.model.InvocationType;
import software.amazon.awssdk.services.lambda.model.InvokeRequest;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;
import software.amazon.awssdk.services.lambda.model.LogType;
import software.amazon.awssdk.services.lambda.model.ResourceNotFoundException;
import software.amazon.awssdk.services.lambda.model.TooManyRequestsException;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;

import static io.esb.testing.GatewayUnderTest.JSON;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The real AWS SDK for Java v2 LambdaClient, with only an endpoint override, against real containers. */
@ExtendWith(RequiresDocker.class)
@Timeout(180)
class LambdaSdkIT {
    static final String INSTANCE = GatewayUnderTest.newInstanceId("it-sdk");
    static GatewayUnderTest gw;
    static LambdaClient lambda;
    static LogCapture logs;

    @BeforeAll
    static void start() throws Exception {
        logs = new LogCapture();
        gw = GatewayUnderTest.start(INSTANCE, """
                esb.async.retry-delays = [100ms, 100ms]
                esb.containers.max-queue-depth = 1
                esb.functions.events { image = "esb-fixture:latest", timeout = 3s }
                esb.functions.failing { image = "esb-fixture:latest", timeout = 3s }
                esb.functions.busy { image = "esb-fixture:latest", timeout = 10s }
                """);
        lambda = gw.lambdaClient(Region.US_EAST_1, Duration.ofSeconds(60));
    }

    @AfterAll
    static void stop() {
        GatewayUnderTest.stopAndClean(lambda, gw, logs, INSTANCE);
    }

    private static InvokeResponse invoke(String function, String payload) {
        return GatewayUnderTest.invoke(lambda, function, payload);
    }

    @Test
    void synchronousInvokeReturnsThePayloadAndExecutedVersion() throws Exception {
        var response = invoke("fx", "{\"action\":\"echo\",\"value\":42}");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.functionError()).isNull();
        assertThat(response.executedVersion()).isEqualTo("$LATEST");
        assertThat(JSON.readTree(response.payload().asUtf8String()).get("echo").get("value").asInt()).isEqualTo(42);

        var qualified = lambda.invoke(InvokeRequest.builder().functionName("fx").qualifier("$LATEST")
                .payload(SdkBytes.fromUtf8String("{}")).build());
        assertThat(qualified.statusCode()).isEqualTo(200);
        var byArn = invoke("arn:aws:lambda:us-east-1:000000000000:function:fx", "{}");
        assertThat(byArn.statusCode()).isEqualTo(200);
    }

    @Test
    void eventInvocationAnswers202AndRunsLater() throws Exception {
        var response = lambda.invoke(InvokeRequest.builder().functionName("events").invocationType(InvocationType.EVENT)
                .payload(SdkBytes.fromUtf8String("{\"action\":\"echo\"}")).build());
        assertThat(response.statusCode()).isEqualTo(202);
        assertThat(response.payload().asByteArray()).isEmpty();
        // The event ran in the function's one container before this call, so this is its second invocation.
        Eventually.await(Duration.ofSeconds(30), "the event's container idle again",
                () -> GatewayUnderTest.json(gw.get("/status")).get("functions").get("events"), status -> status.get("idle").asInt() == 1);
        int invocation = JSON.readTree(invoke("events", "{}").payload().asUtf8String()).get("invocation").asInt();
        assertThat(invocation).isEqualTo(2);
    }

    @Test
    void failingEventIsRetriedTwiceThenDeadLetteredWithFunctionAndRequestId() throws Exception {
        var response = lambda.invoke(InvokeRequest.builder().functionName("failing").invocationType(InvocationType.EVENT)
                .payload(SdkBytes.fromUtf8String("{\"action\":\"throw\",\"message\":\"boom\"}")).build());
        assertThat(response.statusCode()).isEqualTo(202);
        var requestId = response.responseMetadata().requestId();
        var failures = Eventually.await(Duration.ofSeconds(30), "dead-lettered after all retries",
                () -> logs.withMessage("Async invocation dead-lettered"), lines -> !lines.isEmpty());
        assertThat(failures).hasSize(1);
        assertThat(failures.get(0).getLevel().toString()).isEqualTo("WARN");
        var fields = LogCapture.fields(failures.get(0));
        assertThat(fields).containsEntry("function_name", "failing").containsEntry("attempts", "3").containsEntry("request_id", requestId)
                .containsEntry("reason", "RetriesExhausted").containsEntry("last_error", "IllegalStateException");
        assertThat(logs.withMessage("Async invocation failed; retrying")).hasSize(2);
    }

    @Test
    void dryRunAnswers204WhenTheFunctionExists() {
        var response = lambda.invoke(InvokeRequest.builder().functionName("fx").invocationType(InvocationType.DRY_RUN).build());
        assertThat(response.statusCode()).isEqualTo(204);
        assertThatThrownBy(() -> lambda.invoke(InvokeRequest.builder().functionName("missing").invocationType(InvocationType.DRY_RUN).build()))
                .isInstanceOf(ResourceNotFoundException.class);
    }

    @Test
    void tailReturnsTheInvocationsOwnLogOutput() {
        invoke("fx", "{\"action\":\"log\",\"message\":\"an earlier invocation\"}");
        var response = lambda.invoke(InvokeRequest.builder().functionName("fx").logType(LogType.TAIL)
                .payload(SdkBytes.fromUtf8String("{\"action\":\"log\",\"message\":\"hello from the handler\"}")).build());
        assertThat(response.statusCode()).isEqualTo(200);
        var logText = new String(Base64.getDecoder().decode(response.logResult()), StandardCharsets.UTF_8);
        var requestId = response.responseMetadata().requestId();
        assertThat(logText).startsWith("START RequestId: " + requestId)
                .contains("hello from the handler")
                .contains("END RequestId: " + requestId)
                .contains("REPORT RequestId: " + requestId)
                .doesNotContain("an earlier invocation");
    }

    @Test
    void handlerErrorIsAnUnhandledFunctionError() throws Exception {
        var response = invoke("fx", "{\"action\":\"throw\",\"message\":\"kaput\"}");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.functionError()).isEqualTo("Unhandled");
        var payload = JSON.readTree(response.payload().asUtf8String());
        assertThat(payload.get("errorMessage").asText()).isEqualTo("kaput");
        assertThat(payload.get("errorType").asText()).isNotBlank();
        assertThat(payload.get("stackTrace").isArray()).isTrue();
    }

    @Test
    void timeoutIsReportedAsSandboxTimedout() throws Exception {
        var response = invoke("fx", "{\"action\":\"sleep\",\"ms\":6000}");
        assertThat(response.functionError()).isEqualTo("Unhandled");
        var payload = JSON.readTree(response.payload().asUtf8String());
        assertThat(payload.get("errorType").asText()).isEqualTo("Sandbox.Timedout");
        assertThat(payload.get("errorMessage").asText()).contains(response.responseMetadata().requestId())
                .endsWith("Task timed out after 3.00 seconds");
    }

    @Test
    void runtimeExitIsReportedAsRuntimeExitError() throws Exception {
        var response = invoke("fx", "{\"action\":\"exit\"}");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.functionError()).isEqualTo("Unhandled");
        assertThat(JSON.readTree(response.payload().asUtf8String()).get("errorType").asText()).isEqualTo("Runtime.ExitError");
        // The dead container is replaced, not reused.
        assertThat(JSON.readTree(invoke("fx", "{}").payload().asUtf8String()).get("invocation").asInt()).isEqualTo(1);
    }

    @Test
    void unknownFunctionIsTheTypedResourceNotFoundException() {
        assertThatThrownBy(() -> invoke("does-not-exist", "{}"))
                .isInstanceOfSatisfying(ResourceNotFoundException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(404);
                    assertThat(e.awsErrorDetails().errorMessage())
                            .isEqualTo("Function not found: arn:aws:lambda:us-east-1:000000000000:function:does-not-exist");
                });
        assertThatThrownBy(() -> lambda.invoke(InvokeRequest.builder().functionName("fx").qualifier("7").payload(SdkBytes.fromUtf8String("{}")).build()))
                .isInstanceOf(ResourceNotFoundException.class);
    }

    @Test
    void fullQueueIsTheTypedTooManyRequestsException() throws Exception {
        invoke("busy", "{}"); // warm: one container, max-concurrency 1, queue depth 1
        var calls = new ArrayList<CompletableFuture<Object>>();
        for (int i = 0; i < 4; i++) {
            calls.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return invoke("busy", "{\"action\":\"sleep\",\"ms\":1500}");
                } catch (TooManyRequestsException e) {
                    return e;
                }
            }));
            Thread.sleep(100);
        }
        var throttled = calls.stream().map(CompletableFuture::join).filter(r -> r instanceof TooManyRequestsException)
                .map(r -> (TooManyRequestsException) r).toList();
        assertThat(throttled).hasSize(2);
        assertThat(throttled.get(0).statusCode()).isEqualTo(429);
        assertThat(throttled.get(0).reasonAsString()).isEqualTo("ReservedFunctionConcurrentInvocationLimitExceeded");
        assertThat(throttled.get(0).retryAfterSeconds()).isEqualTo("1");
    }
}
