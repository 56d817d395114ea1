package io.esb.http;

import io.esb.route.PathTemplate;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.http.javadsl.model.HttpRequest;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.headers.RawHeader;
import akka.http.javadsl.server.Directives;
import akka.http.javadsl.server.ExceptionHandler;
import akka.http.javadsl.server.Route;
import akka.stream.Materializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.esb.auth.JwtAuth;
import io.esb.config.EsbSettings;
import io.esb.docker.DockerSupervisor;
import io.esb.async.AsyncInvoker;
import io.esb.cluster.ClusterView;
import io.esb.function.FunctionCalls;
import io.esb.function.FunctionTable;
import io.esb.function.Stages;
import io.esb.observability.AccessLog;
import io.esb.observability.GatewayMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

import static akka.http.javadsl.server.Directives.concat;
import static net.logstash.logback.argument.StructuredArguments.kv;

/**
 * The gateway's HTTP surface, composed of one route class per surface, tried in order: {@link AdminRoutes}
 * ({@code /health}, {@code /status}, {@code /metrics}), {@link InvokeApiRoutes} (the Lambda API), {@link LoginRoutes}
 * and {@link ProxyRoutes} (the configured routes, which answer whatever is left). Around them it gives every answer
 * its {@code X-Request-Id} and access-log line, refuses paths that need normalising, and turns anything that fails
 * into JSON. It never calls Docker itself; everything that needs a container goes to a FunctionActor.
 */
public final class GatewayHttp {
    private static final Logger log = LoggerFactory.getLogger(GatewayHttp.class);
    /** Anything thrown while routing, or a failed answer, becomes JSON: 400 for a malformed body, else 500. */
    private static final ExceptionHandler AS_JSON = ExceptionHandler.newBuilder()
            .matchAny(error -> RequestScope.scoped(scope -> Directives.complete(errorResponse(scope, error)))).build();

    private final RequestBodies bodies;
    private final InvokeApiRoutes invokeApi;
    private final ProxyRoutes proxy;
    private final Route route;

    /**
     * {@code functions}: the current table (live reload), read when a request arrives and again once its body is in;
     * {@code calls}: where invocations go (in a cluster, the function's node); {@code cluster}: what /status shows of it.
     */
    public GatewayHttp(ActorSystem<?> system, EsbSettings settings, Supplier<FunctionTable> functions, FunctionCalls calls,
                       ActorRef<AsyncInvoker.Command> asyncInvoker, DockerSupervisor.Shared docker, GatewayMetrics metrics, ClusterView cluster) {
        var startedAt = Instant.now();
        this.bodies = new RequestBodies(Materializer.matFromSystem(system), settings.containers().readinessTimeout());
        var invoker = new FunctionInvoker(calls, settings, functions, metrics);
        var auth = settings.auth().enabled() ? new JwtAuth(settings.auth(), Clock.systemUTC()) : null;
        var admin = new AdminRoutes(system, functions, docker, metrics, bodies, startedAt, cluster);
        this.invokeApi = new InvokeApiRoutes(system, settings, functions, asyncInvoker, invoker, bodies, startedAt);
        var login = new LoginRoutes(auth, bodies);
        this.proxy = new ProxyRoutes(settings, functions, invoker, bodies, auth, new ObjectMapper());
        var deadLetters = new DeadLetterRoutes(system, asyncInvoker, bodies);
        // Built once: per request only the leaves run, so a route request costs the earlier surfaces' path matches
        // and nothing more.
        this.route = concat(admin.route(), deadLetters.route(), invokeApi.route(), login.route(), proxy.route());
    }

