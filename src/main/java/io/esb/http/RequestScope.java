package io.esb.http;

import akka.http.javadsl.model.AttributeKeys;
import akka.http.javadsl.model.HttpRequest;
import io.esb.observability.AccessLog;
import io.esb.observability.RequestIds;

/**
 * What one request carries through the routes: its id, its access-log entry (the routes fill in the function and
 * the cold start) and its path as the client sent it.
 *
 * @param path the still percent-encoded path, so encoded slashes cannot pass for separators
 */
record RequestScope(HttpRequest request, String path, String requestId, AccessLog.Entry access) {

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
