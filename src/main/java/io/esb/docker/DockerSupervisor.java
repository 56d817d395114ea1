package io.esb.docker;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.DispatcherSelector;
import akka.actor.typed.PostStop;
import akka.actor.typed.PreRestart;
import akka.actor.typed.SupervisorStrategy;
import akka.actor.typed.eventstream.EventStream;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.TimerScheduler;
import com.github.dockerjava.api.DockerClient;
import io.esb.config.EsbSettings;
import io.esb.observability.GatewayMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static net.logstash.logback.argument.StructuredArguments.kv;

/**
 * The only owner of the docker-java client. Every blocking call runs on the dedicated {@code esb.docker-dispatcher}
 * under a deadline the actor enforces itself (docker-java's response timeout does not apply over a unix socket).
 * A call waits at most {@code queue-timeout} for a worker; once running, a call past its deadline is aborted alone
 * (its connection is closed, which frees its thread) and its caller is answered, while the calls beside it carry on.
 * Only the probe declares the daemon down: {@code probe-misses} pings in a row unanswered. Then, as a last resort,
 * the actor fails and is restarted with backoff, closing its client (which frees every thread the hung daemon held)
 * and building a fresh one.
 * <p>
 * Split by what each part decides: a {@link DaemonProbe} child per incarnation pings and judges the daemon (Up,
 * Missed, Down); the {@link Reconciler} decides which containers a reconcile removes; each incarnation's
 * {@link DockerCalls} keeps its calls (queue wait, deadline, abort, undo) and is driven by this actor's messages; this
 * actor refuses calls while the daemon is down, publishes the daemon's state and reconciles when the daemon is first
 * seen Up and after each comeback. Timeouts are read by name from {@link DockerTimeouts}.
 */
public final class DockerSupervisor {
    public static final String DISPATCHER = "esb.docker-dispatcher";
    private static final Logger log = LoggerFactory.getLogger(DockerSupervisor.class);

    public sealed interface Command permits Run, GetDaemonState, DockerCalls.Event, ProbeReported, ReconcileDone {}

    /**
     * Runs {@code operation} and answers {@code replyTo} with its result or a typed failure, within {@code deadline}
     * (null: {@code esb.docker.client-timeout}).
     */
    public record Run<T>(String operation, String requestId, DockerOperation<T> call, ActorRef<DockerReply<T>> replyTo,
                         Deadline deadline, Undo undo) implements Command {
        public Run(String operation, String requestId, DockerOperation<T> call, ActorRef<DockerReply<T>> replyTo) {
            this(operation, requestId, call, replyTo, null, null);
        }

        public Run(String operation, String requestId, DockerOperation<T> call, ActorRef<DockerReply<T>> replyTo, Deadline deadline) {
            this(operation, requestId, call, replyTo, deadline, null);
        }
    }

    /**
     * What to run after a call's caller was told it timed out, to remove what the call may still have made (a
     * container created as the deadline passed). It answers whether it found anything; when it found nothing it runs
     * once more a probe interval later, since the daemon may still be finishing the aborted request.
     */
    public record Undo(String operation, DockerOperation<Boolean> call) {}

    /**
     * Asks {@code docker} to run {@code call} within {@code deadline} (null: esb.docker.client-timeout); {@code toCommand}
     * turns its reply, or a TIMEOUT failure when none came within {@code askTimeout}, into the asking actor's message.
     */
    @SuppressWarnings("unchecked")
    public static <T, C> void ask(ActorContext<C> ctx, ActorRef<Command> docker, Duration askTimeout, String operation, String requestId,
                                  DockerOperation<T> call, Deadline deadline, java.util.function.Function<DockerReply<T>, C> toCommand) {
        ask(ctx, docker, askTimeout, operation, requestId, call, deadline, null, toCommand);
    }

    /** As above, with an {@link Undo} for what a timed-out call may leave behind. */
    @SuppressWarnings("unchecked")
    public static <T, C> void ask(ActorContext<C> ctx, ActorRef<Command> docker, Duration askTimeout, String operation, String requestId,
                                  DockerOperation<T> call, Deadline deadline, Undo undo,
                                  java.util.function.Function<DockerReply<T>, C> toCommand) {
        Class<DockerReply<T>> replyClass = (Class<DockerReply<T>>) (Class<?>) DockerReply.class;
        ctx.ask(replyClass, docker, askTimeout, replyTo -> new Run<>(operation, requestId, call, replyTo, deadline, undo),
                (reply, error) -> toCommand.apply(reply != null ? reply : new DockerReply.Failed<>(new DockerFailure(
                        DockerFailure.Kind.TIMEOUT, operation, "Docker operation '" + operation + "' got no answer: " + error.getMessage()))));
    }

    /** A longer deadline for a call that is slow by nature (an image build), and the setting it comes from. */
    public record Deadline(Duration after, String key) {}

    /**
     * Answers the daemon's state if it is already known. Subscribers to the event stream ask once at start, so a
     * state published before their subscription took effect is not missed.
     */
    public record GetDaemonState(ActorRef<DaemonState> replyTo) implements Command {}

