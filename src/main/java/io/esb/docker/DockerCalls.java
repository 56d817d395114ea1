package io.esb.docker;

import akka.actor.typed.ActorRef;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.TimerScheduler;
import com.github.dockerjava.api.DockerClient;
import io.esb.config.DockerSettings;
import io.esb.docker.DockerSupervisor.Deadline;
import io.esb.docker.DockerSupervisor.Undo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;

import static net.logstash.logback.argument.StructuredArguments.kv;

/**
 * The calls of one {@link DockerSupervisor} incarnation, from submission to answer: each runs on the Docker dispatcher,
 * waits at most queue-timeout for a worker, then runs under its deadline; one past it is aborted alone and its
 * {@link Undo} runs. Not an actor: the incarnation owns it and hands it its {@link Event}s, so a call costs no extra hop.
 * <p>
 * Its log lines keep the supervisor's logger name, as before the split.
 */
final class DockerCalls {
    private static final Logger log = LoggerFactory.getLogger(DockerSupervisor.class);

    /** The supervisor's messages about its calls, handed to {@link #on}. */
    sealed interface Event extends DockerSupervisor.Command {}

    private record Completed(long id, Object value, Throwable error) implements Event {}

    /** A worker took the call up: its deadline starts now. */
    private record CallStarted(long id) implements Event {}

    /** The call waited {@code queue-timeout} for a worker. */
    private record QueueExpired(long id) implements Event {}

    private record DeadlinePassed(long id) implements Event {}

    private record UndoDone(Undo undo, int attempt, DockerReply<Object> reply) implements Event {}

    private record UndoAgain(Undo undo) implements Event {}

    /** Thrown on a worker for a call that expired in the queue before a worker took it up; nobody waits for it. */
    static final class NotRun extends RuntimeException {
        NotRun() {
            super("not run: expired in the queue", null, false, false);
        }
    }

    /**
     * Whether a call runs: the worker that takes it up and the queue-timeout race for it, so a call its caller was
     * told is overloaded never runs. Once running, its requests can be aborted.
     */
    static final class Ticket {
        private final AtomicBoolean claimed = new AtomicBoolean();
        private volatile AbortableDockerHttpClient.Call running;

        /** True for the one party that claims it first: the worker runs the call, anyone else keeps it from running. */
        boolean claim() {
            return claimed.compareAndSet(false, true);
        }

        void running(AbortableDockerHttpClient.Call call) {
            running = call;
        }

        /** Aborts the call's requests if a worker runs it; false when none does (yet). */
        boolean abort(String reason) {
            var call = running;
            if (call == null) {
                return false;
            }
            call.abort(reason);
            return true;
        }
    }

    /** A call asked for and not yet answered. */
    private static final class Pending {
        final String operation;
        final ActorRef<DockerReply<Object>> replyTo;
        final long submittedNanos = System.nanoTime();
        final Deadline deadline;
        final Undo undo;
        final Ticket ticket = new Ticket();
        /** When a worker took it up; 0 while it waits for one. */
        long startNanos;

        Pending(String operation, ActorRef<DockerReply<Object>> replyTo, Deadline deadline, Undo undo) {
            this.operation = operation;
            this.replyTo = replyTo;
            this.deadline = deadline;
            this.undo = undo;
        }

        /** For the duration metric: from when it reached the daemon, or from its submission if it never did. */
        long since() {
            return startNanos == 0 ? submittedNanos : startNanos;
        }
    }

    private final ActorContext<DockerSupervisor.Command> ctx;
    private final TimerScheduler<DockerSupervisor.Command> timers;
    private final DockerClient client;
    private final Executor dockerExecutor;
    private final DockerTimeouts timeouts;
    private final DockerSettings docker;
    private final DockerSupervisor.Shared shared;
    private final DockerMetrics metrics;
    private final Map<Long, Pending> pending = new HashMap<>();

    DockerCalls(ActorContext<DockerSupervisor.Command> ctx, TimerScheduler<DockerSupervisor.Command> timers, DockerClient client,
                Executor dockerExecutor, DockerTimeouts timeouts, DockerSettings docker, DockerSupervisor.Shared shared,
                DockerMetrics metrics) {
        this.ctx = ctx;
        this.timers = timers;
        this.client = client;
        this.dockerExecutor = dockerExecutor;
        this.timeouts = timeouts;
        this.docker = docker;
        this.shared = shared;
        this.metrics = metrics;
    }

    void on(Event event) {
        if (event instanceof Completed done) {
            onCompleted(done);
        } else if (event instanceof CallStarted started) {
            onCallStarted(started);
        } else if (event instanceof QueueExpired expired) {
            onQueueExpired(expired);
        } else if (event instanceof DeadlinePassed deadline) {
            onDeadline(deadline);
        } else if (event instanceof UndoDone done) {
            onUndoDone(done);
        } else if (event instanceof UndoAgain again) {
            runUndo(again.undo(), 2);
        }
    }

