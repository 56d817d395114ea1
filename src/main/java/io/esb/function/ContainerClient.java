package io.esb.function;

import akka.actor.typed.ActorSystem;
import akka.http.javadsl.Http;
import akka.http.javadsl.model.ContentTypes;
import akka.http.javadsl.model.HttpRequest;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.headers.RawHeader;
import akka.http.javadsl.settings.ClientConnectionSettings;
import akka.http.javadsl.settings.ConnectionPoolSettings;
import akka.stream.Materializer;
import io.esb.config.ContainerSettings;

import java.net.ConnectException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Talks the RIE protocol to function containers over Akka HTTP's non-blocking client. Connections to a container
 * are pooled by its address, so warm calls reuse one keep-alive connection.
 */
public final class ContainerClient {
    static final String INVOKE_PATH = "/2015-03-31/functions/function/invocations";

    private final Http http;
    private final Materializer materializer;
    private final ActorSystem<?> system;
    private final ConnectionPoolSettings poolSettings;
    /**
     * Readiness probes get their own pool: a refused connect makes a pool back off (100 ms and more by default),
     * which would delay noticing a container that has just started listening.
     */
    private final ConnectionPoolSettings probePoolSettings;
    private final ContainerSettings settings;
    private final long maxResponseBytes;

    public ContainerClient(ActorSystem<?> system, ContainerSettings settings, long maxResponseBytes) {
        this.system = system;
        this.http = Http.get(system);
        this.materializer = Materializer.matFromSystem(system);
        this.settings = settings;
        this.maxResponseBytes = maxResponseBytes;
        var connection = ClientConnectionSettings.create(system.classicSystem()).withConnectingTimeout(
                scala.concurrent.duration.FiniteDuration.create(settings.connectTimeout().toMillis(), TimeUnit.MILLISECONDS));
        this.poolSettings = ConnectionPoolSettings.create(system.classicSystem()).withMaxRetries(0).withConnectionSettings(connection);
        this.probePoolSettings = poolSettings
                .withBaseConnectionBackoff(scala.concurrent.duration.FiniteDuration.create(1, TimeUnit.MILLISECONDS))
                .withMaxConnectionBackoff(scala.concurrent.duration.FiniteDuration.create(5, TimeUnit.MILLISECONDS));
    }

    public static String invokeUrl(int hostPort) {
        return "http://127.0.0.1:" + hostPort + INVOKE_PATH;
    }

    /** Sends one event. Never fails the stage: every failure becomes an {@link InvokeOutcome}. */
    public CompletionStage<InvokeOutcome> invoke(int hostPort, byte[] event, String requestId, Duration timeout) {
        var request = HttpRequest.POST(invokeUrl(hostPort))
                .withEntity(ContentTypes.APPLICATION_JSON, event)
                .addHeader(RawHeader.create("X-Amzn-RequestId", requestId));
        long deadline = timeout.toMillis();
        return Stages.plain(http.singleRequest(request, http.defaultClientHttpsContext(), poolSettings, system.classicSystem().log()))
                .thenCompose(response -> strictEntity(response, deadline)
                        .thenApply(strict -> (InvokeOutcome) new InvokeOutcome.Answered(
                                response.status().intValue(), strict.getData().toArray(), strict.getContentType().toString())))
                .orTimeout(deadline, TimeUnit.MILLISECONDS)
                .exceptionally(error -> classify(unwrap(error), timeout));
    }

    /**
     * Waits until the container's server answers HTTP at all. The RIE has no health endpoint, so any HTTP answer to a
     * GET (which it does not treat as an invocation) proves it is listening.
     */
    public CompletionStage<Boolean> awaitReady(int hostPort, Duration within) {
        long giveUpAt = System.nanoTime() + within.toNanos();
        return probe(hostPort, giveUpAt, Duration.ofMillis(5));
    }

    private CompletionStage<Boolean> probe(int hostPort, long giveUpAt, Duration pause) {
        var request = HttpRequest.GET("http://127.0.0.1:" + hostPort + "/");
        var attempt = Stages.plain(http.singleRequest(request, http.defaultClientHttpsContext(), probePoolSettings, system.classicSystem().log()))
                .thenApply(response -> {
                    response.discardEntityBytes(materializer);
                    return true;
                })
                .orTimeout(settings.pingTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .exceptionally(error -> false);
        return attempt.thenCompose(ready -> {
            if (ready) {
                return CompletableFuture.completedFuture(true);
            }
            if (System.nanoTime() + pause.toNanos() >= giveUpAt) {
                return CompletableFuture.completedFuture(false);
            }
            // A refused connect costs microseconds, so polling often shortens every cold start at no real cost.
            return Stages.plain(akka.pattern.Patterns.after(pause, system.classicSystem().scheduler(), system.executionContext(),
                    () -> probe(hostPort, giveUpAt, pause)));
        });
    }

    /** Small answers arrive already complete; only a streamed one needs a stream to collect it. */
    private CompletableFuture<akka.http.javadsl.model.HttpEntity.Strict> strictEntity(HttpResponse response, long deadlineMillis) {
        var entity = response.entity();
        if (entity.isStrict() && entity.getContentLengthOption().orElse(Long.MAX_VALUE) <= maxResponseBytes) {
            return CompletableFuture.completedFuture((akka.http.javadsl.model.HttpEntity.Strict) entity);
        }
        return Stages.plain(entity.toStrict(deadlineMillis, maxResponseBytes, materializer));
    }

    private static InvokeOutcome classify(Throwable error, Duration timeout) {
        if (error instanceof TimeoutException) {
            return new InvokeOutcome.Lost("Timeout", "no answer within " + timeout.toMillis() + " ms", true);
        }
        var type = error.getClass().getSimpleName();
        var detail = String.valueOf(error.getMessage());
        if (causedBy(error, ConnectException.class) || detail.contains("Connection refused") || detail.contains("Connect(")) {
            return new InvokeOutcome.NotDelivered(type, detail);
        }
        return new InvokeOutcome.Lost(type, detail, false);
    }

    private static boolean causedBy(Throwable error, Class<? extends Throwable> type) {
        for (var e = error; e != null; e = e.getCause() == e ? null : e.getCause()) {
            if (type.isInstance(e)) {
                return true;
            }
        }
        return false;
    }

    private static Throwable unwrap(Throwable error) {
        while (error instanceof java.util.concurrent.CompletionException && error.getCause() != null) {
            error = error.getCause();
        }
        return error;
    }
}
