package io.esb.http;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.AskPattern;
import akka.http.javadsl.model.ContentTypes;
import akka.http.javadsl.model.HttpMethods;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.headers.RawHeader;
import akka.http.javadsl.server.PathMatcher0;
import akka.http.javadsl.server.PathMatcher1;
import akka.http.javadsl.server.PathMatchers;
import akka.http.javadsl.server.Route;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonToken;
import io.esb.config.EsbSettings;
import io.esb.config.FunctionSettings;
import io.esb.async.AsyncInvoker;
import io.esb.function.FunctionActor;
import io.esb.function.FunctionTable;
import io.esb.function.Invocation;
import io.esb.function.LambdaOutcome;
import io.esb.function.Stages;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

import static akka.http.javadsl.server.Directives.completeWithFuture;
import static akka.http.javadsl.server.Directives.concat;
import static akka.http.javadsl.server.Directives.extractUnmatchedPath;
import static akka.http.javadsl.server.Directives.get;
import static akka.http.javadsl.server.Directives.path;
import static akka.http.javadsl.server.Directives.pathEndOrSingleSlash;
import static akka.http.javadsl.server.Directives.pathPrefix;
import static io.esb.http.RequestScope.scoped;

/**
 * The Lambda API on AWS's paths: Invoke ({@code POST /2015-03-31/functions/{name}/invocations}) and the read-only
 * control plane (ListFunctions, GetFunction, GetFunctionConfiguration, GetAccountSettings). Other methods on the
 * control plane's paths fall through to the routes, as before it existed.
 */
final class InvokeApiRoutes {
    private static final PathMatcher0 FUNCTIONS = PathMatchers.segment("2015-03-31").slash("functions");
    /** {@link #FUNCTIONS} as a raw path prefix. */
    private static final String FUNCTIONS_PATH = "/2015-03-31/functions";
    /** Whether this surface may answer the raw {@code path} (over-claiming only costs the fast path in {@link GatewayHttp}). */
    static boolean mayAnswer(String path) {
        return path.startsWith("/2015-03-31") || path.startsWith("/2016-08-19");
    }
    private static final PathMatcher0 ACCOUNT_SETTINGS = PathMatchers.segment("2016-08-19").slash("account-settings");
    private static final PathMatcher1<String> FUNCTION = PathMatchers.segment();
    private static final PathMatcher1<String> CONFIGURATION = PathMatchers.segment().slash("configuration");
    private static final String INVOKE_SUFFIX = "/invocations";
    /** The control plane's paths as SDKs and the CLI send them; the gateway refuses other paths that end in a slash. */
    static final java.util.Set<String> TRAILING_SLASH_PATHS = java.util.Set.of("/2015-03-31/functions/", "/2016-08-19/account-settings/");
    private static final int DEFAULT_MAX_ITEMS = 50;
    private static final int MAX_MAX_ITEMS = 10_000;
    private static final JsonFactory JSON = new JsonFactory();
    private static final byte[] EMPTY_EVENT = "{}".getBytes(StandardCharsets.UTF_8);

    private final ActorSystem<?> system;
    private final EsbSettings settings;
    private final Supplier<FunctionTable> functions;
    private final ActorRef<AsyncInvoker.Command> asyncInvoker;
    private final FunctionInvoker invoker;
    private final RequestBodies bodies;
    private final LambdaControlPlane controlPlane;

    InvokeApiRoutes(ActorSystem<?> system, EsbSettings settings, Supplier<FunctionTable> functions,
                    ActorRef<AsyncInvoker.Command> asyncInvoker, FunctionInvoker invoker, RequestBodies bodies, Instant startedAt) {
        this.system = system;
        this.settings = settings;
        this.functions = functions;
        this.asyncInvoker = asyncInvoker;
        this.invoker = invoker;
        this.bodies = bodies;
        this.controlPlane = new LambdaControlPlane(settings.region(), settings.accountId(), startedAt);
    }

    /** Built once; each leaf reads the request's scope. */
    Route route() {
        var controlPlaneReads = get(() -> concat(
                pathEndOrSingleSlash(() -> scoped(this::listFunctions)),
                path(FUNCTION, name -> scoped(scope -> getFunction(scope, name, false))),
                path(CONFIGURATION, name -> scoped(scope -> getFunction(scope, name, true)))));
        return concat(
                pathPrefix(FUNCTIONS, () -> extractUnmatchedPath(rest -> isInvokePath(rest)
                        ? scoped(scope -> completeWithFuture(invoke(scope, functionNameFromInvokePath(rest))))
                        : controlPlaneReads)),
                pathPrefix(ACCOUNT_SETTINGS, () -> pathEndOrSingleSlash(() -> get(() -> scoped(this::accountSettings)))));
    }

    // ---- Invoke ----

    /**
     * Any path below {@code /2015-03-31/functions/} that ends in {@code /invocations} is the Invoke API's, so a name
     * that is not one segment gets Lambda's 404 rather than the routes' (rest: the encoded path after {@code functions}).
     */
    private static boolean isInvokePath(String rest) {
        return rest.length() > INVOKE_SUFFIX.length() && rest.charAt(0) == '/' && rest.endsWith(INVOKE_SUFFIX);
    }