    void submit(String operation, String requestId, DockerOperation<Object> call, ActorRef<DockerReply<Object>> replyTo) {
        submit(operation, requestId, call, replyTo, null, null);
    }

    /** Runs {@code work} within {@code requested} (null: esb.docker.client-timeout), unless too many calls are pending. */
    void submit(String operation, String requestId, DockerOperation<Object> work, ActorRef<DockerReply<Object>> replyTo,
                Deadline requested, Undo undo) {
        var deadline = requested != null ? requested : timeouts.call();
        if (shared.inFlight.get() >= docker.maxPendingOperations()) {
            metrics.refused(operation, DockerFailure.Kind.OVERLOADED);
            replyTo.tell(new DockerReply.Failed<>(new DockerFailure(DockerFailure.Kind.OVERLOADED, operation,
                    "Docker is overloaded: " + shared.inFlight.get() + " operations pending (esb.docker.max-pending-operations)")));
            return;
        }
        long id = shared.ids.incrementAndGet();
        var call = new Pending(operation, replyTo, deadline, undo);
        pending.put(id, call);
        shared.inFlight.incrementAndGet();
        var self = ctx.getSelf();
        var future = CompletableFuture.supplyAsync(() -> runLogged(id, call.ticket, self, operation, requestId, work), dockerExecutor);
        ctx.pipeToSelf(future, (value, error) -> new Completed(id, value, error));
        timers.startSingleTimer(new QueueExpired(id), timeouts.queueWait());
    }

    /**
     * Runs on a Docker dispatcher thread, so these log lines show which thread did the Docker work. A call whose
     * queue-timeout passed first is not run.
     */
    private Object runLogged(long id, Ticket ticket, ActorRef<DockerSupervisor.Command> self, String operation, String requestId,
                             DockerOperation<Object> work) {
        if (!ticket.claim()) {
            shared.inFlight.decrementAndGet();
            throw new NotRun();
        }
        long start = System.nanoTime();
        if (requestId != null) {
            MDC.put("request_id", requestId);
        }
        try (var call = AbortableDockerHttpClient.open()) {
            ticket.running(call);
            self.tell(new CallStarted(id));
            var result = work.run(client);
            if (!"ping".equals(operation)) {
                log.info("Docker operation succeeded", kv("operation", operation), kv("duration_ms", millisSince(start)));
            }
            return result;
        } catch (Exception e) {
            log.warn("Docker operation failed", kv("operation", operation), kv("duration_ms", millisSince(start)),
                    kv("error_detail", String.valueOf(e.getMessage())));
            throw e instanceof RuntimeException re ? re : new CompletionException(e);
        } finally {
            shared.inFlight.decrementAndGet();
            MDC.remove("request_id");
        }
    }

    private void onCompleted(Completed done) {
        var call = pending.remove(done.id());
        if (call == null) {
            return; // already answered: timed out, or expired in the queue
        }
        timers.cancel(new DeadlinePassed(done.id()));
        timers.cancel(new QueueExpired(done.id()));
        if (done.error() == null) {
            metrics.completed(call.operation, call.since(), null);
            call.replyTo.tell(new DockerReply.Ok<>(done.value()));
        } else {
            var failure = classify(call.operation, unwrap(done.error()), docker.host());
            metrics.completed(call.operation, call.since(), failure);
            call.replyTo.tell(new DockerReply.Failed<>(failure));
        }
    }

    private void onCallStarted(CallStarted started) {
        var call = pending.get(started.id());
        if (call != null) {
            call.startNanos = System.nanoTime();
            timers.cancel(new QueueExpired(started.id()));
            timers.startSingleTimer(new DeadlinePassed(started.id()), call.deadline.after());
        }
    }

    private void onQueueExpired(QueueExpired expired) {
        var call = pending.get(expired.id());
        if (call == null || !call.ticket.claim()) {
            return; // a worker took it up just now: its deadline applies
        }
        pending.remove(expired.id());
        metrics.refused(call.operation, DockerFailure.Kind.OVERLOADED);
        call.replyTo.tell(new DockerReply.Failed<>(new DockerFailure(DockerFailure.Kind.OVERLOADED, call.operation,
                "Docker is overloaded: '" + call.operation + "' waited " + millisSince(call.submittedNanos) + " ms for one of the "
                        + docker.maxWorkers() + " Docker workers (esb.docker.queue-timeout) and was not run")));
        log.warn("Docker operation waited too long for a worker; not run", kv("operation", call.operation),
                kv("waited_ms", millisSince(call.submittedNanos)), kv("operations_in_flight", shared.inFlight.get()));
    }

