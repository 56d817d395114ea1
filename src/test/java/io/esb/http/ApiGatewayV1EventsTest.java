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

class ApiGatewayV1EventsTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final long EPOCH = 1428582896000L; // 09/Apr/2015:12:34:56 +0000
    private final ApiGatewayV1Events events = new ApiGatewayV1Events(MAPPER);

    private static IncomingRequest request(String method, String rawPath, String rawQuery,
                                           List<Map.Entry<String, String>> headers, byte[] body) {
        return new IncomingRequest(method, rawPath, rawQuery, headers, body, "203.0.113.7",
                "c6af9ac6-7b61-11e6-9a41-93e8deadbeef", "HTTP/1.1", EPOCH);
    }

    private static RouteTable.Entry route(String path) {
        return new RouteTable.Entry("fn", "ANY", PathTemplate.parse(path));
    }

    @Test
    void theResourceIdIsSixHexDigitsOfTheTemplatesHash() {
        for (var template : List.of("/items/{id}", "/", "/a", "/v2/{proxy+}", "/users/{user}/orders/{order}", "")) {
            assertThat(ApiGatewayV1Events.resourceId(template)).isEqualTo(String.format("%06x", template.hashCode() & 0xFFFFFF));
        }
        // A hash whose low 24 bits are small still gives six digits.
        var small = "\u0000\u0001";
        assertThat(small.hashCode() & 0xFFFFFF).isLessThan(0x100);
        assertThat(ApiGatewayV1Events.resourceId(small)).hasSize(6).startsWith("0000");
    }

    @Test
    void theRequestTimeIsTheSecondOfTheRequestInApiGatewaysFormat() {
        // 2015-04-09T12:34:56.789Z and the next second; the second text is made afresh, not the first one kept.
        assertThat(ApiGatewayV1Events.formatRequestTime(1428582896789L)).isEqualTo("09/Apr/2015:12:34:56 +0000");
        assertThat(ApiGatewayV1Events.formatRequestTime(1428582896000L)).isEqualTo("09/Apr/2015:12:34:56 +0000");
        assertThat(ApiGatewayV1Events.formatRequestTime(1428582897001L)).isEqualTo("09/Apr/2015:12:34:57 +0000");
        assertThat(ApiGatewayV1Events.formatRequestTime(1428582896999L)).isEqualTo("09/Apr/2015:12:34:56 +0000");
    }

    @Test
    void matchesTheDocumentedShapeFieldByField() throws IOException {
        IncomingRequest req = request("GET", "/users/42", "a=1&b=x+y&a=2", List.of(
                Map.entry("Host", "api.example.test:8080"),
                Map.entry("User-Agent", "curl/8.0"),
                Map.entry("Accept", "text/html"),
                Map.entry("Accept", "application/json")), new byte[0]);

        ObjectNode event = events.build(req, route("/users/{id}"), Map.of("id", "42"), "dev");

        JsonNode expected = fixture("events/apigw-rest-v1-proxy-event.json");
        ((ObjectNode) expected.get("requestContext")).set("resourceId", event.get("requestContext").get("resourceId"));
        assertThat(event).isEqualTo(expected);
        assertThat(event.get("requestContext").get("resourceId").asText()).matches("[0-9a-f]{6}");
    }

    @Test
    void multiValueQueryAndLastValueWins() {
        ObjectNode event = events.build(request("GET", "/q", "a=1&a=2&flag&e=%C3%A9%26", List.of(), null),
                route("/q"), Map.of(), "prod");

        assertThat(event.get("queryStringParameters")).isEqualTo(json("{\"a\":\"2\",\"flag\":\"\",\"e\":\"é&\"}"));
        assertThat(event.get("multiValueQueryStringParameters"))
                .isEqualTo(json("{\"a\":[\"1\",\"2\"],\"flag\":[\"\"],\"e\":[\"é&\"]}"));
    }

    @Test
    void multiValueHeadersGroupCaseInsensitivelyKeepingFirstSpelling() {
        ObjectNode event = events.build(request("GET", "/h", null, List.of(
                        Map.entry("X-Tag", "one"), Map.entry("x-tag", "two"), Map.entry("Cookie", "a=1")), null),
                route("/h"), Map.of(), "prod");

        assertThat(event.get("headers")).isEqualTo(json("{\"X-Tag\":\"two\",\"Cookie\":\"a=1\"}"));
        assertThat(event.get("multiValueHeaders")).isEqualTo(json("{\"X-Tag\":[\"one\",\"two\"],\"Cookie\":[\"a=1\"]}"));
    }

    @Test
    void absentPartsAreNullLikeAws() {
        ObjectNode event = events.build(request("GET", "/", null, List.of(), new byte[0]),
                route("/"), Map.of(), "prod");

        assertThat(event.get("path").asText()).isEqualTo("/");
        assertThat(event.get("requestContext").get("path").asText()).isEqualTo("/prod/");
        for (String field : List.of("headers", "multiValueHeaders", "queryStringParameters",
                "multiValueQueryStringParameters", "pathParameters", "stageVariables", "body")) {
            assertThat(event.has(field)).as(field).isTrue();
            assertThat(event.get(field).isNull()).as(field).isTrue();
        }
        assertThat(event.get("isBase64Encoded").asBoolean()).isFalse();
        assertThat(event.get("requestContext").get("identity").get("userAgent").isNull()).isTrue();
        assertThat(event.get("requestContext").get("domainName").isNull()).isTrue();
    }

    @Test
    void emptyQueryStringIsNull() {
        ObjectNode event = events.build(request("GET", "/q", "", List.of(), null), route("/q"), Map.of(), "p");
        assertThat(event.get("queryStringParameters").isNull()).isTrue();
        assertThat(event.get("multiValueQueryStringParameters").isNull()).isTrue();
    }

    @Test
    void utf8BodyIsPassedAsText() {
        byte[] body = "{\"name\":\"café\"}".getBytes(StandardCharsets.UTF_8);
        ObjectNode event = events.build(request("POST", "/p", null, List.of(), body), route("/p"), Map.of(), "p");
        assertThat(event.get("body").asText()).isEqualTo("{\"name\":\"café\"}");
        assertThat(event.get("isBase64Encoded").asBoolean()).isFalse();
    }

    @Test
    void nonUtf8BodyIsBase64() {
        byte[] body = {(byte) 0x89, 'P', 'N', 'G', 0, (byte) 0xFF};
        ObjectNode event = events.build(request("POST", "/p", null, List.of(), body), route("/p"), Map.of(), "p");
        assertThat(event.get("isBase64Encoded").asBoolean()).isTrue();
        assertThat(Base64.getDecoder().decode(event.get("body").asText())).isEqualTo(body);
    }

    @Test
    void greedyRouteUsesDecodedPathAndStagePrefixedContextPath() {
        ObjectNode event = events.build(request("DELETE", "/files/a%20b/c", null, List.of(), null),
                route("/files/{proxy+}"), Map.of("proxy", "a b/c"), "v1");

        assertThat(event.get("resource").asText()).isEqualTo("/files/{proxy+}");
        assertThat(event.get("path").asText()).isEqualTo("/files/a b/c");
        assertThat(event.get("httpMethod").asText()).isEqualTo("DELETE");
        assertThat(event.get("pathParameters")).isEqualTo(json("{\"proxy\":\"a b/c\"}"));
        JsonNode ctx = event.get("requestContext");
        assertThat(ctx.get("resourcePath").asText()).isEqualTo("/files/{proxy+}");
        assertThat(ctx.get("path").asText()).isEqualTo("/v1/files/a b/c");
        assertThat(ctx.get("httpMethod").asText()).isEqualTo("DELETE");
        assertThat(ctx.get("stage").asText()).isEqualTo("v1");
    }

    @Test
    void stageVariablesAreNullWhenAbsentOrEmptyAndAnObjectWhenGiven() {
        IncomingRequest req = request("GET", "/s", null, List.of(), null);
        ObjectNode none = events.build(req, route("/s"), Map.of(), "p", null, null);
        ObjectNode empty = events.build(req, route("/s"), Map.of(), "p", Map.of(), null);
        ObjectNode some = events.build(req, route("/s"), Map.of(), "p", Map.of("env", "local", "db", "x"), null);

        assertThat(none.has("stageVariables")).isTrue();
        assertThat(none.get("stageVariables").isNull()).isTrue();
        assertThat(empty.get("stageVariables").isNull()).isTrue();
        assertThat(some.get("stageVariables")).isEqualTo(json("{\"env\":\"local\",\"db\":\"x\"}"));
    }

    @Test
    void authorizerClaimsGoUnderRequestContextAuthorizerClaims() {
        ObjectNode event = events.build(request("GET", "/a", null, List.of(), null), route("/a"), Map.of(), "p",
                null, Map.of("sub", "user-1", "cognito:username", "alice"));

        JsonNode authorizer = event.get("requestContext").get("authorizer");
        assertThat(authorizer.get("claims")).isEqualTo(json("{\"sub\":\"user-1\",\"cognito:username\":\"alice\"}"));
        assertThat(authorizer.has("scopes")).isTrue();
        assertThat(authorizer.get("scopes").isNull()).isTrue();
        assertThat(authorizer.has("jwt")).isFalse(); // a payload 2.0 shape
        assertThat(event.has("authorizer")).isFalse();
    }

    @Test
    void noClaimsMeansNoAuthorizerKey() {
        ObjectNode event = events.build(request("GET", "/a", null, List.of(), null), route("/a"), Map.of(), "p",
                Map.of("env", "x"), null);
        assertThat(event.get("requestContext").has("authorizer")).isFalse();
    }

    @Test
    void shortBuildDelegatesWithNulls() {
        IncomingRequest req = request("GET", "/q", "a=1", List.of(Map.entry("Host", "h")), null);
        assertThat(events.build(req, route("/q"), Map.of(), "p"))
                .isEqualTo(events.build(req, route("/q"), Map.of(), "p", null, null));
    }

    @Test
    void contextPathHasTheStagePrefixExceptForTheDefaultStage() {
        IncomingRequest req = request("GET", "/items/1", null, List.of(), null);
        ObjectNode named = events.build(req, route("/items/{id}"), Map.of("id", "1"), "dev");
        ObjectNode byDefault = events.build(req, route("/items/{id}"), Map.of("id", "1"),
                ApiGatewayV1Events.DEFAULT_STAGE);

        assertThat(named.get("path").asText()).isEqualTo("/items/1");
        assertThat(named.get("requestContext").get("path").asText()).isEqualTo("/dev/items/1");
        assertThat(byDefault.get("path").asText()).isEqualTo("/items/1");
        assertThat(byDefault.get("requestContext").get("path").asText()).isEqualTo("/items/1"); // AWS's 1.0 example
        assertThat(byDefault.get("requestContext").get("stage").asText()).isEqualTo("$default");
    }

    @Test
    void invalidUtf8InsideOtherwiseTextualBodyIsBase64() {
        byte[] body = "caf\u00e9".getBytes(StandardCharsets.ISO_8859_1); // 'é' as one Latin-1 byte: not UTF-8
        ObjectNode event = events.build(request("POST", "/p", null, List.of(), body), route("/p"), Map.of(), "p");
        assertThat(event.get("isBase64Encoded").asBoolean()).isTrue();
        assertThat(Base64.getDecoder().decode(event.get("body").asText())).isEqualTo(body);
    }

    @Test
    void toBytesRoundTrips() throws IOException {
        ObjectNode event = events.build(request("GET", "/q", "a=1", List.of(), null), route("/q"), Map.of(), "p");
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
        try (InputStream in = ApiGatewayV1EventsTest.class.getClassLoader().getResourceAsStream(resource)) {
            assertThat(in).as(resource).isNotNull();
            return MAPPER.readTree(in);
        }
    }
}
