package io.esb.http;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.AskPattern;
import akka.http.javadsl.model.AttributeKeys;
import akka.http.javadsl.model.ContentType;
import akka.http.javadsl.model.ContentTypes;
import akka.http.javadsl.model.HttpEntities;
import akka.http.javadsl.model.HttpMethods;
import akka.http.javadsl.model.HttpRequest;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.model.headers.RawHeader;
import akka.stream.Materializer;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.esb.config.EsbSettings;
import io.esb.auth.JwtAuth;
import io.esb.auth.LoginResult;
import io.esb.auth.VerifyResult;
import io.esb.config.FunctionSettings;
import io.esb.docker.DockerSupervisor;
import io.esb.function.AsyncInvoker;
import io.esb.function.FunctionActor;
import io.esb.function.FunctionTable;
import io.esb.function.LambdaOutcome;
import io.esb.function.Stages;
import io.esb.function.FunctionStatus;
import io.esb.function.Invocation;
import io.esb.function.InvocationResult;
import io.esb.observability.AccessLog;
import io.esb.observability.GatewayMetrics;
import io.esb.observability.RequestIds;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;

import static net.logstash.logback.argument.StructuredArguments.kv;

/**
 * The gateway's HTTP surface: {@code /health}, {@code /status}, the Lambda Invoke API and the configured
 * API-Gateway-style routes. It never calls Docker itself; everything that needs a container goes to a FunctionActor.
 */
public final class GatewayHttp {
    private static final Logger log = LoggerFactory.getLogger(GatewayHttp.class);
    private static final String INVOKE_PREFIX = "/2015-03-31/functions/";
    private static final String INVOKE_SUFFIX = "/invocations";
    private static final JsonFactory JSON = new JsonFactory();
    /** Headers Akka adds for the gateway's own use; functions never see them. */
    private static final java.util.Set<String> INTERNAL_HEADERS = java.util.Set.of("timeout-access", "remote-address", "raw-request-uri");

    private final ActorSystem<?> system;
    private final EsbSettings settings;
    /**
     * The current functions, routes and actors (live reload): read when a request arrives, and again once its body is in,
     * so the call goes to the function as it is then.
     */
    private final java.util.function.Supplier<FunctionTable> functions;
    private final ActorRef<AsyncInvoker.Command> asyncInvoker;
    private final DockerSupervisor.Shared docker;
    private final Materializer materializer;
    private final ObjectMapper mapper = new ObjectMapper();
    private final ApiGatewayV1Events events;
    private final ApiGatewayV2Events eventsV2;
    private final JwtAuth auth;
    private final ProxyResponseMapper responses;
    private final Instant startedAt = Instant.now();
    private final GatewayMetrics metrics;

    public GatewayHttp(ActorSystem<?> system, EsbSettings settings, java.util.function.Supplier<FunctionTable> functions,
                       ActorRef<AsyncInvoker.Command> asyncInvoker, DockerSupervisor.Shared docker, GatewayMetrics metrics) {
        this.system = system;
        this.metrics = metrics;
        this.settings = settings;
        this.functions = functions;
        this.asyncInvoker = asyncInvoker;
        this.docker = docker;
        this.materializer = Materializer.matFromSystem(system);
        this.events = new ApiGatewayV1Events(mapper, settings.accountId(), ApiGatewayV1Events.DEFAULT_API_ID);
        this.eventsV2 = new ApiGatewayV2Events(mapper, settings.accountId(), ApiGatewayV1Events.DEFAULT_API_ID);
        this.auth = settings.auth().enabled() ? new JwtAuth(settings.auth(), java.time.Clock.systemUTC()) : null;
        this.responses = new ProxyResponseMapper(mapper);
    }

    /** Handles one request and writes its access-log line; never fails the returned stage. */
    public CompletionStage<HttpResponse> handle(HttpRequest request) {
        long start = System.nanoTime();
        var requestId = RequestIds.fromHeaderOrNew(request.getHeader("X-Request-Id").map(h -> h.value()).orElse(null));
        var access = new AccessLog.Entry(request.method().value(), rawPath(request), clientIp(request),
                request.getHeader("User-Agent").map(h -> h.value()).orElse(""), requestId);
        CompletionStage<HttpResponse> response;
        try {
            response = route(request, requestId, access);
        } catch (RuntimeException e) {
            response = CompletableFuture.failedFuture(e);
        }
        return response
                .exceptionally(error -> malformedBody(error) != null
                        ? JsonResponses.error(400, "Malformed request body", "reason", malformedBody(error))
                        : internalError(requestId, error))
                .thenApply(r -> {
                    var withId = r.addHeader(RawHeader.create("X-Request-Id", requestId));
                    AccessLog.write(access, withId.status().intValue(), System.nanoTime() - start);
                    return withId;
                });
    }

