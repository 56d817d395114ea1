package io.esb.http;

import akka.http.javadsl.model.AttributeKey;
import akka.http.javadsl.model.AttributeKeys;
import akka.http.javadsl.model.HttpRequest;
import akka.http.javadsl.server.Route;
import io.esb.observability.AccessLog;
import io.esb.observability.RequestIds;

import java.util.function.Function;

import static akka.http.javadsl.server.Directives.extractRequest;

/**
 * What one request carries through the routes: its id, its access-log entry (the routes fill in the function and
 * the cold start) and its path as the client sent it. The gateway makes it once, on arrival, and attaches it to the
 * request, so the route tree can be built once and each leaf reads it with {@link #scoped}.
 *
 * @param path the still percent-encoded path, so encoded slashes cannot pass for separators
 */
record RequestScope(HttpRequest request, String path, String requestId, AccessLog.Entry access) {

    private static final AttributeKey<RequestScope> KEY = AttributeKey.create("esb-request-scope", RequestScope.class);

    /** The request as the routes see it: carrying its scope. */
    HttpRequest attached() {
        return request.addAttribute(KEY, this);
    }

    /** A route that needs the request's scope; one made here if the request came without (a route run on its own). */
    static Route scoped(Function<RequestScope, Route> inner) {
        return extractRequest(request -> inner.apply(request.getAttribute(KEY).orElseGet(() -> of(request))));
    }

    static RequestScope of(HttpRequest request) {
        var requestId = RequestIds.fromHeaderOrNew(request.getHeader("X-Request-Id").map(h -> h.value()).orElse(null));
        var path = rawPath(request);
        var access = new AccessLog.Entry(request.method().value(), path, clientIp(request),
                request.getHeader("User-Agent").map(h -> h.value()).orElse(""), requestId);
        return new RequestScope(request, path, requestId, access);
    }

    String method() {
        return request.method().value();
    }

    /** The request target as the client sent it (Akka's Raw-Request-URI header), query included. */
    String clientTarget() {
        return request.getHeader("Raw-Request-URI").map(h -> h.value()).orElse(path);
    }

    static String rawPath(HttpRequest request) {
        var scalaUri = (akka.http.scaladsl.model.Uri) request.getUri().asScala();
        var path = scalaUri.path().toString();
        return path.isEmpty() ? "/" : path;
    }

    static String clientIp(HttpRequest request) {
        return request.getAttribute(AttributeKeys.remoteAddress)
                .flatMap(address -> address.getAddress())
                .map(address -> address.getHostAddress())
                .orElse("127.0.0.1");
    }
}
