package io.esb.function;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class LambdaOutcomeTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static InvocationResult.Completed answered(int status, String body) {
        return new InvocationResult.Completed(status, body.getBytes(StandardCharsets.UTF_8), "application/json", false, "c1", null);
    }

    @Test
    void plainResultIsSuccess() {
        var outcome = LambdaOutcome.of(answered(200, "{\"errorMessage\":\"not an error without errorType\"}"), "r1", 3);
        assertThat(outcome).isInstanceOf(LambdaOutcome.Success.class);
        assertThat(new String(((LambdaOutcome.Success) outcome).payload(), StandardCharsets.UTF_8)).contains("not an error");
    }

    @Test
    void handlerErrorShapeIsAFunctionErrorWithItsType() {
        var outcome = LambdaOutcome.of(answered(200, "{\"errorMessage\":\"boom\",\"errorType\":\"IllegalStateException\",\"stackTrace\":[]}"), "r1", 3);
        assertThat(outcome).isInstanceOfSatisfying(LambdaOutcome.FunctionError.class, e -> {
            assertThat(e.errorType()).isEqualTo("IllegalStateException");
            assertThat(e.timedOut()).isFalse();
            assertThat(new String(e.payload(), StandardCharsets.UTF_8)).contains("\"boom\"");
        });
    }

    @Test
    void rieTimeoutTextBecomesSandboxTimedout() throws Exception {
        var outcome = LambdaOutcome.of(answered(200, "Task timed out after 3.00 seconds"), "req-9", 3);
        assertThat(outcome).isInstanceOfSatisfying(LambdaOutcome.FunctionError.class, e -> {
            assertThat(e.errorType()).isEqualTo("Sandbox.Timedout");
            assertThat(e.timedOut()).isTrue();
        });
        var payload = JSON.readTree(((LambdaOutcome.FunctionError) outcome).payload());
        assertThat(payload.get("errorType").asText()).isEqualTo("Sandbox.Timedout");
        assertThat(payload.get("errorMessage").asText()).contains(" req-9 ").endsWith("Task timed out after 3.00 seconds");
    }

    @Test
    void emptyBadGatewayAndDroppedConnectionAreRuntimeExits() throws Exception {
        var empty502 = LambdaOutcome.of(answered(502, ""), "r2", 3);
        var dropped = LambdaOutcome.of(new InvocationResult.Failed(InvocationResult.Reason.RUNTIME_EXITED, "closed", true), "r3", 3);
        for (var outcome : new LambdaOutcome[] {empty502, dropped}) {
            assertThat(outcome).isInstanceOfSatisfying(LambdaOutcome.FunctionError.class, e -> assertThat(e.errorType()).isEqualTo("Runtime.ExitError"));
        }
        assertThat(JSON.readTree(((LambdaOutcome.FunctionError) dropped).payload()).get("errorMessage").asText()).startsWith("RequestId: r3 ");
        assertThat(((LambdaOutcome.FunctionError) dropped).coldStart()).isTrue();
    }

    @Test
    void dockerAndThrottlingFailuresAreServiceFailures() {
        for (var reason : new InvocationResult.Reason[] {InvocationResult.Reason.THROTTLED, InvocationResult.Reason.DOCKER_UNAVAILABLE,
                InvocationResult.Reason.START_FAILED, InvocationResult.Reason.CONTAINER_FAILED}) {
            var outcome = LambdaOutcome.of(new InvocationResult.Failed(reason, "why", false), "r", 3);
            assertThat(outcome).isInstanceOfSatisfying(LambdaOutcome.ServiceFailure.class, f -> assertThat(f.failure().reason()).isEqualTo(reason));
        }
    }
}
