package io.esb.http;

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
 * Turns a function's raw result into an HTTP response, following API Gateway's
 * "Output format of a Lambda function for proxy integration":
 * <ul>
 *   <li>a JSON object with {@code statusCode} is a proxy response ({@code headers}, {@code multiValueHeaders},
 *       {@code body}, {@code isBase64Encoded});</li>
 *   <li>any other JSON value is returned as-is with 200 and {@code application/json};</li>
 *   <li>anything that is not JSON, or a proxy response that breaks the format, is a {@link MalformedResponse}
 *       (API Gateway answers 502 there).</li>
 * </ul>
 */
public final class ProxyResponseMapper {

    private static final Logger log = LoggerFactory.getLogger(ProxyResponseMapper.class);

    static final String DEFAULT_CONTENT_TYPE = "application/json";
    private static final int SNIPPET_LENGTH = 200;

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

    public MappedResponse map(byte[] functionResult, String functionName) {
        JsonNode result = parse(functionResult);
        if (result == null) {
            throw new MalformedResponse("Function '" + functionName + "' returned a result that is not JSON");
        }
        if (!result.isObject() || !result.has("statusCode")) {
            return new MappedResponse(200, List.of(), functionResult, DEFAULT_CONTENT_TYPE);
        }
        return mapProxyResponse(result, functionName);
    }

    private MappedResponse mapProxyResponse(JsonNode result, String functionName) {
        int status = statusCode(result.get("statusCode"), functionName);
        List<Map.Entry<String, String>> headers = mergedHeaders(result, functionName);

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
            if (!body.isEmpty() && parse(body.getBytes(StandardCharsets.UTF_8)) == null) {
                log.warn("Failed to parse Lambda response body as JSON. Returning as string.",
                        kv("snippet", body.length() > SNIPPET_LENGTH ? body.substring(0, SNIPPET_LENGTH) : body),
                        kv("status_code", status));
            }
            bytes = body.getBytes(StandardCharsets.UTF_8);
        }
        return new MappedResponse(status, kept, bytes, contentType != null ? contentType : DEFAULT_CONTENT_TYPE);
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
     * All {@code multiValueHeaders} values, then each single {@code headers} entry whose name is not among
     * them. (API Gateway merges both lists value by value; giving the multi-value list the final say per name
     * is simpler and only differs when a function sets one name in both with different values.)
     */
    private static List<Map.Entry<String, String>> mergedHeaders(JsonNode result, String functionName) {
        List<Map.Entry<String, String>> headers = new ArrayList<>();
        Set<String> multiNames = new HashSet<>();
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
                multiNames.add(field.getKey().toLowerCase(Locale.ROOT));
                for (JsonNode value : values) {
                    headers.add(Map.entry(field.getKey(), scalar(value, field.getKey(), functionName)));
                }
            }
        }
        JsonNode single = objectOrNull(result, "headers", functionName);
        if (single != null) {
            for (Map.Entry<String, JsonNode> field : single.properties()) {
                if (!field.getValue().isNull() && !multiNames.contains(field.getKey().toLowerCase(Locale.ROOT))) {
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
