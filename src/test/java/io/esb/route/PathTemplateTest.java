package io.esb.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class PathTemplateTest {

    @ParameterizedTest
    @ValueSource(strings = {"/", "/api/hello", "/users/{id}", "/files/{proxy+}", "/a/{x}/b",
            "/v1/items.json", "/a/{_x-1}/{y}", "/{proxy+}", "/a/b~c:d@e;f=g,h!i$j&k'l(m)n*o+p"})
    void parsesValidTemplates(String template) {
        assertThat(PathTemplate.parse(template).template()).isEqualTo(template);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "''                    | path must not be empty",
            "api/hello             | path must start with '/'",
            "/api/hello/           | trailing slash is not allowed",
            "/a//b                 | empty path segment",
            "/files/{proxy+}/x     | greedy parameter {proxy+} must be the last segment",
            "/a/{id}/b/{id}        | duplicate parameter name 'id'",
            "/a/{id}/{id+}         | duplicate parameter name 'id'",
            "/a/../b               | '..' segments are not allowed",
            "/a/./b                | '.' segments are not allowed",
            "/a/{1x}               | invalid parameter name in '{1x}'",
            "/a/{}                 | invalid parameter name in '{}'",
            "/a/{+}                | invalid parameter name in '{+}'",
            "/a/b{c}               | invalid characters in segment 'b{c}'",
            "/a/b%20c              | invalid characters in segment 'b%20c'",
            "/a/b c                | invalid characters in segment 'b c'",
    })
    void rejectsInvalidTemplatesWithReason(String template, String reason) {
        assertThatThrownBy(() -> PathTemplate.parse(template))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(reason);
    }

    @Test
    void matchesLiteralsExactlyAndCaseSensitively() {
        PathTemplate t = PathTemplate.parse("/api/hello");
        assertThat(t.match(List.of("api", "hello"))).contains(Map.of());
        assertThat(t.match(List.of("api", "Hello"))).isEmpty();
        assertThat(t.match(List.of("api"))).isEmpty();
        assertThat(t.match(List.of("api", "hello", "x"))).isEmpty();
    }

    @Test
    void rootMatchesOnlyTheEmptyPath() {
        PathTemplate root = PathTemplate.parse("/");
        assertThat(root.match(List.of())).contains(Map.of());
        assertThat(root.match(List.of("a"))).isEmpty();
    }

    @Test
    void capturesParametersInTemplateOrder() {
        var params = PathTemplate.parse("/a/{x}/b/{y}").match(List.of("a", "1", "b", "two words")).orElseThrow();
        assertThat(params).containsExactly(Map.entry("x", "1"), Map.entry("y", "two words"));
    }

    @Test
    void greedyParameterCapturesOneOrMoreRemainingSegments() {
        PathTemplate t = PathTemplate.parse("/files/{proxy+}");
        assertThat(t.match(List.of("files", "a", "b", "c"))).contains(Map.of("proxy", "a/b/c"));
        assertThat(t.match(List.of("files", "a"))).contains(Map.of("proxy", "a"));
        assertThat(t.match(List.of("files"))).isEmpty();
        assertThat(t.matches(List.of("files"))).isFalse();
    }

    @Test
    void precedenceIsLiteralThenParamThenGreedyThenLonger() {
        List<PathTemplate> templates = new ArrayList<>(List.of(
                PathTemplate.parse("/{proxy+}"),
                PathTemplate.parse("/users/{proxy+}"),
                PathTemplate.parse("/users/{id}"),
                PathTemplate.parse("/users/{id}/posts"),
                PathTemplate.parse("/users/me"),
                PathTemplate.parse("/{a}/me")));
        templates.sort(null);
        assertThat(templates).extracting(PathTemplate::template).containsExactly(
                "/users/me", "/users/{id}/posts", "/users/{id}", "/users/{proxy+}", "/{a}/me", "/{proxy+}");
    }

    @Test
    void shapeErasesParameterNames() {
        assertThat(PathTemplate.parse("/a/{x}/b/{rest+}").shape()).isEqualTo("/a/{}/b/{+}");
        assertThat(PathTemplate.parse("/a/{y}/b/{p+}").shape()).isEqualTo("/a/{}/b/{+}");
        assertThat(PathTemplate.parse("/").shape()).isEqualTo("/");
    }

    @Test
    void splitsAndDecodesRequestPaths() {
        assertThat(PathTemplate.splitRequestPath("/")).contains(List.of());
        assertThat(PathTemplate.splitRequestPath("/users/42")).contains(List.of("users", "42"));
        assertThat(PathTemplate.splitRequestPath("/a%20b/caf%C3%A9/x+y")).contains(List.of("a b", "café", "x+y"));
        assertThat(PathTemplate.splitRequestPath("/.well-known/x")).contains(List.of(".well-known", "x"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "users", "/..", "/a/../b", "/a/./b", "/a/%2e%2e/b", "/a/%2E%2E", "/a/%2e",
            "/a/.%2e/b", "/a%2Fb", "/a%2fb", "/a%5Cb", "/a%5cb", "/a\\b", "/a//b", "/a/", "/a%00b", "/a%zz",
            "/a%4", "/a%", "/a%C3", "/a%FF"})
    void refusesPathsThatCouldEscapeOrAlias(String raw) {
        assertThat(PathTemplate.splitRequestPath(raw)).isEmpty();
    }
}
