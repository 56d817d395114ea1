package io.esb.route;


/**
 * One API-Gateway-style route: an upper-case HTTP method (or {@code ANY}), a path template, the proxy payload
 * format its function receives, and whether callers need a JWT from {@code POST /user/auth/v1}.
 */
public record RouteSettings(String method, String path, PayloadFormat payloadFormat, boolean jwtAuth) {
    public RouteSettings(String method, String path) {
        this(method, path, PayloadFormat.V1, false);
    }
}
