package io.esb.function;

/**
 * One event to run, with the request id that follows it through logs and into the container. {@code tailLogs} asks
 * for the invocation's log output (the Invoke API's {@code X-Amz-Log-Type: Tail}); {@code clientContext} is the
 * caller's client context as JSON (the Invoke API's {@code X-Amz-Client-Context}, decoded), or null.
 */
public record Invocation(byte[] event, String requestId, boolean tailLogs, String clientContext) {
    public Invocation(byte[] event, String requestId) {
        this(event, requestId, false, null);
    }

    public Invocation(byte[] event, String requestId, boolean tailLogs) {
        this(event, requestId, tailLogs, null);
    }
}
