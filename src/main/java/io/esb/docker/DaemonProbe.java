package io.esb.docker;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.PostStop;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import com.github.dockerjava.api.DockerClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static net.logstash.logback.argument.StructuredArguments.kv;

/**
 * Judges whether the Docker daemon is up, for its parent the {@link DockerSupervisor}: every {@code probe-interval}
 * it pings, one ping at a time on the probe's own thread (a ping queued behind busy Docker workers would make a busy
 * daemon look hung), and reports {@link Up}, {@link Missed} or {@link Down}. The parent keeps the calls and publishes
 * the daemon's state; the probe only judges.
 * <p>
 * Each incarnation of the supervisor spawns its own probe, over that incarnation's client: a ping and the daemon's
 * silence mean something only on the client they were measured on, and restarting the supervisor (a fresh client)
 * stops its children, which ends a probe whose client is gone along with its count of misses. Its reports carry the
 * incarnation so one still in the parent's mailbox from an earlier probe is dropped.
 * <p>
 * Its log lines keep the supervisor's logger name: they are the supervisor's view of the daemon, as before the split.
 */
final class DaemonProbe {
    private static final Logger log = LoggerFactory.getLogger(DockerSupervisor.class);

    sealed interface Command {}

    private enum Tick implements Command { INSTANCE }

    /** The outstanding ping answered, failed, or is still unanswered at the end of a wait ({@link TimeoutException}). */
    private record PingDone(Throwable error) implements Command {}

    /** What the probe tells its parent; {@code incarnation} is the supervisor incarnation whose client it pinged. */
    sealed interface Report {
        long incarnation();
    }

    /** A ping was answered: the daemon is up. */
    record Up(long incarnation) implements Report {}

    /** A ping counted as missed (already logged); fewer than probe-misses in a row, so the daemon is not down yet. */
    record Missed(long incarnation, int missed, int allowed, String reason) implements Report {}

    /**
     * The daemon is down for {@code reason}. {@code resetClient}: it missed probe-misses pings in a row, and the calls
     * it still holds are freed only by closing the client; otherwise it refused the ping (nothing listens).
     */
    record Down(long incarnation, String reason, boolean resetClient) implements Report {}

    /** What the probe needs from its incarnation: the client it pings, and how to tell a busy daemon from a silent one. */
    record Wiring(long incarnation, DockerClient client, String dockerHost, DockerTimeouts timeouts, int probeMisses,
                  AtomicInteger inFlight, AtomicLong lastDaemonAnswerNanos, ExecutorService prober, DockerMetrics metrics) {}

