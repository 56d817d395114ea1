package io.esb.http;

import akka.http.javadsl.model.HttpEntity;
import akka.http.javadsl.model.HttpRequest;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.server.Directives;
import akka.http.javadsl.server.Route;
import akka.stream.Materializer;
import io.esb.function.Stages;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/** Reading a request body within a size limit, and draining the bodies of requests answered without one. */
final class RequestBodies {
    private final Materializer materializer;
    private final Duration readTimeout;

    RequestBodies(Materializer materializer, Duration readTimeout) {
        this.materializer = materializer;
        this.readTimeout = readTimeout;
    }

    /** The body bytes, or null when it exceeds {@code limit} (nothing more is read then). */
    CompletionStage<byte[]> read(HttpRequest request, long limit) {
        var declared = request.entity().getContentLengthOption();
        if (declared.isPresent() && declared.getAsLong() > limit) {
            // Drained before answering: a client still sending its body would otherwise hit a closed connection
            // (broken pipe) instead of reading the 413. Akka's own max-content-length bounds how much is drained.
            return Stages.plain(request.discardEntityBytes(materializer).completionStage()).handle((done, error) -> null);
        }
        if (request.entity() instanceof HttpEntity.Strict strict) {
            // The whole body came with the head (as small ones do): nothing to wait for. Its length was the declared
            // one, checked against the limit above.
            return CompletableFuture.completedFuture(strict.getData().toArray());
        }
        return Stages.plain(request.entity().withSizeLimit(limit).toStrict(readTimeout.toMillis(), materializer))
                .thenApply(strict -> strict.getData().toArray())
                .exceptionally(error -> {
                    if (rootCause(error) instanceof akka.http.scaladsl.model.EntityStreamSizeException) {
                        return null;
                    }
                    throw new CompletionException(error);
                });
    }

    /** Drains the body nobody will read, so the connection can carry the next request. */
    void discard(HttpRequest request) {
        request.discardEntityBytes(materializer);
    }

    /** Answers without reading the body. */
    Route done(HttpRequest request, HttpResponse response) {
        discard(request);
        return Directives.complete(response);
    }

    /** {@link #done} for an answer made outside the route DSL. */
    CompletionStage<HttpResponse> answered(HttpRequest request, HttpResponse response) {
        discard(request);
        return CompletableFuture.completedFuture(response);
    }

    static Throwable rootCause(Throwable error) {
        while ((error instanceof CompletionException) && error.getCause() != null) {
            error = error.getCause();
        }
        return error;
    }
}
