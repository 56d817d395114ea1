package io.esb.function;

import io.esb.container.InvokeOutcome;

import static org.assertj.core.api.Assertions.assertThat;

import io.esb.config.FunctionSettings;
import io.esb.docker.DockerFailure;
import io.esb.docker.DockerReply;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Every outcome a container can have, and what the actor does with it. */
class FailureClassifierTest {
    private static final FunctionSettings FUNCTION = new FunctionSettings("fn", "esb-fixture:latest", Duration.ofSeconds(3), 128, 4, 0, 0,
            Map.of(), List.of());

    @Test
    void aPlainAnswerIsSentOnArrivalAndTheContainerServesAgain() {
        var answered = answered(200, "{\"ok\":true}");
        assertThat(FailureClassifier.answeredOnArrival(new Invocation(new byte[0], "r"), answered)).isTrue();
        assertThat(FailureClassifier.classify(answered, true, 0, false, "c1", FUNCTION))
                .isEqualTo(new FailureClassifier.Answer(null, true));
    }

    @Test
    void anAnswerWithALogTailIsAnsweredByTheActorInFull() {
        var answered = answered(200, "{\"ok\":true}");
        assertThat(FailureClassifier.answeredOnArrival(new Invocation(new byte[0], "r", true), answered)).isFalse();
        var verdict = (FailureClassifier.Answer) FailureClassifier.classify(answered, false, 0, true, "c1", FUNCTION);
        assertThat(verdict.reuse()).isTrue();
        var reply = verdict.reply();
        assertThat(reply.status()).isEqualTo(200);
        assertThat(new String(reply.body(), StandardCharsets.UTF_8)).isEqualTo("{\"ok\":true}");
        assertThat(reply.contentType()).isEqualTo("application/json");
        assertThat(reply.coldStart()).isTrue();
        assertThat(reply.containerId()).isEqualTo("c1");
        assertThat(reply.logTail()).isNull();
    }

    @Test
    void aServerErrorOrTheRuntimesTimeoutAnswerRetiresTheContainer() {
        for (var answered : List.of(answered(502, ""), answered(500, "{}"), answered(200, "Task timed out after 3.00 seconds"))) {
            assertThat(FailureClassifier.leftInUnknownState(answered)).isTrue();
            assertThat(FailureClassifier.answeredOnArrival(new Invocation(new byte[0], "r"), answered)).isFalse();
            var verdict = (FailureClassifier.Answer) FailureClassifier.classify(answered, false, 0, false, "c1", FUNCTION);
            assertThat(verdict.reuse()).isFalse();
            assertThat(verdict.reply().status()).as("the caller still gets the answer").isEqualTo(answered.status());
            assertThat(verdict.reply().body()).isEqualTo(answered.body());
        }
    }

    @Test
    void aHandlerErrorOrALongBodyThatMerelyStartsLikeATimeoutIsAnOrdinaryAnswer() {
        var handlerError = answered(200, "{\"errorMessage\":\"boom\",\"errorType\":\"IllegalStateException\"}");
        var longBody = answered(200, "Task timed out after " + "x".repeat(100));
        var clientError = answered(404, "");
        for (var answered : List.of(handlerError, longBody, clientError)) {
            assertThat(FailureClassifier.leftInUnknownState(answered)).isFalse();
            assertThat(((FailureClassifier.Answer) FailureClassifier.classify(answered, false, 0, false, "c1", FUNCTION)).reuse()).isTrue();
        }
    }

    @Test
    void anEventThatNeverArrivedIsResentOnceThenFails() {
        var notDelivered = new InvokeOutcome.NotDelivered("ConnectException", "Connection refused");
        assertThat(FailureClassifier.answeredOnArrival(new Invocation(new byte[0], "r"), notDelivered)).isFalse();
        assertThat(FailureClassifier.classify(notDelivered, false, 0, false, "c1", FUNCTION)).isInstanceOf(FailureClassifier.Resend.class);
        var failed = (FailureClassifier.Fail) FailureClassifier.classify(notDelivered, false, 1, true, "c2", FUNCTION);
        assertThat(failed.reply()).isEqualTo(new InvocationResult.Failed(InvocationResult.Reason.CONTAINER_FAILED,
                "Function container unreachable: Connection refused", true));
    }

