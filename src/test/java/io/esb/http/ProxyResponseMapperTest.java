package io.esb.http;

import io.esb.route.PayloadFormat;

import static net.logstash.logback.argument.StructuredArguments.kv;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.esb.http.ProxyResponseMapper.MalformedResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import net.logstash.logback.argument.StructuredArgument;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

class ProxyResponseMapperTest {

    private static final String WARN_MESSAGE = "Failed to parse Lambda response body as JSON. Returning as string.";

    private final ProxyResponseMapper mapper = new ProxyResponseMapper(new ObjectMapper());
    private final Logger logger = (Logger) LoggerFactory.getLogger("io.esb.http.ProxyResponseMapper");
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private Level previousLevel;

    @BeforeEach
    void captureLogs() {
        previousLevel = logger.getLevel();
        logger.setLevel(Level.DEBUG);
        logs.start();
        logger.addAppender(logs);
    }

    @AfterEach
    void releaseLogs() {
        logger.detachAppender(logs);
        logger.setLevel(previousLevel);
    }

    private MappedResponse map(String json) {
        return mapper.map(json.getBytes(StandardCharsets.UTF_8), "fn");
    }

    private static String body(MappedResponse r) {
        return new String(r.body(), StandardCharsets.UTF_8);
    }

    @Test
    void proxyResponseWithJsonBody() {
        MappedResponse r = map("{\"statusCode\":201,\"headers\":{\"X-Id\":\"7\"},\"body\":\"{\\\"ok\\\":true}\"}");
        assertThat(r.status()).isEqualTo(201);
        assertThat(r.headers()).containsExactly(Map.entry("X-Id", "7"));
        assertThat(body(r)).isEqualTo("{\"ok\":true}");
        assertThat(r.contentType()).isEqualTo("application/json");
        assertThat(logs.list).isEmpty();
    }

    @Test
    void numericStringStatusCodeIsAccepted() {
        assertThat(map("{\"statusCode\":\"404\",\"body\":\"{}\"}").status()).isEqualTo(404);
    }

    @Test
    void absentBodyIsEmpty() {
        MappedResponse r = map("{\"statusCode\":204}");
        assertThat(r.status()).isEqualTo(204);
        assertThat(r.body()).isEmpty();
        assertThat(r.headers()).isEmpty();
        assertThat(logs.list).isEmpty();
    }

    @Test
    void contentTypeHeaderIsCaseInsensitiveAndFramingHeadersAreDropped() {
        MappedResponse r = map("{\"statusCode\":200,\"headers\":{\"content-TYPE\":\"text/html\","
                + "\"Content-Length\":\"999\",\"Transfer-Encoding\":\"chunked\",\"Connection\":\"close\","
                + "\"Cache-Control\":\"no-store\"},\"body\":\"<p>hi</p>\"}");
        assertThat(r.contentType()).isEqualTo("text/html");
        assertThat(r.headers()).containsExactly(Map.entry("Cache-Control", "no-store"));
        assertThat(body(r)).isEqualTo("<p>hi</p>");
    }

    @Test
    void v1HeadersAndMultiValueHeadersAreMergedAndIdenticalPairsAppearOnce() {
        MappedResponse r = map("{\"statusCode\":200,"
                + "\"multiValueHeaders\":{\"Set-Cookie\":[\"a=1\",\"b=2\"],\"X-Multi\":[\"m\"]},"
                + "\"headers\":{\"set-cookie\":\"a=1\",\"Set-Cookie\":\"c=3\",\"X-Single\":\"s\",\"X-Num\":5,"
                + "\"x-multi\":\"m2\"},"
                + "\"body\":\"{}\"}");
        assertThat(r.headers()).containsExactly(
                Map.entry("Set-Cookie", "a=1"), Map.entry("Set-Cookie", "b=2"), Map.entry("X-Multi", "m"),
                Map.entry("Set-Cookie", "c=3"), Map.entry("X-Single", "s"), Map.entry("X-Num", "5"),
                Map.entry("x-multi", "m2"));
        assertThat(r.headerValues("set-cookie")).containsExactly("a=1", "b=2", "c=3");
    }