    private CompletionStage<HttpResponse> route(HttpRequest request, String requestId, AccessLog.Entry access) {
        var table = functions.get();
        var path = rawPath(request);
        var method = request.method().value();
        if (!routablePath(request)) {
            return done(request, JsonResponses.error(404, "No route for " + method + " " + clientTarget(request)
                    + ": dot segments and encoded slashes are not routable"));
        }
        if (path.equals("/health")) {
            return done(request, health());
        }
        if (path.equals("/status")) {
            discard(request);
            return status();
        }
        if (path.equals("/metrics")) {
            return done(request, MetricsRoute.respond(metrics, request));
        }
        if (path.startsWith(INVOKE_PREFIX) && path.endsWith(INVOKE_SUFFIX)) {
            var name = functionNameFromInvokePath(path);
            if (!method.equals("POST")) {
                return done(request, JsonResponses.awsError(405, "MethodNotAllowedException", "The Invoke API accepts POST only"));
            }
            return invokeApi(request, table, name, requestId, access);
        }
        if (path.equals(JwtAuth.LOGIN_PATH) && method.equals("POST")) {
            return login(request);
        }
        var routePath = withoutBasePath(path);
        if (routePath == null) {
            return done(request, JsonResponses.error(404, "No route for " + method + " " + path
                    + ": routes are served under " + settings.http().basePath()));
        }
        var match = table.routes().lookup(method, routePath);
        if (match instanceof RouteTable.Found found) {
            return apiRoute(request, table, found, routePath, requestId, access);
        }
        if (match instanceof RouteTable.MethodNotAllowed notAllowed) {
            return done(request, JsonResponses.error(405, "Method " + method + " not allowed on " + path,
                    "allowedMethods", String.join(", ", notAllowed.allowedMethods())));
        }
        return done(request, JsonResponses.error(404, "No route for " + method + " " + path));
    }

    // ---- Lambda Invoke API ----

    private CompletionStage<HttpResponse> invokeApi(HttpRequest request, FunctionTable table, String name, String requestId,
                                                    AccessLog.Entry access) {
        long started = System.nanoTime();
        var function = name == null ? null : table.function(name);
        var qualifier = request.getUri().query().get("Qualifier").orElse("$LATEST");
        if (function == null || !qualifier.equals("$LATEST")) {
            discard(request);
            return CompletableFuture.completedFuture(functionNotFound(name, qualifier));
        }
        access.functionName(function.name());
        var invocationType = request.getHeader("X-Amz-Invocation-Type").map(h -> h.value()).orElse("RequestResponse");
        switch (invocationType) {
            case "RequestResponse", "Event" -> { }
            case "DryRun" -> {
                return done(request, HttpResponse.create().withStatus(204).addHeader(RawHeader.create("X-Amzn-RequestId", requestId)));
            }
            default -> {
                return done(request, JsonResponses.awsError(400, "InvalidParameterValueException",
                        "X-Amz-Invocation-Type must be RequestResponse, Event or DryRun (got '" + invocationType + "')"));
            }
        }
        boolean async = invocationType.equals("Event");
        var limit = async ? settings.async().maxPayloadBytes() : settings.http().maxInvokePayloadBytes();
        boolean tail = request.getHeader("X-Amz-Log-Type").map(h -> h.value().equals("Tail")).orElse(false) && !async;
        return readBody(request, limit).thenCompose(body -> {
            if (body == null) {
                return CompletableFuture.completedFuture(JsonResponses.awsError(413, "RequestTooLargeException",
                        "Request must be smaller than " + limit + " bytes for the Invoke operation"));
            }
            var event = body.length == 0 ? "{}".getBytes(java.nio.charset.StandardCharsets.UTF_8) : body;
            if (!isJson(event)) {
                return CompletableFuture.completedFuture(JsonResponses.awsError(400, "InvalidRequestContentException",
                        "Could not parse request body into json: the payload is not valid JSON"));
            }
            var invocation = new Invocation(event, requestId, tail);
            if (async) {
                // Looked up again once the body is in, as invokeCurrent does.
                var now = functions.get();
                var ref = now.ref(function.name());
                return ref == null ? CompletableFuture.completedFuture(functionNotFound(name, qualifier))
                        : enqueueEvent(now.function(function.name()), ref, invocation, requestId);
            }
            var answer = invokeCurrent(function.name(), invocation, started);
            if (answer == null) {
                return CompletableFuture.completedFuture(functionNotFound(name, qualifier));
            }
            return answer.thenApply(outcome -> {
                if (outcome instanceof LambdaOutcome.Success success) {
                    access.coldStart(success.coldStart());
                    return withLogResult(invokeResponse(200, success.payload(), requestId), success.logTail());
                }
                if (outcome instanceof LambdaOutcome.FunctionError error) {
                    access.coldStart(error.coldStart());
                    return withLogResult(invokeResponse(200, error.payload(), requestId), error.logTail())
                            .addHeader(RawHeader.create("X-Amz-Function-Error", "Unhandled"));
                }
                var failed = ((LambdaOutcome.ServiceFailure) outcome).failure();
                access.coldStart(failed.coldStart());
                return invokeApiFailure(failed);
            });
        });
    }

