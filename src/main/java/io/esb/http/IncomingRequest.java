package io.esb.http;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A transport-neutral HTTP request, as the gateway received it.
 *
 * @param rawPath  the still percent-encoded path, without the query string
 * @param rawQuery the still encoded query string without '?', or null when the URL had none
 * @param headers  in arrival order, original name case; repeated names appear repeatedly
 * @param protocol e.g. {@code HTTP/1.1}
 */
public record IncomingRequest(
        String method,
        String rawPath,
        String rawQuery,
        List<Map.Entry<String, String>> headers,
        byte[] body,
        String sourceIp,
        String requestId,
        String protocol,
        long requestTimeEpochMillis) {

    private static final byte[] EMPTY = new byte[0];

    public IncomingRequest {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(rawPath, "rawPath");
        headers = headers == null ? List.of() : List.copyOf(headers);
        body = body == null ? EMPTY : body;
    }
}