    /**
     * The Invoke API's answer to a request the route DSL never saw, or null when it is not an Invoke request: the
     * gateway's fast path for its busiest surface ({@link GatewayHttp#handler}). {@code path}: the raw path.
     */
    CompletionStage<HttpResponse> invokeDirect(RequestScope scope, String path) {
        if (!path.startsWith(FUNCTIONS_PATH)) {
            return null;
        }
        var rest = path.substring(FUNCTIONS_PATH.length());
        return isInvokePath(rest) ? invoke(scope, functionNameFromInvokePath(rest)) : null;
    }

    private CompletionStage<HttpResponse> invoke(RequestScope scope, String name) {
        var request = scope.request();
        if (!request.method().equals(HttpMethods.POST)) {
            return bodies.answered(request, ErrorResponses.invokeMethodNotAllowed());
        }
        long started = System.nanoTime();
        var function = name == null ? null : functions.get().function(name);
        var qualifier = qualifier(scope);
        if (function == null || !qualifier.equals("$LATEST")) {
            return bodies.answered(request, functionNotFound(name, qualifier));
        }
        scope.access().functionName(function.name());
        var requestId = scope.requestId();
        var invocationType = request.getHeader("X-Amz-Invocation-Type").map(h -> h.value()).orElse("RequestResponse");
        switch (invocationType) {
            case "RequestResponse", "Event" -> { }
            case "DryRun" -> {
                return bodies.answered(request, HttpResponse.create().withStatus(204).addHeader(RawHeader.create("X-Amzn-RequestId", requestId)));
            }
            default -> {
                return bodies.answered(request, ErrorResponses.invalidParameter(
                        "X-Amz-Invocation-Type must be RequestResponse, Event or DryRun (got '" + invocationType + "')"));
            }
        }
        boolean async = invocationType.equals("Event");
        var limit = async ? settings.async().maxPayloadBytes() : settings.http().maxInvokePayloadBytes();
        boolean tail = request.getHeader("X-Amz-Log-Type").map(h -> h.value().equals("Tail")).orElse(false) && !async;
        var clientContext = request.getHeader("X-Amz-Client-Context").map(h -> clientContext(h.value())).orElse(null);
        if (clientContext != null && clientContext.isEmpty()) {
            return bodies.answered(request, ErrorResponses.invalidParameter("X-Amz-Client-Context must be a Base64-encoded JSON object"));
        }
        return bodies.read(request, limit).thenCompose(body -> {
            if (body == null) {
                return CompletableFuture.completedFuture(ErrorResponses.invokeTooLarge(limit));
            }
            var event = body.length == 0 ? EMPTY_EVENT : body;
            if (!isJson(event)) {
                return CompletableFuture.completedFuture(ErrorResponses.invalidJson());
            }
            var invocation = new Invocation(event, requestId, tail, clientContext);
            if (async) {
                // Looked up again once the body is in, as invokeCurrent does.
                var now = functions.get();
                var ref = now.ref(function.name());
                return ref == null ? CompletableFuture.completedFuture(functionNotFound(name, qualifier))
                        : enqueueEvent(now.function(function.name()), invocation, requestId);
            }
            var answer = invoker.invokeCurrent(function.name(), invocation, started);
            if (answer == null) {
                return CompletableFuture.completedFuture(functionNotFound(name, qualifier));
            }
            return answer.thenApply(outcome -> {
                if (outcome instanceof LambdaOutcome.Success success) {
                    scope.access().coldStart(success.coldStart());
                    return withLogResult(invokeResponse(success.payload(), requestId), success.logTail());
                }
                if (outcome instanceof LambdaOutcome.FunctionError error) {
                    scope.access().coldStart(error.coldStart());
                    return withLogResult(invokeResponse(error.payload(), requestId), error.logTail())
                            .addHeader(RawHeader.create("X-Amz-Function-Error", "Unhandled"));
                }
                var failed = ((LambdaOutcome.ServiceFailure) outcome).failure();
                scope.access().coldStart(failed.coldStart());
                return ErrorResponses.invokeFailure(failed);
            });
        });
    }

    private CompletionStage<HttpResponse> enqueueEvent(FunctionSettings function, Invocation invocation, String requestId) {
        return Stages.plain(AskPattern.<AsyncInvoker.Command, AsyncInvoker.Accepting>ask(asyncInvoker,
                        replyTo -> new AsyncInvoker.Enqueue(function.name(), invocation, replyTo),
                        Duration.ofSeconds(10), system.scheduler()))
                .thenApply(answer -> {
                    if (answer instanceof AsyncInvoker.Accepted) {
                        return HttpResponse.create().withStatus(202).addHeader(RawHeader.create("X-Amzn-RequestId", requestId));
                    }
                    if (answer instanceof AsyncInvoker.QueueFull full) {
                        return ErrorResponses.tooManyRequests("The asynchronous invocation queue of function '" + function.name()
                                + "' is full (esb.async.max-queued = " + full.limit() + ")", "ConcurrentInvocationLimitExceeded");
                    }
                    // Sync invocations do not need the store and keep working; only this event is refused, and not lost.
                    return JsonResponses.awsError(503, "ServiceException", "The event was not accepted: the gateway cannot store it ("
                            + ((AsyncInvoker.StoreUnavailable) answer).reason() + "); see esb.data-dir");
                });
    }

