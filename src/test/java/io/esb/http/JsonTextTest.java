package io.esb.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link JsonText} says what Jackson says: one JSON value or not. */
class JsonTextTest {
    private static final JsonFactory JACKSON = new JsonFactory();

    private static boolean jackson(String text) {
        try (JsonParser parser = JACKSON.createParser(text)) {
            if (parser.nextToken() == null) {
                return false;
            }
            parser.skipChildren();
            return parser.nextToken() == null;
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean scan(String text) {
        return JsonText.isOneValue(text.getBytes(StandardCharsets.UTF_8));
    }

    @ParameterizedTest
    @ValueSource(strings = {"{}", "[]", "0", "-0", "12", "-1.5e+10", "1E5", "0.25", "true", "false", "null", "\"\"", " \t\r\n{ } \n",
            "{\"a\":[1,{\"b\":\"c\\u00e9\\n\\\"\\\\\\/\"}],\"d\":null}", "[[[]]]", "\"é ü 中 😀\"", "{\"k\" : [ 1 , 2 ] }"})
    void oneJsonValue(String text) {
        assertThat(jackson(text)).as("jackson on %s", text).isTrue();
        assertThat(scan(text)).as(text).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "{} trailing", "{}{}", "[1,2", "{\"a\":}", "'single'", "{\"a\":1}}", "01", "1.", ".5", "-", "1e",
            "+1", "tru", "nul", "True", "[1,]", "{\"a\":1,}", "{a:1}", "\"open", "\"bad \\x escape\"", "\"\\u12g4\"", "\"tab\there\"",
            "NaN", "[1 2]", "{\"a\" 1}", "{,}", "[,1]", "\"a\" \"b\"", "0x10", "1 2"})
    void notOneJsonValue(String text) {
        assertThat(jackson(text)).as("jackson on %s", text).isFalse();
        assertThat(scan(text)).as(text).isFalse();
    }

    @Test
    void nestingPastTheLimitIsNotJson() {
        assertThat(scan("[".repeat(JsonText.MAX_DEPTH) + "]".repeat(JsonText.MAX_DEPTH))).isTrue();
        assertThat(scan("[".repeat(JsonText.MAX_DEPTH + 1) + "]".repeat(JsonText.MAX_DEPTH + 1))).isFalse();
    }

    /** Random mutations of valid documents: each verdict must be Jackson's. */
    @Test
    void agreesWithJacksonOnMutatedDocuments() {
        var random = new Random(17);
        var seeds = new String[] {"{\"a\":[1,2.5,-3e2,{\"b\":\"x\\\"y\"}],\"c\":true,\"d\":null}", "[\"s\",{},[],0,false]", "\"\\u00e9\""};
        var alphabet = "{}[]\":,.-+eE0123456789tfn \\u\"ab".toCharArray();
        var disagreements = new ArrayList<String>();
        for (int k = 0; k < 20_000; k++) {
            var text = new StringBuilder(seeds[random.nextInt(seeds.length)]);
            for (int edits = 1 + random.nextInt(3); edits > 0; edits--) {
                int at = random.nextInt(text.length() + 1);
                switch (random.nextInt(3)) {
                    case 0 -> text.insert(at, alphabet[random.nextInt(alphabet.length)]);
                    case 1 -> { if (at < text.length()) text.deleteCharAt(at); }
                    default -> { if (at < text.length()) text.setCharAt(at, alphabet[random.nextInt(alphabet.length)]); }
                }
            }
            var candidate = text.toString();
            if (jackson(candidate) != scan(candidate)) {
                disagreements.add(candidate);
            }
        }
        assertThat(disagreements).isEmpty();
    }
}
