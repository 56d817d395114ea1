package io.esb.http;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.AskPattern;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.server.Route;
import io.esb.async.AsyncInvoker;
import io.esb.async.DeadLetter;
import io.esb.function.Stages;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

import static akka.http.javadsl.server.Directives.completeWithFuture;
import static akka.http.javadsl.server.Directives.concat;
import static akka.http.javadsl.server.Directives.delete;
import static akka.http.javadsl.server.Directives.extractRequest;
import static akka.http.javadsl.server.Directives.get;
import static akka.http.javadsl.server.Directives.path;
import static akka.http.javadsl.server.Directives.pathEnd;
import static akka.http.javadsl.server.Directives.pathPrefix;
import static akka.http.javadsl.server.Directives.post;
import static akka.http.javadsl.server.PathMatchers.segment;

/**
 * The operator's dead letters: Event invocations that ran out of retries or age. {@code GET /admin/dead-letters}
 * (optional {@code function}, {@code limit}) lists them; {@code POST /admin/dead-letters/{requestId}/replay} queues
 * one again with its request id; {@code DELETE /admin/dead-letters/{requestId}} deletes it.
 */
final class DeadLetterRoutes {
    private static final String FIRST_SEGMENT = "admin";

    /** Whether this surface may answer the raw {@code path} (over-claiming only costs the fast path in {@link GatewayHttp}). */
    static boolean mayAnswer(String path) {
        return path.startsWith("/" + FIRST_SEGMENT);
    }
    private static final int DEFAULT_LIMIT = 100;
    private static final int MAX_LIMIT = 10_000;
    private static final Duration ASK_TIMEOUT = Duration.ofSeconds(10);

    private final ActorSystem<?> system;
    private final ActorRef<AsyncInvoker.Command> asyncInvoker;
    private final RequestBodies bodies;

    DeadLetterRoutes(ActorSystem<?> system, ActorRef<AsyncInvoker.Command> asyncInvoker, RequestBodies bodies) {
        this.system = system;
        this.asyncInvoker = asyncInvoker;
        this.bodies = bodies;
    }

    Route route() {
        return pathPrefix(FIRST_SEGMENT, () -> pathPrefix("dead-letters", () -> concat(
                pathEnd(() -> get(() -> extractRequest(this::list))),
                path(segment(), requestId -> delete(() -> extractRequest(request -> {
                    bodies.discard(request);
                    return completeWithFuture(this.<Boolean>ask(replyTo -> new AsyncInvoker.Discard(requestId, replyTo), deleted ->
                            deleted ? JsonResponses.json(200, JsonResponses.object().put("requestId", requestId).put("deleted", true))
                                    : noSuchLetter(requestId)));
                }))),
                path(segment().slash("replay"), requestId -> post(() -> extractRequest(request -> {
                    bodies.discard(request);
                    return completeWithFuture(this.<Boolean>ask(replyTo -> new AsyncInvoker.Replay(requestId, replyTo), replayed ->
                            replayed ? JsonResponses.json(202, JsonResponses.object().put("requestId", requestId).put("replayed", true))
                                    : noSuchLetter(requestId)));
                }))))));
    }

    private Route list(akka.http.javadsl.model.HttpRequest request) {
        var query = request.getUri().query();
        var function = query.get("function").orElse(null);
        var limitText = query.get("limit").orElse(null);
        int limit = QueryCounts.parse(limitText, DEFAULT_LIMIT, MAX_LIMIT);
        if (limit < 0) {
            return bodies.done(request, JsonResponses.error(400, "limit must be a whole number from 1 to " + MAX_LIMIT + " (got '" + limitText + "')"));
        }
        bodies.discard(request);
        int max = limit;
        return completeWithFuture(this.<List<DeadLetter>>ask(replyTo -> new AsyncInvoker.ListDeadLetters(function, max, replyTo), letters -> {
            var body = JsonResponses.object();
            var array = body.putArray("deadLetters");
            for (var letter : letters) {
                var event = letter.event();
                var node = array.addObject().put("requestId", event.requestId()).put("functionName", event.functionName())
                        .put("reason", letter.reason()).put("attempts", event.attempts())
                        .put("acceptedAt", time(event.acceptedAt())).put("deadLetteredAt", time(letter.deadLetteredAt()))
                        .put("payload", new String(event.payload(), StandardCharsets.UTF_8));
                if (event.firstAttemptAt() > 0) {
                    node.put("firstAttemptAt", time(event.firstAttemptAt())).put("lastAttemptAt", time(event.lastAttemptAt()));
                }
                if (event.lastError() != null) {
                    node.put("lastError", event.lastError());
                }
            }
            return JsonResponses.json(200, body);
        }));
    }

    private <T> CompletionStage<HttpResponse> ask(akka.japi.function.Function<ActorRef<AsyncInvoker.StoreAnswer<T>>, AsyncInvoker.Command> message,
                                                  Function<T, HttpResponse> answer) {
        return Stages.plain(AskPattern.<AsyncInvoker.Command, AsyncInvoker.StoreAnswer<T>>ask(asyncInvoker, message::apply, ASK_TIMEOUT,
                system.scheduler())).thenApply(reply -> reply.failure() != null
                ? JsonResponses.error(503, "The dead-letter store cannot be read or written: " + reply.failure() + " (see esb.data-dir)")
                : answer.apply(reply.value()));
    }

    private static HttpResponse noSuchLetter(String requestId) {
        return JsonResponses.error(404, "No dead letter with request id '" + requestId + "'", "requestId", requestId);
    }

    private static String time(long epochMillis) {
        return Instant.ofEpochMilli(epochMillis).toString();
    }
}
