package io.esb.runtimeapi;

import akka.actor.typed.ActorSystem;
import akka.http.javadsl.Http;
import akka.http.javadsl.ServerBinding;
import akka.http.javadsl.model.ContentTypes;
import akka.http.javadsl.model.HttpEntity;
import akka.http.javadsl.model.HttpMethods;
import akka.http.javadsl.model.HttpRequest;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.headers.RawHeader;
import akka.http.javadsl.settings.ServerSettings;
import akka.stream.Materializer;
import akka.stream.javadsl.Flow;
import akka.stream.javadsl.Sink;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.ConfigFactory;
import io.esb.container.InvokeOutcome;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.CompletionStage;

/**
 * The Lambda Runtime API over HTTP, as AWS serves it to a function's runtime: {@code GET
 * /2018-06-01/runtime/invocation/next} (a long poll), {@code POST .../invocation/{id}/response}, {@code .../{id}/error}
 * and {@code /2018-06-01/runtime/init/error}. Each connection is watched, since a runtime that dies drops it.
 */
final class RuntimeApiListener {
    static final String NEXT = "/2018-06-01/runtime/invocation/next";
    static final String INVOCATION = "/2018-06-01/runtime/invocation/";
    static final String INIT_ERROR = "/2018-06-01/runtime/init/error";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpResponse ACCEPTED = HttpResponse.create().withStatus(202)
            .withEntity(ContentTypes.APPLICATION_JSON, "{\"status\":\"OK\"}".getBytes(StandardCharsets.UTF_8));

    private final RuntimeApi api;
    private final Materializer materializer;
    private final long maxResponseBytes;
    private final Duration strangerWait;
    private final Duration bodyTimeout;

    RuntimeApiListener(RuntimeApi api, ActorSystem<?> system, long maxResponseBytes, Duration strangerWait) {
        this.api = api;
        this.materializer = Materializer.matFromSystem(system);
        this.maxResponseBytes = maxResponseBytes;
        this.strangerWait = strangerWait;
        this.bodyTimeout = Duration.ofSeconds(30);
    }

    /** Binds on {@code host:port}; a poll waits for as long as it takes, so no request or idle timeout applies. */
    CompletionStage<ServerBinding> bind(ActorSystem<?> system, String host, int port) {
        var config = ConfigFactory.parseString("akka.http.server.request-timeout = infinite\n"
                        + "akka.http.server.idle-timeout = infinite\n"
                        + "akka.http.server.parsing.max-content-length = " + (maxResponseBytes * 2 + 1024 * 1024) + "\n")
                .withFallback(system.settings().config());
        return Http.get(system).newServerAt(host, port).withSettings(ServerSettings.create(config)).connectionSource()
                .to(Sink.foreach(connection -> {
                    var address = connection.remoteAddress().getAddress().getHostAddress();
                    var end = new ConnectionEnd();
                    api.connectionOpened(address);
                    connection.handleWith(Flow.of(HttpRequest.class).mapAsync(1, request -> handle(request, address, end))
                            .watchTermination((notUsed, done) -> {
                                done.whenComplete((ok, error) -> {
                                    end.close();
                                    api.connectionClosed(address);
                                });
                                return notUsed;
                            }), materializer);
                }))
                .run(materializer);
    }

    /**
     * The end of one runtime connection, and what its waiting poll must do then. A runtime keeps one connection for
     * all its polls, so this holds the current poll's action only: one callback per poll on the connection's end
     * (as before) kept every poll, its invocation and its event, for as long as the runtime lived.
     */
    static final class ConnectionEnd {
        private final CompletableFuture<Void> closed = new CompletableFuture<>();
        private final AtomicReference<Runnable> onClose = new AtomicReference<>();

        boolean isClosed() {
            return closed.isDone();
        }

        /** Runs {@code action} if the connection closes before {@code poll} is answered. */
        void whilePolling(CompletableFuture<?> poll, Runnable action) {
            onClose.set(action);
            poll.whenComplete((answered, error) -> onClose.compareAndSet(action, null));
            if (closed.isDone() && onClose.compareAndSet(action, null)) {
                action.run(); // closed meanwhile
            }
        }

        void close() {
            closed.complete(null);
            var action = onClose.getAndSet(null);
            if (action != null) {
                action.run();
            }
        }
    }

    /** {@code end}: the request's connection; a poll waiting when it closes leaves the session. */
    CompletionStage<HttpResponse> handle(HttpRequest request, String address, ConnectionEnd end) {
        var path = request.getUri().path();
        var method = request.method();
        if (path.equals(NEXT) && method.equals(HttpMethods.GET)) {
            // A poll that waited for its address to register may come from a container that is gone, its address now
            // another's: a poll whose connection has closed is nobody's and must not reach that session.
            return api.session(address, strangerWait).thenCompose(session -> session == null ? forbidden(request)
                    : end.isClosed() ? done(error(410, "ConnectionClosed", "The poll's connection has closed")) : next(session, end));
        }
        if (path.equals(INIT_ERROR) && method.equals(HttpMethods.POST)) {
            return api.session(address, strangerWait).thenCompose(session -> session == null ? forbidden(request)
                    : body(request).thenApply(body -> {
                        session.initFailed(errorPayload(body, errorType(request)));
                        return ACCEPTED;
                    }));
        }
        if (path.startsWith(INVOCATION) && method.equals(HttpMethods.POST)) {
            var rest = path.substring(INVOCATION.length());
            var slash = rest.indexOf('/');
            var kind = slash < 0 ? "" : rest.substring(slash + 1);
            if (slash > 0 && (kind.equals("response") || kind.equals("error"))) {
                var requestId = rest.substring(0, slash);
                return api.session(address, strangerWait).thenCompose(session -> session == null ? forbidden(request)
                        : answer(session, requestId, kind.equals("error"), request));
            }
        }
        request.discardEntityBytes(materializer);
        return done(error(404, "InvalidRequest", "No Runtime API resource " + method.value() + " " + path));
    }

