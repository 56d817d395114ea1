package io.esb.function;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.eventstream.EventStream;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.TimerScheduler;
import io.esb.config.EsbSettings;
import io.esb.config.FunctionSettings;
import io.esb.docker.ContainerSpec;
import io.esb.docker.DaemonState;
import io.esb.docker.DockerFailure;
import io.esb.docker.DockerOperation;
import io.esb.docker.DockerOps;
import io.esb.docker.DockerReply;
import io.esb.docker.DockerSupervisor;
import io.esb.docker.Labels;
import io.esb.docker.ManagedContainer;
import io.esb.docker.StartedContainer;
import io.esb.observability.AfterEachMessage;
import io.esb.observability.FunctionMetrics;
import io.esb.observability.GatewayMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import static net.logstash.logback.argument.StructuredArguments.kv;

/**
 * Owns one function's containers (idle, busy, starting) and forwards its invocations, one at a time per container.
 * Cold starts are single-flight: a start is begun only for queued invocations that no starting container will serve.
 */
public final class FunctionActor {
    private static final Logger log = LoggerFactory.getLogger(FunctionActor.class);
    /** Extra time the gateway gives a container past the function timeout, so the RIE's own timeout answer arrives first. */
    private static final Duration TIMEOUT_GRACE = Duration.ofSeconds(1);

    public sealed interface Command {}

    public record Invoke(Invocation invocation, ActorRef<InvocationResult> replyTo) implements Command {}

    public record GetStatus(ActorRef<FunctionStatus> replyTo) implements Command {}

    /** From the {@link ContainerBudget}: a cold start may go ahead. */
    public record StartPermitted() implements Command {}

    /** From the {@link ContainerBudget}: give up the least recently used idle container, if any. */
    public record EvictIdle() implements Command {}

    /**
     * Live reload removed or replaced this function: take no container back into the pool, let busy and queued
     * invocations finish, remove every container, then stop once nothing has arrived for {@code grace}. Calls that
     * still arrive (a request that looked the function up just before the reload) are served meanwhile.
     * {@code successor}: a new actor serves the function from now on, so the pool gauges are its to publish.
     */
    public record Drain(Duration grace, boolean successor) implements Command {
        /** A removed function: no successor. */
        public Drain(Duration grace) {
            this(grace, false);
        }
    }

    /** Live reload changed settings that do not shape containers (routes, max-concurrency, min-warm). */
    public record Reconfigure(FunctionSettings function) implements Command {}

    private enum DrainTick implements Command { INSTANCE }

    private record OomChecked(Container container, Pending pending, boolean coldStart, InvokeOutcome.Lost lost,
                              DockerReply<Boolean> reply) implements Command {}

    private enum QueueTick implements Command { INSTANCE }

    private record StartReplied(DockerReply<StartedContainer> reply) implements Command {}

    private record ReadinessChecked(StartedContainer container, boolean ready, boolean adopted) implements Command {}

    /** {@code replied}: the caller already has its answer, sent straight from the I/O thread that received it. */
    private record InvocationDone(Container container, Pending pending, boolean coldStart, InvokeOutcome outcome, boolean replied)
            implements Command {}

    private record DaemonChanged(DaemonState state) implements Command {}

    private record AdoptionListed(DockerReply<List<ManagedContainer>> reply) implements Command {}

    private record Removed(String containerId, DockerReply<Boolean> reply) implements Command {}

    private record LogsFetched(InvocationResult.Completed completed, ActorRef<InvocationResult> replyTo, DockerReply<String> reply)
            implements Command {}

    private enum ReapTick implements Command { INSTANCE }

    /** A live container of this function. {@code served} turns true at its first invocation, which is the cold one. */
    private static final class Container {
        final String id;
        final String host;
        final int port;
        long lastUsedNanos = System.nanoTime();
        boolean served;

        Container(StartedContainer started, boolean served) {
            this.id = started.id();
            this.host = started.host();
            this.port = started.hostPort();
            this.served = served;
        }
    }

    private record Pending(Invocation invocation, ActorRef<InvocationResult> replyTo, int deliveryAttempts, long enqueuedNanos) {}