    @Test
    void v1CookiesThroughMultiValueHeadersAreSeparateSetCookieHeaders() {
        MappedResponse r = map("{\"statusCode\":302,\"multiValueHeaders\":{\"Set-Cookie\":"
                + "[\"sid=abc; Path=/; HttpOnly\",\"theme=dark; Expires=Wed, 21 Oct 2015 07:28:00 GMT\"],"
                + "\"Location\":[\"/home\"]}}");
        assertThat(r.status()).isEqualTo(302);
        assertThat(r.headerValues("Set-Cookie"))
                .containsExactly("sid=abc; Path=/; HttpOnly", "theme=dark; Expires=Wed, 21 Oct 2015 07:28:00 GMT");
        assertThat(r.headerValues("Location")).containsExactly("/home");
    }

    @Test
    void v1IgnoresV2CookiesField() {
        MappedResponse r = map("{\"statusCode\":200,\"cookies\":[\"a=1\"],\"body\":\"{}\"}");
        assertThat(r.headerValues("Set-Cookie")).isEmpty();
    }

    @Test
    void twoArgumentMapIsV1() {
        byte[] result = "{\"statusCode\":200,\"multiValueHeaders\":{\"X\":[\"1\",\"2\"]},\"body\":\"{}\"}"
                .getBytes(StandardCharsets.UTF_8);
        assertThat(mapper.map(result, "fn").headers())
                .isEqualTo(mapper.map(result, "fn", PayloadFormat.V1).headers())
                .containsExactly(Map.entry("X", "1"), Map.entry("X", "2"));
    }

    @Test
    void base64BodyIsDecodedAndNotJsonChecked() {
        byte[] png = {(byte) 0x89, 'P', 'N', 'G', 0, (byte) 0xFF};
        MappedResponse r = map("{\"statusCode\":200,\"isBase64Encoded\":true,"
                + "\"headers\":{\"Content-Type\":\"image/png\"},\"body\":\""
                + Base64.getEncoder().encodeToString(png) + "\"}");
        assertThat(r.body()).isEqualTo(png);
        assertThat(r.contentType()).isEqualTo("image/png");
        assertThat(logs.list).isEmpty();
    }

    @Test
    void invalidBase64IsMalformed() {
        assertThatThrownBy(() -> map("{\"statusCode\":200,\"isBase64Encoded\":true,\"body\":\"not*base64!\"}"))
                .isInstanceOf(MalformedResponse.class)
                .hasMessageContaining("'fn'")
                .hasMessageContaining("not valid base64");
    }

