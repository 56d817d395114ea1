package io.esb.function;

/**
 * One event to run, with the request id that follows it through logs and into the container. {@code tailLogs} asks
 * for the invocation's log output (the Invoke API's {@code X-Amz-Log-Type: Tail}).
 */
public record Invocation(byte[] event, String requestId, boolean tailLogs) {
    public Invocation(byte[] event, String requestId) {
        this(event, requestId, false);
    }
}
