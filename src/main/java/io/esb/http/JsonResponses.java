package io.esb.http;

import akka.http.javadsl.model.ContentTypes;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.model.headers.RawHeader;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.UncheckedIOException;

/** Every error the gateway answers is JSON with a {@code message}; Invoke API errors also carry AWS's error type. */
final class JsonResponses {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private JsonResponses() {}

    static HttpResponse json(int status, ObjectNode body) {
        try {
            return HttpResponse.create().withStatus(StatusCodes.get(status))
                    .withEntity(ContentTypes.APPLICATION_JSON, MAPPER.writeValueAsBytes(body));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code {"message": ...}} plus optional string fields given as name, value pairs. */
    static HttpResponse error(int status, String message, String... fields) {
        var body = MAPPER.createObjectNode().put("message", message);
        for (int i = 0; i + 1 < fields.length; i += 2) {
            body.put(fields[i], fields[i + 1]);
        }
        return json(status, body);
    }

    /** The shape AWS SDKs parse: the {@code x-amzn-ErrorType} header names the exception, the body says why. */
    static HttpResponse awsError(int status, String errorType, String message) {
        var body = MAPPER.createObjectNode()
                .put("Type", status >= 500 ? "Service" : "User")
                .put("message", message);
        return json(status, body).addHeader(RawHeader.create("x-amzn-ErrorType", errorType));
    }

    static ObjectNode object() {
        return MAPPER.createObjectNode();
    }
}
