package io.esb.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.esb.testing.Docker;
import io.esb.testing.GatewayUnderTest;
import io.esb.testing.LogCapture;
import io.esb.testing.RequiresDocker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;

import static io.esb.testing.GatewayUnderTest.JSON;
import static io.esb.testing.GatewayUnderTest.json;
import static org.assertj.core.api.Assertions.assertThat;

/** API-Gateway-style routes over real HTTP, in both payload formats, against real containers. */
@ExtendWith(RequiresDocker.class)
@Timeout(180)
class RoutesIT {
    static final String INSTANCE = GatewayUnderTest.newInstanceId("it-routes");
    static final String SECRET = "0123456789abcdef0123456789abcdef-test";
    static GatewayUnderTest gw;
    static LogCapture logs;

    @BeforeAll
    static void start() throws Exception {
        logs = new LogCapture();
        gw = GatewayUnderTest.start(INSTANCE, """
                esb.http.base-path = "/prod"
                esb.http.stage-variables { color = "blue" }
                esb.auth { jwt-secret = "%s", api-keys = ["key-1"], users { alice = "wonderland" } }
                esb.functions.v2 {
                  image = "esb-fixture:latest"
                  timeout = 3s
                  routes = [
                    { method = "ANY", path = "/v2/{proxy+}", payload-format = "2.0" },
                    { method = "GET", path = "/secure/v2", payload-format = "2.0", auth = "jwt" }
                  ]
                }
                esb.functions.secure {
                  image = "esb-fixture:latest"
                  routes = [ { method = "GET", path = "/secure/v1", auth = "jwt" } ]
                }
                """.formatted(SECRET));
    }

    @AfterAll
    static void stop() {
        GatewayUnderTest.stopAndClean(gw, logs, INSTANCE);
    }

    private static HttpResponse<byte[]> send(HttpRequest.Builder builder) throws Exception {
        return gw.http.send(builder.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(gw.url(path)));
    }

    private static JsonNode echoedEvent(HttpResponse<byte[]> response) throws Exception {
        assertThat(response.statusCode()).as(new String(response.body(), StandardCharsets.UTF_8)).isEqualTo(200);
        return JSON.readTree(response.body()).get("echo");
    }

    private static String respond(String responseJson) {
        return "{\"action\":\"respond\",\"response\":" + responseJson + "}";
    }

    @Test
    void restV1EventCarriesStageVariablesAndTheBasePathIsStripped() throws Exception {
        var event = echoedEvent(send(request("/prod/fx/items/7?q=a").header("Cookie", "a=1; b=2")));
        assertThat(event.get("resource").asText()).isEqualTo("/fx/{proxy+}");
        assertThat(event.get("path").asText()).isEqualTo("/fx/items/7");
        assertThat(event.get("pathParameters").get("proxy").asText()).isEqualTo("items/7");
        assertThat(event.get("stageVariables").get("color").asText()).isEqualTo("blue");
        assertThat(event.get("requestContext").get("stage").asText()).isEqualTo("local");
        assertThat(event.get("headers").get("Cookie").asText()).isEqualTo("a=1; b=2");
        // Outside the base path nothing is routed.
        var outside = send(request("/fx/items/7"));
        assertThat(outside.statusCode()).isEqualTo(404);
        assertThat(JSON.readTree(outside.body()).get("message").asText()).contains("/prod");
    }

    @Test
    void httpApiV2EventHasItsOwnShape() throws Exception {
        var event = echoedEvent(send(request("/prod/v2/a/b?x=1&x=2&y=3").header("Cookie", "c1=v1; c2=v2")
                .header("X-Multi", "one").method("PATCH", HttpRequest.BodyPublishers.ofString("{\"k\":1}"))));
        assertThat(event.get("version").asText()).isEqualTo("2.0");
        assertThat(event.get("routeKey").asText()).isEqualTo("ANY /v2/{proxy+}");
        assertThat(event.get("rawPath").asText()).isEqualTo("/prod/v2/a/b");
        assertThat(event.get("rawQueryString").asText()).isEqualTo("x=1&x=2&y=3");
        assertThat(event.get("queryStringParameters").get("x").asText()).isEqualTo("1,2");
        assertThat(event.get("cookies").toString()).isEqualTo("[\"c1=v1\",\"c2=v2\"]");
        assertThat(event.get("headers").has("cookie")).isFalse();
        assertThat(event.get("headers").get("x-multi").asText()).isEqualTo("one");
        assertThat(event.get("pathParameters").get("proxy").asText()).isEqualTo("a/b");
        assertThat(event.get("stageVariables").get("color").asText()).isEqualTo("blue");
        var http = event.get("requestContext").get("http");
        assertThat(http.get("method").asText()).isEqualTo("PATCH");
        assertThat(http.get("sourceIp").asText()).isEqualTo("127.0.0.1");
        assertThat(event.get("body").asText()).isEqualTo("{\"k\":1}");
        assertThat(event.get("isBase64Encoded").asBoolean()).isFalse();
    }

    @Test
    void binaryBodiesTravelBase64BothWays() throws Exception {
        var bytes = new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1, (byte) 0x80};
        var event = echoedEvent(send(request("/prod/fx/bin").POST(HttpRequest.BodyPublishers.ofByteArray(bytes))
                .header("Content-Type", "application/octet-stream")));
        assertThat(event.get("isBase64Encoded").asBoolean()).isTrue();
        assertThat(Base64.getDecoder().decode(event.get("body").asText())).isEqualTo(bytes);