    private HttpResponse functionNotFound(String name, String qualifier) {
        var arn = "arn:aws:lambda:" + settings.region() + ":" + settings.accountId() + ":function:" + name
                + (qualifier.equals("$LATEST") ? "" : ":" + qualifier);
        return JsonResponses.awsError(404, "ResourceNotFoundException", "Function not found: " + arn);
    }

    private CompletionStage<HttpResponse> enqueueEvent(FunctionSettings function, ActorRef<FunctionActor.Command> ref,
                                                       Invocation invocation, String requestId) {
        return Stages.plain(AskPattern.<AsyncInvoker.Command, Boolean>ask(asyncInvoker,
                        replyTo -> new AsyncInvoker.Enqueue(function, ref, invocation, replyTo),
                        Duration.ofSeconds(5), system.scheduler()))
                .thenApply(accepted -> accepted
                        ? HttpResponse.create().withStatus(202).addHeader(RawHeader.create("X-Amzn-RequestId", requestId))
                        : tooManyRequests("Asynchronous invocation queue is full (esb.async.max-queued = "
                                + settings.async().maxQueued() + ")", "ConcurrentInvocationLimitExceeded"));
    }

    private static HttpResponse invokeResponse(int status, byte[] payload, String requestId) {
        return HttpResponse.create().withStatus(status)
                .withEntity(ContentTypes.APPLICATION_JSON, payload)
                .addHeader(RawHeader.create("X-Amz-Executed-Version", "$LATEST"))
                .addHeader(RawHeader.create("X-Amzn-RequestId", requestId));
    }

    /** {@code X-Amz-Log-Result}: base64 of the last 4 KB of the invocation's log output, as Lambda sends it. */
    private static HttpResponse withLogResult(HttpResponse response, String logTail) {
        if (logTail == null) {
            return response;
        }
        var bytes = logTail.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        var last = bytes.length <= 4096 ? bytes : java.util.Arrays.copyOfRange(bytes, bytes.length - 4096, bytes.length);
        return response.addHeader(RawHeader.create("X-Amz-Log-Result", java.util.Base64.getEncoder().encodeToString(last)));
    }

    private static HttpResponse tooManyRequests(String message, String reason) {
        var body = JsonResponses.object().put("Type", "User").put("message", message).put("Reason", reason);
        return JsonResponses.json(429, body)
                .addHeader(RawHeader.create("x-amzn-ErrorType", "TooManyRequestsException"))
                .addHeader(RawHeader.create("Retry-After", "1"));
    }

    private static HttpResponse invokeApiFailure(InvocationResult.Failed failed) {
        return switch (failed.reason()) {
            case THROTTLED -> tooManyRequests(failed.message(), "ReservedFunctionConcurrentInvocationLimitExceeded");
            case DOCKER_UNAVAILABLE -> JsonResponses.awsError(503, "ServiceException", failed.message().startsWith("Docker daemon unavailable")
                    ? failed.message() : "Docker daemon unavailable: " + failed.message());
            case START_FAILED -> JsonResponses.awsError(503, "ServiceException", "Function container could not be started: " + failed.message());
            case IMAGE_NOT_READY -> JsonResponses.awsError(503, "ServiceException", failed.message());
            case TIMED_OUT, RUNTIME_EXITED, OUT_OF_MEMORY, CONTAINER_FAILED -> JsonResponses.awsError(502, "ServiceException", failed.message());
        };
    }