    static Behavior<Command> create(Wiring wiring, ActorRef<Report> parent) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
            timers.startTimerWithFixedDelay(Tick.INSTANCE, wiring.timeouts().probeInterval());
            ctx.getSelf().tell(Tick.INSTANCE);
            return new DaemonProbe(ctx, wiring, parent).behavior();
        }));
    }

    private final ActorContext<Command> ctx;
    private final Wiring wiring;
    private final ActorRef<Report> parent;
    /** The ping still waiting for its answer, if any; a tick never sends a second one beside it. */
    private CompletableFuture<Object> ping;
    /** The outstanding ping's requests, aborted when it counts as missed so the probe thread is free again. */
    private final AtomicReference<AbortableDockerHttpClient.Call> pingCall = new AtomicReference<>();
    /** Pings missed in a row; probe-misses of them mark the daemon down. */
    private int pingMisses;
    private long pingStartNanos;
    /** Completes once per ping with its outcome, for the ping metrics. */
    private CompletableFuture<Object> pingOutcome;
    private boolean pingSlowLogged;

    private DaemonProbe(ActorContext<Command> ctx, Wiring wiring, ActorRef<Report> parent) {
        this.ctx = ctx;
        this.wiring = wiring;
        this.parent = parent;
    }

    private Behavior<Command> behavior() {
        return Behaviors.receive(Command.class)
                .onMessageEquals(Tick.INSTANCE, this::onTick)
                .onMessage(PingDone.class, this::onPingDone)
                .onSignal(PostStop.class, stopped -> {
                    abortPing("the probe stopped");
                    return Behaviors.same();
                })
                .build();
    }

    private Behavior<Command> onTick() {
        if (ping != null) {
            return Behaviors.same();
        }
        pingStartNanos = System.nanoTime();
        pingSlowLogged = false;
        pingOutcome = new CompletableFuture<>();
        wiring.metrics().ping(pingOutcome);
        var client = wiring.client();
        ping = CompletableFuture.supplyAsync(() -> {
            try (var call = AbortableDockerHttpClient.open()) {
                pingCall.set(call);
                return DockerOps.ping().run(client);
            } catch (Exception e) {
                throw new CompletionException(e);
            } finally {
                pingCall.set(null);
            }
        }, wiring.prober());
        awaitPing(wiring.timeouts().probe());
        return Behaviors.same();
    }

    /** Waits up to {@code window} for the outstanding ping. */
    private void awaitPing(Duration window) {
        var waited = ping.copy().orTimeout(Math.max(1, window.toMillis()), TimeUnit.MILLISECONDS);
        ctx.pipeToSelf(waited, (ok, error) -> new PingDone(error == null ? null : DockerCalls.unwrap(error)));
    }

    /**
     * A ping that has waited probe-timeout counts as missed only once the daemon has been silent (answered no request
     * of this client) for probe-timeout, or busy-probe-timeout while other calls are in flight: a burst of cold starts
     * on a small host can hold every answer for seconds, and calling that a hang would abort them all.
     */
    private Behavior<Command> onPingDone(PingDone done) {
        var host = wiring.dockerHost();
        if (done.error() == null) {
            if (pingSlowLogged) {
                log.info("Docker daemon answered its ping", kv("docker_host", host), kv("waited_ms", millisSince(pingStartNanos)));
            }
            ping = null;
            pingMisses = 0;
            pingOutcome.complete("OK");
            parent.tell(new Up(wiring.incarnation()));
            return Behaviors.same();
        }
        if (!(done.error() instanceof TimeoutException)) {
            pingOutcome.completeExceptionally(done.error());
            ping = null;
            pingMisses = 0;
            parent.tell(new Down(wiring.incarnation(), DockerCalls.describe(done.error()), false));
            return Behaviors.same();
        }
        boolean busy = wiring.inFlight().get() > 0;
        var allowed = wiring.timeouts().pingAllowance(busy);
        var silent = Duration.ofNanos(System.nanoTime() - Math.max(wiring.lastDaemonAnswerNanos().get(), pingStartNanos));
        if (silent.compareTo(allowed) < 0) {
            if (!pingSlowLogged) {
                pingSlowLogged = true;
                log.warn("Docker daemon is slow to answer its ping; not marking it down while it is busy",
                        kv("docker_host", host), kv("waited_ms", millisSince(pingStartNanos)),
                        kv("operations_in_flight", wiring.inFlight().get()));
            }
            awaitPing(allowed.minus(silent));
            return Behaviors.same();
        }
        int inFlight = wiring.inFlight().get();
        pingMisses++;
        int allowedMisses = wiring.probeMisses();
        var reason = (busy
                ? "no answer to a ping or any call within " + allowed.toMillis() + " ms, with " + inFlight
                        + (inFlight == 1 ? " call" : " calls") + " in flight (esb.docker.busy-probe-timeout)"
                : "ping got no answer within " + allowed.toMillis() + " ms (esb.docker.probe-timeout)")
                + ", " + pingMisses + " of " + allowedMisses + " pings missed in a row (esb.docker.probe-misses)";
        pingOutcome.completeExceptionally(done.error());
        abortPing(reason); // frees the probe thread for the next ping
        ping = null;
        if (pingMisses < allowedMisses) {
            log.warn("Docker daemon missed a ping", kv("docker_host", host), kv("missed", pingMisses),
                    kv("probe_misses", allowedMisses), kv("operations_in_flight", inFlight));
            parent.tell(new Missed(wiring.incarnation(), pingMisses, allowedMisses, reason));
            return Behaviors.same();
        }
        parent.tell(new Down(wiring.incarnation(), reason, true));
        // Nothing more to judge on this client: the parent resets it, and its next incarnation probes anew.
        return Behaviors.stopped();
    }

    private void abortPing(String reason) {
        var stuck = pingCall.get();
        if (stuck != null) {
            stuck.abort(reason);
        }
    }

    private static long millisSince(long startNanos) {
        return Duration.ofNanos(System.nanoTime() - startNanos).toMillis();
    }
}
