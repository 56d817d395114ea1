package io.esb.http;

import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.headers.RawHeader;
import io.esb.function.InvocationResult;
import io.esb.function.InvocationResult.Reason;

import java.util.EnumMap;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Every error answer of the gateway's two surfaces in one place: how each {@link Reason} a function actor fails with
 * reaches a Lambda client (AWS's error type, so SDKs raise the typed exception) and an API route's client (API
 * Gateway's plain {@code message}), and the not-found, method and size refusals of both.
 */
final class ErrorResponses {
    /**
     * One row per failure reason. Invoke API: status, AWS error type, message built from the actor's message. API
     * route: status, message, and whether the actor's message is shown as {@code reason} (never for a function's own
     * failure, which API Gateway hides).
     */
    private record Row(int invokeStatus, String invokeErrorType, UnaryOperator<String> invokeMessage,
                       int routeStatus, String routeMessage, boolean routeShowsReason) {}

    private static final String THROTTLED_TYPE = "TooManyRequestsException";
    private static final String SERVICE = "ServiceException";
    private static final Map<Reason, Row> TABLE = new EnumMap<>(Reason.class);

    static {
        TABLE.put(Reason.THROTTLED, new Row(429, THROTTLED_TYPE, m -> m, 429, "Too Many Requests", true));
        TABLE.put(Reason.DOCKER_UNAVAILABLE, new Row(503, SERVICE,
                m -> m.startsWith("Docker daemon unavailable") ? m : "Docker daemon unavailable: " + m,
                503, "Docker daemon unavailable", true));
        TABLE.put(Reason.START_FAILED, new Row(503, SERVICE, m -> "Function container could not be started: " + m,
                503, "Function container could not be started", true));
        TABLE.put(Reason.IMAGE_NOT_READY, new Row(503, SERVICE, m -> m, 503, "Function image is not ready", true));
        TABLE.put(Reason.TIMED_OUT, new Row(502, SERVICE, m -> m, 504, "Endpoint request timed out", false));
        TABLE.put(Reason.RUNTIME_EXITED, new Row(502, SERVICE, m -> m, 502, "Internal server error", false));
        TABLE.put(Reason.OUT_OF_MEMORY, new Row(502, SERVICE, m -> m, 502, "Internal server error", false));
        TABLE.put(Reason.CONTAINER_FAILED, new Row(502, SERVICE, m -> m, 502, "Internal server error", false));
        TABLE.put(Reason.NODE_LOST, new Row(502, SERVICE, m -> m, 502, "Cluster node lost", true));
        TABLE.put(Reason.NODE_UNAVAILABLE, new Row(503, SERVICE, m -> m, 503, "Service Unavailable", true));
        if (TABLE.size() != Reason.values().length) {
            throw new ExceptionInInitializerError("ErrorResponses lacks a row for a failure reason");
        }
    }

    private ErrorResponses() {}

    // ---- a function actor's failure ----

    /** A failure as the Invoke API answers it: AWS's error shape, 429 with {@code Reason} and {@code Retry-After}. */
    static HttpResponse invokeFailure(InvocationResult.Failed failed) {
        var row = TABLE.get(failed.reason());
        if (row.invokeStatus() == 429) {
            return tooManyRequests(failed.message(), "ReservedFunctionConcurrentInvocationLimitExceeded");
        }
        return JsonResponses.awsError(row.invokeStatus(), row.invokeErrorType(), row.invokeMessage().apply(failed.message()));
    }

    /** A failure as an API route answers it: {@code {"message": ...}}, with the reason only where it is not the function's. */
    static HttpResponse routeFailure(InvocationResult.Failed failed) {
        var row = TABLE.get(failed.reason());
        return row.routeShowsReason() ? JsonResponses.error(row.routeStatus(), row.routeMessage(), "reason", failed.message())
                : JsonResponses.error(row.routeStatus(), row.routeMessage());
    }

    /** A function's own error behind an API route: API Gateway hides it (the detail goes to the log). */
    static HttpResponse routeFunctionError(boolean timedOut) {
        return timedOut ? JsonResponses.error(504, "Endpoint request timed out") : JsonResponses.error(502, "Internal server error");
    }

    /** A proxy response the gateway cannot read: the same 502 as a function error. */
    static HttpResponse malformedProxyResponse() {
        return JsonResponses.error(502, "Internal server error");
    }

    static HttpResponse tooManyRequests(String message, String reason) {
        var body = JsonResponses.object().put("Type", "User").put("message", message).put("Reason", reason);
        return JsonResponses.json(429, body)
                .addHeader(RawHeader.create("x-amzn-ErrorType", THROTTLED_TYPE))
                .addHeader(RawHeader.create("Retry-After", "1"));
    }

    // ---- Invoke API and control plane refusals ----

    /** Unknown function or a qualifier other than {@code $LATEST}: what Lambda answers, naming the ARN asked for. */
    static HttpResponse functionNotFound(String region, String accountId, String name, String qualifier) {
        var arn = "arn:aws:lambda:" + region + ":" + accountId + ":function:" + name
                + (qualifier.equals("$LATEST") ? "" : ":" + qualifier);
        return JsonResponses.awsError(404, "ResourceNotFoundException", "Function not found: " + arn);
    }

    static HttpResponse invokeMethodNotAllowed() {
        return JsonResponses.awsError(405, "MethodNotAllowedException", "The Invoke API accepts POST only");
    }

    static HttpResponse invokeTooLarge(long limit) {
        return JsonResponses.awsError(413, "RequestTooLargeException", "Request must be smaller than " + limit + " bytes for the Invoke operation");
    }

    static HttpResponse invalidParameter(String message) {
        return JsonResponses.awsError(400, "InvalidParameterValueException", message);
    }

    static HttpResponse invalidJson() {
        return JsonResponses.awsError(400, "InvalidRequestContentException", "Could not parse request body into json: the payload is not valid JSON");
    }

    // ---- routes and the gateway itself ----

    static HttpResponse notRoutable(String method, String clientTarget) {
        return JsonResponses.error(404, "No route for " + method + " " + clientTarget + ": dot segments and encoded slashes are not routable");
    }

    static HttpResponse outsideBasePath(String method, String path, String basePath) {
        return JsonResponses.error(404, "No route for " + method + " " + path + ": routes are served under " + basePath);
    }

    static HttpResponse noRoute(String method, String path) {
        return JsonResponses.error(404, "No route for " + method + " " + path);
    }

    static HttpResponse functionRemoved(String method, String path, String function) {
        return JsonResponses.error(404, "No route for " + method + " " + path + ": function '" + function + "' was removed");
    }

    static HttpResponse routeMethodNotAllowed(String method, String path, Iterable<String> allowedMethods) {
        return JsonResponses.error(405, "Method " + method + " not allowed on " + path, "allowedMethods", String.join(", ", allowedMethods));
    }

    static HttpResponse bodyTooLarge(long limit) {
        return JsonResponses.error(413, "Request body exceeds " + limit + " bytes");
    }

    static HttpResponse unauthorized(String reason) {
        return JsonResponses.error(401, "Unauthorized", "reason", reason);
    }

    static HttpResponse malformedBody(String reason) {
        return JsonResponses.error(400, "Malformed request body", "reason", reason);
    }

    static HttpResponse internalError(String requestId) {
        return JsonResponses.error(500, "Internal error in the gateway", "requestId", requestId);
    }
}
