package io.esb.http;

import io.esb.route.PathTemplate;
import io.esb.route.RouteTable;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ApiGatewayV2EventsTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final long EPOCH = 1428582896000L; // 09/Apr/2015:12:34:56 +0000
    private final ApiGatewayV2Events events = new ApiGatewayV2Events(MAPPER);

    private static IncomingRequest request(String method, String rawPath, String rawQuery,
                                           List<Map.Entry<String, String>> headers, byte[] body) {
        return new IncomingRequest(method, rawPath, rawQuery, headers, body, "203.0.113.7",
                "c6af9ac6-7b61-11e6-9a41-93e8deadbeef", "HTTP/1.1", EPOCH);
    }

    private static IncomingRequest get(String rawPath) {
        return request("GET", rawPath, null, List.of(), null);
    }

    private static RouteTable.Entry route(String method, String path) {
        return new RouteTable.Entry("fn", method, PathTemplate.parse(path));
    }

    @Test
    void matchesTheExpectedEventFieldByField() throws IOException {
        IncomingRequest req = request("GET", "/items/42", "a=1&b=x+y&a=2", List.of(
                Map.entry("Host", "api.example.test:8080"),
                Map.entry("User-Agent", "curl/8.0"),
                Map.entry("Accept", "text/html"),
                Map.entry("Cookie", "s=1; t=2"),
                Map.entry("accept", "application/json"),
                Map.entry("cookie", "u=3"),
                Map.entry("X-Trace", "abc")), new byte[0]);

        ObjectNode event = events.build(req, route("GET", "/items/{id}"), Map.of("id", "42"), "dev");

        assertThat(event).isEqualTo(fixture("events/apigw-http-v2-event.json"));
    }

    @Test
    void routeKeyIsMethodAndTemplateAnyIncluded() {
        ObjectNode event = events.build(request("DELETE", "/x/a/b", null, List.of(), null),
                route("ANY", "/x/{proxy+}"), Map.of("proxy", "a/b"), "$default");

        assertThat(event.get("routeKey").asText()).isEqualTo("ANY /x/{proxy+}");
        assertThat(event.get("requestContext").get("routeKey").asText()).isEqualTo("ANY /x/{proxy+}");
        assertThat(event.get("requestContext").get("http").get("method").asText()).isEqualTo("DELETE");
        assertThat(ApiGatewayV2Events.routeKey(route("GET", "/items/{id}"))).isEqualTo("GET /items/{id}");
        assertThat(ApiGatewayV2Events.routeKey(route("POST", "/"))).isEqualTo("POST /");
    }

    @Test
    void cookiesComeFromEveryCookieHeaderOnePerPairAndLeaveHeaders() {
        ObjectNode event = events.build(request("GET", "/c", null, List.of(
                        Map.entry("Cookie", "a=1; b=2"), Map.entry("X-A", "x"), Map.entry("COOKIE", "c=3;d=4; "),
                        Map.entry("cookie", "e=5")), null),
                route("GET", "/c"), Map.of(), "$default");

        assertThat(event.get("cookies")).isEqualTo(json("[\"a=1\",\"b=2\",\"c=3\",\"d=4\",\"e=5\"]"));
        assertThat(event.get("headers")).isEqualTo(json("{\"x-a\":\"x\"}"));
    }

    @Test
    void noCookieHeaderMeansNoCookiesField() {
        ObjectNode event = events.build(request("GET", "/c", null, List.of(Map.entry("X-A", "x")), null),
                route("GET", "/c"), Map.of(), "$default");
        assertThat(event.has("cookies")).isFalse();
    }

    @Test
    void headersAreLowerCasedAndRepeatedValuesCommaJoined() {
        ObjectNode event = events.build(request("GET", "/h", null, List.of(
                        Map.entry("X-Tag", "one"), Map.entry("Accept", "a/b"), Map.entry("x-TAG", "two"),
                        Map.entry("X-Tag", "three, four")), null),
                route("GET", "/h"), Map.of(), "$default");

        assertThat(event.get("headers"))
                .isEqualTo(json("{\"x-tag\":\"one,two,three, four\",\"accept\":\"a/b\"}"));
        assertThat(event.has("multiValueHeaders")).isFalse();
    }

    @Test
    void noHeadersGiveAnEmptyHeadersObject() {
        ObjectNode event = events.build(get("/h"), route("GET", "/h"), Map.of(), "$default");
        assertThat(event.get("headers")).isEqualTo(json("{}"));
        JsonNode http = event.get("requestContext").get("http");
        assertThat(http.get("userAgent").isNull()).isTrue();
        assertThat(event.get("requestContext").get("domainName").isNull()).isTrue();
    }

    @Test
    void rawQueryStringIsAsReceivedAndParametersAreDecodedAndCommaJoined() {
        ObjectNode event = events.build(request("GET", "/q", "a=1&a=2&flag&e=%C3%A9%26&sp=x+y", List.of(), null),
                route("GET", "/q"), Map.of(), "$default");

        assertThat(event.get("rawQueryString").asText()).isEqualTo("a=1&a=2&flag&e=%C3%A9%26&sp=x+y");
        assertThat(event.get("queryStringParameters"))
                .isEqualTo(json("{\"a\":\"1,2\",\"flag\":\"\",\"e\":\"é&\",\"sp\":\"x y\"}"));
        assertThat(event.has("multiValueQueryStringParameters")).isFalse();
    }

    @Test
    void noQueryGivesEmptyRawQueryStringAndNoParameters() {
        for (String rawQuery : new String[] {null, ""}) {
            ObjectNode event = events.build(request("GET", "/q", rawQuery, List.of(), null),
                    route("GET", "/q"), Map.of(), "$default");
            assertThat(event.get("rawQueryString").asText()).as("rawQuery %s", rawQuery).isEmpty();
            assertThat(event.has("queryStringParameters")).as("rawQuery %s", rawQuery).isFalse();
        }
    }

    @Test
    void absentPartsAreLeftOutNotNull() {
        ObjectNode event = events.build(get("/"), route("GET", "/"), Map.of(), "$default");

        for (String field : List.of("cookies", "queryStringParameters", "pathParameters", "stageVariables", "body")) {
            assertThat(event.has(field)).as(field).isFalse();
        }
        assertThat(event.get("isBase64Encoded").isBoolean()).isTrue();
        assertThat(event.get("isBase64Encoded").asBoolean()).isFalse();
        assertThat(event.get("requestContext").has("authorizer")).isFalse();
        assertThat(event.get("rawPath").asText()).isEqualTo("/");
    }

    @Test
    void pathParametersAndStageVariablesWhenGiven() {
        ObjectNode event = events.build(get("/items/7"), route("GET", "/items/{id}"), Map.of("id", "7"), "$default",
                Map.of("env", "local"), null);

        assertThat(event.get("pathParameters")).isEqualTo(json("{\"id\":\"7\"}"));
        assertThat(event.get("stageVariables")).isEqualTo(json("{\"env\":\"local\"}"));
    }

    @Test
    void emptyStageVariablesAreLeftOut() {
        ObjectNode event = events.build(get("/s"), route("GET", "/s"), null, "$default", Map.of(), null);
        assertThat(event.has("stageVariables")).isFalse();
        assertThat(event.has("pathParameters")).isFalse();
    }

    @Test
    void jwtClaimsGoUnderAuthorizerJwtWithNullScopes() {
        ObjectNode event = events.build(get("/a"), route("GET", "/a"), Map.of(), "$default", null,
                Map.of("sub", "user-1", "email", "a@example.test"));

        JsonNode authorizer = event.get("requestContext").get("authorizer");
        assertThat(authorizer.properties()).extracting(Map.Entry::getKey).containsExactly("jwt");
        JsonNode jwt = authorizer.get("jwt");
        assertThat(jwt.get("claims")).isEqualTo(json("{\"sub\":\"user-1\",\"email\":\"a@example.test\"}"));
        assertThat(jwt.has("scopes")).isTrue();
        assertThat(jwt.get("scopes").isNull()).isTrue();
        assertThat(event.get("requestContext").has("identity")).isFalse(); // a payload 1.0 field
    }

    @Test
    void emptyJwtClaimsStillMeanAnAuthorizedRequest() {
        ObjectNode event = events.build(get("/a"), route("GET", "/a"), Map.of(), "$default", null, Map.of());
        assertThat(event.get("requestContext").get("authorizer").get("jwt").get("claims")).isEqualTo(json("{}"));
    }

    @Test
    void namedStagePrefixesRawPathAndHttpPathDefaultStageDoesNot() {
        ObjectNode named = events.build(get("/files/a%20b/c"), route("ANY", "/files/{proxy+}"),
                Map.of("proxy", "a b/c"), "v1");
        assertThat(named.get("rawPath").asText()).isEqualTo("/v1/files/a b/c");
        assertThat(named.get("requestContext").get("http").get("path").asText()).isEqualTo("/v1/files/a b/c");
        assertThat(named.get("requestContext").get("stage").asText()).isEqualTo("v1");

        ObjectNode byDefault = events.build(get("/files/a%20b/c"), route("ANY", "/files/{proxy+}"),
                Map.of("proxy", "a b/c"), "$default");
        assertThat(byDefault.get("rawPath").asText()).isEqualTo("/files/a b/c");
        assertThat(byDefault.get("requestContext").get("http").get("path").asText()).isEqualTo("/files/a b/c");
        assertThat(byDefault.get("requestContext").get("stage").asText()).isEqualTo("$default");

        ObjectNode root = events.build(get("/"), route("GET", "/"), Map.of(), "dev");
        assertThat(root.get("rawPath").asText()).isEqualTo("/dev/");
    }

    @Test
    void timeAndTimeEpoch() {
        JsonNode ctx = events.build(get("/t"), route("GET", "/t"), Map.of(), "$default").get("requestContext");
        assertThat(ctx.get("time").asText()).isEqualTo("09/Apr/2015:12:34:56 +0000");
        assertThat(ctx.get("timeEpoch").isIntegralNumber()).isTrue();
        assertThat(ctx.get("timeEpoch").asLong()).isEqualTo(EPOCH);
    }

    @Test
    void utf8BodyIsPassedAsText() {
        byte[] body = "{\"name\":\"café\"}".getBytes(StandardCharsets.UTF_8);
        ObjectNode event = events.build(request("POST", "/p", null, List.of(), body), route("POST", "/p"),
                Map.of(), "$default");
        assertThat(event.get("body").asText()).isEqualTo("{\"name\":\"café\"}");
        assertThat(event.get("isBase64Encoded").asBoolean()).isFalse();
    }

    @Test
    void nonUtf8BodyIsBase64() {
        byte[] body = {(byte) 0x89, 'P', 'N', 'G', 0, (byte) 0xFF};
        ObjectNode event = events.build(request("POST", "/p", null, List.of(), body), route("POST", "/p"),
                Map.of(), "$default");
        assertThat(event.get("isBase64Encoded").asBoolean()).isTrue();
        assertThat(Base64.getDecoder().decode(event.get("body").asText())).isEqualTo(body);
    }

    @Test
    void shortBuildDelegatesWithoutStageVariablesOrAuthorizer() {
        IncomingRequest req = request("GET", "/q", "a=1", List.of(Map.entry("Host", "h")), null);
        assertThat(events.build(req, route("GET", "/q"), Map.of(), "p"))
                .isEqualTo(events.build(req, route("GET", "/q"), Map.of(), "p", null, null));
    }

    @Test
    void accountAndApiIdsComeFromTheConstructor() {
        JsonNode ctx = new ApiGatewayV2Events(MAPPER, "999999999999", "abcdef")
                .build(get("/t"), route("GET", "/t"), Map.of(), "$default").get("requestContext");
        assertThat(ctx.get("accountId").asText()).isEqualTo("999999999999");
        assertThat(ctx.get("apiId").asText()).isEqualTo("abcdef");
    }

    @Test
    void toBytesRoundTrips() throws IOException {
        ObjectNode event = events.build(request("GET", "/q", "a=1", List.of(Map.entry("Cookie", "a=1")), null),
                route("GET", "/q"), Map.of(), "p");
        assertThat(MAPPER.readTree(events.toBytes(event))).isEqualTo(event);
    }

    private static JsonNode json(String s) {
        try {
            return MAPPER.readTree(s);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static JsonNode fixture(String resource) throws IOException {
        try (InputStream in = ApiGatewayV2EventsTest.class.getClassLoader().getResourceAsStream(resource)) {
            assertThat(in).as(resource).isNotNull();
            return MAPPER.readTree(in);
        }
    }
}
