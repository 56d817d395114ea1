package io.esb.http;

import java.util.List;
import java.util.Map;

/**
 * A function result translated into an HTTP response, transport-neutral.
 *
 * @param headers     response headers in order, repeated names allowed (each {@code Set-Cookie} is its own entry
 *                    and must be sent as its own header line, never comma-joined); never contains Content-Type,
 *                    Content-Length or hop-by-hop headers (the HTTP layer owns those)
 * @param contentType the response media type, or null when there is none
 */
public record MappedResponse(int status, List<Map.Entry<String, String>> headers, byte[] body, String contentType) {

    public MappedResponse {
        headers = headers == null ? List.of() : List.copyOf(headers);
        body = body == null ? new byte[0] : body;
    }

    /** Every value of the header {@code name} (case-insensitive), in order; empty when there is none. */
    public List<String> headerValues(String name) {
        return headers.stream()
                .filter(h -> h.getKey().equalsIgnoreCase(name))
                .map(Map.Entry::getValue)
                .toList();
    }
}
