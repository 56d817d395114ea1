package io.esb.http;

import io.esb.route.PayloadFormat;
import io.esb.route.RouteTable;

import akka.http.javadsl.model.ContentType;
import akka.http.javadsl.model.ContentTypes;
import akka.http.javadsl.model.HttpEntities;
import akka.http.javadsl.model.HttpHeader;
import akka.http.javadsl.model.HttpMethods;
import akka.http.javadsl.model.HttpRequest;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.model.headers.RawHeader;
import akka.http.javadsl.server.Route;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.esb.auth.JwtAuth;
import io.esb.auth.VerifyResult;
import io.esb.config.EsbSettings;
import io.esb.config.FunctionSettings;
import io.esb.function.FunctionTable;
import io.esb.function.Invocation;
import io.esb.function.LambdaOutcome;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

import static akka.http.javadsl.server.Directives.completeWithFuture;
import static io.esb.http.RequestScope.scoped;
import static net.logstash.logback.argument.StructuredArguments.kv;

/**
 * The configured API-Gateway-style routes, under {@code esb.http.base-path}: the request becomes a REST (v1) or HTTP
 * API (v2) proxy event, optionally behind JWT auth, and the function's proxy response becomes the answer. The
 * templates change with each live reload, so they are matched by the function table's {@link RouteTable}, not by
 * directives; this surface is the last one tried and always answers (404 and 405 when nothing matches).
 */
final class ProxyRoutes {
    /** The gateway's HTTP logger, as before the split: operators filter on it. */
    private static final Logger log = LoggerFactory.getLogger(GatewayHttp.class);
    /** Headers Akka adds for the gateway's own use; functions never see them. */
    private static final Set<String> INTERNAL_HEADERS = Set.of("timeout-access", "remote-address", "raw-request-uri");
    private static final int KEPT_CONTENT_TYPES = 256;
    private static final java.util.concurrent.ConcurrentHashMap<String, ContentType> CONTENT_TYPES = new java.util.concurrent.ConcurrentHashMap<>();

    private final EsbSettings settings;
    private final Supplier<FunctionTable> functions;
    private final FunctionInvoker invoker;
    private final RequestBodies bodies;
    /** Null when {@code esb.auth.jwt-secret} is not set (then no route has {@code auth = "jwt"}). */
    private final JwtAuth auth;
    private final ApiGatewayV1Events events;
    private final ApiGatewayV2Events eventsV2;
    private final ProxyResponseMapper responses;

    ProxyRoutes(EsbSettings settings, Supplier<FunctionTable> functions, FunctionInvoker invoker, RequestBodies bodies,
                JwtAuth auth, ObjectMapper mapper) {
        this.settings = settings;
        this.functions = functions;
        this.invoker = invoker;
        this.bodies = bodies;
        this.auth = auth;
        this.events = new ApiGatewayV1Events(mapper, settings.accountId(), ApiGatewayV1Events.DEFAULT_API_ID);
        this.eventsV2 = new ApiGatewayV2Events(mapper, settings.accountId(), ApiGatewayV1Events.DEFAULT_API_ID);
        this.responses = new ProxyResponseMapper(mapper);
    }

    /**
     * The answer of the configured route that {@code scope}'s request matches, made without the route DSL, or null
     * when none matches (the DSL then answers, 404 and 405 included). The caller makes sure no earlier surface claims
     * the path ({@link GatewayHttp#handler}).
     */
    CompletionStage<HttpResponse> answerDirect(RequestScope scope) {
        var routePath = withoutBasePath(scope.path());
        if (routePath == null) {
            return null;
        }
        var table = functions.get();
        var match = table.routes().lookup(scope.method(), routePath);
        return match instanceof RouteTable.Found found ? invoke(scope, table, found, routePath) : null;
    }

    /** Decided when the request gets here, against the current route table: it is the last surface tried. */
    Route route() {
        return scoped(this::answer);
    }

    private Route answer(RequestScope scope) {
        var request = scope.request();
        var method = scope.method();
        var path = scope.path();
        var routePath = withoutBasePath(path);
        if (routePath == null) {
            return bodies.done(request, ErrorResponses.outsideBasePath(method, path, settings.http().basePath()));
        }
        var table = functions.get();
        var match = table.routes().lookup(method, routePath);
        if (match instanceof RouteTable.Found found) {
            return completeWithFuture(invoke(scope, table, found, routePath));
        }
        if (match instanceof RouteTable.MethodNotAllowed notAllowed) {
            return bodies.done(request, ErrorResponses.routeMethodNotAllowed(method, path, notAllowed.allowedMethods()));
        }
        return bodies.done(request, ErrorResponses.noRoute(method, path));
    }

