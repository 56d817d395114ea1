package io.esb.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Builds API Gateway REST API (payload v1) Lambda proxy integration events, following AWS's
 * "Input format of a Lambda function for proxy integration".
 */
public final class ApiGatewayV1Events {

    /** Placeholder ids, the same ones AWS SAM local uses, so functions that log or check them see something sane. */
    public static final String DEFAULT_ACCOUNT_ID = "123456789012";
    public static final String DEFAULT_API_ID = "1234567890";

    private static final DateTimeFormatter REQUEST_TIME =
            DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ENGLISH).withZone(ZoneOffset.UTC);

    private final ObjectMapper mapper;
    private final String accountId;
    private final String apiId;

    public ApiGatewayV1Events(ObjectMapper mapper) {
        this(mapper, DEFAULT_ACCOUNT_ID, DEFAULT_API_ID);
    }

    public ApiGatewayV1Events(ObjectMapper mapper, String accountId, String apiId) {
        this.mapper = Objects.requireNonNull(mapper, "mapper");
        this.accountId = accountId;
        this.apiId = apiId;
    }

    public ObjectNode build(IncomingRequest req, RouteTable.Entry route, Map<String, String> pathParameters,
                            String stage) {
        Objects.requireNonNull(stage, "stage");
        String path = decodedPath(req.rawPath());
        Map<String, List<String>> headers = groupHeaders(req.headers());
        Map<String, List<String>> query = parseQuery(req.rawQuery());

        ObjectNode event = mapper.createObjectNode();
        event.put("resource", route.path().template());
        event.put("path", path);
        event.put("httpMethod", req.method());
        putSingleAndMulti(event, "headers", "multiValueHeaders", headers);
        putSingleAndMulti(event, "queryStringParameters", "multiValueQueryStringParameters", query);
        if (pathParameters == null || pathParameters.isEmpty()) {
            event.putNull("pathParameters");
        } else {
            ObjectNode params = event.putObject("pathParameters");
            pathParameters.forEach(params::put);
        }
        event.putNull("stageVariables");
        event.set("requestContext", requestContext(req, route, path, stage, headers));
        putBody(event, req.body());
        return event;
    }

    public byte[] toBytes(ObjectNode event) {
        try {
            return mapper.writeValueAsBytes(event);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private ObjectNode requestContext(IncomingRequest req, RouteTable.Entry route, String path, String stage,
                                      Map<String, List<String>> headers) {
        String domainName = hostWithoutPort(last(headers, "Host"));
        ObjectNode ctx = mapper.createObjectNode();
        ctx.put("accountId", accountId);
        ctx.put("apiId", apiId);
        ctx.put("resourceId", resourceId(route.path().template()));
        ctx.put("resourcePath", route.path().template());
        ctx.put("httpMethod", req.method());
        ctx.put("path", "/" + stage + path); // AWS includes the stage; root gives "/<stage>/"
        ctx.put("protocol", req.protocol());
        ctx.put("stage", stage);
        ctx.put("requestId", req.requestId());
        ctx.put("extendedRequestId", req.requestId());
        ctx.put("requestTime", REQUEST_TIME.format(Instant.ofEpochMilli(req.requestTimeEpochMillis())));
        ctx.put("requestTimeEpoch", req.requestTimeEpochMillis());
        ctx.put("domainName", domainName);
        ctx.put("domainPrefix", domainName == null ? null : domainName.split("\\.", 2)[0]);

        // AWS lists the IAM/Cognito fields as present-but-null; some deserializers expect the keys
        ObjectNode identity = ctx.putObject("identity");
        identity.putNull("cognitoIdentityPoolId");
        identity.putNull("accountId");
        identity.putNull("cognitoIdentityId");
        identity.putNull("caller");
        identity.putNull("accessKey");
        identity.put("sourceIp", req.sourceIp());
        identity.putNull("cognitoAuthenticationType");
        identity.putNull("cognitoAuthenticationProvider");
        identity.putNull("userArn");
        identity.put("userAgent", last(headers, "User-Agent"));
        identity.putNull("user");
        return ctx;
    }

    private void putBody(ObjectNode event, byte[] body) {
        if (body.length == 0) {
            event.putNull("body");
            event.put("isBase64Encoded", false);
            return;
        }
        String text = strictUtf8(body);
        event.put("body", text != null ? text : Base64.getEncoder().encodeToString(body));
        event.put("isBase64Encoded", text == null);
    }

    private static void putSingleAndMulti(ObjectNode event, String singleName, String multiName,
                                          Map<String, List<String>> values) {
        if (values.isEmpty()) { // AWS sends null, not {}
            event.putNull(singleName);
            event.putNull(multiName);
            return;
        }
        ObjectNode single = event.putObject(singleName);
        ObjectNode multi = event.putObject(multiName);
        values.forEach((name, list) -> {
            single.put(name, list.get(list.size() - 1)); // last value wins, as in API Gateway
            ArrayNode array = multi.putArray(name);
            list.forEach(array::add);
        });
    }

    /** Groups headers case-insensitively (HTTP names are); the first spelling seen becomes the key. */
    private static Map<String, List<String>> groupHeaders(List<Map.Entry<String, String>> headers) {
        Map<String, String> spelling = new LinkedHashMap<>();
        Map<String, List<String>> grouped = new LinkedHashMap<>();
        for (Map.Entry<String, String> h : headers) {
            String key = spelling.computeIfAbsent(h.getKey().toLowerCase(Locale.ROOT), k -> h.getKey());
            grouped.computeIfAbsent(key, k -> new ArrayList<>()).add(h.getValue());
        }
        return grouped;
    }

    /** Form-style decoding ('+' is a space) — what API Gateway hands to functions. */
    private static Map<String, List<String>> parseQuery(String rawQuery) {
        Map<String, List<String>> params = new LinkedHashMap<>();
        if (rawQuery == null || rawQuery.isEmpty()) {
            return params;
        }
        for (String pair : rawQuery.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = formDecode(eq < 0 ? pair : pair.substring(0, eq));
            String value = eq < 0 ? "" : formDecode(pair.substring(eq + 1));
            params.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
        }
        return params;
    }

    private static String formDecode(String s) {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return s; // malformed escape: pass it through rather than reject the request
        }
    }

    private static String decodedPath(String rawPath) {
        return PathTemplate.splitRequestPath(rawPath)
                .map(segments -> "/" + String.join("/", segments))
                .orElse(rawPath); // unreachable for routed requests, which were split successfully
    }

    private static String last(Map<String, List<String>> headers, String name) {
        for (Map.Entry<String, List<String>> h : headers.entrySet()) {
            if (h.getKey().equalsIgnoreCase(name)) {
                return h.getValue().get(h.getValue().size() - 1);
            }
        }
        return null;
    }

    private static String hostWithoutPort(String host) {
        if (host == null || host.isEmpty()) {
            return null;
        }
        if (host.startsWith("[")) { // IPv6 literal
            int end = host.indexOf(']');
            return end > 0 ? host.substring(0, end + 1) : host;
        }
        int colon = host.lastIndexOf(':');
        return colon > 0 ? host.substring(0, colon) : host;
    }

    /** Stable per template, like a real resource id. */
    private static String resourceId(String template) {
        return String.format("%06x", template.hashCode() & 0xFFFFFF);
    }

    private static String strictUtf8(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
