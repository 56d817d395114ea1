package io.esb.http;

import io.esb.route.RouteTable;

import static io.esb.http.ApiGatewayV1Events.decodedPath;
import static io.esb.http.ApiGatewayV1Events.formatRequestTime;
import static io.esb.http.ApiGatewayV1Events.hostWithoutPort;
import static io.esb.http.ApiGatewayV1Events.parseQuery;
import static io.esb.http.ApiGatewayV1Events.putStringMap;
import static io.esb.http.ApiGatewayV1Events.stagePrefixed;
import static io.esb.http.ApiGatewayV1Events.strictUtf8;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Builds API Gateway HTTP API Lambda proxy integration events in payload format version 2.0, following AWS's
 * "Working with AWS Lambda proxy integrations for HTTP APIs".
 *
 * <p>Field rules (AWS's documented example and its notes):
 * <ul>
 *   <li>{@code headers}: names lower-cased, repeated headers joined with commas; the {@code Cookie} header is not
 *       there, its cookies are in {@code cookies} (one entry per cookie);</li>
 *   <li>{@code queryStringParameters}: decoded, repeated parameters joined with commas; {@code rawQueryString} is
 *       the query as received ({@code ""} when there is none);</li>
 *   <li>{@code cookies}, {@code queryStringParameters}, {@code pathParameters}, {@code stageVariables},
 *       {@code body} and {@code requestContext.authorizer} are left out when there is nothing to put there
 *       (payload 2.0 omits, where payload 1.0 sends {@code null});</li>
 *   <li>{@code rawPath} and {@code requestContext.http.path} are the path the client would have called on AWS:
 *       decoded, and prefixed with the stage unless the stage is {@code $default} (AWS serves named stages under
 *       {@code /<stage>/}, and frameworks strip that prefix from {@code rawPath} by looking at
 *       {@code requestContext.stage}).</li>
 * </ul>
 *
 * <p>Deliberate difference from AWS: a body is base64-encoded when it is not valid UTF-8 (AWS decides by the
 * request's content type).
 */
public final class ApiGatewayV2Events extends ProxyEvents {


    public ApiGatewayV2Events(ObjectMapper mapper) {
        this(mapper, ApiGatewayV1Events.DEFAULT_ACCOUNT_ID, ApiGatewayV1Events.DEFAULT_API_ID);
    }

    public ApiGatewayV2Events(ObjectMapper mapper, String accountId, String apiId) {
        super(mapper, accountId, apiId);
    }

    /**
     * @param stageVariables sent as {@code stageVariables}; null or empty leaves the key out
     * @param jwtClaims      when non-null, a JWT authorizer result: the event gets
     *                       {@code requestContext.authorizer.jwt = {"claims": {...}, "scopes": null}}; when null
     *                       there is no {@code authorizer} key (a route without authorizer)
     */
    @Override
    public ObjectNode build(IncomingRequest req, RouteTable.Entry route, Map<String, String> pathParameters,
                            String stage, Map<String, String> stageVariables, Map<String, String> jwtClaims) {
        Objects.requireNonNull(stage, "stage");
        String path = stagePrefixed(stage, decodedPath(req.rawPath()));
        String routeKey = routeKey(route);
        Map<String, List<String>> headers = lowerCaseHeaders(req.headers());
        List<String> cookies = cookies(headers.remove("cookie"));
        Map<String, List<String>> query = parseQuery(req.rawQuery());

        ObjectNode event = mapper.createObjectNode();
        event.put("version", "2.0");
        event.put("routeKey", routeKey);
        event.put("rawPath", path);
        event.put("rawQueryString", req.rawQuery() == null ? "" : req.rawQuery());
        if (!cookies.isEmpty()) {
            ArrayNode array = event.putArray("cookies");
            cookies.forEach(array::add);
        }
        putCommaJoined(event.putObject("headers"), headers);
        if (!query.isEmpty()) {
            putCommaJoined(event.putObject("queryStringParameters"), query);
        }
        event.set("requestContext", requestContext(req, routeKey, path, stage, headers, jwtClaims));
        putBody(event, req.body());
        if (pathParameters != null && !pathParameters.isEmpty()) {
            putStringMap(event.putObject("pathParameters"), pathParameters);
        }
        if (stageVariables != null && !stageVariables.isEmpty()) {
            putStringMap(event.putObject("stageVariables"), stageVariables);
        }
        return event;
    }

    /** {@code "GET /items/{id}"}; an {@code ANY} route gives {@code "ANY /x/{proxy+}"}. */
    public static String routeKey(RouteTable.Entry route) {
        return route.method() + " " + route.path().template();
    }

    private ObjectNode requestContext(IncomingRequest req, String routeKey, String path, String stage,
                                      Map<String, List<String>> headers, Map<String, String> jwtClaims) {
        String domainName = hostWithoutPort(first(headers.get("host")));
        ObjectNode ctx = mapper.createObjectNode();
        ctx.put("accountId", accountId);
        ctx.put("apiId", apiId);
        if (jwtClaims != null) {
            ObjectNode jwt = ctx.putObject("authorizer").putObject("jwt");
            putStringMap(jwt.putObject("claims"), jwtClaims);
            jwt.putNull("scopes"); // no scopes are configured or checked locally
        }
        ctx.put("domainName", domainName);
        ctx.put("domainPrefix", domainName == null ? null : domainName.split("\\.", 2)[0]);
        ObjectNode http = ctx.putObject("http");
        http.put("method", req.method());
        http.put("path", path);
        http.put("protocol", req.protocol());
        http.put("sourceIp", req.sourceIp());
        List<String> userAgent = headers.get("user-agent");
        http.put("userAgent", userAgent == null ? null : String.join(",", userAgent)); // as in headers
        ctx.put("requestId", req.requestId());
        ctx.put("routeKey", routeKey);
        ctx.put("stage", stage);
        ctx.put("time", formatRequestTime(req.requestTimeEpochMillis()));
        ctx.put("timeEpoch", req.requestTimeEpochMillis());
        return ctx;
    }

    private static void putBody(ObjectNode event, byte[] body) {
        if (body.length == 0) {
            event.put("isBase64Encoded", false);
            return;
        }
        String text = strictUtf8(body);
        event.put("body", text != null ? text : Base64.getEncoder().encodeToString(body));
        event.put("isBase64Encoded", text == null);
    }

    /** Groups by lower-cased name, keeping arrival order of names and of values. */
    private static Map<String, List<String>> lowerCaseHeaders(List<Map.Entry<String, String>> headers) {
        Map<String, List<String>> grouped = new LinkedHashMap<>();
        for (Map.Entry<String, String> h : headers) {
            grouped.computeIfAbsent(h.getKey().toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(h.getValue());
        }
        return grouped;
    }

    /** One entry per cookie pair ("a=1; b=2" gives "a=1", "b=2"), across all Cookie headers, in order. */
    private static List<String> cookies(List<String> cookieHeaders) {
        List<String> cookies = new ArrayList<>();
        if (cookieHeaders == null) {
            return cookies;
        }
        for (String header : cookieHeaders) {
            for (String cookie : header.split(";")) {
                String trimmed = cookie.trim();
                if (!trimmed.isEmpty()) {
                    cookies.add(trimmed);
                }
            }
        }
        return cookies;
    }

    private static void putCommaJoined(ObjectNode target, Map<String, List<String>> values) {
        values.forEach((name, list) -> target.put(name, String.join(",", list)));
    }

    private static String first(List<String> values) {
        return values == null || values.isEmpty() ? null : values.get(0);
    }
}
