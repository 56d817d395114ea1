package io.esb.http;

import akka.http.javadsl.model.ContentTypes;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.server.PathMatcher0;
import akka.http.javadsl.server.PathMatchers;
import akka.http.javadsl.server.Route;
import io.esb.auth.JwtAuth;
import io.esb.auth.LoginResult;

import java.nio.charset.StandardCharsets;

import static akka.http.javadsl.server.Directives.completeWithFuture;
import static akka.http.javadsl.server.Directives.optionalHeaderValueByName;
import static akka.http.javadsl.server.Directives.path;
import static akka.http.javadsl.server.Directives.post;
import static io.esb.http.RequestScope.scoped;

/** {@code POST /user/auth/v1}: trades an API key and a user's password for a JWT (other methods fall through to the routes). */
final class LoginRoutes {
    /** Whether this surface may answer the raw {@code path} (over-claiming only costs the fast path in {@link GatewayHttp}). */
    static boolean mayAnswer(String path) {
        return path.startsWith(JwtAuth.LOGIN_PATH);
    }
    private static final PathMatcher0 LOGIN = PathMatchers.separateOnSlashes(JwtAuth.LOGIN_PATH.substring(1));
    private static final int MAX_BODY_BYTES = 64 * 1024;

    /** Null when {@code esb.auth.jwt-secret} is not set. */
    private final JwtAuth auth;
    private final RequestBodies bodies;

    LoginRoutes(JwtAuth auth, RequestBodies bodies) {
        this.auth = auth;
        this.bodies = bodies;
    }

    Route route() {
        return path(LOGIN, () -> post(() -> scoped(this::login)));
    }

    private Route login(RequestScope scope) {
        var request = scope.request();
        if (auth == null) {
            return bodies.done(request, JsonResponses.error(404, "Authentication is not configured (esb.auth.jwt-secret)"));
        }
        return optionalHeaderValueByName(JwtAuth.API_KEY_HEADER, apiKey -> completeWithFuture(
                bodies.read(request, MAX_BODY_BYTES).thenApply(body -> body == null ? ErrorResponses.bodyTooLarge(MAX_BODY_BYTES)
                        : answer(auth.login(apiKey.orElse(null), body)))));
    }

    private static HttpResponse answer(LoginResult result) {
        if (result instanceof LoginResult.Issued issued) {
            return HttpResponse.create().withStatus(200).withEntity(ContentTypes.APPLICATION_JSON,
                    JwtAuth.loginResponseJson(issued).getBytes(StandardCharsets.UTF_8));
        }
        var rejected = (LoginResult.Rejected) result;
        return JsonResponses.error(rejected.status(), rejected.message());
    }
}
