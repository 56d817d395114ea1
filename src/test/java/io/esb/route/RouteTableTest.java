package io.esb.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.esb.route.RouteTable.Entry;
import io.esb.route.RouteTable.Found;
import io.esb.route.RouteTable.Match;
import io.esb.route.RouteTable.MethodNotAllowed;
import io.esb.route.RouteTable.NotFound;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RouteTableTest {

    private static Entry route(String function, String method, String path) {
        return new Entry(function, method, PathTemplate.parse(path));
    }

    private static Found found(Match match) {
        assertThat(match).isInstanceOf(Found.class);
        return (Found) match;
    }

    @Test
    void findsLiteralRouteWithNoParameters() {
        RouteTable table = RouteTable.of(List.of(route("hello", "GET", "/api/hello")));
        Found f = found(table.lookup("GET", "/api/hello"));
        assertThat(f.entry().functionName()).isEqualTo("hello");
        assertThat(f.pathParameters()).isEmpty();
    }

    @Test
    void extractsDecodedPathParameters() {
        RouteTable table = RouteTable.of(List.of(route("user", "GET", "/users/{id}/posts/{post}")));
        Found f = found(table.lookup("GET", "/users/a%20b/posts/7"));
        assertThat(f.pathParameters()).containsExactly(Map.entry("id", "a b"), Map.entry("post", "7"));
    }

    @Test
    void greedyProxyCapturesTheRest() {
        RouteTable table = RouteTable.of(List.of(route("files", "ANY", "/files/{proxy+}")));
        Found f = found(table.lookup("PUT", "/files/a/b/c"));
        assertThat(f.entry().functionName()).isEqualTo("files");
        assertThat(f.pathParameters()).containsExactly(Map.entry("proxy", "a/b/c"));
        assertThat(table.lookup("PUT", "/files")).isEqualTo(new NotFound());
    }

    @Test
    void mostSpecificTemplateWins() {
        RouteTable table = RouteTable.of(List.of(
                route("proxy", "GET", "/users/{proxy+}"),
                route("byId", "GET", "/users/{id}"),
                route("me", "GET", "/users/me")));
        assertThat(found(table.lookup("GET", "/users/me")).entry().functionName()).isEqualTo("me");
        Found byId = found(table.lookup("GET", "/users/42"));
        assertThat(byId.entry().functionName()).isEqualTo("byId");
        assertThat(byId.pathParameters()).containsExactly(Map.entry("id", "42"));
        Found proxy = found(table.lookup("GET", "/users/42/posts"));
        assertThat(proxy.entry().functionName()).isEqualTo("proxy");
        assertThat(proxy.pathParameters()).containsExactly(Map.entry("proxy", "42/posts"));
    }

    @Test
    void exactMethodBeatsAnyOnTheSameTemplate() {
        RouteTable table = RouteTable.of(List.of(
                route("catchAll", "ANY", "/items"),
                route("create", "POST", "/items")));
        assertThat(found(table.lookup("POST", "/items")).entry().functionName()).isEqualTo("create");
        assertThat(found(table.lookup("DELETE", "/items")).entry().functionName()).isEqualTo("catchAll");
        assertThat(found(table.lookup("GET", "/items")).entry().functionName()).isEqualTo("catchAll");
    }

    @Test
    void methodNotAllowedWhenPathMatchesButNoRouteAcceptsTheMethod() {
        RouteTable table = RouteTable.of(List.of(
                route("get", "GET", "/items/{id}"),
                route("put", "PUT", "/items/{id}"),
                route("other", "POST", "/other")));
        assertThat(table.lookup("DELETE", "/items/1"))
                .isEqualTo(new MethodNotAllowed(java.util.Set.of("GET", "HEAD", "PUT")));
        assertThat(table.lookup("DELETE", "/nothing")).isEqualTo(new NotFound());
    }

    @Test
    void lessSpecificTemplateAcceptingTheMethodIsUsedAndAllowedUnitesAllMatches() {
        RouteTable table = RouteTable.of(List.of(
                route("me", "GET", "/users/me"),
                route("update", "PATCH", "/users/{id}")));
        Found f = found(table.lookup("PATCH", "/users/me"));
        assertThat(f.entry().functionName()).isEqualTo("update");
        assertThat(f.pathParameters()).containsExactly(Map.entry("id", "me"));
        assertThat(table.lookup("POST", "/users/me"))
                .isEqualTo(new MethodNotAllowed(java.util.Set.of("GET", "HEAD", "PATCH")));
    }

    @Test
    void headFallsBackToGetButPrefersHeadOrAny() {
        RouteTable getOnly = RouteTable.of(List.of(route("get", "GET", "/a")));
        assertThat(found(getOnly.lookup("HEAD", "/a")).entry().functionName()).isEqualTo("get");

        RouteTable withHead = RouteTable.of(List.of(route("get", "GET", "/a"), route("head", "HEAD", "/a")));
        assertThat(found(withHead.lookup("HEAD", "/a")).entry().functionName()).isEqualTo("head");

        RouteTable withAny = RouteTable.of(List.of(route("get", "GET", "/a"), route("any", "ANY", "/a")));
        assertThat(found(withAny.lookup("HEAD", "/a")).entry().functionName()).isEqualTo("any");
    }

    @Test
    void matchingIsCaseSensitive() {
        RouteTable table = RouteTable.of(List.of(route("hello", "GET", "/api/hello")));
        assertThat(table.lookup("GET", "/API/hello")).isEqualTo(new NotFound());
    }

    @Test
    void sameShapeWithDifferentNamesCanServeDifferentMethods() {
        RouteTable table = RouteTable.of(List.of(
                route("get", "GET", "/a/{x}"),
                route("put", "PUT", "/a/{y}")));
        assertThat(found(table.lookup("GET", "/a/1")).pathParameters()).containsExactly(Map.entry("x", "1"));
        assertThat(found(table.lookup("PUT", "/a/1")).pathParameters()).containsExactly(Map.entry("y", "1"));
    }

    @Test
    void rejectsDuplicateMethodAndShapeNamingBothFunctions() {
        assertThatThrownBy(() -> RouteTable.of(List.of(
                route("first", "GET", "/a/{x}"),
                route("second", "GET", "/a/{y}"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'first'")
                .hasMessageContaining("'second'")
                .hasMessageContaining("GET /a/{y}")
                .hasMessageContaining("GET /a/{x}");
    }

    @Test
    void anyConflictsOnlyWithAny() {
        RouteTable ok = RouteTable.of(List.of(route("any", "ANY", "/a"), route("get", "GET", "/a")));
        assertThat(ok.entries()).hasSize(2);
        assertThatThrownBy(() -> RouteTable.of(List.of(route("one", "ANY", "/a"), route("two", "ANY", "/a"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'one'").hasMessageContaining("'two'").hasMessageContaining("ANY /a");
    }

    @Test
    void rejectsUnknownOrLowerCaseMethods() {
        assertThatThrownBy(() -> route("f", "get", "/a"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Invalid method 'get' for function 'f'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/files/../secret", "/files/%2e%2e/secret", "/files/%2E%2E", "/files/a%2Fb",
            "/files/a%2fb", "/files/a%5Cb", "/files//a", "/files/a%00", "/files/a/"})
    void traversalAndEncodedSeparatorsAreNotRoutable(String rawPath) {
        RouteTable table = RouteTable.of(List.of(
                route("files", "ANY", "/files/{proxy+}"),
                route("root", "ANY", "/{proxy+}")));
        assertThat(table.lookup("GET", rawPath)).isEqualTo(new NotFound());
    }

    @Test
    void rootRoute() {
        RouteTable table = RouteTable.of(List.of(route("root", "GET", "/"), route("all", "GET", "/{proxy+}")));
        assertThat(found(table.lookup("GET", "/")).entry().functionName()).isEqualTo("root");
        assertThat(found(table.lookup("GET", "/x")).entry().functionName()).isEqualTo("all");
    }
}