    /**
     * The server's request handler: the request's scope (id, access-log entry) is made on arrival and attached to it,
     * the route tree runs sealed with {@link #AS_JSON}, and every answer gets its {@code X-Request-Id} and access-log
     * line. Future callbacks run on the thread that completes them (a container I/O thread, for an invocation): each
     * does a little mapping and never blocks. With the dispatcher instead, every DSL step after an invocation's answer
     * was a hop to another thread, which added about half a millisecond per request on a 2-core host (bench/run.sh).
     */
    @SuppressWarnings("unchecked")
    public akka.japi.function.Function<HttpRequest, CompletionStage<HttpResponse>> handler(ActorSystem<?> system) {
        var classic = system.classicSystem();
        scala.Function1<akka.http.scaladsl.model.HttpRequest, scala.concurrent.Future<akka.http.scaladsl.model.HttpResponse>> sealed =
                akka.http.scaladsl.server.Route$.MODULE$.asyncHandler(route.asScala(),
                        akka.http.scaladsl.settings.RoutingSettings.apply(classic.settings().config()),
                        akka.http.scaladsl.settings.ParserSettings$.MODULE$.forServer(classic),
                        Materializer.matFromSystem(system),
                        akka.http.scaladsl.server.RoutingLog$.MODULE$.apply(classic.log()),
                        scala.concurrent.ExecutionContext.parasitic$.MODULE$,
                        akka.http.javadsl.server.RejectionHandler.defaultHandler().asScala(),
                        AS_JSON.asScala());
        return request -> {
            long start = System.nanoTime();
            var scope = RequestScope.of(request);
            CompletableFuture<HttpResponse> answer;
            if (routablePath(scope)) {
                var direct = answerDirect(scope);
                // A scaladsl response is a javadsl one. The stage is made plain: the Scala-backed one's callbacks
                // would each start a thread on a small host (Stages).
                answer = direct != null ? direct : Stages.plain((CompletionStage<HttpResponse>) (CompletionStage<?>) scala.jdk.javaapi.FutureConverters
                        .asJava(sealed.apply((akka.http.scaladsl.model.HttpRequest) scope.attached())));
            } else {
                bodies.discard(request);
                answer = CompletableFuture.completedFuture(ErrorResponses.notRoutable(scope.method(), scope.clientTarget()));
            }
            return answer.exceptionally(error -> errorResponse(scope, error)).thenApply(response -> {
                var withId = response.addHeader(RawHeader.create("X-Request-Id", scope.requestId()));
                AccessLog.write(scope.access(), withId.status().intValue(), System.nanoTime() - start);
                return withId;
            });
        };
    }

    /**
     * The busiest requests, answered without the route DSL: an Invoke API call, and a configured route whose path no
     * earlier surface may answer. Their leaves are the DSL's own, so the answer is the same; the DSL's matching and
     * its Scala futures cost about 20 us of CPU per call (BENCHMARKS.md, issue 17). Null: the DSL answers. A path
     * with escapes is left to the DSL, which matches decoded segments.
     */
    private CompletableFuture<HttpResponse> answerDirect(RequestScope scope) {
        var path = scope.path();
        if (path.indexOf('%') >= 0) {
            return null;
        }
        CompletionStage<HttpResponse> direct;
        try {
            if (InvokeApiRoutes.mayAnswer(path)) {
                direct = invokeApi.invokeDirect(scope, path);
            } else if (AdminRoutes.mayAnswer(path) || DeadLetterRoutes.mayAnswer(path) || LoginRoutes.mayAnswer(path)) {
                direct = null;
            } else {
                direct = proxy.answerDirect(scope);
            }
        } catch (RuntimeException e) {
            // As the DSL's exception handler (AS_JSON) would have it.
            direct = CompletableFuture.failedFuture(e);
        }
        return direct == null ? null : direct.toCompletableFuture();
    }

    private static HttpResponse errorResponse(RequestScope scope, Throwable error) {
        var malformed = malformedBody(error);
        return malformed != null ? ErrorResponses.malformedBody(malformed) : internalError(scope.requestId(), error);
    }

    /** What is wrong with a body the client sent malformed (a bad chunk size, a truncated stream), or null. */
    private static String malformedBody(Throwable error) {
        var root = RequestBodies.rootCause(error);
        return root instanceof akka.http.scaladsl.model.EntityStreamException || root instanceof akka.http.scaladsl.model.ParsingException
                ? String.valueOf(root.getMessage()) : null;
    }

    private static HttpResponse internalError(String requestId, Throwable error) {
        var root = RequestBodies.rootCause(error);
        ProxyRoutes.withRequestId(requestId, () -> log.error("Request failed inside the gateway", kv("error_type", root.getClass().getSimpleName()),
                kv("error_detail", String.valueOf(root.getMessage()))));
        return ErrorResponses.internalError(requestId);
    }

    /**
     * Akka resolves dot segments before we see the URI, so {@code /fx/../health} would arrive as {@code /health}.
     * The raw request target (from the Raw-Request-URI header Akka adds) is checked instead: a path that needs
     * normalising, or that hides a slash in an escape, never reaches route matching. The control plane's collection
     * paths may end in a slash, as SDKs send them.
     */
    private static boolean routablePath(RequestScope scope) {
        var target = scope.clientTarget();
        var query = target.indexOf('?');
        var rawPath = query >= 0 ? target.substring(0, query) : target;
        return rawPath.equals("/") || PathTemplate.splitRequestPath(rawPath).isPresent()
                || InvokeApiRoutes.TRAILING_SLASH_PATHS.contains(rawPath);
    }
}
