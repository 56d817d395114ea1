package io.esb.http;

import io.esb.route.PathTemplate;
import io.esb.route.RouteTable;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
 * "Input format of a Lambda function for proxy integration" (Set up Lambda proxy integrations in API Gateway)
 * and the payload format 1.0 example in "Working with AWS Lambda proxy integrations for HTTP APIs".
 *
 * <p>Deliberate differences from AWS: a request body is base64-encoded when it is not valid UTF-8 (AWS decides by
 * the API's binary media types, which esb does not configure), and there is no top-level {@code version} key
 * (only HTTP APIs' payload 1.0 has one; REST API events do not).
 */
public final class ApiGatewayV1Events extends ProxyEvents {

    /** Placeholder ids, the same ones AWS SAM local uses, so functions that log or check them see something sane. */
    public static final String DEFAULT_ACCOUNT_ID = "123456789012";
    public static final String DEFAULT_API_ID = "1234567890";
    /** The stage API Gateway serves at the root of the API's URL (no path prefix). */
    public static final String DEFAULT_STAGE = "$default";

    private static final DateTimeFormatter REQUEST_TIME =
            DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ENGLISH).withZone(ZoneOffset.UTC);


    public ApiGatewayV1Events(ObjectMapper mapper) {
        this(mapper, DEFAULT_ACCOUNT_ID, DEFAULT_API_ID);
    }

    public ApiGatewayV1Events(ObjectMapper mapper, String accountId, String apiId) {
        super(mapper, accountId, apiId);
    }

    /**
     * @param stageVariables   sent as {@code stageVariables}; null or empty gives {@code null}, as AWS sends
     * @param authorizerClaims when non-null, a Cognito-user-pool-style authorizer result: the event gets
     *                         {@code requestContext.authorizer = {"claims": {...}, "scopes": null}}; when null there
     *                         is no {@code authorizer} key (a method without authorizer)
     */
    @Override
    public ObjectNode build(IncomingRequest req, RouteTable.Entry route, Map<String, String> pathParameters,
                            String stage, Map<String, String> stageVariables, Map<String, String> authorizerClaims) {
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
        putStringMapOrNull(event, "pathParameters", pathParameters);
        putStringMapOrNull(event, "stageVariables", stageVariables);
        event.set("requestContext", requestContext(req, route, path, stage, headers, authorizerClaims));
        putBody(event, req.body());
        return event;
    }

    private ObjectNode requestContext(IncomingRequest req, RouteTable.Entry route, String path, String stage,
                                      Map<String, List<String>> headers, Map<String, String> authorizerClaims) {
        String domainName = hostWithoutPort(last(headers, "Host"));
        ObjectNode ctx = mapper.createObjectNode();
        ctx.put("accountId", accountId);
        ctx.put("apiId", apiId);
        if (authorizerClaims != null) {
            // $context.authorizer.claims.* of a COGNITO_USER_POOLS authorizer; "scopes" as in AWS's 1.0 example
            ObjectNode authorizer = ctx.putObject("authorizer");
            putStringMap(authorizer.putObject("claims"), authorizerClaims);
            authorizer.putNull("scopes");
        }
        ctx.put("resourceId", resourceId(route.path().template()));
        ctx.put("resourcePath", route.path().template());
        ctx.put("httpMethod", req.method());
        ctx.put("path", stagePrefixed(stage, path)); // the path the client called, stage included
        ctx.put("protocol", req.protocol());
        ctx.put("stage", stage);
        ctx.put("requestId", req.requestId());
        ctx.put("extendedRequestId", req.requestId());
        ctx.put("requestTime", formatRequestTime(req.requestTimeEpochMillis()));
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
        identity.putNull("principalOrgId");
        identity.putNull("userArn");
        identity.put("userAgent", last(headers, "User-Agent"));
        identity.putNull("user");
        return ctx;
    }

    private static void putBody(ObjectNode event, byte[] body) {
        if (body.length == 0) {
            event.putNull("body");
            event.put("isBase64Encoded", false);
            return;
        }
        String text = strictUtf8(body);
        event.put("body", text != null ? text : Base64.getEncoder().encodeToString(body));
        event.put("isBase64Encoded", text == null);
    }

    private static void putStringMapOrNull(ObjectNode parent, String field, Map<String, String> values) {
        if (values == null || values.isEmpty()) { // AWS sends null, not {}
            parent.putNull(field);
        } else {
            putStringMap(parent.putObject(field), values);
        }
    }

    // ---- helpers shared with ApiGatewayV2Events (same package) ----

    static void putStringMap(ObjectNode target, Map<String, String> values) {
        values.forEach(target::put);
    }

    /**
     * The path as the client would have called it on AWS: {@code /<stage><path>}, root giving {@code /<stage>/};
     * the {@code $default} stage is served at the root, so it adds no prefix.
     */
    static String stagePrefixed(String stage, String path) {
        return DEFAULT_STAGE.equals(stage) ? path : "/" + stage + path;
    }

    /** One second's {@code requestTime}, kept: every request in that second has the same text. */
    private record RequestTime(long epochSecond, String text) {}

    private static volatile RequestTime lastRequestTime = new RequestTime(Long.MIN_VALUE, "");

    static String formatRequestTime(long epochMillis) {
        long second = Math.floorDiv(epochMillis, 1000L);
        var last = lastRequestTime;
        if (last.epochSecond() == second) {
            return last.text();
        }
        var text = REQUEST_TIME.format(Instant.ofEpochSecond(second));
        lastRequestTime = new RequestTime(second, text);
        return text;
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
    static Map<String, List<String>> groupHeaders(List<Map.Entry<String, String>> headers) {
        Map<String, String> spelling = new LinkedHashMap<>();
        Map<String, List<String>> grouped = new LinkedHashMap<>();
        for (Map.Entry<String, String> h : headers) {
            String key = spelling.computeIfAbsent(h.getKey().toLowerCase(Locale.ROOT), k -> h.getKey());
            grouped.computeIfAbsent(key, k -> new ArrayList<>()).add(h.getValue());
        }
        return grouped;
    }

    /** Form-style decoding ('+' is a space) — what API Gateway hands to functions. */
    static Map<String, List<String>> parseQuery(String rawQuery) {
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

    static String formDecode(String s) {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return s; // malformed escape: pass it through rather than reject the request
        }
    }

    static String decodedPath(String rawPath) {
        return PathTemplate.splitRequestPath(rawPath)
                .map(segments -> "/" + String.join("/", segments))
                .orElse(rawPath); // unreachable for routed requests, which were split successfully
    }

    static String last(Map<String, List<String>> headers, String name) {
        for (Map.Entry<String, List<String>> h : headers.entrySet()) {
            if (h.getKey().equalsIgnoreCase(name)) {
                return h.getValue().get(h.getValue().size() - 1);
            }
        }
        return null;
    }

    static String hostWithoutPort(String host) {
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
    /** Six hex digits from the template, as {@code String.format("%06x")} would write them, without its parsing. */
    static String resourceId(String template) {
        var hex = Integer.toHexString(template.hashCode() & 0xFFFFFF);
        return "000000".substring(hex.length()) + hex;
    }

    static String strictUtf8(byte[] bytes) {
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