    /** Accepts a plain name, or an ARN / partial ARN ending in the name, with an optional :qualifier. */
    static String functionNameFromInvokePath(String rawPath) {
        var encoded = rawPath.substring(INVOKE_PREFIX.length(), rawPath.length() - INVOKE_SUFFIX.length());
        if (encoded.isEmpty() || encoded.contains("/")) {
            return null;
        }
        String name;
        try {
            name = java.net.URLDecoder.decode(encoded.replace("+", "%2B"), java.nio.charset.StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return null;
        }
        var marker = name.indexOf("function:");
        if (marker >= 0) {
            name = name.substring(marker + "function:".length());
        }
        var qualifier = name.indexOf(':');
        return qualifier >= 0 ? name.substring(0, qualifier) : name;
    }

    // ---- API-Gateway-style routes ----

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

    private CompletionStage<HttpResponse> login(HttpRequest request) {
        if (auth == null) {
            return done(request, JsonResponses.error(404, "Authentication is not configured (esb.auth.jwt-secret)"));
        }
        var apiKey = request.getHeader(JwtAuth.API_KEY_HEADER).map(h -> h.value()).orElse(null);
        return readBody(request, 64 * 1024).thenApply(body -> {
            if (body == null) {
                return JsonResponses.error(413, "Request body exceeds 65536 bytes");
            }
            var result = auth.login(apiKey, body);
            if (result instanceof LoginResult.Issued issued) {
                return HttpResponse.create().withStatus(200).withEntity(ContentTypes.APPLICATION_JSON,
                        JwtAuth.loginResponseJson(issued).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
            var rejected = (LoginResult.Rejected) result;
            return JsonResponses.error(rejected.status(), rejected.message());
        });
    }

    private CompletionStage<HttpResponse> apiRoute(HttpRequest request, FunctionTable table, RouteTable.Found found, String routePath,
                                                   String requestId, AccessLog.Entry access) {
        long started = System.nanoTime();
        var function = table.function(found.entry().functionName());
        access.functionName(function.name());
        var route = table.route(found.entry());
        Map<String, String> claims = null;
        if (route.jwtAuth()) {
            var verified = auth.verify(request.getHeader("Authorization").map(h -> h.value()).orElse(null));
            if (verified instanceof VerifyResult.Rejected rejected) {
                return done(request, JsonResponses.error(401, "Unauthorized", "reason", rejected.message()));
            }
            claims = ((VerifyResult.Verified) verified).claims();
        }
        var authorizerClaims = claims;
        var limit = settings.http().maxRouteBodyBytes();
        boolean head = request.method().equals(HttpMethods.HEAD);
        return readBody(request, limit).thenCompose(body -> {
            if (body == null) {
                return CompletableFuture.completedFuture(JsonResponses.error(413, "Request body exceeds " + limit + " bytes"));
            }
            var incoming = new IncomingRequest(request.method().value(), routePath, request.getUri().rawQueryString().orElse(null),
                    headers(request), body, clientIp(request), requestId, request.protocol().value(), System.currentTimeMillis());
            var stageVariables = settings.http().stageVariables();
            boolean httpApi = route.payloadFormat() == PayloadFormat.V2;
            ProxyEvents builder = httpApi ? eventsV2 : events;
            var stage = httpApi ? httpApiStage() : settings.http().stage();
            var event = builder.toBytes(builder.build(incoming, found.entry(), found.pathParameters(), stage, stageVariables, authorizerClaims));
            var answer = invokeCurrent(function.name(), new Invocation(event, requestId), started);
            if (answer == null) {
                return CompletableFuture.completedFuture(JsonResponses.error(404, "No route for " + request.method().value() + " "
                        + rawPath(request) + ": function '" + function.name() + "' was removed"));
            }
            return answer.thenApply(outcome -> {
                if (outcome instanceof LambdaOutcome.Success success) {
                    access.coldStart(success.coldStart());
                    return proxyResponse(function, route.payloadFormat(), success.payload(), requestId, head);
                }
                if (outcome instanceof LambdaOutcome.FunctionError error) {
                    // API Gateway hides function failures from clients; the detail goes to the log.
                    access.coldStart(error.coldStart());
                    logWithRequestId(requestId, () -> log.error("Function failed behind an API route", kv("function_name", function.name()),
                            kv("error_type", error.errorType())));
                    return error.timedOut() ? JsonResponses.error(504, "Endpoint request timed out")
                            : JsonResponses.error(502, "Internal server error");
                }
                var failed = ((LambdaOutcome.ServiceFailure) outcome).failure();
                access.coldStart(failed.coldStart());
                return routeFailure(failed);
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
            return JsonResponses.error(502, "Internal server error");
        } finally {
            MDC.remove("request_id");
        }
        var contentType = parseContentType(mapped.contentType());
        var response = HttpResponse.create().withStatus(StatusCodes.get(mapped.status()));
        response = head ? response.withEntity(HttpEntities.create(contentType, new byte[0]))
                : response.withEntity(contentType, mapped.body());
        var extra = new ArrayList<akka.http.javadsl.model.HttpHeader>();
        for (var header : mapped.headers()) {
            extra.add(RawHeader.create(header.getKey(), header.getValue()));
        }
        return response.addHeaders(extra);
    }

    private static HttpResponse routeFailure(InvocationResult.Failed failed) {
        return switch (failed.reason()) {
            case THROTTLED -> JsonResponses.error(429, "Too Many Requests", "reason", failed.message());
            case DOCKER_UNAVAILABLE -> JsonResponses.error(503, "Docker daemon unavailable", "reason", failed.message());
            case START_FAILED -> JsonResponses.error(503, "Function container could not be started", "reason", failed.message());
            case IMAGE_NOT_READY -> JsonResponses.error(503, "Function image is not ready", "reason", failed.message());
            case TIMED_OUT -> JsonResponses.error(504, "Endpoint request timed out");
            case RUNTIME_EXITED, OUT_OF_MEMORY, CONTAINER_FAILED -> JsonResponses.error(502, "Internal server error");
        };
    }

    // ---- health and status ----

    private HttpResponse health() {
        var body = JsonResponses.object().put("status", "healthy")
                .put("uptimeSeconds", Duration.between(startedAt, Instant.now()).toSeconds());
        return JsonResponses.json(200, body);
    }

    /** Readiness: Docker's state (from the supervisor's last probe, no Docker call) and each function's pool. */
    private CompletionStage<HttpResponse> status() {
        var state = docker.daemonState();
        var body = JsonResponses.object();
        var dockerNode = body.putObject("docker").put("status", state.status().name().toLowerCase())
                .put("host", state.dockerHost()).put("since", state.since().toString())
                .put("operationsInFlight", docker.operationsInFlight());
        if (state.lastError() != null) {
            dockerNode.put("lastError", state.lastError());
        }
        var functionsNode = body.putObject("functions");
        var asks = new ArrayList<CompletableFuture<FunctionStatus>>();
        for (var ref : functions.get().refs().values()) {
            asks.add(Stages.plain(AskPattern.<FunctionActor.Command, FunctionStatus>ask(ref, FunctionActor.GetStatus::new,
                    Duration.ofSeconds(2), system.scheduler())));
        }
        return CompletableFuture.allOf(asks.toArray(CompletableFuture[]::new)).handle((ok, error) -> {
            for (var ask : asks) {
                if (!ask.isCompletedExceptionally()) {
                    var s = ask.join();
                    var node = functionsNode.putObject(s.function()).put("idle", s.idle()).put("busy", s.busy())
                            .put("starting", s.starting()).put("queued", s.queued()).put("coldStarts", s.coldStarts());
                    if (s.image() != null) {
                        node.put("image", s.image()).put("imageDetail", s.imageDetail());
                    }
                }
            }
            return JsonResponses.json(state.down() ? 503 : 200, body);
        });
    }

    // ---- plumbing ----

    /**
     * Invokes the function as the table has it now, once the body is in: a live reload during a slow body read may have
     * replaced the function, and the actor the request first saw stops once it has drained. Null when the reload removed
     * the function. The outcome is counted in the metrics.
     */
    private CompletionStage<LambdaOutcome> invokeCurrent(String name, Invocation invocation, long started) {
        var now = functions.get();
        var ref = now.ref(name);
        if (ref == null) {
            return null;
        }
        var function = now.function(name);
        var bound = FunctionActor.invocationBound(function, settings);
        return Stages.plain(AskPattern.<FunctionActor.Command, InvocationResult>ask(ref, replyTo -> new FunctionActor.Invoke(invocation, replyTo),
                        bound, system.scheduler()))
                .exceptionally(error -> new InvocationResult.Failed(InvocationResult.Reason.TIMED_OUT,
                        "Function '" + name + "' gave no answer within " + bound.toSeconds() + " s", false))
                .thenApply(result -> metrics.invoked(name, LambdaOutcome.of(result, invocation.requestId(), function.timeout().toSeconds()), started));
    }

    /** The body bytes, or null when it exceeds {@code limit} (nothing more is read then). */
    private CompletionStage<byte[]> readBody(HttpRequest request, long limit) {
        var declared = request.entity().getContentLengthOption();
        if (declared.isPresent() && declared.getAsLong() > limit) {
            // Drained before answering: a client still sending its body would otherwise hit a closed connection
            // (broken pipe) instead of reading the 413. Akka's own max-content-length bounds how much is drained.
            return Stages.plain(request.discardEntityBytes(materializer).completionStage()).handle((done, error) -> null);
        }
        return Stages.plain(request.entity().withSizeLimit(limit).toStrict(settings.containers().readinessTimeout().toMillis(), materializer))
                .thenApply(strict -> strict.getData().toArray())
                .exceptionally(error -> {
                    if (rootCause(error) instanceof akka.http.scaladsl.model.EntityStreamSizeException) {
                        return null;
                    }
                    throw new java.util.concurrent.CompletionException(error);
                });
    }

    private void discard(HttpRequest request) {
        request.discardEntityBytes(materializer);
    }

    private CompletionStage<HttpResponse> done(HttpRequest request, HttpResponse response) {
        discard(request);
        return CompletableFuture.completedFuture(response);
    }

    private static boolean isJson(byte[] body) {
        try (var parser = JSON.createParser(body)) {
            if (parser.nextToken() == null) {
                return false;
            }
            parser.skipChildren();
            while (parser.nextToken() != null) {
                if (parser.currentToken() != JsonToken.END_OBJECT && parser.currentToken() != JsonToken.END_ARRAY) {
                    return false; // trailing content after the first value
                }
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** What is wrong with a body the client sent malformed (a bad chunk size, a truncated stream), or null. */
    private static String malformedBody(Throwable error) {
        var root = rootCause(error);
        return root instanceof akka.http.scaladsl.model.EntityStreamException || root instanceof akka.http.scaladsl.model.ParsingException
                ? String.valueOf(root.getMessage()) : null;
    }

    private HttpResponse internalError(String requestId, Throwable error) {
        logWithRequestId(requestId, () -> log.error("Request failed inside the gateway", kv("error_type", rootCause(error).getClass().getSimpleName()),
                kv("error_detail", String.valueOf(rootCause(error).getMessage()))));
        return JsonResponses.error(500, "Internal error in the gateway", "requestId", requestId);
    }

    private static void logWithRequestId(String requestId, Runnable logging) {
        MDC.put("request_id", requestId);
        try {
            logging.run();
        } finally {
            MDC.remove("request_id");
        }
    }

    private static Throwable rootCause(Throwable error) {
        while ((error instanceof java.util.concurrent.CompletionException) && error.getCause() != null) {
            error = error.getCause();
        }
        return error;
    }

    /**
     * Akka resolves dot segments before we see the URI, so {@code /fx/../health} would arrive as {@code /health}.
     * The raw request target (from the Raw-Request-URI header Akka adds) is checked instead: a path that needs
     * normalising, or that hides a slash in an escape, never reaches route matching.
     */
    private static boolean routablePath(HttpRequest request) {
        var target = clientTarget(request);
        var query = target.indexOf('?');
        var rawPath = query >= 0 ? target.substring(0, query) : target;
        return rawPath.equals("/") || PathTemplate.splitRequestPath(rawPath).isPresent();
    }

    private static String clientTarget(HttpRequest request) {
        return request.getHeader("Raw-Request-URI").map(h -> h.value()).orElseGet(() -> rawPath(request));
    }

    /** The path as the client sent it, still percent-encoded, so encoded slashes cannot pass for separators. */
    static String rawPath(HttpRequest request) {
        var scalaUri = (akka.http.scaladsl.model.Uri) request.getUri().asScala();
        var path = scalaUri.path().toString();
        return path.isEmpty() ? "/" : path;
    }

    private static String clientIp(HttpRequest request) {
        return request.getAttribute(AttributeKeys.remoteAddress)
                .flatMap(address -> address.getAddress())
                .map(address -> address.getHostAddress())
                .orElse("127.0.0.1");
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

    private static ContentType parseContentType(String value) {
        if (value == null) {
            return ContentTypes.APPLICATION_JSON;
        }
        try {
            return ContentTypes.parse(value);
        } catch (RuntimeException malformed) {
            return ContentTypes.APPLICATION_OCTET_STREAM;
        }
    }
}