    /** What this incarnation's {@link DaemonProbe} judged; one from an earlier incarnation's probe is dropped. */
    private record ProbeReported(DaemonProbe.Report report) implements Command {}

    private record ReconcileDone(int removed, Throwable error) implements Command {}

    /** Thrown to make the supervisor restart with a fresh client after a call had to be aborted. */
    static final class ClientAborted extends RuntimeException {
        ClientAborted(String message) {
            super(message);
        }
    }

    /** State that must outlive restarts: the daemon's state, the count of running calls, and call ids. */
    public static final class Shared {
        final AtomicReference<DaemonState> state;
        final AtomicInteger inFlight = new AtomicInteger();
        final AtomicLong ids = new AtomicLong();
        final AtomicLong incarnations = new AtomicLong();
        /**
         * Pings run on their own thread, not the Docker dispatcher: a ping queued behind busy workers would time out
         * and make a busy but healthy daemon look hung.
         */
        final ExecutorService prober = Executors.newSingleThreadExecutor(r -> {
            var t = new Thread(r, "esb-docker-probe");
            t.setDaemon(true);
            return t;
        });
        final ExecutorService closer = Executors.newSingleThreadExecutor(r -> {
            var t = new Thread(r, "esb-docker-client-closer");
            t.setDaemon(true);
            return t;
        });

        /**
         * Function name → spec hashes its live containers may carry. Reconcile keeps only those; live reload replaces
         * it (a draining function keeps its old hash until its actor stops).
         */
        private volatile Map<String, Set<String>> liveSpecs = Map.of();

        Shared(String host) {
            state = new AtomicReference<>(new DaemonState(DaemonState.Status.UNKNOWN, host, null, Instant.now()));
        }

        public void liveSpecs(Map<String, Set<String>> specs) {
            liveSpecs = Map.copyOf(specs);
        }

        public Map<String, Set<String>> liveSpecs() {
            return liveSpecs;
        }

        public DaemonState daemonState() {
            return state.get();
        }

        public int operationsInFlight() {
            return inFlight.get();
        }
    }

    public static Shared sharedState(EsbSettings settings) {
        var shared = new Shared(settings.docker().host());
        var specs = new HashMap<String, Set<String>>();
        settings.functions().values().forEach(fn -> specs.put(fn.name(), Set.of(fn.containerSpecHash())));
        shared.liveSpecs(specs);
        return shared;
    }

    public static Behavior<Command> create(EsbSettings settings, Shared shared) {
        return create(settings, shared, DockerMetrics.of(GatewayMetrics.disabled()));
    }

    public static Behavior<Command> create(EsbSettings settings, Shared shared, DockerMetrics metrics) {
        var backoff = SupervisorStrategy.restartWithBackoff(
                settings.docker().restartMinBackoff(), settings.docker().restartMaxBackoff(), 0.2)
                .withStashCapacity(settings.docker().maxPendingOperations());
        return Behaviors.supervise(Behaviors.<Command>setup(ctx -> Behaviors.withTimers(timers ->
                new Incarnation(ctx, timers, settings, shared, metrics).behavior()))).onFailure(backoff);
    }

    private static final class Incarnation {
        private final ActorContext<Command> ctx;
        private final EsbSettings settings;
        private final Shared shared;
        private final DockerMetrics metrics;
        private final DockerClient client;
        private final DockerCalls calls;
        /** When the daemon last answered an HTTP request of this incarnation's client (errors it sent count too). */
        private final AtomicLong lastDaemonAnswerNanos = new AtomicLong(System.nanoTime());
        private final long incarnation;
        /** Why this incarnation gave up its client; told to every call it could not finish. */
        private String abortReason = "the gateway is stopping";
        private boolean reconciledSinceUp;

        Incarnation(ActorContext<Command> ctx, TimerScheduler<Command> timers, EsbSettings settings, Shared shared, DockerMetrics metrics) {
            this.ctx = ctx;
            this.metrics = metrics;
            this.settings = settings;
            this.shared = shared;
            var timeouts = DockerTimeouts.of(settings.docker());
            this.client = DockerClients.create(settings.docker(), lastDaemonAnswerNanos);
            this.calls = new DockerCalls(ctx, timers, client, ctx.getSystem().dispatchers().lookup(DispatcherSelector.fromConfig(DISPATCHER)),
                    timeouts, settings.docker(), shared, metrics);
            this.incarnation = shared.incarnations.incrementAndGet();
            var wiring = new DaemonProbe.Wiring(incarnation, client, settings.docker().host(), timeouts,
                    settings.docker().probeMisses(), shared.inFlight, lastDaemonAnswerNanos, shared.prober, metrics);
            ctx.spawn(DaemonProbe.create(wiring, ctx.messageAdapter(DaemonProbe.Report.class, ProbeReported::new)),
                    "probe-" + incarnation);
        }