    @Test
    void nonJsonBodyStringIsReturnedAndWarnedWithStructuredFields() {
        MappedResponse r = map("{\"statusCode\":200,\"body\":\"hello world\"}");
        assertThat(body(r)).isEqualTo("hello world");
        assertThat(r.status()).isEqualTo(200);

        assertThat(logs.list).hasSize(1);
        ILoggingEvent event = logs.list.get(0);
        assertThat(event.getLevel()).isEqualTo(Level.WARN);
        assertThat(event.getLoggerName()).isEqualTo("io.esb.http.ProxyResponseMapper");
        assertThat(event.getMessage()).isEqualTo(WARN_MESSAGE);
        assertThat(event.getFormattedMessage()).isEqualTo(WARN_MESSAGE);
        assertThat(event.getArgumentArray()).containsExactly(kv("snippet", "hello world"), kv("status_code", 200));
        assertThat(event.getArgumentArray()).allSatisfy(a -> assertThat(a).isInstanceOf(StructuredArgument.class));
        assertThat(event.getArgumentArray()).extracting(Object::toString)
                .containsExactly("snippet=hello world", "status_code=200");
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"a\":[1,{\"b\":\"c\\u00e9\"}],\"d\":null}", "[]", "42", " true ", "\"text\"", "null"})
    void aBodyThatIsOneJsonValueIsNotWarnedAbout(String body) throws Exception {
        MappedResponse r = map(new ObjectMapper().writeValueAsString(java.util.Map.of("statusCode", 200, "body", body)));
        assertThat(body(r)).isEqualTo(body);
        assertThat(logs.list).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"{} trailing", "{}{}", "[1,2", "{\"a\":}", "   ", "'single'", "{\"a\":1}}"})
    void aBodyThatIsNotExactlyOneJsonValueIsWarnedAbout(String body) throws Exception {
        MappedResponse r = map(new ObjectMapper().writeValueAsString(java.util.Map.of("statusCode", 200, "body", body)));
        assertThat(body(r)).isEqualTo(body);
        assertThat(logs.list).singleElement().satisfies(e -> assertThat(e.getMessage()).isEqualTo(WARN_MESSAGE));
    }

    @Test
    void warnSnippetIsTruncatedTo200Characters() {
        String longText = "x".repeat(150) + "y".repeat(150);
        MappedResponse r = map("{\"statusCode\":502,\"body\":\"" + longText + "\"}");
        assertThat(body(r)).isEqualTo(longText);
        assertThat(logs.list).singleElement().satisfies(e -> assertThat(e.getArgumentArray())
                .containsExactly(kv("snippet", longText.substring(0, 200)), kv("status_code", 502)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"message\":\"hi\"}", "[1,2,3]", "\"just a string\"", "42", "true", "null"})
    void nonProxyJsonComesBackAs200AsIs(String json) {
        MappedResponse r = map(json);
        assertThat(r.status()).isEqualTo(200);
        assertThat(body(r)).isEqualTo(json);
        assertThat(r.contentType()).isEqualTo("application/json");
        assertThat(r.headers()).isEmpty();
        assertThat(logs.list).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"hello", "", "{\"statusCode\":200", "{} trailing", "<html></html>"})
    void nonJsonResultIsMalformed(String raw) {
        assertThatThrownBy(() -> map(raw))
                .isInstanceOf(MalformedResponse.class)
                .hasMessage("Function 'fn' returned a result that is not JSON");
    }

    @ParameterizedTest
    @ValueSource(strings = {"\"abc\"", "200.5", "true", "null", "{}", "\"2oo\""})
    void statusCodeThatIsNotAnIntegerIsMalformed(String statusCode) {
        assertThatThrownBy(() -> map("{\"statusCode\":" + statusCode + ",\"body\":\"{}\"}"))
                .isInstanceOf(MalformedResponse.class)
                .hasMessageContaining("invalid statusCode")
                .hasMessageContaining("expected an integer");
    }

    @ParameterizedTest
    @ValueSource(strings = {"99", "600", "-1", "\"700\""})
    void statusCodeOutOfRangeIsMalformed(String statusCode) {
        assertThatThrownBy(() -> map("{\"statusCode\":" + statusCode + "}"))
                .isInstanceOf(MalformedResponse.class)
                .hasMessageContaining("expected 100-599");
    }

    @Test
    void structurallyWrongProxyFieldsAreMalformed() {
        assertThatThrownBy(() -> map("{\"statusCode\":200,\"body\":{\"a\":1}}"))
                .isInstanceOf(MalformedResponse.class).hasMessageContaining("non-string 'body'");
        assertThatThrownBy(() -> map("{\"statusCode\":200,\"multiValueHeaders\":{\"A\":\"b\"}}"))
                .isInstanceOf(MalformedResponse.class).hasMessageContaining("multiValueHeaders.A");
        assertThatThrownBy(() -> map("{\"statusCode\":200,\"headers\":[\"A\"]}"))
                .isInstanceOf(MalformedResponse.class).hasMessageContaining("'headers' that is not an object");
        assertThatThrownBy(() -> map("{\"statusCode\":200,\"headers\":{\"A\":{\"x\":1}}}"))
                .isInstanceOf(MalformedResponse.class).hasMessageContaining("header 'A'");
    }

    // ---- payload format 2.0 ----

    private MappedResponse mapV2(String json) {
        return mapper.map(json.getBytes(StandardCharsets.UTF_8), "fn", PayloadFormat.V2);
    }

    @Test
    void v2ResponseObject() {
        MappedResponse r = mapV2("{\"statusCode\":201,\"headers\":{\"X-Id\":\"7\",\"Content-Type\":\"text/plain\"},"
                + "\"body\":\"{\\\"ok\\\":true}\",\"isBase64Encoded\":false}");
        assertThat(r.status()).isEqualTo(201);
        assertThat(r.headers()).containsExactly(Map.entry("X-Id", "7"));
        assertThat(r.contentType()).isEqualTo("text/plain");
        assertThat(body(r)).isEqualTo("{\"ok\":true}");
        assertThat(logs.list).isEmpty();
    }

    @Test
    void v2CommaJoinedHeaderValuesPassAsGiven() {
        MappedResponse r = mapV2("{\"statusCode\":200,\"headers\":{\"Vary\":\"Accept,Origin\","
                + "\"Cache-Control\":\"no-cache, no-store\"}}");
        assertThat(r.headers()).containsExactly(
                Map.entry("Vary", "Accept,Origin"), Map.entry("Cache-Control", "no-cache, no-store"));
    }

    @Test
    void v2CookiesBecomeOneSetCookieHeaderEach() {
        MappedResponse r = mapV2("{\"statusCode\":200,\"cookies\":[\"a=1; Path=/\","
                + "\"b=2; Expires=Wed, 21 Oct 2015 07:28:00 GMT\"],\"headers\":{\"X-A\":\"x\"},\"body\":\"{}\"}");
        assertThat(r.headers()).containsExactly(
                Map.entry("X-A", "x"),
                Map.entry("Set-Cookie", "a=1; Path=/"),
                Map.entry("Set-Cookie", "b=2; Expires=Wed, 21 Oct 2015 07:28:00 GMT"));
        assertThat(r.headerValues("set-cookie")).hasSize(2);
    }

    @Test
    void v2SetCookieHeaderAndCookiesAreBothSent() {
        MappedResponse r = mapV2("{\"statusCode\":200,\"headers\":{\"Set-Cookie\":\"h=0\"},\"cookies\":[\"c=1\"]}");
        assertThat(r.headerValues("Set-Cookie")).containsExactly("h=0", "c=1");
    }

    @Test
    void v2IgnoresMultiValueHeaders() {
        MappedResponse r = mapV2("{\"statusCode\":200,\"multiValueHeaders\":{\"X\":[\"1\",\"2\"]},"
                + "\"headers\":{\"Y\":\"y\"}}");
        assertThat(r.headers()).containsExactly(Map.entry("Y", "y"));
    }

    @Test
    void v2NullAndEmptyCookiesAreFine() {
        assertThat(mapV2("{\"statusCode\":204,\"cookies\":null}").headers()).isEmpty();
        assertThat(mapV2("{\"statusCode\":204,\"cookies\":[]}").headers()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"message\":\"Hello from Lambda!\"}", "{ \"message\": \"spaced\" }", "[1,2,3]", "42",
            "true", "null", "{}"})
    void v2JsonWithoutStatusCodeIs200WithTheJsonAsBody(String json) {
        MappedResponse r = mapV2(json);
        assertThat(r.status()).isEqualTo(200);
        assertThat(body(r)).isEqualTo(json);
        assertThat(r.contentType()).isEqualTo("application/json");
        assertThat(r.headers()).isEmpty();
        assertThat(logs.list).isEmpty();
    }

    @Test
    void v2JsonStringResultIsSentAsItsText() {
        MappedResponse r = mapV2("\"Hello from Lambda!\"");
        assertThat(r.status()).isEqualTo(200);
        assertThat(body(r)).isEqualTo("Hello from Lambda!");
        assertThat(r.contentType()).isEqualTo("application/json");
        assertThat(logs.list).singleElement().satisfies(e -> {
            assertThat(e.getLevel()).isEqualTo(Level.WARN);
            assertThat(e.getMessage()).isEqualTo(WARN_MESSAGE);
            assertThat(e.getArgumentArray())
                    .containsExactly(kv("snippet", "Hello from Lambda!"), kv("status_code", 200));
        });
    }

    @Test
    void v2JsonStringHoldingJsonIsSentWithoutWarning() {
        MappedResponse r = mapV2("\"{\\\"a\\\":1}\"");
        assertThat(body(r)).isEqualTo("{\"a\":1}");
        assertThat(logs.list).isEmpty();
    }

    @Test
    void v2NonJsonBodyStringIsReturnedAndWarnedWithStructuredFields() {
        MappedResponse r = mapV2("{\"statusCode\":418,\"body\":\"hello world\"}");
        assertThat(body(r)).isEqualTo("hello world");
        assertThat(r.status()).isEqualTo(418);
        assertThat(logs.list).singleElement().satisfies(e -> {
            assertThat(e.getLevel()).isEqualTo(Level.WARN);
            assertThat(e.getLoggerName()).isEqualTo("io.esb.http.ProxyResponseMapper");
            assertThat(e.getFormattedMessage()).isEqualTo(WARN_MESSAGE);
            assertThat(e.getArgumentArray()).containsExactly(kv("snippet", "hello world"), kv("status_code", 418));
            assertThat(e.getArgumentArray()).extracting(Object::toString)
                    .containsExactly("snippet=hello world", "status_code=418");
        });
    }

    @Test
    void v2Base64BodyIsDecodedToBytes() {
        byte[] png = {(byte) 0x89, 'P', 'N', 'G', 0, (byte) 0xFF};
        MappedResponse r = mapV2("{\"statusCode\":200,\"isBase64Encoded\":true,"
                + "\"headers\":{\"content-type\":\"image/png\"},\"body\":\""
                + Base64.getEncoder().encodeToString(png) + "\"}");
        assertThat(r.body()).isEqualTo(png);
        assertThat(r.contentType()).isEqualTo("image/png");
        assertThat(logs.list).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"hello", "", "{\"statusCode\":200", "<html></html>"})
    void v2NonJsonResultIsMalformed(String raw) {
        assertThatThrownBy(() -> mapV2(raw))
                .isInstanceOf(MalformedResponse.class)
                .hasMessage("Function 'fn' returned a result that is not JSON");
    }

    @Test
    void v2StructurallyWrongResponsesAreMalformed() {
        assertThatThrownBy(() -> mapV2("{\"statusCode\":200,\"cookies\":\"a=1\"}"))
                .isInstanceOf(MalformedResponse.class).hasMessageContaining("'cookies' that is not an array");
        assertThatThrownBy(() -> mapV2("{\"statusCode\":200,\"cookies\":[{\"a\":1}]}"))
                .isInstanceOf(MalformedResponse.class).hasMessageContaining("non-string entry in 'cookies'");
        assertThatThrownBy(() -> mapV2("{\"statusCode\":200,\"body\":{\"a\":1}}"))
                .isInstanceOf(MalformedResponse.class).hasMessageContaining("non-string 'body'");
        assertThatThrownBy(() -> mapV2("{\"statusCode\":\"abc\"}"))
                .isInstanceOf(MalformedResponse.class).hasMessageContaining("invalid statusCode");
        assertThatThrownBy(() -> mapV2("{\"statusCode\":200,\"isBase64Encoded\":true,\"body\":\"*\"}"))
                .isInstanceOf(MalformedResponse.class).hasMessageContaining("not valid base64");
    }

    @Test
    void v2FramingHeadersAreDropped() {
        MappedResponse r = mapV2("{\"statusCode\":200,\"headers\":{\"Content-Length\":\"3\",\"Connection\":\"close\","
                + "\"X-Ok\":\"1\"}}");
        assertThat(r.headers()).containsExactly(Map.entry("X-Ok", "1"));
    }

    @Test
    void payloadFormatParsesAwsSpellings() {
        assertThat(PayloadFormat.parse("1.0")).isEqualTo(PayloadFormat.V1);
        assertThat(PayloadFormat.parse("2.0")).isEqualTo(PayloadFormat.V2);
        assertThat(PayloadFormat.parse(" v2 ")).isEqualTo(PayloadFormat.V2);
        assertThat(PayloadFormat.parse("1")).isEqualTo(PayloadFormat.V1);
        assertThat(PayloadFormat.V2.version()).isEqualTo("2.0");
        assertThatThrownBy(() -> PayloadFormat.parse("3.0"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected 1.0 or 2.0");
        assertThatThrownBy(() -> PayloadFormat.parse(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void nullHeaderFieldsAreIgnored() {
        MappedResponse r = map("{\"statusCode\":200,\"headers\":null,\"multiValueHeaders\":null,\"body\":null}");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.headers()).isEqualTo(List.of());
        assertThat(r.body()).isEmpty();
    }
}
