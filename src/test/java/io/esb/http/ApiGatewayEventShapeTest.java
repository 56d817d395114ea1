package io.esb.http;

import io.esb.route.PathTemplate;
import io.esb.route.RouteTable;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Compares the events esb generates with the example events in AWS's documentation (see
 * {@code src/test/resources/events/README.md}), for a request equivalent to the one each example shows.
 *
 * <p>Compared: the keys of every structural object (top level, {@code requestContext} and its {@code http},
 * {@code identity}, {@code authorizer}, {@code authorizer.jwt}) must be the same set, and every value must be of the
 * same JSON type (string, number, boolean, null, object, array); inside data objects and arrays (headers, query
 * parameters, claims, cookies...) the values must be of a type AWS's example uses there. Values are not compared,
 * except those that follow from the request (listed per test). Every gap between esb and an example is listed
 * below as a named exception with its reason; an exception that no longer matches anything fails the test too.
 */
class ApiGatewayEventShapeTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    /** The REST page's example has single-quoted keys in multiValueHeaders, as published. */
    private static final ObjectMapper LENIENT = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_SINGLE_QUOTES).build();

    private static final String V2_EXAMPLE = "events/aws-doc-http-api-payload-2.0-example.json";
    private static final String V1_EXAMPLE = "events/aws-doc-http-api-payload-1.0-example.json";
    private static final String REST_EXAMPLE = "events/aws-doc-rest-proxy-input-example.json";

    private static final Set<String> STRUCTURAL = Set.of("", "requestContext", "requestContext.http",
            "requestContext.identity", "requestContext.authorizer", "requestContext.authorizer.jwt");

    private static final long EPOCH = 1583348638390L;
    private static final String REQUEST_TIME_FORMAT = "\\d{2}/[A-Z][a-z]{2}/\\d{4}:\\d{2}:\\d{2}:\\d{2} [+-]\\d{4}";

    // ---- payload format 2.0 ----

    @Test
    void v2EventHasTheShapeOfAwsExample() throws IOException {
        JsonNode aws = fixture(V2_EXAMPLE, MAPPER);
        IncomingRequest req = new IncomingRequest("POST", "/my/path",
                "parameter1=value1&parameter1=value2&parameter2=value",
                List.of(Map.entry("Host", "id.execute-api.us-east-1.amazonaws.com"),
                        Map.entry("User-Agent", "agent"),
                        Map.entry("Cookie", "cookie1; cookie2"),
                        Map.entry("Header1", "value1"),
                        Map.entry("Header2", "value1"),
                        Map.entry("Header2", "value2")),
                "Hello from Lambda".getBytes(StandardCharsets.UTF_8), "IP", "id", "HTTP/1.1", EPOCH);
        JsonNode ours = new ApiGatewayV2Events(MAPPER).build(req,
                new RouteTable.Entry("fn", "POST", PathTemplate.parse("/my/{parameter1}")),
                Map.of("parameter1", "path"), "$default",
                Map.of("stageVariable1", "value1", "stageVariable2", "value2"),
                Map.of("claim1", "value1", "claim2", "value2"));

        Rules rules = new Rules()
                .mayBeMissing("requestContext.authentication",
                        "mutual TLS client certificate; esb serves no mutual TLS")
                .mayBeMissing("requestContext.authorizer.lambda",
                        "Lambda authorizer context; esb passes JWT authorizer claims only")
                .mayHaveType("requestContext.authorizer.jwt.scopes", Kind.NULL,
                        "esb configures and checks no scopes, so it sends null rather than a list");
        assertSameShape("payload 2.0", aws, ours, rules);

        assertSameValues(aws, ours, "/version", "/rawPath", "/rawQueryString", "/cookies",
                "/queryStringParameters", "/stageVariables", "/body", "/isBase64Encoded",
                "/requestContext/domainName", "/requestContext/domainPrefix", "/requestContext/http/method",
                "/requestContext/http/path", "/requestContext/http/protocol", "/requestContext/http/sourceIp",
                "/requestContext/http/userAgent", "/requestContext/requestId", "/requestContext/stage",
                "/requestContext/timeEpoch", "/requestContext/authorizer/jwt/claims");
        // same format; not the same value, as AWS's example contradicts itself (its timeEpoch is 04/Mar/2020)
        assertThat(ours.at("/requestContext/time").asText()).isEqualTo("04/Mar/2020:19:03:58 +0000")
                .matches(REQUEST_TIME_FORMAT).satisfies(t -> assertThat(aws.at("/requestContext/time").asText())
                        .matches(REQUEST_TIME_FORMAT));
        // AWS's current page lower-cases header names, as esb does; the stored (older) example does not
        aws.get("headers").properties().forEach(h -> assertThat(ours.get("headers").get(h.getKey().toLowerCase(Locale.ROOT)))
                .as("headers.%s", h.getKey()).isEqualTo(h.getValue()));
        assertThat(ours.get("routeKey").asText()).isEqualTo("POST /my/{parameter1}"); // AWS's example: "$default"
    }

    // ---- payload format 1.0 (REST APIs) ----

    @Test
    void v1EventHasTheShapeOfAwsPayload10Example() throws IOException {
        JsonNode aws = fixture(V1_EXAMPLE, MAPPER);
        JsonNode ours = v1EventLikeThePayload10Example();

        assertSameShape("payload 1.0", aws, ours, v1Rules());

        // not /queryStringParameters: for a repeated parameter this HTTP API example shows the first value
        // ("value1") while the REST page's example shows the last ("multivalueName": "me"); esb emulates REST
        assertThat(ours.at("/queryStringParameters/parameter1").asText()).isEqualTo("value2");
        assertSameValues(aws, ours, "/resource", "/path", "/httpMethod", "/queryStringParameters/parameter2",
                "/multiValueQueryStringParameters", "/pathParameters", "/stageVariables", "/body",
                "/isBase64Encoded", "/requestContext/domainName", "/requestContext/domainPrefix",
                "/requestContext/httpMethod", "/requestContext/path", "/requestContext/protocol",
                "/requestContext/requestId", "/requestContext/resourcePath", "/requestContext/stage",
                "/requestContext/authorizer/scopes", "/requestContext/identity/sourceIp",
                "/requestContext/identity/userAgent");
        aws.get("headers").properties().forEach(h -> assertThat(ours.get("headers").get(h.getKey()))
                .as("headers.%s", h.getKey()).isEqualTo(h.getValue()));
        aws.get("multiValueHeaders").properties().forEach(h -> assertThat(ours.get("multiValueHeaders")
                .get(h.getKey())).as("multiValueHeaders.%s", h.getKey()).isEqualTo(h.getValue()));
    }

    private static Rules v1Rules() {
        return new Rules()
                .mayBeMissing("version", "only HTTP APIs' payload 1.0 has it; REST API events have no version "
                        + "(see the REST page's example)")
                .mayBeMissing("requestContext.identity.clientCert",
                        "mutual TLS client certificate; esb serves no mutual TLS")
                .mayHaveType("requestContext.resourceId", Kind.STRING,
                        "HTTP APIs have no resources (null); REST APIs send the resource id (\"roq9wj\" in the REST "
                                + "page's example)")
                .mayHaveType("requestContext.authorizer.claims", Kind.OBJECT,
                        "the example's API has no authorizer data (null); with a Cognito authorizer it is the "
                                + "claims map ($context.authorizer.claims.*)");
    }

    private static JsonNode v1EventLikeThePayload10Example() {
        IncomingRequest req = new IncomingRequest("GET", "/my/path",
                "parameter1=value1&parameter1=value2&parameter2=value",
                List.of(Map.entry("Host", "id.execute-api.us-east-1.amazonaws.com"),
                        Map.entry("User-Agent", "user-agent"),
                        Map.entry("Header1", "value1"),
                        Map.entry("Header2", "value1"),
                        Map.entry("Header2", "value2")),
                "Hello from Lambda!".getBytes(StandardCharsets.UTF_8), "IP", "id=", "HTTP/1.1", EPOCH);
        return new ApiGatewayV1Events(MAPPER).build(req,
                new RouteTable.Entry("fn", "GET", PathTemplate.parse("/my/path")), Map.of(), "$default",
                null, Map.of("sub", "user-1"));
    }

    @Test
    void v1EventHasEveryFieldOfAwsRestPageExample() throws IOException {
        JsonNode aws = fixture(REST_EXAMPLE, LENIENT).get("input");
        List<Map.Entry<String, String>> headers = new ArrayList<>();
        aws.get("headers").properties().forEach(h -> headers.add(Map.entry(h.getKey(), h.getValue().asText())));
        IncomingRequest req = new IncomingRequest("POST", "/hello/world", "name=me&multivalueName=you&multivalueName=me",
                headers, "{\r\n\t\"a\": 1\r\n}".getBytes(StandardCharsets.UTF_8), "192.168.196.186",
                "deef4878-7910-11e6-8f14-25afc3e9ae33", "HTTP/1.1", EPOCH);
        JsonNode ours = new ApiGatewayV1Events(MAPPER, "12345678912", "gy415nuibc").build(req,
                new RouteTable.Entry("fn", "ANY", PathTemplate.parse("/{proxy+}")), Map.of("proxy", "hello/world"),
                "testStage", Map.of("stageVariableName", "stageVariableValue"), null);

        // This 2016 example predates fields API Gateway added since (path, protocol, requestTime, domainName...):
        // esb may have more, but only fields that AWS's newer payload 1.0 example documents.
        Rules rules = new Rules()
                .extraIfDocumentedIn(fixture(V1_EXAMPLE, MAPPER), "AWS's payload 1.0 example")
                .mayBeMissing("requestContext.identity.apiKey",
                        "only sent for methods that require an API key; esb has no API keys");
        assertSameShape("REST page example", aws, ours, rules);

        assertSameValues(aws, ours, "/resource", "/path", "/httpMethod", "/headers", "/queryStringParameters",
                "/multiValueQueryStringParameters", "/pathParameters", "/stageVariables", "/body",
                "/isBase64Encoded", "/requestContext/accountId", "/requestContext/stage",
                "/requestContext/requestId", "/requestContext/resourcePath", "/requestContext/httpMethod",
                "/requestContext/apiId", "/requestContext/identity/sourceIp", "/requestContext/identity/userAgent");
    }

    // ---- the comparison itself must catch what it is for ----

    @Test
    void comparisonReportsMissingExtraAndRetypedFieldsByPath() {
        JsonNode aws = json("{\"a\":\"x\",\"n\":1,\"requestContext\":{\"http\":{\"userAgent\":\"u\",\"path\":\"/\"},"
                + "\"flag\":true},\"headers\":{\"h\":\"v\"}}");
        JsonNode ours = json("{\"a\":\"x\",\"n\":\"1\",\"extra\":null,\"requestContext\":{\"http\":{\"path\":\"/\"},"
                + "\"flag\":true,\"more\":{}},\"headers\":{\"h\":[\"v\"]}}");

        assertThatThrownBy(() -> assertSameShape("demo", aws, ours, new Rules()))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("requestContext.http.userAgent: missing from esb's event "
                        + "(AWS's example has a string)")
                .hasMessageContaining("extra: not in AWS's example (esb's event has null)")
                .hasMessageContaining("requestContext.more: not in AWS's example (esb's event has an object)")
                .hasMessageContaining("n: AWS's example has a number, esb's event has a string")
                .hasMessageContaining("headers.h: AWS's example has values of type [string], esb's event has an array");
    }

    @Test
    void exceptionsThatNoLongerApplyFailTheComparison() {
        JsonNode same = json("{\"a\":\"x\"}");
        Rules stale = new Rules().mayBeMissing("b", "was needed once").mayHaveType("a", Kind.NUMBER, "old");

        assertThatThrownBy(() -> assertSameShape("demo", same, same, stale))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("exception no longer needed: b (was needed once)")
                .hasMessageContaining("exception no longer needed: a (old)");
    }

    // ---- comparison ----

    enum Kind {
        STRING, NUMBER, BOOLEAN, NULL, OBJECT, ARRAY;

        static Kind of(JsonNode n) {
            if (n.isTextual()) {
                return STRING;
            } else if (n.isNumber()) {
                return NUMBER;
            } else if (n.isBoolean()) {
                return BOOLEAN;
            } else if (n.isNull()) {
                return NULL;
            } else if (n.isObject()) {
                return OBJECT;
            } else if (n.isArray()) {
                return ARRAY;
            }
            throw new IllegalArgumentException("unexpected JSON node " + n.getNodeType());
        }

        String withArticle() {
            return switch (this) {
                case NULL -> "null";
                case OBJECT, ARRAY -> "an " + name().toLowerCase(Locale.ROOT);
                default -> "a " + name().toLowerCase(Locale.ROOT);
            };
        }
    }

    /** The known, explained differences between esb's events and one AWS example. */
    static final class Rules {
        private final Map<String, String> mayBeMissing = new LinkedHashMap<>();
        private final Map<String, Map.Entry<Kind, String>> mayHaveType = new LinkedHashMap<>();
        private JsonNode documentedElsewhere;
        private String documentedElsewhereName;
        private final Set<String> used = new HashSet<>();

        Rules mayBeMissing(String path, String reason) {
            mayBeMissing.put(path, reason);
            return this;
        }

        Rules mayHaveType(String path, Kind kind, String reason) {
            mayHaveType.put(path, Map.entry(kind, reason));
            return this;
        }

        Rules extraIfDocumentedIn(JsonNode otherExample, String name) {
            this.documentedElsewhere = otherExample;
            this.documentedElsewhereName = name;
            return this;
        }

        boolean allowsMissing(String path) {
            return use(path, mayBeMissing.containsKey(path));
        }

        boolean allowsType(String path, Kind ours) {
            Map.Entry<Kind, String> rule = mayHaveType.get(path);
            return use(path, rule != null && rule.getKey() == ours);
        }

        boolean allowsExtra(String path) {
            return documentedElsewhere != null && !documentedElsewhere.at(pointer(path)).isMissingNode();
        }

        private boolean use(String path, boolean allowed) {
            if (allowed) {
                used.add(path);
            }
            return allowed;
        }

        List<String> unused() {
            List<String> unused = new ArrayList<>();
            mayBeMissing.forEach((path, reason) -> {
                if (!used.contains(path)) {
                    unused.add(path + " (" + reason + ")");
                }
            });
            mayHaveType.forEach((path, rule) -> {
                if (!used.contains(path)) {
                    unused.add(path + " (" + rule.getValue() + ")");
                }
            });
            return unused;
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder();
            mayBeMissing.forEach((p, r) -> sb.append("\n  may be missing: ").append(p).append(" - ").append(r));
            mayHaveType.forEach((p, r) -> sb.append("\n  may be ").append(r.getKey().withArticle()).append(": ")
                    .append(p).append(" - ").append(r.getValue()));
            if (documentedElsewhere != null) {
                sb.append("\n  may have extra fields documented in ").append(documentedElsewhereName);
            }
            return sb.toString();
        }
    }

    static void assertSameShape(String label, JsonNode aws, JsonNode ours, Rules rules) {
        List<String> problems = new ArrayList<>();
        compareObject("", aws, ours, rules, problems);
        rules.unused().forEach(u -> problems.add("exception no longer needed: " + u));
        if (!problems.isEmpty()) {
            throw new AssertionError(label + ": esb's event differs from AWS's example:\n  "
                    + String.join("\n  ", problems) + "\nknown exceptions:" + rules);
        }
    }

    private static void compareObject(String path, JsonNode aws, JsonNode ours, Rules rules, List<String> problems) {
        Set<String> names = new TreeSet<>();
        aws.fieldNames().forEachRemaining(names::add);
        ours.fieldNames().forEachRemaining(names::add);
        for (String name : names) {
            String child = path.isEmpty() ? name : path + "." + name;
            JsonNode a = aws.get(name);
            JsonNode o = ours.get(name);
            if (o == null) {
                if (!rules.allowsMissing(child)) {
                    problems.add(child + ": missing from esb's event (AWS's example has "
                            + Kind.of(a).withArticle() + ")");
                }
            } else if (a == null) {
                if (!rules.allowsExtra(child)) {
                    problems.add(child + ": not in AWS's example (esb's event has " + Kind.of(o).withArticle() + ")");
                }
            } else {
                compareValue(child, a, o, rules, problems);
            }
        }
    }

    private static void compareValue(String path, JsonNode aws, JsonNode ours, Rules rules, List<String> problems) {
        Kind a = Kind.of(aws);
        Kind o = Kind.of(ours);
        if (a != o) {
            if (!rules.allowsType(path, o)) {
                problems.add(path + ": AWS's example has " + a.withArticle() + ", esb's event has "
                        + o.withArticle());
            }
            return;
        }
        if (a == Kind.OBJECT && STRUCTURAL.contains(path)) {
            compareObject(path, aws, ours, rules, problems);
        } else if (a == Kind.OBJECT || a == Kind.ARRAY) {
            compareDataValues(path, aws, ours, problems); // headers, parameters, claims, cookies...
        }
    }

    private static void compareDataValues(String path, JsonNode aws, JsonNode ours, List<String> problems) {
        Set<Kind> awsKinds = EnumSet.noneOf(Kind.class);
        aws.elements().forEachRemaining(v -> awsKinds.add(Kind.of(v)));
        if (awsKinds.isEmpty()) {
            return; // nothing to learn from an empty example
        }
        String kinds = awsKinds.stream().map(k -> k.name().toLowerCase(Locale.ROOT))
                .collect(Collectors.joining(", ", "[", "]"));
        if (ours.isObject()) {
            ours.properties().forEach(e -> {
                if (!awsKinds.contains(Kind.of(e.getValue()))) {
                    problems.add(path + "." + e.getKey() + ": AWS's example has values of type " + kinds
                            + ", esb's event has " + Kind.of(e.getValue()).withArticle());
                }
            });
        } else {
            for (int i = 0; i < ours.size(); i++) {
                if (!awsKinds.contains(Kind.of(ours.get(i)))) {
                    problems.add(path + "[" + i + "]: AWS's example has elements of type " + kinds
                            + ", esb's event has " + Kind.of(ours.get(i)).withArticle());
                }
            }
        }
    }

    private static void assertSameValues(JsonNode aws, JsonNode ours, String... pointers) {
        for (String p : pointers) {
            assertThat(aws.at(p).isMissingNode()).as("AWS's example has %s", p).isFalse();
            assertThat(ours.at(p)).as("value at %s", p).isEqualTo(aws.at(p));
        }
    }

    private static JsonPointer pointer(String dottedPath) {
        return JsonPointer.compile("/" + dottedPath.replace(".", "/"));
    }

    private static JsonNode json(String s) {
        try {
            return MAPPER.readTree(s);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static JsonNode fixture(String resource, ObjectMapper mapper) throws IOException {
        try (InputStream in = ApiGatewayEventShapeTest.class.getClassLoader().getResourceAsStream(resource)) {
            assertThat(in).as(resource).isNotNull();
            return mapper.readTree(in);
        }
    }
}