        Behavior<Command> behavior() {
            return Behaviors.receive(Command.class)
                    .onMessage(Run.class, this::onRun)
                    .onMessage(DockerCalls.Event.class, event -> {
                        calls.on(event);
                        return Behaviors.same();
                    })
                    .onMessage(GetDaemonState.class, get -> {
                        if (shared.state.get().status() != DaemonState.Status.UNKNOWN) {
                            get.replyTo().tell(shared.state.get());
                        }
                        return Behaviors.same();
                    })
                    .onMessage(ProbeReported.class, this::onProbeReported)
                    .onMessage(ReconcileDone.class, this::onReconcileDone)
                    .onSignal(PreRestart.class, s -> stop())
                    .onSignal(PostStop.class, s -> stop())
                    .build();
        }

        @SuppressWarnings("unchecked")
        private Behavior<Command> onRun(Run<?> run) {
            var replyTo = (ActorRef<DockerReply<Object>>) (ActorRef<?>) run.replyTo();
            var state = shared.state.get();
            if (state.down()) {
                metrics.refused(run.operation(), DockerFailure.Kind.UNAVAILABLE);
                replyTo.tell(new DockerReply.Failed<>(new DockerFailure(DockerFailure.Kind.UNAVAILABLE, run.operation(),
                        "Docker daemon unavailable at " + state.dockerHost() + ": " + state.lastError())));
                return Behaviors.same();
            }
            calls.submit(run.operation(), run.requestId(), (DockerOperation<Object>) run.call(), replyTo, run.deadline(), run.undo());
            return Behaviors.same();
        }

        /**
         * The probe alone declares the daemon down. Missed pings change nothing here (the probe counted and logged
         * them); after probe-misses in a row the client is reset, the last resort that frees the calls a daemon that
         * answers nothing still holds.
         */
        private Behavior<Command> onProbeReported(ProbeReported reported) {
            var report = reported.report();
            if (report.incarnation() != incarnation) {
                return Behaviors.same(); // judged on a client an earlier incarnation already closed
            }
            if (report instanceof DaemonProbe.Up) {
                markUp();
                if (!reconciledSinceUp) {
                    reconciledSinceUp = true;
                    reconcile();
                }
            } else if (report instanceof DaemonProbe.Down down) {
                markDown(down.reason());
                if (down.resetClient()) {
                    abortReason = down.reason();
                    throw new ClientAborted("Docker daemon unresponsive: " + down.reason());
                }
            }
            return Behaviors.same();
        }

        /** When the oldest create-and-start still in flight began: containers created but never started since may be its. */
        private long createsInFlightSince() {
            return Reconciler.createsInFlightSince(calls.oldestSubmittedNanos("create-and-start"), System.nanoTime(),
                    System.currentTimeMillis());
        }

        /** Runs {@link Reconciler#operation} like any other call, sparing what a create-and-start in flight may have made. */
        @SuppressWarnings("unchecked")
        private void reconcile() {
            DockerOperation<Integer> removeStale = Reconciler.operation(settings.docker().instanceId(), shared.liveSpecs,
                    settings.docker().network(), createsInFlightSince());
            DockerOperation<Object> call = c -> removeStale.run(c);
            ActorRef<DockerReply<Object>> self = ctx.messageAdapter((Class<DockerReply<Object>>) (Class<?>) DockerReply.class, reply ->
                    reply instanceof DockerReply.Ok<Object> ok
                            ? new ReconcileDone((Integer) ok.value(), null)
                            : new ReconcileDone(0, ((DockerReply.Failed<Object>) reply).failure().toException()));
            calls.submit(Reconciler.OPERATION, null, call, self);
        }

        private Behavior<Command> onReconcileDone(ReconcileDone done) {
            if (done.error() != null) {
                log.warn("Reconcile failed; it runs again when the daemon next comes back", kv("error_detail", done.error().getMessage()));
                reconciledSinceUp = false;
            } else {
                log.info("Reconcile finished", kv("removed", done.removed()));
            }
            return Behaviors.same();
        }

        private void markUp() {
            var previous = shared.state.get();
            if (!previous.up()) {
                var now = new DaemonState(DaemonState.Status.UP, previous.dockerHost(), previous.lastError(), Instant.now());
                shared.state.set(now);
                log.info("Docker daemon is up", kv("docker_host", now.dockerHost()));
                ctx.getSystem().eventStream().tell(new EventStream.Publish<>(now));
            }
        }

        private void markDown(String reason) {
            var previous = shared.state.get();
            var now = new DaemonState(DaemonState.Status.DOWN, previous.dockerHost(), reason, previous.down() ? previous.since() : Instant.now());
            shared.state.set(now);
            reconciledSinceUp = false;
            if (!previous.down()) {
                log.error("Docker daemon is down", kv("docker_host", now.dockerHost()), kv("error_detail", reason));
                ctx.getSystem().eventStream().tell(new EventStream.Publish<>(now));
            }
        }

        /** Answers every call still waiting, closes the client off the actor's thread. */
        private Behavior<Command> stop() {
            calls.abortAll(abortReason);
            shared.closer.execute(() -> {
                try {
                    client.close();
                } catch (IOException | RuntimeException e) {
                    log.warn("Closing the Docker client failed", kv("error_detail", String.valueOf(e.getMessage())));
                }
            });
            return Behaviors.same();
        }
    }
}
