package io.esb.container;

import java.time.Duration;

/**
 * One invocation as a container receives it.
 *
 * @param functionTimeout the function's own timeout: its deadline, as the runtime is told it
 * @param clientContext   the caller's client context as JSON (the Invoke API's X-Amz-Client-Context, decoded), or null
 */
public record InvokeRequest(String requestId, byte[] event, Duration functionTimeout, String functionArn, String clientContext) {}