    /**
     * The call alone fails: its requests are aborted, which frees its thread, and its caller is answered now. The
     * daemon is not declared down for it; that is the probe's to judge.
     */
    private void onDeadline(DeadlinePassed deadline) {
        var call = pending.remove(deadline.id());
        if (call == null) {
            return;
        }
        var timeout = call.deadline.after();
        var failure = new DockerFailure(DockerFailure.Kind.TIMEOUT, call.operation,
                "Docker operation '" + call.operation + "' timed out after " + timeout.toMillis() + " ms (" + call.deadline.key() + ")");
        metrics.completed(call.operation, call.since(), failure);
        call.replyTo.tell(new DockerReply.Failed<>(failure));
        log.error("Docker operation timed out; aborting it alone", kv("operation", call.operation), kv("timeout_ms", timeout.toMillis()),
                kv("operations_in_flight", shared.inFlight.get()));
        call.ticket.abort("timed out after " + timeout.toMillis() + " ms");
        if (call.undo != null) {
            runUndo(call.undo, 1);
        }
    }

    @SuppressWarnings("unchecked")
    private void runUndo(Undo undo, int attempt) {
        ActorRef<DockerReply<Object>> self = ctx.messageAdapter((Class<DockerReply<Object>>) (Class<?>) DockerReply.class,
                reply -> new UndoDone(undo, attempt, reply));
        DockerOperation<Object> work = c -> undo.call().run(c);
        submit(undo.operation(), null, work, self);
    }

    private void onUndoDone(UndoDone done) {
        if (done.reply() instanceof DockerReply.Ok<Object> ok) {
            if (Boolean.FALSE.equals(ok.value()) && done.attempt() == 1) {
                timers.startSingleTimer(new UndoAgain(done.undo()), timeouts.probeInterval());
            }
        } else {
            // Reconcile removes it when the daemon next comes back; adoption takes a running one into the pool.
            log.warn("Could not undo a timed-out Docker operation", kv("operation", done.undo().operation()),
                    kv("error_detail", ((DockerReply.Failed<Object>) done.reply()).failure().message()));
        }
    }

    /** When ({@link System#nanoTime()}) the oldest pending {@code operation} was submitted; {@link Long#MAX_VALUE}: none. */
    long oldestSubmittedNanos(String operation) {
        long oldestNanos = Long.MAX_VALUE;
        for (var call : pending.values()) {
            if (call.operation.equals(operation)) {
                oldestNanos = Math.min(oldestNanos, call.submittedNanos);
            }
        }
        return oldestNanos;
    }

    /** Answers every call still pending UNAVAILABLE because of {@code abortReason}; none still queued runs after this. */
    void abortAll(String abortReason) {
        for (var call : pending.values()) {
            // One still waiting for a worker must not run on the closed client.
            call.ticket.claim();
            var failure = new DockerFailure(DockerFailure.Kind.UNAVAILABLE, call.operation,
                    "Docker daemon unavailable at " + docker.host() + ": '" + call.operation + "' was aborted because " + abortReason);
            metrics.completed(call.operation, call.since(), failure);
            call.replyTo.tell(new DockerReply.Failed<>(failure));
        }
        pending.clear();
    }

    /** What a call's error tells its caller: the daemon refused it, could not be reached at {@code dockerHost}, or it failed. */
    static DockerFailure classify(String operation, Throwable error, String dockerHost) {
        if (error instanceof com.github.dockerjava.api.exception.DockerException de) {
            return new DockerFailure(DockerFailure.Kind.REJECTED, operation,
                    "Docker rejected '" + operation + "' (HTTP " + de.getHttpStatus() + "): " + firstLine(de.getMessage()));
        }
        if (hasCause(error, IOException.class)) {
            return new DockerFailure(DockerFailure.Kind.UNAVAILABLE, operation,
                    "Docker daemon unavailable at " + dockerHost + ": " + describe(error));
        }
        return new DockerFailure(DockerFailure.Kind.REJECTED, operation, "Docker operation '" + operation + "' failed: " + describe(error));
    }

    static Throwable unwrap(Throwable error) {
        while ((error instanceof CompletionException || error instanceof ExecutionException) && error.getCause() != null) {
            error = error.getCause();
        }
        return error;
    }

    private static boolean hasCause(Throwable error, Class<? extends Throwable> type) {
        Set<Throwable> seen = new HashSet<>();
        for (var e = error; e != null && seen.add(e); e = e.getCause()) {
            if (type.isInstance(e)) {
                return true;
            }
        }
        return false;
    }

    /** The deepest cause's message is the one that says what happened (e.g. "Connection refused"). */
    static String describe(Throwable error) {
        var root = error;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        var text = root.getMessage() == null ? root.getClass().getSimpleName() : root.getClass().getSimpleName() + ": " + root.getMessage();
        return firstLine(text);
    }

    static String firstLine(String text) {
        if (text == null) {
            return "";
        }
        var line = text.strip().lines().findFirst().orElse("");
        return line.length() > 300 ? line.substring(0, 300) : line;
    }

    private static long millisSince(long startNanos) {
        return Duration.ofNanos(System.nanoTime() - startNanos).toMillis();
    }
}