    private CompletionStage<HttpResponse> invoke(RequestScope scope, FunctionTable table, RouteTable.Found found, String routePath) {
        long started = System.nanoTime();
        var request = scope.request();
        var requestId = scope.requestId();
        var function = table.function(found.entry().functionName());
        scope.access().functionName(function.name());
        var route = table.route(found.entry());
        Map<String, String> claims = null;
        if (route.jwtAuth()) {
            var verified = auth.verify(request.getHeader("Authorization").map(h -> h.value()).orElse(null));
            if (verified instanceof VerifyResult.Rejected rejected) {
                bodies.discard(request);
                return CompletableFuture.completedFuture(ErrorResponses.unauthorized(rejected.message()));
            }
            claims = ((VerifyResult.Verified) verified).claims();
        }
        var authorizerClaims = claims;
        var limit = settings.http().maxRouteBodyBytes();
        boolean head = request.method().equals(HttpMethods.HEAD);
        return bodies.read(request, limit).thenCompose(body -> {
            if (body == null) {
                return CompletableFuture.completedFuture(ErrorResponses.bodyTooLarge(limit));
            }
            var incoming = new IncomingRequest(request.method().value(), routePath, request.getUri().rawQueryString().orElse(null),
                    headers(request), body, RequestScope.clientIp(request), requestId, request.protocol().value(), System.currentTimeMillis());
            boolean httpApi = route.payloadFormat() == PayloadFormat.V2;
            ProxyEvents builder = httpApi ? eventsV2 : events;
            var stage = httpApi ? httpApiStage() : settings.http().stage();
            var event = builder.toBytes(builder.build(incoming, found.entry(), found.pathParameters(), stage,
                    settings.http().stageVariables(), authorizerClaims));
            var answer = invoker.invokeCurrent(function.name(), new Invocation(event, requestId), started);
            if (answer == null) {
                return CompletableFuture.completedFuture(ErrorResponses.functionRemoved(scope.method(), scope.path(), function.name()));
            }
            return answer.thenApply(outcome -> {
                if (outcome instanceof LambdaOutcome.Success success) {
                    scope.access().coldStart(success.coldStart());
                    return proxyResponse(function, route.payloadFormat(), success.payload(), requestId, head);
                }
                if (outcome instanceof LambdaOutcome.FunctionError error) {
                    // API Gateway hides function failures from clients; the detail goes to the log.
                    scope.access().coldStart(error.coldStart());
                    withRequestId(requestId, () -> log.error("Function failed behind an API route", kv("function_name", function.name()),
                            kv("error_type", error.errorType())));
                    return ErrorResponses.routeFunctionError(error.timedOut());
                }
                var failed = ((LambdaOutcome.ServiceFailure) outcome).failure();
                scope.access().coldStart(failed.coldStart());
                return ErrorResponses.routeFailure(failed);
            });
        });
    }

    private HttpResponse proxyResponse(FunctionSettings function, PayloadFormat format, byte[] payload, String requestId, boolean head) {
        MappedResponse mapped;
        MDC.put("request_id", requestId);
        try {
            mapped = responses.map(payload, function.name(), format);
        } catch (ProxyResponseMapper.MalformedResponse e) {
            log.error("Function returned a malformed proxy response", kv("function_name", function.name()), kv("error_detail", e.getMessage()));
            return ErrorResponses.malformedProxyResponse();
        } finally {
            MDC.remove("request_id");
        }
        var contentType = parseContentType(mapped.contentType());
        var response = HttpResponse.create().withStatus(StatusCodes.get(mapped.status()));
        response = head ? response.withEntity(HttpEntities.create(contentType, new byte[0]))
                : response.withEntity(contentType, mapped.body());
        var extra = new ArrayList<HttpHeader>();
        for (var header : mapped.headers()) {
            extra.add(RawHeader.create(header.getKey(), header.getValue()));
        }
        return response.addHeaders(extra);
    }

    /**
     * HTTP APIs put a named stage into {@code rawPath}, so v2 events use the base path as their stage and
     * {@code $default} without one: {@code rawPath} is then exactly the path the client sent.
     */
    private String httpApiStage() {
        var base = settings.http().basePath();
        return base.isEmpty() ? "$default" : base.substring(1);
    }

    /** The path below {@code esb.http.base-path}, or null when the request is outside it. */
    private String withoutBasePath(String path) {
        var base = settings.http().basePath();
        if (base.isEmpty()) {
            return path;
        }
        if (path.equals(base)) {
            return "/";
        }
        return path.startsWith(base + "/") ? path.substring(base.length()) : null;
    }

    static void withRequestId(String requestId, Runnable logging) {
        MDC.put("request_id", requestId);
        try {
            logging.run();
        } finally {
            MDC.remove("request_id");
        }
    }

    private static List<Map.Entry<String, String>> headers(HttpRequest request) {
        var result = new ArrayList<Map.Entry<String, String>>();
        for (var header : request.getHeaders()) {
            if (!INTERNAL_HEADERS.contains(header.lowercaseName())) {
                result.add(Map.entry(header.name(), header.value()));
            }
        }
        if (!request.entity().getContentType().equals(ContentTypes.NO_CONTENT_TYPE)) {
            result.add(Map.entry("Content-Type", request.entity().getContentType().toString()));
        }
        request.entity().getContentLengthOption().ifPresent(length -> {
            if (length > 0) {
                result.add(Map.entry("Content-Length", Long.toString(length)));
            }
        });
        return result;
    }

    /**
     * Akka's parse of a content type costs about as much as the rest of the answer's mapping, and functions send few
     * distinct ones, so parsed ones are kept, up to {@link #KEPT_CONTENT_TYPES} (a boundary parameter makes each
     * multipart one new).
     */
    private static ContentType parseContentType(String value) {
        if (value == null) {
            return ContentTypes.APPLICATION_JSON;
        }
        var kept = CONTENT_TYPES.get(value);
        if (kept != null) {
            return kept;
        }
        ContentType parsed;
        try {
            parsed = ContentTypes.parse(value);
        } catch (RuntimeException malformed) {
            parsed = ContentTypes.APPLICATION_OCTET_STREAM;
        }
        if (CONTENT_TYPES.size() < KEPT_CONTENT_TYPES) {
            CONTENT_TYPES.put(value, parsed);
        }
        return parsed;
    }
}