    @Test
    void noAnswerWithinTheTimeoutFailsAsTimedOut() {
        var lost = new InvokeOutcome.Lost("Timeout", "no answer within 4000 ms", true);
        var failed = (FailureClassifier.Fail) FailureClassifier.classify(lost, false, 0, false, "c1", FUNCTION);
        assertThat(failed.reply()).isEqualTo(new InvocationResult.Failed(InvocationResult.Reason.TIMED_OUT,
                "Function 'fn' did not answer within its timeout of 3 s", false));
    }

    @Test
    void aConnectionLostMidInvocationAsksWhetherTheKernelKilledTheContainer() {
        var lost = new InvokeOutcome.Lost("EOFException", "connection closed before any answer", false);
        assertThat(FailureClassifier.classify(lost, false, 0, false, "c1", FUNCTION)).isEqualTo(new FailureClassifier.CheckForOom(lost));

        assertThat(FailureClassifier.afterOomCheck(true, lost, true, FUNCTION)).isEqualTo(new InvocationResult.Failed(
                InvocationResult.Reason.OUT_OF_MEMORY, "Function 'fn' ran out of memory (memory-mb = 128); the kernel killed its container", true));
        assertThat(FailureClassifier.afterOomCheck(false, lost, false, FUNCTION)).isEqualTo(new InvocationResult.Failed(
                InvocationResult.Reason.RUNTIME_EXITED, "Function container failed during the invocation: connection closed before any answer", false));
    }

    @Test
    void theInspectionIsAskedAgainWhileTheContainerRunsUpToItsBound() {
        assertThat(FailureClassifier.oomCheck(new DockerReply.Ok<>(true), 1)).isEqualTo(FailureClassifier.OomCheck.KILLED);
        assertThat(FailureClassifier.oomCheck(new DockerReply.Ok<>(false), 1)).isEqualTo(FailureClassifier.OomCheck.NOT_KILLED);
        assertThat(FailureClassifier.oomCheck(new DockerReply.Ok<>(null), 1)).isEqualTo(FailureClassifier.OomCheck.ASK_AGAIN);
        assertThat(FailureClassifier.oomCheck(new DockerReply.Ok<>(null), FailureClassifier.OOM_CHECKS - 1)).isEqualTo(FailureClassifier.OomCheck.ASK_AGAIN);
        // Still running at the last check: whatever dropped the connection, it was not the OOM killer.
        assertThat(FailureClassifier.oomCheck(new DockerReply.Ok<>(null), FailureClassifier.OOM_CHECKS)).isEqualTo(FailureClassifier.OomCheck.NOT_KILLED);
        assertThat(FailureClassifier.oomCheck(new DockerReply.Failed<>(new DockerFailure(DockerFailure.Kind.UNAVAILABLE, "inspect", "down")), 1))
                .isEqualTo(FailureClassifier.OomCheck.NOT_KILLED);
    }

    @Test
    void aStartDockerRefusedOrDidNotFinishIsTheStartsFailureAnyOtherTheDaemons() {
        assertThat(FailureClassifier.startFailure(failure(DockerFailure.Kind.REJECTED))).isEqualTo(InvocationResult.Reason.START_FAILED);
        assertThat(FailureClassifier.startFailure(failure(DockerFailure.Kind.TIMEOUT))).isEqualTo(InvocationResult.Reason.START_FAILED);
        assertThat(FailureClassifier.startFailure(failure(DockerFailure.Kind.UNAVAILABLE))).isEqualTo(InvocationResult.Reason.DOCKER_UNAVAILABLE);
        assertThat(FailureClassifier.startFailure(failure(DockerFailure.Kind.OVERLOADED))).isEqualTo(InvocationResult.Reason.DOCKER_UNAVAILABLE);
    }

    private static InvokeOutcome.Answered answered(int status, String body) {
        return new InvokeOutcome.Answered(status, body.getBytes(StandardCharsets.UTF_8), "application/json");
    }

    private static DockerFailure failure(DockerFailure.Kind kind) {
        return new DockerFailure(kind, "create-and-start", "failed");
    }
}
