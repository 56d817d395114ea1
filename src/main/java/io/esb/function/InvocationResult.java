package io.esb.function;

/** The answer a FunctionActor gives for one invocation. */
public sealed interface InvocationResult {
    /** The container answered (the body may still be a handler error or a timeout message from the RIE). */
    record Completed(int status, byte[] body, String contentType, boolean coldStart, String containerId, String logTail)
            implements InvocationResult {}

    record Failed(Reason reason, String message, boolean coldStart) implements InvocationResult {}

    enum Reason {
        /** The daemon is down or unreachable: 503 "Docker daemon unavailable". */
        DOCKER_UNAVAILABLE,
        /** Docker could not create, start or ready a container: 503 with the reason. */
        START_FAILED,
        /** The container could not be reached, even on a fresh one: 502. */
        CONTAINER_FAILED,
        /** The runtime died mid-invocation (the connection dropped): a Runtime.ExitError function error. */
        RUNTIME_EXITED,
        /** The kernel killed the container for exceeding its memory limit: a Runtime.OutOfMemory function error. */
        OUT_OF_MEMORY,
        /** No answer within the function's timeout; the container was discarded: 504. */
        TIMED_OUT,
        /** The function's queue is full: 429. */
        THROTTLED,
        /** The function's image is still being built, or its build failed: 503 with the reason. */
        IMAGE_NOT_READY,
        /** Cluster: the node running the invocation became unreachable or left before answering: 502 naming it. */
        NODE_LOST,
        /** Cluster: no node took the invocation in time (its function is moving after a node's loss): 503. */
        NODE_UNAVAILABLE
    }
}