    private CompletionStage<HttpResponse> next(RuntimeSession session, ConnectionEnd end) {
        var next = session.poll();
        if (next instanceof RuntimeSession.Now now) {
            return done(event(now.delivery()));
        }
        var later = ((RuntimeSession.Later) next).delivery();
        // A waiting poll whose connection closes can deliver nothing: it leaves the session, so an invocation waits
        // for the runtime's next poll instead of going to a dead connection.
        end.whilePolling(later, () -> session.dropPoll(later));
        return later.handle((delivery, error) -> delivery != null ? event(delivery)
                : error(409, "Superseded", "A newer poll for the next invocation replaced this one"));
    }

    private static HttpResponse event(RuntimeSession.Delivery delivery) {
        var request = delivery.request;
        var headers = new ArrayList<akka.http.javadsl.model.HttpHeader>(6);
        headers.add(RawHeader.create("Lambda-Runtime-Aws-Request-Id", request.requestId()));
        headers.add(RawHeader.create("Lambda-Runtime-Deadline-Ms", Long.toString(delivery.deadlineEpochMillis)));
        headers.add(RawHeader.create("Lambda-Runtime-Invoked-Function-Arn", request.functionArn()));
        headers.add(RawHeader.create("Lambda-Runtime-Trace-Id", delivery.traceId));
        if (request.clientContext() != null) {
            headers.add(RawHeader.create("Lambda-Runtime-Client-Context", request.clientContext()));
        }
        return HttpResponse.create().withStatus(200).addHeaders(headers).withEntity(ContentTypes.APPLICATION_JSON, request.event());
    }

    private CompletionStage<HttpResponse> answer(RuntimeSession session, String requestId, boolean error, HttpRequest request) {
        var length = request.entity().getContentLengthOption();
        if (length.isPresent() && length.getAsLong() > maxResponseBytes) {
            request.discardEntityBytes(materializer);
            return done(tooLarge(session, requestId));
        }
        return body(request).thenApply(body -> {
            if (body == null) {
                return tooLarge(session, requestId);
            }
            var delivery = session.finish(requestId);
            if (delivery == null) {
                return error(400, "InvalidRequestID", "Invalid request ID: " + requestId + " is not the invocation this container is running");
            }
            var contentType = request.entity().getContentType().toString();
            RuntimeApi.answer(delivery, new InvokeOutcome.Answered(200, error ? errorPayload(body, errorType(request)) : body,
                    error ? "application/json" : contentType));
            return ACCEPTED;
        });
    }

    /** AWS answers the runtime 413 and the caller a function error. */
    private HttpResponse tooLarge(RuntimeSession session, String requestId) {
        var delivery = session.finish(requestId);
        if (delivery != null) {
            RuntimeApi.answer(delivery, new InvokeOutcome.Answered(200, errorJson("Function.ResponseSizeTooLarge",
                    "Response payload size exceeded maximum allowed payload size (" + maxResponseBytes + " bytes)."), "application/json"));
        }
        return error(413, "RequestEntityTooLarge", "Exceeded maximum allowed payload size (" + maxResponseBytes + " bytes).");
    }

    /** The body, or null past the size limit. */
    private CompletionStage<byte[]> body(HttpRequest request) {
        var entity = request.entity();
        if (entity instanceof HttpEntity.Strict strict) {
            return done(strict.getData().toArray());
        }
        return entity.toStrict(bodyTimeout.toMillis(), maxResponseBytes, materializer)
                .handle((strict, failure) -> failure == null ? strict.getData().toArray() : null);
    }

    private CompletionStage<HttpResponse> forbidden(HttpRequest request) {
        request.discardEntityBytes(materializer);
        return done(error(403, "AccessDeniedException", "Not a function container of this gateway"));
    }

    private static String errorType(HttpRequest request) {
        return request.getHeader("Lambda-Runtime-Function-Error-Type").map(h -> h.value()).orElse(null);
    }

    /**
     * The error as Lambda returns it to the caller: the runtime's {@code {"errorMessage", "errorType", ...}} as sent,
     * or, when the body is not of that shape, one made from it and the error-type header.
     */
    static byte[] errorPayload(byte[] body, String errorTypeHeader) {
        try {
            var node = body.length == 0 ? null : JSON.readTree(body);
            if (node != null && node.isObject() && node.path("errorType").isTextual() && node.has("errorMessage")) {
                return body;
            }
            var message = node != null && node.isObject() && node.path("errorMessage").isTextual() ? node.get("errorMessage").asText()
                    : new String(body, StandardCharsets.UTF_8);
            return errorJson(errorTypeHeader != null ? errorTypeHeader : "Unhandled", message);
        } catch (IOException e) {
            return errorJson(errorTypeHeader != null ? errorTypeHeader : "Unhandled", new String(body, StandardCharsets.UTF_8));
        }
    }

    private static byte[] errorJson(String errorType, String message) {
        ObjectNode node = JSON.createObjectNode().put("errorMessage", message).put("errorType", errorType);
        return node.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static HttpResponse error(int status, String errorType, String message) {
        return HttpResponse.create().withStatus(status).withEntity(ContentTypes.APPLICATION_JSON, errorJson(errorType, message));
    }

    private static <T> CompletionStage<T> done(T value) {
        return CompletableFuture.completedFuture(value);
    }
}