    /**
     * The longest a caller waits for one invocation: queueing, a cold start (Docker call plus readiness) and the
     * function's own timeout. Past it the caller is answered as timed out; the actor never leaves it hanging.
     */
    public static Duration invocationBound(FunctionSettings function, EsbSettings settings) {
        return function.timeout().multipliedBy(2).plus(settings.containers().readinessTimeout())
                .plus(settings.docker().askTimeout());
    }

    /**
     * {@code adoptRunning = false}: this function's running containers are not adopted when the actor starts, because
     * they belong to a predecessor that is draining (live reload removed and re-added the function).
     */
    public static Behavior<Command> create(FunctionSettings function, EsbSettings settings, ActorRef<DockerSupervisor.Command> docker,
                                           ContainerClient client, ActorRef<ContainerBudget.Command> budget, boolean adoptRunning) {
        return create(function, settings, docker, client, budget, GatewayMetrics.disabled().function(function.name()), adoptRunning);
    }

    public static Behavior<Command> create(FunctionSettings function, EsbSettings settings, ActorRef<DockerSupervisor.Command> docker,
                                           ContainerClient client, ActorRef<ContainerBudget.Command> budget, FunctionMetrics metrics,
                                           boolean adoptRunning) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
            var actor = new FunctionActor(ctx, timers, function, settings, docker, client, budget, metrics);
            actor.skipAdoption = !adoptRunning;
            return actor.behavior();
        }));
    }

    /** Without a gateway-wide container cap. */
    public static Behavior<Command> create(FunctionSettings function, EsbSettings settings,
                                           ActorRef<DockerSupervisor.Command> docker, ContainerClient client) {
        return create(function, settings, docker, client, null);
    }

    public static Behavior<Command> create(FunctionSettings function, EsbSettings settings, ActorRef<DockerSupervisor.Command> docker,
                                           ContainerClient client, ActorRef<ContainerBudget.Command> budget) {
        return create(function, settings, docker, client, budget, true);
    }

    private final ActorContext<Command> ctx;
    private FunctionSettings function;
    private final EsbSettings settings;
    private final ActorRef<DockerSupervisor.Command> docker;
    private final ContainerClient client;
    private final ActorRef<ContainerBudget.Command> budget;
    private final FunctionMetrics metrics;
    private final TimerScheduler<Command> timers;
    /** Most recently used first: warm calls take the head, reaping and eviction take the tail. */
    private final ArrayDeque<Container> idle = new ArrayDeque<>();
    private final Map<String, Container> busy = new HashMap<>();
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    /** Containers created by this actor's cold starts whose readiness is still being checked; never adopted twice. */
    private final java.util.Set<String> readying = new HashSet<>();
    private final Duration dockerAskTimeout;
    /** Cold starts under way, including those still waiting for a permit from the budget. */
    private int starting;
    private int awaitingPermit;
    /** Running containers found at startup whose readiness is being checked before adoption. */
    private int adopting;
    private long coldStarts;
    private boolean daemonDown;
    private boolean daemonUp;
    private long reportedOldestIdle = Long.MIN_VALUE;
    /** Live reload: see {@link Drain}. */
    private boolean draining;
    private Duration drainGrace = Duration.ZERO;
    private boolean drainSuccessor;
    private long drainedSinceNanos = -1;
    /** Docker calls asked and not yet answered; a draining actor waits for them (log tails, removals). */
    private int dockerCalls;
    private boolean skipAdoption;

    private FunctionActor(ActorContext<Command> ctx, TimerScheduler<Command> timers, FunctionSettings function, EsbSettings settings,
                          ActorRef<DockerSupervisor.Command> docker, ContainerClient client, ActorRef<ContainerBudget.Command> budget,
                          FunctionMetrics metrics) {
        this.ctx = ctx;
        this.metrics = metrics;
        this.timers = timers;
        this.function = function;
        this.settings = settings;
        this.docker = docker;
        this.client = client;
        this.budget = budget;
        this.dockerAskTimeout = settings.docker().askTimeout();
        var idleTimeout = settings.containers().idleTimeout();
        var reapEvery = idleTimeout.dividedBy(4).compareTo(Duration.ofSeconds(15)) > 0 ? Duration.ofSeconds(15) : idleTimeout.dividedBy(4);
        timers.startTimerWithFixedDelay(ReapTick.INSTANCE, reapEvery.isZero() ? Duration.ofMillis(100) : reapEvery);
        ActorRef<DaemonState> daemonEvents = ctx.messageAdapter(DaemonState.class, DaemonChanged::new);
        ctx.getSystem().eventStream().tell(new EventStream.Subscribe<>(DaemonState.class, daemonEvents));
        docker.tell(new DockerSupervisor.GetDaemonState(daemonEvents));
    }

    private Behavior<Command> behavior() {
        return Behaviors.intercept(() -> new AfterEachMessage<>(Command.class, this::publishPool), handlers());
    }

    /** The pool's sizes for the containers and queue-depth gauges, after every message that may have changed them. */
    private void publishPool() {
        if (!draining || !drainSuccessor) {
            metrics.pool(idle.size(), busy.size(), starting, queue.size());
        }
    }

    private Behavior<Command> handlers() {
        return Behaviors.receive(Command.class)
                .onMessage(Invoke.class, this::onInvoke)
                .onMessage(GetStatus.class, this::onGetStatus)
                .onMessage(StartReplied.class, this::onStartReplied)
                .onMessage(ReadinessChecked.class, this::onReadinessChecked)
                .onMessage(InvocationDone.class, this::onInvocationDone)
                .onMessage(DaemonChanged.class, this::onDaemonChanged)
                .onMessage(AdoptionListed.class, this::onAdoptionListed)
                .onMessage(Removed.class, this::onRemoved)
                .onMessage(LogsFetched.class, this::onLogsFetched)
                .onMessage(StartPermitted.class, this::onStartPermitted)
                .onMessage(EvictIdle.class, this::onEvictIdle)
                .onMessage(OomChecked.class, this::onOomChecked)
                .onMessage(Drain.class, this::onDrain)
                .onMessage(Reconfigure.class, this::onReconfigure)
                .onMessageEquals(DrainTick.INSTANCE, this::onDrainTick)
                .onMessageEquals(QueueTick.INSTANCE, this::onQueueTick)
                .onMessageEquals(ReapTick.INSTANCE, this::onReapTick)
                .build();
    }

    private Behavior<Command> onInvoke(Invoke invoke) {
        var pending = new Pending(invoke.invocation(), invoke.replyTo(), 0, System.nanoTime());
        if (!idle.isEmpty()) {
            dispatch(idle.pop(), pending);
            reportIdle();
        } else if (queue.size() >= settings.containers().maxQueueDepth()) {
            metrics.queueFull();
            invoke.replyTo().tell(new InvocationResult.Failed(InvocationResult.Reason.THROTTLED,
                    "Too many requests waiting for function '" + function.name() + "' (esb.containers.max-queue-depth = "
                            + settings.containers().maxQueueDepth() + ")", false));
        } else {
            enqueue(pending, false);
            startContainersForQueue();
        }
        return Behaviors.same();
    }

    private void enqueue(Pending pending, boolean first) {
        if (queue.isEmpty()) {
            var timeout = settings.containers().queueTimeout();
            var every = timeout.dividedBy(4).compareTo(Duration.ofMillis(250)) > 0 ? Duration.ofMillis(250) : timeout.dividedBy(4);
            timers.startTimerWithFixedDelay(QueueTick.INSTANCE, every.isZero() ? Duration.ofMillis(10) : every);
        }
        if (first) {
            queue.addFirst(pending);
        } else {
            queue.add(pending);
        }
    }

    private Pending dequeue() {
        var next = queue.poll();
        if (queue.isEmpty()) {
            timers.cancel(QueueTick.INSTANCE);
        }
        return next;
    }

    /**
     * Expires waiters older than {@code queue-timeout}. The first {@code starting} waiters are skipped: cold starts
     * under way will serve them, and a slow start is bounded by the readiness timeout instead.
     */
    private Behavior<Command> onQueueTick() {
        long cutoff = System.nanoTime() - settings.containers().queueTimeout().toNanos();
        var waiters = queue.iterator();
        for (int i = 0; i < starting - awaitingPermit && waiters.hasNext(); i++) {
            waiters.next();
        }
        while (waiters.hasNext()) {
            var waiter = waiters.next();
            if (waiter.enqueuedNanos() >= cutoff) {
                break; // FIFO: everyone behind is younger
            }
            waiters.remove();
            metrics.queueTimedOut();
            waiter.replyTo().tell(new InvocationResult.Failed(InvocationResult.Reason.THROTTLED,
                    "No container of function '" + function.name() + "' became free within "
                            + settings.containers().queueTimeout().toMillis() + " ms (esb.containers.queue-timeout)", false));
        }
        if (queue.isEmpty()) {
            timers.cancel(QueueTick.INSTANCE);
        }
        cancelUnneededPermitWaits();
        return Behaviors.same();
    }

    private Behavior<Command> onGetStatus(GetStatus get) {
        get.replyTo().tell(new FunctionStatus(function.name(), idle.size(), busy.size(), starting, queue.size(), coldStarts));
        return Behaviors.same();
    }

    /**
     * Starts only as many containers as there is demand no starting container will meet (queued invocations, plus
     * what {@code min-warm} asks for), within {@code max-concurrency}.
     */
    private void startContainersForQueue() {
        while (starting < demand() && idle.size() + busy.size() + starting + adopting < function.maxConcurrency()) {
            starting++;
            if (budget == null) {
                startContainer();
            } else {
                awaitingPermit++;
                budget.tell(new ContainerBudget.Acquire(function.name(), ctx.getSelf()));
            }
        }
    }

    private int demand() {
        return queue.size() + (draining ? 0 : Math.max(0, function.minWarm() - idle.size() - busy.size() - adopting));
    }

    private Behavior<Command> onStartPermitted(StartPermitted permit) {
        if (awaitingPermit == 0) {
            // Its wait was cancelled here after the budget had already granted it: give it back.
            budget.tell(new ContainerBudget.Release(function.name()));
            return Behaviors.same();
        }
        awaitingPermit--;
        if (starting - 1 < demand()) {
            startContainer();
        } else {
            starting--; // the demand went away while waiting (served by another container, or timed out)
            budget.tell(new ContainerBudget.Release(function.name()));
        }
        return Behaviors.same();
    }

    private Behavior<Command> onEvictIdle(EvictIdle evict) {
        var lru = idle.peekLast();
        if (lru != null && idle.size() + busy.size() > function.minWarm()) {
            log.info("Evicting idle container for another function", kv("function_name", function.name()), kv("container_id", lru.id));
            discard(lru);
        } else {
            reportedOldestIdle = Long.MIN_VALUE;
            reportIdle();
        }
        return Behaviors.same();
    }

    /** Tells the budget how long this function's least recently used idle container has waited, when that changes. */
    private void reportIdle() {
        if (budget == null) {
            return;
        }
        var lru = idle.peekLast();
        long oldest = lru == null || idle.size() + busy.size() <= function.minWarm() ? Long.MAX_VALUE : lru.lastUsedNanos;
        if (oldest != reportedOldestIdle) {
            reportedOldestIdle = oldest;
            budget.tell(new ContainerBudget.IdleReport(function.name(), ctx.getSelf(), oldest));
        }
    }

    private void releasePermit() {
        if (budget != null) {
            budget.tell(new ContainerBudget.Release(function.name()));
        }
    }

    private void startContainer() {
        coldStarts++;
        var requestId = queue.isEmpty() ? null : queue.peekLast().invocation().requestId();
        var name = "esb-" + settings.docker().instanceId() + "-" + function.name() + "-"
                + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffffffL);
        var spec = new ContainerSpec(name, function.image(), containerEnvironment(),
                Labels.forContainer(settings.docker().instanceId(), function.name(), function.containerSpecHash()),
                function.memoryMb() * 1024L * 1024L, function.cpus());
        metrics.coldStartBegan(name);
        // A start aborted at its deadline may still leave its container behind: removed by its name.
        var undo = new DockerSupervisor.Undo("remove-timed-out-start", DockerOps.remove(name));
        askDocker("create-and-start", requestId, DockerOps.createAndStart(spec, settings.docker().network()), undo, StartReplied::new);
    }

    private Map<String, String> containerEnvironment() {
        var env = new LinkedHashMap<String, String>();
        env.put("AWS_LAMBDA_FUNCTION_NAME", function.name());
        env.put("AWS_LAMBDA_FUNCTION_TIMEOUT", Long.toString(function.timeout().toSeconds()));
        env.put("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", Integer.toString(function.memoryMb()));
        env.put("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST");
        env.put("AWS_REGION", settings.region());
        env.putAll(function.environment());
        return env;
    }

    private Behavior<Command> onStartReplied(StartReplied started) {
        if (started.reply() instanceof DockerReply.Ok<StartedContainer> ok) {
            var container = ok.value();
            readying.add(container.id());
            ctx.pipeToSelf(client.awaitReady(container.host(), container.hostPort(), settings.containers().readinessTimeout()),
                    (ready, error) -> new ReadinessChecked(container, Boolean.TRUE.equals(ready), false));
        } else {
            starting--;
            releasePermit();
            var failure = ((DockerReply.Failed<StartedContainer>) started.reply()).failure();
            var reason = failure.kind() == DockerFailure.Kind.TIMEOUT || failure.kind() == DockerFailure.Kind.REJECTED
                    ? InvocationResult.Reason.START_FAILED : InvocationResult.Reason.DOCKER_UNAVAILABLE;
            startFailed(reason, failure.message());
        }
        return Behaviors.same();
    }

    private Behavior<Command> onReadinessChecked(ReadinessChecked checked) {
        var started = checked.container();
        if (checked.adopted()) {
            adopting--;
            if (checked.ready() && !knownOrReadying(started.id())) {
                log.info("Adopted running container", kv("function_name", function.name()), kv("container_id", started.id()),
                        kv("host", started.host()), kv("host_port", started.hostPort()));
                if (budget != null) {
                    budget.tell(new ContainerBudget.Adopted(function.name()));
                }
                makeAvailable(new Container(started, true));
            } else if (!checked.ready()) {
                // Nothing else would ever remove it: it is this instance's, runs, and no actor pools it.
                log.warn("Running container did not answer; not adopted, removing it", kv("function_name", function.name()),
                        kv("container_id", started.id()), kv("host", started.host()), kv("host_port", started.hostPort()));
                client.release(started.host(), started.hostPort());
                remove(started.id());
            }
            startContainersForQueue(); // min-warm, now that adoption has settled
            return Behaviors.same();
        }
        starting--;
        readying.remove(started.id());
        metrics.coldStartEnded(started.name(), checked.ready());
        if (checked.ready() && known(started.id())) {
            // Adopted while its own readiness check ran (the daemon came back meanwhile): already in the pool.
            releasePermit();
            startContainersForQueue();
        } else if (checked.ready()) {
            log.info("Container ready", kv("function_name", function.name()), kv("container_id", started.id()),
                    kv("host", started.host()), kv("host_port", started.hostPort()));
            makeAvailable(new Container(started, false));
        } else {
            remove(started.id());
            releasePermit();
            startFailed(InvocationResult.Reason.START_FAILED, "container " + started.name() + " did not answer within "
                    + settings.containers().readinessTimeout().toMillis() + " ms (esb.containers.readiness-timeout)");
        }
        return Behaviors.same();
    }

    /** Queued callers are failed only when no container exists or is starting that could still serve them. */
    private void startFailed(InvocationResult.Reason reason, String message) {
        log.error("Cold start failed for function '{}'", function.name(), kv("function_name", function.name()), kv("error_detail", message));
        if (idle.size() + busy.size() + starting > 0) {
            return;
        }
        while (!queue.isEmpty()) {
            dequeue().replyTo().tell(new InvocationResult.Failed(reason, message, true));
        }
    }

    private void makeAvailable(Container container) {
        container.lastUsedNanos = System.nanoTime();
        var next = dequeue();
        if (next != null) {
            dispatch(container, next);
        } else if (draining) {
            discard(container);
        } else {
            idle.push(container);
            reportIdle();
        }
        cancelUnneededPermitWaits();
    }

    /** Starts still waiting for the budget that no one needs any more (the queue was served) are withdrawn. */
    private void cancelUnneededPermitWaits() {
        while (awaitingPermit > 0 && starting > demand()) {
            awaitingPermit--;
            starting--;
            budget.tell(new ContainerBudget.Cancel(ctx.getSelf()));
        }
    }

    private void dispatch(Container container, Pending pending) {
        busy.put(container.id, container);
        boolean coldStart = !container.served;
        container.served = true;
        var invocation = pending.invocation();
        var self = ctx.getSelf();
        var containerId = container.id;
        long sent = System.nanoTime();
        metrics.containerCall(client.invoke(container.host, container.port, invocation.event(), invocation.requestId(),
                function.timeout().plus(TIMEOUT_GRACE)), sent)
                .whenComplete((answer, error) -> {
                    var outcome = answer != null ? answer
                            : new InvokeOutcome.Lost(error.getClass().getSimpleName(), String.valueOf(error.getMessage()), false);
                    // A plain answer goes to the caller from here, not after a trip through this actor's mailbox;
                    // the actor only learns that the container is free.
                    boolean replied = !invocation.tailLogs() && outcome instanceof InvokeOutcome.Answered answered && !leftInUnknownState(answered);
                    if (replied) {
                        var answered = (InvokeOutcome.Answered) outcome;
                        pending.replyTo().tell(new InvocationResult.Completed(answered.status(), answered.body(), answered.contentType(),
                                coldStart, containerId, null));
                    }
                    self.tell(new InvocationDone(container, pending, coldStart, outcome, replied));
                });
    }

    private Behavior<Command> onInvocationDone(InvocationDone done) {
        var container = done.container();
        busy.remove(container.id);
        var pending = done.pending();
        var requestId = pending.invocation().requestId();
        var outcome = done.outcome();
        if (outcome instanceof InvokeOutcome.Answered answered) {
            if (!done.replied()) {
                var completed = new InvocationResult.Completed(answered.status(), answered.body(), answered.contentType(),
                        done.coldStart(), container.id, null);
                if (pending.invocation().tailLogs()) {
                    // Log lines from before this invocation's dispatch are cut away by its request id.
                    long since = java.time.Instant.now().minus(function.timeout()).minusSeconds(2).getEpochSecond();
                    askDocker("invocation-logs", requestId, DockerOps.invocationLogs(container.id, since, requestId),
                            reply -> new LogsFetched(completed, pending.replyTo(), reply));
                } else {
                    pending.replyTo().tell(completed);
                }
            }
            // A reply sent from the I/O thread already ruled this out.
            if (!done.replied() && leftInUnknownState(answered)) {
                // A timed-out or crashed runtime is never reused; the next call gets a fresh container.
                discard(container);
                startContainersForQueue();
            } else {
                makeAvailable(container);
            }
        } else if (outcome instanceof InvokeOutcome.NotDelivered notDelivered) {
            logInvocationFailure(requestId, container, notDelivered.errorType(), notDelivered.detail());
            discard(container);
            if (pending.deliveryAttempts() == 0) {
                // The event never reached the dead container, so it is safe to send it to a fresh one.
                enqueue(new Pending(pending.invocation(), pending.replyTo(), 1, pending.enqueuedNanos()), true);
            } else {
                pending.replyTo().tell(new InvocationResult.Failed(InvocationResult.Reason.CONTAINER_FAILED,
                        "Function container unreachable: " + notDelivered.detail(), done.coldStart()));
            }
            startContainersForQueue();
        } else if (outcome instanceof InvokeOutcome.Lost lost) {
            logInvocationFailure(requestId, container, lost.errorType(), lost.detail());
            if (lost.timedOut()) {
                discard(container);
                pending.replyTo().tell(new InvocationResult.Failed(InvocationResult.Reason.TIMED_OUT, "Function '" + function.name()
                        + "' did not answer within its timeout of " + function.timeout().toSeconds() + " s", done.coldStart()));
                startContainersForQueue();
            } else {
                // Kept out of the pool but not yet removed: its state says whether the kernel killed it for memory.
                askDocker("inspect", requestId, DockerOps.wasOomKilled(container.id),
                        reply -> new OomChecked(container, pending, done.coldStart(), lost, reply));
            }
        }
        return Behaviors.same();
    }

    private Behavior<Command> onOomChecked(OomChecked checked) {
        boolean oom = checked.reply() instanceof DockerReply.Ok<Boolean> ok && ok.value();
        discard(checked.container());
        checked.pending().replyTo().tell(oom
                ? new InvocationResult.Failed(InvocationResult.Reason.OUT_OF_MEMORY, "Function '" + function.name()
                        + "' ran out of memory (memory-mb = " + function.memoryMb() + "); the kernel killed its container", checked.coldStart())
                : new InvocationResult.Failed(InvocationResult.Reason.RUNTIME_EXITED,
                        "Function container failed during the invocation: " + checked.lost().detail(), checked.coldStart()));
        if (oom) {
            log.error("Function container was killed for running out of memory", kv("function_name", function.name()),
                    kv("container_id", checked.container().id), kv("memory_mb", function.memoryMb()));
        }
        startContainersForQueue();
        return Behaviors.same();
    }

    /** The RIE reports a handler timeout as this text, and a runtime that died as a 502 without a body. */
    private static boolean leftInUnknownState(InvokeOutcome.Answered answered) {
        if (answered.status() >= 500) {
            return true;
        }
        var body = answered.body();
        return body.length < 100 && new String(body, StandardCharsets.UTF_8).startsWith("Task timed out after");
    }

    private void logInvocationFailure(String requestId, Container container, String errorType, String detail) {
        MDC.put("request_id", requestId);
        try {
            log.error("Lambda invocation failed for function '{}'", function.name(),
                    kv("function_name", function.name()),
                    kv("target_url", ContainerClient.invokeUrl(container.host, container.port)),
                    kv("error_type", errorType),
                    kv("error_detail", detail));
        } finally {
            MDC.remove("request_id");
        }
    }

    private void discard(Container container) {
        client.release(container.host, container.port);
        idle.remove(container);
        busy.remove(container.id);
        remove(container.id);
        releasePermit();
        reportIdle();
    }

    private void remove(String containerId) {
        askDocker("remove", null, DockerOps.remove(containerId), reply -> new Removed(containerId, reply));
    }

    private Behavior<Command> onRemoved(Removed removed) {
        if (removed.reply() instanceof DockerReply.Failed<Boolean> failed) {
            // Left for reconcile, which removes this gateway's stale containers when the daemon answers again.
            log.warn("Could not remove container", kv("function_name", function.name()), kv("container_id", removed.containerId()),
                    kv("error_detail", failed.failure().message()));
        }
        return Behaviors.same();
    }

    private Behavior<Command> onLogsFetched(LogsFetched fetched) {
        var completed = fetched.completed();
        if (fetched.reply() instanceof DockerReply.Ok<String> ok) {
            completed = new InvocationResult.Completed(completed.status(), completed.body(), completed.contentType(),
                    completed.coldStart(), completed.containerId(), ok.value());
        }
        fetched.replyTo().tell(completed);
        return Behaviors.same();
    }

    private Behavior<Command> onReapTick() {
        if (daemonDown) {
            return Behaviors.same(); // reaping waits for the daemon instead of failing in a storm
        }
        long cutoff = System.nanoTime() - settings.containers().idleTimeout().toNanos();
        int keep = Math.max(0, function.minWarm() - busy.size());
        var reaped = idle.stream().skip(keep).filter(c -> c.lastUsedNanos < cutoff).toList();
        for (var container : reaped) {
            log.info("Reaping idle container", kv("function_name", function.name()), kv("container_id", container.id),
                    kv("idle_ms", Duration.ofNanos(System.nanoTime() - container.lastUsedNanos).toMillis()));
            discard(container);
        }
        return Behaviors.same();
    }

    private Behavior<Command> onDaemonChanged(DaemonChanged changed) {
        boolean wasUp = daemonUp;
        daemonUp = changed.state().up();
        daemonDown = changed.state().down();
        if (daemonUp && !wasUp) {
            askDocker("list-containers", null, DockerOps.listManaged(settings.docker().instanceId(), function.name()), AdoptionListed::new);
        }
        return Behaviors.same();
    }

    /**
     * Adopts running containers left by an earlier gateway (or surviving a daemon restart) and forgets idle ones the
     * daemon no longer runs, such as after a restart without live-restore.
     */
    private Behavior<Command> onAdoptionListed(AdoptionListed listed) {
        if (!(listed.reply() instanceof DockerReply.Ok<List<ManagedContainer>> ok)) {
            return Behaviors.same();
        }
        var running = new HashSet<String>();
        for (var container : ok.value()) {
            if (container.running()) {
                running.add(container.id());
            }
        }
        var gone = idle.stream().filter(c -> !running.contains(c.id)).toList();
        for (var container : gone) {
            log.warn("Dropping idle container the daemon no longer runs", kv("function_name", function.name()), kv("container_id", container.id));
            idle.remove(container);
            releasePermit();
        }
        reportIdle();
        boolean adopt = !draining && !skipAdoption;
        skipAdoption = false; // the predecessor's containers are gone or draining by the daemon's next comeback
        for (var container : ok.value()) {
            // The address comes from the listing: the published port, or the container's IP on esb.docker.network.
            var started = container.addressOn(settings.docker().network());
            if (adopt && container.running() && started != null && !knownOrReadying(container.id())
                    && function.containerSpecHash().equals(container.specHash())) {
                adopting++;
                // On a network no port proxy can have died with the daemon: a running container that is slow to answer
                // is only slow (as a gateway that has just started is), so it gets the readiness timeout.
                var window = settings.docker().network().isEmpty() ? settings.containers().pingTimeout().multipliedBy(2)
                        : settings.containers().readinessTimeout();
                ctx.pipeToSelf(client.awaitReady(started.host(), started.hostPort(), window),
                        (ready, error) -> new ReadinessChecked(started, Boolean.TRUE.equals(ready), true));
            }
        }
        startContainersForQueue(); // min-warm at boot and after the daemon returns
        return Behaviors.same();
    }

    private Behavior<Command> onDrain(Drain drain) {
        if (!draining) {
            draining = true;
            drainGrace = drain.grace();
            drainSuccessor = drain.successor();
            log.info("Draining function", kv("function_name", function.name()), kv("busy", busy.size()), kv("queued", queue.size()),
                    kv("idle", idle.size()), kv("starting", starting));
            for (var container : List.copyOf(idle)) {
                discard(container);
            }
            cancelUnneededPermitWaits(); // min-warm no longer asks for containers
            timers.startTimerWithFixedDelay(DrainTick.INSTANCE, Duration.ofMillis(100));
        }
        return Behaviors.same();
    }

    /** Stops once nothing is left: no container, call, start or Docker call, for the whole grace period. */
    private Behavior<Command> onDrainTick() {
        if (!idle.isEmpty() || !busy.isEmpty() || !queue.isEmpty() || starting > 0 || adopting > 0 || dockerCalls > 0) {
            drainedSinceNanos = -1;
            return Behaviors.same();
        }
        long now = System.nanoTime();
        if (drainedSinceNanos < 0) {
            drainedSinceNanos = now;
            log.info("Function drained; its containers are removed", kv("function_name", function.name()), kv("cold_starts", coldStarts));
        }
        return now - drainedSinceNanos >= drainGrace.toNanos() ? Behaviors.stopped() : Behaviors.same();
    }

    private Behavior<Command> onReconfigure(Reconfigure reconfigure) {
        if (!draining) {
            function = reconfigure.function();
            reportedOldestIdle = Long.MIN_VALUE; // min-warm may have changed what counts as evictable
            reportIdle();
            startContainersForQueue(); // a higher min-warm
            cancelUnneededPermitWaits(); // a lower one
        }
        return Behaviors.same();
    }

    private boolean known(String containerId) {
        return busy.containsKey(containerId) || idle.stream().anyMatch(c -> c.id.equals(containerId));
    }

    private boolean knownOrReadying(String containerId) {
        return readying.contains(containerId) || known(containerId);
    }

    private <T> void askDocker(String operation, String requestId, DockerOperation<T> call,
                               java.util.function.Function<DockerReply<T>, Command> toCommand) {
        askDocker(operation, requestId, call, null, toCommand);
    }

    private <T> void askDocker(String operation, String requestId, DockerOperation<T> call, DockerSupervisor.Undo undo,
                               java.util.function.Function<DockerReply<T>, Command> toCommand) {
        dockerCalls++;
        DockerSupervisor.ask(ctx, docker, dockerAskTimeout, operation, requestId, call, null, undo, reply -> {
            dockerCalls--; // runs in this actor, as the answer arrives
            return toCommand.apply(reply);
        });
    }
}
