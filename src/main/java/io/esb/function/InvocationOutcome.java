package io.esb.function;


/** The {@code outcome} label of {@code esb_invocations_total}: what one invocation came to, as the client saw it. */
public enum InvocationOutcome {
    /** The handler returned a result. */
    SUCCESS("success"),
    /** The handler reported an error (AWS's {@code X-Amz-Function-Error: Unhandled}). */
    FUNCTION_ERROR("function_error"),
    /** No answer within the function's timeout ({@code Sandbox.Timedout}), or the gateway's own bound passed. */
    TIMED_OUT("timed_out"),
    /** The runtime died during the invocation ({@code Runtime.ExitError}). */
    RUNTIME_EXITED("runtime_exited"),
    /** The kernel killed the container for its memory limit ({@code Runtime.OutOfMemory}). */
    OUT_OF_MEMORY("out_of_memory"),
    /** The function's queue was full, or the wait for a free container ran past the queue timeout: 429. */
    THROTTLED("throttled"),
    /** The Docker daemon was down or unreachable: 503. */
    DOCKER_UNAVAILABLE("docker_unavailable"),
    /** Docker could not create, start or ready a container: 503. */
    START_FAILED("start_failed"),
    /** The container could not be reached, even on a fresh one: 502. */
    CONTAINER_FAILED("container_failed"),
    /** The function's image was still being built, or its build failed: 503. */
    IMAGE_NOT_READY("image_not_ready"),
    /** Cluster: the node running it was lost before answering. */
    NODE_LOST("node_lost"),
    /** Cluster: no node took it in time. */
    NODE_UNAVAILABLE("node_unavailable");

    private final String label;

    InvocationOutcome(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    public static InvocationOutcome of(LambdaOutcome outcome) {
        if (outcome instanceof LambdaOutcome.Success) {
            return SUCCESS;
        }
        if (outcome instanceof LambdaOutcome.FunctionError error) {
            if (error.timedOut()) {
                return TIMED_OUT;
            }
            if ("Runtime.OutOfMemory".equals(error.errorType())) {
                return OUT_OF_MEMORY;
            }
            if ("Runtime.ExitError".equals(error.errorType())) {
                return RUNTIME_EXITED;
            }
            return FUNCTION_ERROR;
        }
        return of(((LambdaOutcome.ServiceFailure) outcome).failure().reason());
    }

    static InvocationOutcome of(InvocationResult.Reason reason) {
        switch (reason) {
            case THROTTLED:
                return THROTTLED;
            case DOCKER_UNAVAILABLE:
                return DOCKER_UNAVAILABLE;
            case START_FAILED:
                return START_FAILED;
            case TIMED_OUT:
                return TIMED_OUT;
            case RUNTIME_EXITED:
                return RUNTIME_EXITED;
            case OUT_OF_MEMORY:
                return OUT_OF_MEMORY;
            case IMAGE_NOT_READY:
                return IMAGE_NOT_READY;
            case NODE_LOST:
                return NODE_LOST;
            case NODE_UNAVAILABLE:
                return NODE_UNAVAILABLE;
            case CONTAINER_FAILED:
            default:
                return CONTAINER_FAILED;
        }
    }
}