        var encoded = Base64.getEncoder().encodeToString(bytes);
        var response = send(request("/prod/fx/bin").POST(HttpRequest.BodyPublishers.ofString(respond(
                "{\"statusCode\":200,\"isBase64Encoded\":true,\"headers\":{\"Content-Type\":\"image/png\"},\"body\":\"" + encoded + "\"}"))));
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("image/png");
        assertThat(response.body()).isEqualTo(bytes);
    }

    @Test
    void cookiesAndMultiValueHeadersReachTheClient() throws Exception {
        var v1 = send(request("/prod/fx/c").POST(HttpRequest.BodyPublishers.ofString(respond(
                "{\"statusCode\":201,\"multiValueHeaders\":{\"Set-Cookie\":[\"a=1\",\"b=2\"],\"X-Tag\":[\"x\",\"y\"]},\"body\":\"{}\"}"))));
        assertThat(v1.statusCode()).isEqualTo(201);
        assertThat(v1.headers().allValues("Set-Cookie")).containsExactly("a=1", "b=2");
        assertThat(v1.headers().allValues("X-Tag")).containsExactly("x", "y");

        var v2 = send(request("/prod/v2/c").POST(HttpRequest.BodyPublishers.ofString(respond(
                "{\"statusCode\":200,\"cookies\":[\"s=1; HttpOnly\",\"t=2\"],\"headers\":{\"X-One\":\"1\"},\"body\":\"ok\"}"))));
        assertThat(v2.statusCode()).isEqualTo(200);
        assertThat(v2.headers().allValues("Set-Cookie")).containsExactly("s=1; HttpOnly", "t=2");
        assertThat(v2.headers().firstValue("X-One")).hasValue("1");
    }

    @Test
    void httpApiResultThatIsNotAResponseObjectIsTheBodyWith200() throws Exception {
        var response = send(request("/prod/v2/plain").POST(HttpRequest.BodyPublishers.ofString(respond("{\"just\":\"data\"}"))));
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(JSON.readTree(response.body()).get("just").asText()).isEqualTo("data");
    }

    @Test
    void headAndOptionsAreRouted() throws Exception {
        var head = send(request("/prod/fx/h").method("HEAD", HttpRequest.BodyPublishers.noBody()));
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
        var options = echoedEvent(send(request("/prod/fx/o").method("OPTIONS", HttpRequest.BodyPublishers.noBody())));
        assertThat(options.get("httpMethod").asText()).isEqualTo("OPTIONS");
    }

    @Test
    void functionFailuresAreApiGatewayErrorsWithTheDetailOnlyInTheLog() throws Exception {
        var thrown = send(request("/prod/fx/t?action=throw&message=secret-detail"));
        assertThat(thrown.statusCode()).isEqualTo(502);
        assertThat(new String(thrown.body(), StandardCharsets.UTF_8)).isEqualTo("{\"message\":\"Internal server error\"}");

        var malformed = send(request("/prod/fx/m").POST(HttpRequest.BodyPublishers.ofString(respond("{\"statusCode\":\"abc\"}"))));
        assertThat(malformed.statusCode()).isEqualTo(502);
        assertThat(JSON.readTree(malformed.body()).get("message").asText()).isEqualTo("Internal server error");
        assertThat(logs.withMessage("Function returned a malformed proxy response")).isNotEmpty();

        var timedOut = send(request("/prod/fx/s?action=sleep&ms=5000"));
        assertThat(timedOut.statusCode()).isEqualTo(504);
        assertThat(JSON.readTree(timedOut.body()).get("message").asText()).isEqualTo("Endpoint request timed out");
        assertThat(logs.withMessage("Function failed behind an API route").stream().map(LogCapture::fields))
                .anySatisfy(f -> assertThat(f).containsEntry("error_type", "IllegalStateException"))
                .anySatisfy(f -> assertThat(f).containsEntry("error_type", "Sandbox.Timedout"));
    }

    private static String login(String apiKey, String user, String password, int expectedStatus) throws Exception {
        var response = send(request("/user/auth/v1").header("x-api-key", apiKey).POST(HttpRequest.BodyPublishers.ofString(
                "{\"AuthParameters\":{\"USERNAME\":\"" + user + "\",\"PASSWORD\":\"" + password + "\"}}")));
        assertThat(response.statusCode()).isEqualTo(expectedStatus);
        var body = JSON.readTree(response.body());
        return expectedStatus == 200 ? body.get("AuthenticationResult").get("IdToken").asText() : body.get("message").asText();
    }

    @Test
    void jwtProtectedRoutesNeedAValidToken() throws Exception {
        assertThat(login("wrong-key", "alice", "wonderland", 401)).isNotBlank();
        assertThat(login("key-1", "alice", "bad", 401)).isNotBlank();
        var token = login("key-1", "alice", "wonderland", 200);

        var v1 = echoedEvent(send(request("/prod/secure/v1").header("Authorization", "Bearer " + token)));
        assertThat(v1.get("requestContext").get("authorizer").get("claims").get("cognito:username").asText()).isEqualTo("alice");
        var v2 = echoedEvent(send(request("/prod/secure/v2").header("Authorization", "Bearer " + token)));
        assertThat(v2.get("requestContext").get("authorizer").get("jwt").get("claims").get("cognito:username").asText()).isEqualTo("alice");

        var missing = send(request("/prod/secure/v1"));
        assertThat(missing.statusCode()).isEqualTo(401);
        assertThat(JSON.readTree(missing.body()).get("message").asText()).isEqualTo("Unauthorized");
        var parts = token.split("\\.");
        var forged = parts[0] + "." + parts[1] + "." + Base64.getUrlEncoder().withoutPadding().encodeToString("forged".getBytes());
        var bad = send(request("/prod/secure/v1").header("Authorization", "Bearer " + forged));
        assertThat(bad.statusCode()).isEqualTo(401);
        assertThat(JSON.readTree(bad.body()).get("reason").asText()).isEqualTo("Invalid token");
    }
}