    private static HttpResponse invokeResponse(byte[] payload, String requestId) {
        return HttpResponse.create().withStatus(200)
                .withEntity(ContentTypes.APPLICATION_JSON, payload)
                .addHeader(RawHeader.create("X-Amz-Executed-Version", "$LATEST"))
                .addHeader(RawHeader.create("X-Amzn-RequestId", requestId));
    }

    /** {@code X-Amz-Log-Result}: base64 of the last 4 KB of the invocation's log output, as Lambda sends it. */
    private static HttpResponse withLogResult(HttpResponse response, String logTail) {
        if (logTail == null) {
            return response;
        }
        var bytes = logTail.getBytes(StandardCharsets.UTF_8);
        var last = bytes.length <= 4096 ? bytes : Arrays.copyOfRange(bytes, bytes.length - 4096, bytes.length);
        return response.addHeader(RawHeader.create("X-Amz-Log-Result", Base64.getEncoder().encodeToString(last)));
    }

    // ---- read-only control plane ----

    private Route listFunctions(RequestScope scope) {
        var query = scope.request().getUri().query();
        var maxItemsText = query.get("MaxItems").orElse(null);
        int maxItems = QueryCounts.parse(maxItemsText, DEFAULT_MAX_ITEMS, MAX_MAX_ITEMS);
        if (maxItems < 0) {
            return bodies.done(scope.request(), ErrorResponses.invalidParameter(
                    "MaxItems must be a whole number from 1 to " + MAX_MAX_ITEMS + " (got '" + maxItemsText + "')"));
        }
        // By name, so a marker (the last name of the previous page) still pages correctly after a reload.
        var sorted = new ArrayList<>(functions.get().functions().values());
        sorted.sort(Comparator.comparing(FunctionSettings::name));
        var marker = query.get("Marker").orElse(null);
        int from = 0;
        while (marker != null && from < sorted.size() && sorted.get(from).name().compareTo(marker) <= 0) {
            from++;
        }
        int to = Math.min(sorted.size(), from + maxItems);
        var page = sorted.subList(from, to);
        var nextMarker = to < sorted.size() ? page.get(page.size() - 1).name() : null;
        return bodies.done(scope.request(), controlPlane.listFunctions(page, nextMarker, scope.requestId()));
    }

    /** GetFunction, or GetFunctionConfiguration when {@code configurationOnly}; {@code segment} is the decoded name or ARN. */
    private Route getFunction(RequestScope scope, String segment, boolean configurationOnly) {
        var name = functionName(segment);
        var function = functions.get().function(name);
        var qualifier = qualifier(scope);
        if (function == null || !qualifier.equals("$LATEST")) {
            return bodies.done(scope.request(), functionNotFound(name, qualifier));
        }
        return bodies.done(scope.request(), configurationOnly ? controlPlane.getFunctionConfiguration(function, scope.requestId())
                : controlPlane.getFunction(function, scope.requestId()));
    }

    private Route accountSettings(RequestScope scope) {
        var functionsNow = functions.get().functions().values();
        return bodies.done(scope.request(), controlPlane.accountSettings(functionsNow, settings.containers().maxTotal(), scope.requestId()));
    }

    // ---- shared ----

    /** The client context's JSON, as the runtime gets it; empty when the header is not Base64 of a JSON object. */
    private static String clientContext(String header) {
        try {
            var json = Base64.getDecoder().decode(header.trim());
            var parser = JSON.createParser(json);
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return "";
            }
            parser.skipChildren();
            return parser.nextToken() == null ? new String(json, StandardCharsets.UTF_8) : "";
        } catch (IllegalArgumentException | IOException e) {
            return "";
        }
    }

    private static String qualifier(RequestScope scope) {
        return scope.request().getUri().query().get("Qualifier").orElse("$LATEST");
    }

    private HttpResponse functionNotFound(String name, String qualifier) {
        return ErrorResponses.functionNotFound(settings.region(), settings.accountId(), name, qualifier);
    }

    /** The name in an Invoke path's encoded {@code /{name}/invocations}, or null when it is not one segment. */
    static String functionNameFromInvokePath(String rest) {
        var encoded = rest.substring(1, rest.length() - INVOKE_SUFFIX.length());
        if (encoded.isEmpty() || encoded.contains("/")) {
            return null;
        }
        try {
            return functionName(java.net.URLDecoder.decode(encoded.replace("+", "%2B"), StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** Accepts a plain name, or an ARN / partial ARN ending in the name, with an optional :qualifier. */
    static String functionName(String decoded) {
        var name = decoded;
        var marker = name.indexOf("function:");
        if (marker >= 0) {
            name = name.substring(marker + "function:".length());
        }
        var qualifier = name.indexOf(':');
        return qualifier >= 0 ? name.substring(0, qualifier) : name;
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
}
