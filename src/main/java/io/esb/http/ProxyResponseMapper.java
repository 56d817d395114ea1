package io.esb.http;

import io.esb.route.PayloadFormat;

import static net.logstash.logback.argument.StructuredArguments.kv;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a function's raw result into an HTTP response, following API Gateway's output rules for the integration's
 * {@link PayloadFormat}.
 *
 * <p>{@link PayloadFormat#V1} ("Output format of a Lambda function for proxy integration", REST APIs):
 * <ul>
 *   <li>a JSON object with {@code statusCode} is a proxy response ({@code headers}, {@code multiValueHeaders},
 *       {@code body}, {@code isBase64Encoded}); {@code headers} and {@code multiValueHeaders} are merged into one
 *       list, a name/value pair given in both appearing once (AWS's rule), so {@code Set-Cookie} values in
 *       {@code multiValueHeaders} each become their own header;</li>
 *   <li>any other JSON value is returned as-is with 200 and {@code application/json} (lenient: REST APIs answer
 *       502 there).</li>
 * </ul>
 *
 * <p>{@link PayloadFormat#V2} ("Lambda function response for format 2.0", HTTP APIs):
 * <ul>
 *   <li>a JSON object with {@code statusCode} is a response ({@code statusCode}, {@code headers} whose values may
 *       be comma-joined and are passed as given, {@code cookies} each becoming one {@code Set-Cookie} header,
 *       {@code body}, {@code isBase64Encoded}); {@code multiValueHeaders} is not part of format 2.0 and is
 *       ignored;</li>
 *   <li>any other valid JSON is the body with 200 and {@code application/json}: a JSON string is sent as its text
 *       (AWS's example: {@code "Hello from Lambda!"} gives the body {@code Hello from Lambda!}), any other value
 *       as the function returned it.</li>
 * </ul>
 *
 * <p>Both: an {@code isBase64Encoded} body is decoded to bytes; a non-base64 body that is not JSON is returned as
 * it is, with a WARN; a result that is not JSON at all, or a response that breaks the format, is a
 * {@link MalformedResponse} (API Gateway answers 502 there).
 */
public final class ProxyResponseMapper {

    private static final Logger log = LoggerFactory.getLogger(ProxyResponseMapper.class);

    static final String DEFAULT_CONTENT_TYPE = "application/json";
    private static final int SNIPPET_LENGTH = 200;
    private static final String SET_COOKIE = "Set-Cookie";

    /** The HTTP layer computes or forbids these; passing them through would corrupt the response framing. */
    private static final Set<String> DROPPED_HEADERS = Set.of(
            "content-length", "transfer-encoding", "connection", "keep-alive", "proxy-connection",
            "te", "trailer", "upgrade");

    /** The function's result cannot be turned into a response; callers answer 502. */
    public static final class MalformedResponse extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public MalformedResponse(String message) {
            super(message);
        }
    }

    private final ObjectReader reader;

    public ProxyResponseMapper() {
        this(new ObjectMapper());
    }

    public ProxyResponseMapper(ObjectMapper mapper) {
        // "{} trailing" is not JSON: without this Jackson would silently read the first value only
        this.reader = Objects.requireNonNull(mapper, "mapper").reader()
                .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    }

    /** Payload format 1.0 (REST APIs). */
    public MappedResponse map(byte[] functionResult, String functionName) {
        return map(functionResult, functionName, PayloadFormat.V1);
    }

    public MappedResponse map(byte[] functionResult, String functionName, PayloadFormat format) {
        Objects.requireNonNull(format, "format");
        JsonNode result = parse(functionResult);
        if (result == null) {
            throw new MalformedResponse("Function '" + functionName + "' returned a result that is not JSON");
        }
        if (result.isObject() && result.has("statusCode")) {
            return mapProxyResponse(result, functionName, format);
        }
        if (format == PayloadFormat.V2 && result.isTextual()) {
            // AWS reads this as {"statusCode": 200, "body": <the string>, ...}: the string's text is the body
            String body = result.asText();
            var bytes = body.getBytes(StandardCharsets.UTF_8);
            warnIfNotJson(body, bytes, 200);
            return new MappedResponse(200, List.of(), bytes, DEFAULT_CONTENT_TYPE);
        }
        return new MappedResponse(200, List.of(), functionResult, DEFAULT_CONTENT_TYPE);
    }

    private MappedResponse mapProxyResponse(JsonNode result, String functionName, PayloadFormat format) {
        int status = statusCode(result.get("statusCode"), functionName);
        List<Map.Entry<String, String>> headers = format == PayloadFormat.V1
                ? mergedHeaders(result, functionName)
                : v2Headers(result, functionName);

        String contentType = null;
        List<Map.Entry<String, String>> kept = new ArrayList<>(headers.size());
        for (Map.Entry<String, String> h : headers) {
            String lower = h.getKey().toLowerCase(Locale.ROOT);
            if (lower.equals("content-type")) {
                contentType = contentType == null ? h.getValue() : contentType; // first one wins
            } else if (!DROPPED_HEADERS.contains(lower)) {
                kept.add(h);
            }
        }

        JsonNode bodyNode = result.get("body");
        if (bodyNode != null && !bodyNode.isNull() && !bodyNode.isTextual()) {
            throw new MalformedResponse("Function '" + functionName + "' returned a non-string 'body' ("
                    + bodyNode.getNodeType() + "); serialize it to a string");
        }
        String body = bodyNode == null || bodyNode.isNull() ? "" : bodyNode.asText();
        byte[] bytes;
        if (result.path("isBase64Encoded").asBoolean(false)) {
            try {
                bytes = Base64.getDecoder().decode(body);
            } catch (IllegalArgumentException e) {
                throw new MalformedResponse("Function '" + functionName
                        + "' set isBase64Encoded but 'body' is not valid base64: " + e.getMessage());
            }
        } else {
            bytes = body.getBytes(StandardCharsets.UTF_8);
            warnIfNotJson(body, bytes, status);
        }
        return new MappedResponse(status, kept, bytes, contentType != null ? contentType : DEFAULT_CONTENT_TYPE);
    }

    private void warnIfNotJson(String body, byte[] utf8, int status) {
        if (utf8.length > 0 && !JsonText.isOneValue(utf8)) {
            log.warn("Failed to parse Lambda response body as JSON. Returning as string.",
                    kv("snippet", body.length() > SNIPPET_LENGTH ? body.substring(0, SNIPPET_LENGTH) : body),
                    kv("status_code", status));
        }
    }

    private static int statusCode(JsonNode node, String functionName) {
        int status;
        if (node.isIntegralNumber() && node.canConvertToInt()) {
            status = node.intValue();
        } else if (node.isTextual() && node.asText().trim().matches("\\d{1,9}")) {
            status = Integer.parseInt(node.asText().trim());
        } else {
            throw new MalformedResponse("Function '" + functionName + "' returned an invalid statusCode "
                    + node + ": expected an integer");
        }
        if (status < 100 || status > 599) {
            throw new MalformedResponse("Function '" + functionName + "' returned statusCode " + status
                    + ": expected 100-599");
        }
        return status;
    }

    /**
     * Format 1.0: all {@code multiValueHeaders} values, then each {@code headers} entry unless the same name
     * (case-insensitively) and value already came from {@code multiValueHeaders}. AWS: "If you specify values for
     * both headers and multiValueHeaders, API Gateway merges them into a single list. If the same key-value pair
     * is specified in both, only the values from multiValueHeaders will appear in the merged list."
     */
    private static List<Map.Entry<String, String>> mergedHeaders(JsonNode result, String functionName) {
        List<Map.Entry<String, String>> headers = new ArrayList<>();
        Set<Map.Entry<String, String>> fromMulti = new HashSet<>();
        JsonNode multi = objectOrNull(result, "multiValueHeaders", functionName);
        if (multi != null) {
            for (Map.Entry<String, JsonNode> field : multi.properties()) {
                JsonNode values = field.getValue();
                if (values.isNull()) {
                    continue;
                }
                if (!values.isArray()) {
                    throw new MalformedResponse("Function '" + functionName + "' returned multiValueHeaders."
                            + field.getKey() + " that is not an array of strings");
                }
                for (JsonNode value : values) {
                    String text = scalar(value, field.getKey(), functionName);
                    headers.add(Map.entry(field.getKey(), text));
                    fromMulti.add(Map.entry(field.getKey().toLowerCase(Locale.ROOT), text));
                }
            }
        }
        for (Map.Entry<String, String> h : singleHeaders(result, functionName)) {
            if (!fromMulti.contains(Map.entry(h.getKey().toLowerCase(Locale.ROOT), h.getValue()))) {
                headers.add(h);
            }
        }
        return headers;
    }

    /** Format 2.0: {@code headers} as given, then one {@code Set-Cookie} per {@code cookies} entry. */
    private static List<Map.Entry<String, String>> v2Headers(JsonNode result, String functionName) {
        List<Map.Entry<String, String>> headers = singleHeaders(result, functionName);
        JsonNode cookies = result.get("cookies");
        if (cookies != null && !cookies.isNull()) {
            if (!cookies.isArray()) {
                throw new MalformedResponse("Function '" + functionName
                        + "' returned 'cookies' that is not an array of strings");
            }
            for (JsonNode cookie : cookies) {
                if (!cookie.isTextual()) {
                    throw new MalformedResponse("Function '" + functionName
                            + "' returned a non-string entry in 'cookies' (" + cookie.getNodeType() + ")");
                }
                headers.add(Map.entry(SET_COOKIE, cookie.asText()));
            }
        }
        return headers;
    }

    private static List<Map.Entry<String, String>> singleHeaders(JsonNode result, String functionName) {
        List<Map.Entry<String, String>> headers = new ArrayList<>();
        JsonNode single = objectOrNull(result, "headers", functionName);
        if (single != null) {
            for (Map.Entry<String, JsonNode> field : single.properties()) {
                if (!field.getValue().isNull()) {
                    headers.add(Map.entry(field.getKey(), scalar(field.getValue(), field.getKey(), functionName)));
                }
            }
        }
        return headers;
    }

    private static JsonNode objectOrNull(JsonNode result, String field, String functionName) {
        JsonNode node = result.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isObject()) {
            throw new MalformedResponse("Function '" + functionName + "' returned '" + field + "' that is not an object");
        }
        return node;
    }

    /** Numbers and booleans are tolerated as header values (common in JS functions); objects are not. */
    private static String scalar(JsonNode value, String header, String functionName) {
        if (!value.isValueNode() || value.isNull()) {
            throw new MalformedResponse("Function '" + functionName + "' returned a non-string value for header '"
                    + header + "'");
        }
        return value.asText();
    }

    /** Null when the bytes are not exactly one JSON value (empty input included). */
    private JsonNode parse(byte[] bytes) {
        if (bytes == null || bytes.length == 0) {
            return null;
        }
        try {
            JsonNode node = reader.readTree(bytes);
            return node == null || node.isMissingNode() ? null : node;
        } catch (IOException e) {
            return null;
        }
    }
}
