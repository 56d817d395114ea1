package io.esb.function;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * What an invocation means to a Lambda client. The RIE answers 200 for handler errors and timeouts alike, so the
 * gateway recognises them here: the error body shape, the RIE's timeout text, and a runtime that died.
 */
public sealed interface LambdaOutcome {
    /** The handler returned {@code payload}. */
    record Success(byte[] payload, String logTail, boolean coldStart) implements LambdaOutcome {}

    /** The function failed: AWS answers 200 with {@code X-Amz-Function-Error: Unhandled} and this payload. */
    record FunctionError(String errorType, byte[] payload, String logTail, boolean coldStart, boolean timedOut) implements LambdaOutcome {}

    /** Not the function's fault: Docker, throttling, or a container that could not be reached. */
    record ServiceFailure(InvocationResult.Failed failure) implements LambdaOutcome {}

    ObjectMapper JSON = new ObjectMapper();

    static LambdaOutcome of(InvocationResult result, String requestId, long timeoutSeconds) {
        if (result instanceof InvocationResult.Failed failed) {
            return switch (failed.reason()) {
                case TIMED_OUT -> timeout(requestId, timeoutSeconds, null, failed.coldStart());
                case RUNTIME_EXITED -> runtimeExit(requestId, null, failed.coldStart());
                case OUT_OF_MEMORY -> new FunctionError("Runtime.OutOfMemory", errorPayload("Runtime.OutOfMemory",
                        "RequestId: " + requestId + " Error: Runtime exited with error: signal: killed. " + failed.message()),
                        null, failed.coldStart(), false);
                default -> new ServiceFailure(failed);
            };
        }
        var completed = (InvocationResult.Completed) result;
        var body = completed.body();
        if (completed.status() >= 500 && body.length == 0) {
            return runtimeExit(requestId, completed.logTail(), completed.coldStart());
        }
        if (body.length < 100 && new String(body, StandardCharsets.UTF_8).startsWith("Task timed out after")) {
            return timeout(requestId, timeoutSeconds, completed.logTail(), completed.coldStart());
        }
        var handlerErrorType = handlerErrorType(body);
        if (handlerErrorType != null) {
            return new FunctionError(handlerErrorType, body, completed.logTail(), completed.coldStart(), false);
        }
        return new Success(body, completed.logTail(), completed.coldStart());
    }

    /** The errorType of a Lambda error payload, or null when it is not one. */
    static String errorTypeOf(byte[] payload) {
        return handlerErrorType(payload);
    }

    /** {@code {"errorMessage": ..., "errorType": ...}} is how runtimes report an unhandled handler error. */
    private static String handlerErrorType(byte[] body) {
        // Searched as Latin-1 text: String.indexOf is a vectorised intrinsic, a byte loop here cost ~3 ns a byte.
        if (body.length == 0 || body[0] != '{' || new String(body, StandardCharsets.ISO_8859_1).indexOf(ERROR_TYPE_KEY) < 0) {
            return null; // the common case, decided without decoding or parsing the payload
        }
        try {
            var node = JSON.readTree(body);
            return node.isObject() && node.has("errorMessage") && node.path("errorType").isTextual() ? node.get("errorType").asText() : null;
        } catch (java.io.IOException e) {
            return null;
        }
    }

    String ERROR_TYPE_KEY = "\"errorType\"";

    private static FunctionError timeout(String requestId, long timeoutSeconds, String logTail, boolean coldStart) {
        var message = Instant.now() + " " + requestId + " Task timed out after " + timeoutSeconds + ".00 seconds";
        return new FunctionError("Sandbox.Timedout", errorPayload("Sandbox.Timedout", message), logTail, coldStart, true);
    }

    private static FunctionError runtimeExit(String requestId, String logTail, boolean coldStart) {
        var message = "RequestId: " + requestId + " Error: Runtime exited without providing a reason";
        return new FunctionError("Runtime.ExitError", errorPayload("Runtime.ExitError", message), logTail, coldStart, false);
    }

    private static byte[] errorPayload(String errorType, String message) {
        try {
            return JSON.writeValueAsBytes(JSON.createObjectNode().put("errorMessage", message).put("errorType", errorType));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
