package io.esb.function;

import io.esb.container.InvokeOutcome;

import io.esb.config.FunctionSettings;
import io.esb.docker.DockerFailure;
import io.esb.docker.DockerReply;

import java.nio.charset.StandardCharsets;

/**
 * What a container's outcome means: whether the container may serve again, whether the invocation may be resent,
 * and what the caller is answered. Pure functions; {@link FunctionActor} carries the verdicts out.
 */
final class FailureClassifier {
    /** Inspections of a container that dropped its connection, before it counts as not killed for memory. */
    static final int OOM_CHECKS = 20;

    private FailureClassifier() {}

    /** What the actor does after an invocation's outcome. */
    sealed interface Verdict {}

    /**
     * The container answered. {@code reply}: what the caller gets, or null when the I/O thread already answered it.
     * {@code reuse}: the container goes back to the pool, else it is removed.
     */
    record Answer(InvocationResult.Completed reply, boolean reuse) implements Verdict {}

    /** The event never reached the container: remove it and send the event to a fresh one. */
    record Resend() implements Verdict {}

    /** Remove the container and answer the caller with {@code reply}. */
    record Fail(InvocationResult.Failed reply) implements Verdict {}

    /**
     * The connection dropped mid-invocation: the container is kept out of the pool, and its state, inspected next,
     * says whether the kernel killed it for memory ({@link #afterOomCheck}).
     */
    record CheckForOom(InvokeOutcome.Lost lost) implements Verdict {}

    /** The RIE reports a handler timeout as this text, and a runtime that died as a 502 without a body. */
    static boolean leftInUnknownState(InvokeOutcome.Answered answered) {
        if (answered.status() >= 500) {
            return true;
        }
        var body = answered.body();
        return body.length < 100 && new String(body, StandardCharsets.UTF_8).startsWith("Task timed out after");
    }

    /**
     * Whether the I/O thread that received {@code outcome} answers the caller itself, without a trip through the
     * actor's mailbox: a plain answer, with no log tail to fetch and a runtime fit to serve again.
     */
    static boolean answeredOnArrival(Invocation invocation, InvokeOutcome outcome) {
        return !invocation.tailLogs() && outcome instanceof InvokeOutcome.Answered answered && !leftInUnknownState(answered);
    }

    static InvocationResult.Completed completed(InvokeOutcome.Answered answered, boolean coldStart, String containerId) {
        return new InvocationResult.Completed(answered.status(), answered.body(), answered.contentType(), coldStart, containerId, null);
    }

    /**
     * @param replied           the I/O thread already answered the caller ({@link #answeredOnArrival})
     * @param deliveryAttempts  earlier containers this invocation was sent to
     */
    static Verdict classify(InvokeOutcome outcome, boolean replied, int deliveryAttempts, boolean coldStart, String containerId,
                            FunctionSettings function) {
        if (outcome instanceof InvokeOutcome.Answered answered) {
            if (replied) {
                return new Answer(null, true); // answeredOnArrival already ruled out an unknown state
            }
            // A timed-out or crashed runtime is never reused; the next call gets a fresh container.
            return new Answer(completed(answered, coldStart, containerId), !leftInUnknownState(answered));
        }
        if (outcome instanceof InvokeOutcome.NotDelivered notDelivered) {
            // The event never reached the dead container, so it is safe to send it to a fresh one, once.
            return deliveryAttempts == 0 ? new Resend()
                    : new Fail(new InvocationResult.Failed(InvocationResult.Reason.CONTAINER_FAILED,
                            "Function container unreachable: " + notDelivered.detail(), coldStart));
        }
        var lost = (InvokeOutcome.Lost) outcome;
        if (lost.timedOut()) {
            return new Fail(new InvocationResult.Failed(InvocationResult.Reason.TIMED_OUT, "Function '" + function.name()
                    + "' did not answer within its timeout of " + function.timeout().toSeconds() + " s", coldStart));
        }
        return new CheckForOom(lost);
    }

    /** One inspection's answer (see {@code DockerOps.wasOomKilled}), on the {@code attempt}-th inspection. */
    enum OomCheck { KILLED, NOT_KILLED, ASK_AGAIN }

    static OomCheck oomCheck(DockerReply<Boolean> reply, int attempt) {
        if (!(reply instanceof DockerReply.Ok<Boolean> ok)) {
            return OomCheck.NOT_KILLED;
        }
        if (ok.value() == null) {
            // Still running: the connection drops the moment the kernel kills the process, Docker records the exit
            // a moment later. Running past the last check, whatever dropped the connection was not the OOM killer.
            return attempt < OOM_CHECKS ? OomCheck.ASK_AGAIN : OomCheck.NOT_KILLED;
        }
        return ok.value() ? OomCheck.KILLED : OomCheck.NOT_KILLED;
    }

    /** The caller's answer for a connection lost mid-invocation, once the container's state is known. */
    static InvocationResult.Failed afterOomCheck(boolean oomKilled, InvokeOutcome.Lost lost, boolean coldStart, FunctionSettings function) {
        return oomKilled
                ? new InvocationResult.Failed(InvocationResult.Reason.OUT_OF_MEMORY, "Function '" + function.name()
                        + "' ran out of memory (memory-mb = " + function.memoryMb() + "); the kernel killed its container", coldStart)
                : new InvocationResult.Failed(InvocationResult.Reason.RUNTIME_EXITED,
                        "Function container failed during the invocation: " + lost.detail(), coldStart);
    }

    /** A cold start Docker refused or did not finish is the start's failure; any other is the daemon's. */
    static InvocationResult.Reason startFailure(DockerFailure failure) {
        return failure.kind() == DockerFailure.Kind.TIMEOUT || failure.kind() == DockerFailure.Kind.REJECTED
                ? InvocationResult.Reason.START_FAILED : InvocationResult.Reason.DOCKER_UNAVAILABLE;
    }
}
