package io.esb.function;

import io.esb.container.ChannelUnavailable;
import io.esb.container.ContainerAddress;
import io.esb.container.ContainerChannel;
import io.esb.container.ContainerClient;
import io.esb.container.InvokeOutcome;
import io.esb.container.InvokeRequest;
import io.esb.container.Readiness;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.eventstream.EventStream;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.BehaviorBuilder;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.TimerScheduler;
import io.esb.config.EsbSettings;
import io.esb.config.FunctionSettings;
import io.esb.config.InvokeMode;
import io.esb.docker.DaemonState;
import io.esb.docker.DockerOperation;
import io.esb.docker.DockerOps;
import io.esb.docker.DockerReply;
import io.esb.docker.DockerSupervisor;
import io.esb.docker.ManagedContainer;
import io.esb.docker.StartedContainer;
import io.esb.function.FunctionPool.Container;
import io.esb.observability.AfterEachMessage;
import io.esb.observability.GatewayMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.time.Duration;
import java.util.List;

import static net.logstash.logback.argument.StructuredArguments.kv;

/**
 * Owns one function's containers and forwards its invocations, one at a time per container. The bookkeeping is a
 * {@link FunctionPool}, the cold starts' Docker requests come from a {@link ContainerStarter}, what a container's
 * outcome means from the {@link FailureClassifier}, and which listed containers to adopt from {@link Adoption}; this
 * actor carries out their decisions. Follow-ups off the hot path run as children: {@link OomInspector} and
 * {@link LogTailReader}. It is {@code active}, or, once live reload replaced or removed the function, {@code draining}
 * until nothing is left.
 */
public final class FunctionActor {
    private static final Logger log = LoggerFactory.getLogger(FunctionActor.class);

    public sealed interface Command {}

    public record Invoke(Invocation invocation, InvocationReply replyTo) implements Command {
        public Invoke(Invocation invocation, ActorRef<InvocationResult> replyTo) {
            this(invocation, new InvocationReply.ToActor(replyTo));
        }
    }

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

    private enum QueueTick implements Command { INSTANCE }

    private enum ReapTick implements Command { INSTANCE }

    /** Pull mode: lists the function's containers once more after adoption, for a predecessor's that exited since. */
    private enum SweepTick implements Command { INSTANCE }

    private record StartReplied(DockerReply<StartedContainer> reply) implements Command {}

    /** What the container needs to reach its channel (the Runtime API's address), or why it cannot be started. */
    private record EnvironmentReady(java.util.Map<String, String> environment, Throwable error) implements Command {}

    private record ReadinessChecked(StartedContainer container, Readiness readiness, boolean adopted) implements Command {}

    /** {@code replied}: the caller already has its answer, sent straight from the I/O thread that received it. */
    private record InvocationDone(Container container, Pending pending, boolean coldStart, InvokeOutcome outcome, boolean replied)
            implements Command {}

    /** The container that lost an invocation, kept out of the pool until its {@link OomInspector} tells how it died. */
    private record OomInspected(Container container, Pending pending, boolean coldStart, InvokeOutcome.Lost lost, boolean killed)
            implements Command {}

    /** A follow-up child ({@link OomInspector}, {@link LogTailReader}) stopped. */
    private enum FollowUpEnded implements Command { INSTANCE }

    private record DaemonChanged(DaemonState state) implements Command {}

    private record AdoptionListed(DockerReply<List<ManagedContainer>> reply) implements Command {}

    private record Removed(String containerId, DockerReply<Boolean> reply) implements Command {}

    private record Pending(Invocation invocation, InvocationReply replyTo, int deliveryAttempts, long enqueuedNanos)
            implements FunctionPool.Waiter {}

    /**
     * The longest a caller waits for one invocation: queueing, a cold start (Docker call plus readiness) and the
     * function's own timeout. Past it the caller is answered as timed out; the actor never leaves it hanging.
     */
    public static Duration invocationBound(FunctionSettings function, EsbSettings settings) {
        return settings.timeouts().invocation(function, settings.containers());
    }

    /**
     * {@code adoptRunning = false}: this function's running containers are not adopted when the actor starts, because
     * they belong to a predecessor that is draining (live reload removed and re-added the function).
     */
    public static Behavior<Command> create(FunctionSettings function, EsbSettings settings, ActorRef<DockerSupervisor.Command> docker,
                                           ContainerChannel channel, ActorRef<ContainerBudget.Command> budget, boolean adoptRunning) {
        return create(function, settings, docker, channel, budget, FunctionMetrics.of(GatewayMetrics.disabled(), function.name()), adoptRunning);
    }

    public static Behavior<Command> create(FunctionSettings function, EsbSettings settings, ActorRef<DockerSupervisor.Command> docker,
                                           ContainerChannel channel, ActorRef<ContainerBudget.Command> budget, FunctionMetrics metrics,
                                           boolean adoptRunning) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
            var actor = new FunctionActor(ctx, timers, function, settings, docker, channel, budget, metrics);
            actor.skipAdoption = !adoptRunning;
            return actor.behavior();
        }));
    }

    /** Without a gateway-wide container cap. */
    public static Behavior<Command> create(FunctionSettings function, EsbSettings settings,
                                           ActorRef<DockerSupervisor.Command> docker, ContainerChannel channel) {
        return create(function, settings, docker, channel, null);
    }

    public static Behavior<Command> create(FunctionSettings function, EsbSettings settings, ActorRef<DockerSupervisor.Command> docker,
                                           ContainerChannel channel, ActorRef<ContainerBudget.Command> budget) {
        return create(function, settings, docker, channel, budget, true);
    }

    private final ActorContext<Command> ctx;
    private final TimerScheduler<Command> timers;
    private FunctionSettings function;
    private final EsbSettings settings;
    private final ActorRef<DockerSupervisor.Command> docker;
    private final ContainerChannel channel;
    /** The function's ARN, as its runtime is told it. */
    private final String functionArn;
    private final BudgetLink budget;
    private final FunctionMetrics metrics;
    private final FunctionPool<Pending> pool;
    private final ContainerStarter starter;
    private final Adoption adoption;
    private final Duration dockerAskTimeout;
    private boolean daemonDown;
    private boolean daemonUp;
    /** False once a successor serves the function: the pool gauges are then its to publish. */
    private boolean publishesGauges = true;
    private boolean queueTicking;
    /** Docker calls asked and not yet answered, and follow-up children still running; a draining actor waits for them. */
    private int dockerCalls;
    private boolean skipAdoption;
    /** Whether the one extra listing after adoption (pull mode) has been scheduled. */
    private boolean swept;

    private FunctionActor(ActorContext<Command> ctx, TimerScheduler<Command> timers, FunctionSettings function, EsbSettings settings,
                          ActorRef<DockerSupervisor.Command> docker, ContainerChannel channel, ActorRef<ContainerBudget.Command> budget,
                          FunctionMetrics metrics) {
        this.ctx = ctx;
        this.metrics = metrics;
        this.timers = timers;
        this.function = function;
        this.settings = settings;
        this.docker = docker;
        this.channel = channel;
        this.functionArn = "arn:aws:lambda:" + settings.region() + ":" + settings.accountId() + ":function:" + function.name();
        this.budget = new BudgetLink(budget, function.name(), ctx.getSelf());
        this.dockerAskTimeout = settings.timeouts().dockerAsk();
        var containers = settings.containers();
        this.pool = new FunctionPool<>(containers.maxQueueDepth(), containers.queueTimeout(), containers.idleTimeout(), this.budget.capped(),
                function.minWarm(), function.maxConcurrency());
        this.starter = new ContainerStarter(settings);
        this.adoption = new Adoption(settings.docker().network(), settings.timeouts().adoptionProbe(), containers.readinessTimeout(),
                function.mode() == InvokeMode.PULL);
        timers.startTimerWithFixedDelay(ReapTick.INSTANCE, settings.timeouts().reapEvery());
        ActorRef<DaemonState> daemonEvents = ctx.messageAdapter(DaemonState.class, DaemonChanged::new);
        ctx.getSystem().eventStream().tell(new EventStream.Subscribe<>(DaemonState.class, daemonEvents));
        docker.tell(new DockerSupervisor.GetDaemonState(daemonEvents));
    }

    private Behavior<Command> behavior() {
        return Behaviors.intercept(() -> new AfterEachMessage<>(Command.class, this::afterEachMessage), active());
    }

    /**
     * The pool's sizes for the containers and queue-depth gauges, and the queue's expiry timer, after every message
     * that may have changed them.
     */
    private void afterEachMessage() {
        if (publishesGauges) {
            metrics.pool(pool.idle(), pool.busy(), pool.starting(), pool.queued());
        }
        boolean waiting = pool.queued() > 0;
        if (waiting && !queueTicking) {
            timers.startTimerWithFixedDelay(QueueTick.INSTANCE, settings.timeouts().queueCheckEvery());
        } else if (!waiting && queueTicking) {
            timers.cancel(QueueTick.INSTANCE);
        }
        queueTicking = waiting;
    }

    // ---- states ----------------------------------------------------------------------------------------------------

    /** Serving the function: takes containers back into the pool and keeps min-warm. */
    private Behavior<Command> active() {
        return serving()
                .onMessage(Drain.class, this::onDrain)
                .onMessage(Reconfigure.class, this::onReconfigure)
                .build();
    }

    /**
     * Live reload replaced or removed the function ({@link Drain}): still serves what arrives, keeps nothing, and
     * stops once nothing is left for {@code grace}. {@code drainedSinceNanos}: when it last became empty, or -1.
     */
    private Behavior<Command> draining(Duration grace, long drainedSinceNanos) {
        return serving()
                .onMessageEquals(DrainTick.INSTANCE, () -> onDrainTick(grace, drainedSinceNanos))
                .onMessage(Drain.class, drain -> Behaviors.same())
                .onMessage(Reconfigure.class, reconfigure -> Behaviors.same())
                .build();
    }

    /** What both states do: serve invocations, start, adopt, reap and remove containers. */
    private BehaviorBuilder<Command> serving() {
        return Behaviors.receive(Command.class)
                .onMessage(Invoke.class, this::onInvoke)
                .onMessage(InvocationDone.class, this::onInvocationDone)
                .onMessage(GetStatus.class, this::onGetStatus)
                .onMessage(StartPermitted.class, this::onStartPermitted)
                .onMessage(EnvironmentReady.class, this::onEnvironmentReady)
                .onMessage(StartReplied.class, this::onStartReplied)
                .onMessage(ReadinessChecked.class, this::onReadinessChecked)
                .onMessage(OomInspected.class, this::onOomInspected)
                .onMessageEquals(FollowUpEnded.INSTANCE, () -> {
                    dockerCalls--;
                    return Behaviors.same();
                })
                .onMessage(Removed.class, this::onRemoved)
                .onMessage(EvictIdle.class, this::onEvictIdle)
                .onMessage(DaemonChanged.class, this::onDaemonChanged)
                .onMessage(AdoptionListed.class, this::onAdoptionListed)
                .onMessageEquals(QueueTick.INSTANCE, this::onQueueTick)
                .onMessageEquals(ReapTick.INSTANCE, this::onReapTick)
                .onMessageEquals(SweepTick.INSTANCE, () -> {
                    askDocker("list-containers", null, DockerOps.listManaged(settings.docker().instanceId(), function.name()),
                            AdoptionListed::new);
                    return Behaviors.same();
                });
    }

    // ---- invocations -----------------------------------------------------------------------------------------------

    private Behavior<Command> onInvoke(Invoke invoke) {
        var admission = pool.admit(new Pending(invoke.invocation(), invoke.replyTo(), 0, System.nanoTime()));
        if (admission instanceof FunctionPool.Dispatch<Pending> warm) {
            dispatch(warm.container(), warm.waiter(), warm.coldStart());
            reportIdle();
        } else if (admission instanceof FunctionPool.QueueFull<Pending>) {
            metrics.queueFull();
            invoke.replyTo().send(new InvocationResult.Failed(InvocationResult.Reason.THROTTLED,
                    "Too many requests waiting for function '" + function.name() + "' (esb.containers.max-queue-depth = "
                            + settings.containers().maxQueueDepth() + ")", false));
        } else {
            startContainersForQueue();
        }
        return Behaviors.same();
    }

    private void dispatch(Container container, Pending pending, boolean coldStart) {
        var invocation = pending.invocation();
        var self = ctx.getSelf();
        var containerId = container.id;
        long sent = System.nanoTime();
        metrics.containerCall(channel.invoke(container.address(), new InvokeRequest(invocation.requestId(), invocation.event(),
                function.timeout(), functionArn, invocation.clientContext())), sent)
                .whenComplete((answer, error) -> {
                    var outcome = answer != null ? answer
                            : new InvokeOutcome.Lost(error.getClass().getSimpleName(), String.valueOf(error.getMessage()), false);
                    // A plain answer goes to the caller from here, not after a trip through this actor's mailbox;
                    // the actor only learns that the container is free. It learns first: the caller's answer may be
                    // written on this very thread (IoThreadDispatch), and a caller's next call must find the container
                    // free, not start another (ScaleIT.oneCallerAtATimeIsServedByOneContainer).
                    boolean replied = FailureClassifier.answeredOnArrival(invocation, outcome);
                    self.tell(new InvocationDone(container, pending, coldStart, outcome, replied));
                    if (replied) {
                        pending.replyTo().send(FailureClassifier.completed((InvokeOutcome.Answered) outcome, coldStart, containerId));
                    }
                });
    }

    private Behavior<Command> onInvocationDone(InvocationDone done) {
        var container = done.container();
        var pending = done.pending();
        pool.finished(container);
        var outcome = done.outcome();
        if (outcome instanceof InvokeOutcome.NotDelivered notDelivered) {
            logInvocationFailure(pending.invocation().requestId(), container, notDelivered.errorType(), notDelivered.detail());
        } else if (outcome instanceof InvokeOutcome.Lost lost) {
            logInvocationFailure(pending.invocation().requestId(), container, lost.errorType(), lost.detail());
        }
        var verdict = FailureClassifier.classify(outcome, done.replied(), pending.deliveryAttempts(), done.coldStart(), container.id, function);
        if (verdict instanceof FailureClassifier.Answer answer) {
            if (answer.reply() != null) {
                reply(answer.reply(), pending);
            }
            if (answer.reuse()) {
                makeAvailable(container);
            } else {
                discard(container);
                startContainersForQueue();
            }
        } else if (verdict instanceof FailureClassifier.Resend) {
            discard(container);
            pool.requeueFirst(new Pending(pending.invocation(), pending.replyTo(), 1, pending.enqueuedNanos()));
            startContainersForQueue();
        } else if (verdict instanceof FailureClassifier.Fail fail) {
            discard(container);
            pending.replyTo().send(fail.reply());
            startContainersForQueue();
        } else if (verdict instanceof FailureClassifier.CheckForOom check) {
            followUp(OomInspector.create(docker, dockerAskTimeout, container.id, pending.invocation().requestId(), ctx.getSelf(),
                    killed -> new OomInspected(container, pending, done.coldStart(), check.lost(), killed)));
        }
        return Behaviors.same();
    }

    /** Answers with {@code completed}, after reading its log tail when the caller asked for it. */
    private void reply(InvocationResult.Completed completed, Pending pending) {
        if (pending.invocation().tailLogs()) {
            followUp(LogTailReader.create(docker, dockerAskTimeout, completed, pending.replyTo(), pending.invocation().requestId(),
                    function.timeout()));
        } else {
            pending.replyTo().send(completed);
        }
    }

    /** A follow-up off the hot path runs as a child; a draining actor waits for it as for a Docker call. */
    private <T> void followUp(Behavior<T> child) {
        dockerCalls++;
        ctx.watchWith(ctx.spawnAnonymous(child), FollowUpEnded.INSTANCE);
    }

    private Behavior<Command> onOomInspected(OomInspected inspected) {
        var container = inspected.container();
        discard(container);
        inspected.pending().replyTo().send(FailureClassifier.afterOomCheck(inspected.killed(), inspected.lost(), inspected.coldStart(), function));
        if (inspected.killed()) {
            log.error("Function container was killed for running out of memory", kv("function_name", function.name()),
                    kv("container_id", container.id), kv("memory_mb", function.memoryMb()));
        }
        startContainersForQueue();
        return Behaviors.same();
    }

    private void logInvocationFailure(String requestId, Container container, String errorType, String detail) {
        MDC.put("request_id", requestId);
        try {
            log.error("Lambda invocation failed for function '{}'", function.name(),
                    kv("function_name", function.name()),
                    // A pull-mode container is reached through the Runtime API, where it calls from its address.
                    kv("target_url", container.port > 0 ? ContainerClient.invokeUrl(container.host, container.port)
                            : "runtime-api://" + container.host),
                    kv("error_type", errorType),
                    kv("error_detail", detail));
        } finally {
            MDC.remove("request_id");
        }
    }

    /** A free or new container serves the next waiter, or waits idle, or goes while draining. */
    private void makeAvailable(Container container) {
        var placement = pool.place(container, System.nanoTime());
        if (placement instanceof FunctionPool.Dispatch<Pending> next) {
            dispatch(container, next.waiter(), next.coldStart());
        } else if (placement instanceof FunctionPool.Discard<Pending>) {
            discard(container);
        } else {
            reportIdle();
        }
        cancelUnneededPermitWaits();
    }

    /** Expires waiters older than {@code queue-timeout} that no start under way will serve. */
    private Behavior<Command> onQueueTick() {
        for (var waiter : pool.expireWaiters(System.nanoTime())) {
            metrics.queueTimedOut();
            waiter.replyTo().send(new InvocationResult.Failed(InvocationResult.Reason.THROTTLED,
                    "No container of function '" + function.name() + "' became free within "
                            + settings.containers().queueTimeout().toMillis() + " ms (esb.containers.queue-timeout)", false));
        }
        cancelUnneededPermitWaits();
        return Behaviors.same();
    }

    private Behavior<Command> onGetStatus(GetStatus get) {
        get.replyTo().tell(new FunctionStatus(function.name(), pool.idle(), pool.busy(), pool.starting(), pool.queued(), pool.coldStarts()));
        return Behaviors.same();
    }

    // ---- cold starts -----------------------------------------------------------------------------------------------

    /** Begins the starts the pool asks for: at once, or once the budget grants each a permit. */
    private void startContainersForQueue() {
        for (int begun = pool.startsToBegin(); begun > 0; begun--) {
            if (budget.capped()) {
                budget.acquire();
            } else {
                startContainer();
            }
        }
    }

    private Behavior<Command> onStartPermitted(StartPermitted permit) {
        if (pool.permitGranted()) {
            startContainer();
        } else {
            // Withdrawn after the budget had granted it, or the demand went away while waiting: give it back.
            budget.release();
        }
        return Behaviors.same();
    }

    /** Starts still waiting for the budget that no one needs any more (the queue was served) are withdrawn. */
    private void cancelUnneededPermitWaits() {
        for (int cancelled = pool.permitWaitsToCancel(); cancelled > 0; cancelled--) {
            budget.cancel();
        }
    }

    private void startContainer() {
        pool.startLaunched();
        // A pull-mode container is told where the Runtime API listens; a push-mode one needs nothing (completed at once).
        ctx.pipeToSelf(channel.containerEnvironment(), EnvironmentReady::new);
    }

    private Behavior<Command> onEnvironmentReady(EnvironmentReady ready) {
        if (ready.error() != null) {
            pool.startAborted();
            budget.release();
            var dockerDown = rootCause(ready.error()) instanceof ChannelUnavailable unavailable && unavailable.dockerUnavailable();
            startFailed(dockerDown ? InvocationResult.Reason.DOCKER_UNAVAILABLE : InvocationResult.Reason.START_FAILED,
                    rootMessage(ready.error()));
            return Behaviors.same();
        }
        var newest = pool.newestWaiter();
        var requestId = newest == null ? null : newest.invocation().requestId();
        var start = starter.coldStart(function, ready.environment());
        metrics.coldStartBegan(start.spec().name());
        askDocker("create-and-start", requestId, start.createAndStart(), start.undo(), StartReplied::new);
        return Behaviors.same();
    }

    private Behavior<Command> onStartReplied(StartReplied started) {
        if (started.reply() instanceof DockerReply.Ok<StartedContainer> ok) {
            var container = ok.value();
            pool.startCreated(container.id());
            ctx.pipeToSelf(channel.awaitReady(address(container), settings.containers().readinessTimeout()),
                    (readiness, error) -> new ReadinessChecked(container, readiness != null ? readiness
                            : Readiness.notReady(rootMessage(error)), false));
        } else {
            pool.startAborted();
            budget.release();
            var failure = ((DockerReply.Failed<StartedContainer>) started.reply()).failure();
            startFailed(FailureClassifier.startFailure(failure), failure.message());
        }
        return Behaviors.same();
    }

    private static Throwable rootCause(Throwable error) {
        var root = error;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root;
    }

    private static String rootMessage(Throwable error) {
        var root = rootCause(error);
        return root.getMessage() != null ? root.getMessage() : root.getClass().getSimpleName();
    }

    private static ContainerAddress address(StartedContainer container) {
        return new ContainerAddress(container.id(), container.host(), container.hostPort());
    }

    private Behavior<Command> onReadinessChecked(ReadinessChecked checked) {
        var started = checked.container();
        boolean ready = checked.readiness().ready();
        if (checked.adopted()) {
            adoptionChecked(started, ready);
            return Behaviors.same();
        }
        pool.startSettled(started.id());
        metrics.coldStartEnded(started.name(), ready);
        if (ready && pool.known(started.id())) {
            // Adopted while its own readiness check ran (the daemon came back meanwhile): already in the pool.
            budget.release();
            startContainersForQueue();
        } else if (ready) {
            log.info("Container ready", kv("function_name", function.name()), kv("container_id", started.id()),
                    kv("host", started.host()), kv("host_port", started.hostPort()));
            makeAvailable(new Container(started.id(), started.host(), started.hostPort(), false, System.nanoTime()));
        } else {
            channel.release(address(started));
            remove(started.id());
            budget.release();
            var initError = checked.readiness().initError();
            if (initError != null) {
                initFailed(started, initError);
            } else {
                startFailed(InvocationResult.Reason.START_FAILED, "container " + started.name() + " did not answer within "
                        + settings.containers().readinessTimeout().toMillis() + " ms (esb.containers.readiness-timeout)");
            }
        }
        return Behaviors.same();
    }

    /**
     * The function's own init failed (the runtime reported it through the Runtime API): as on AWS, the callers get
     * that error as the function's error, not a gateway failure.
     */
    private void initFailed(StartedContainer started, byte[] initError) {
        log.error("Function init failed", kv("function_name", function.name()), kv("container_id", started.id()),
                kv("error_type", LambdaOutcome.errorTypeOf(initError)));
        for (var waiter : pool.waitersNoneCanServe()) {
            waiter.replyTo().send(new InvocationResult.Completed(200, initError, "application/json", true, started.id(), null));
        }
    }

    /** Queued callers are failed only when no container exists or is starting that could still serve them. */
    private void startFailed(InvocationResult.Reason reason, String message) {
        log.error("Cold start failed for function '{}'", function.name(), kv("function_name", function.name()), kv("error_detail", message));
        for (var waiter : pool.waitersNoneCanServe()) {
            waiter.replyTo().send(new InvocationResult.Failed(reason, message, true));
        }
    }

    // ---- containers going --------------------------------------------------------------------------------------------

    private void discard(Container container) {
        channel.release(container.address());
        pool.forget(container);
        remove(container.id);
        budget.release();
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

    private Behavior<Command> onReapTick() {
        if (daemonDown) {
            return Behaviors.same(); // reaping waits for the daemon instead of failing in a storm
        }
        long now = System.nanoTime();
        for (var container : pool.reap(now)) {
            log.info("Reaping idle container", kv("function_name", function.name()), kv("container_id", container.id),
                    kv("idle_ms", Duration.ofNanos(now - container.lastUsedNanos).toMillis()));
            discard(container);
        }
        return Behaviors.same();
    }

    private Behavior<Command> onEvictIdle(EvictIdle evict) {
        var lru = pool.evict();
        if (lru != null) {
            log.info("Evicting idle container for another function", kv("function_name", function.name()), kv("container_id", lru.id));
            discard(lru);
        } else {
            budget.forgetReport();
            reportIdle();
        }
        return Behaviors.same();
    }

    /** Tells the budget how long this function's least recently used idle container has waited, when that changes. */
    private void reportIdle() {
        budget.reportIdle(pool.oldestEvictableIdleNanos());
    }

    // ---- the daemon and adoption -------------------------------------------------------------------------------------

    private Behavior<Command> onDaemonChanged(DaemonChanged changed) {
        boolean wasUp = daemonUp;
        daemonUp = changed.state().up();
        daemonDown = changed.state().down();
        if (daemonUp && !wasUp) {
            askDocker("list-containers", null, DockerOps.listManaged(settings.docker().instanceId(), function.name()), AdoptionListed::new);
        }
        return Behaviors.same();
    }

    /** Carries out the {@link Adoption} plan for the daemon's listing of this function's containers. */
    private Behavior<Command> onAdoptionListed(AdoptionListed listed) {
        if (!(listed.reply() instanceof DockerReply.Ok<List<ManagedContainer>> ok)) {
            return Behaviors.same();
        }
        boolean adopt = !pool.draining() && !skipAdoption;
        skipAdoption = false; // the predecessor's containers are gone or draining by the daemon's next comeback
        var plan = adoption.plan(ok.value(), adopt, function.containerSpecHash(), pool::knownOrReadying);
        for (var container : pool.forgetIdleNotIn(plan.running())) {
            log.warn("Dropping idle container the daemon no longer runs", kv("function_name", function.name()), kv("container_id", container.id));
            budget.release();
        }
        reportIdle();
        if (function.mode() == InvokeMode.PULL && !swept) {
            // A predecessor's runtime may still run at this listing and exit just after (its Runtime API is gone).
            swept = true;
            timers.startSingleTimer(SweepTick.INSTANCE, settings.timeouts().adoptionProbe().plusSeconds(3));
        }
        for (var containerId : plan.toRemove()) {
            log.warn("Removing a pull-mode container this gateway did not start; its runtime lost the Runtime API",
                    kv("function_name", function.name()), kv("container_id", containerId));
            remove(containerId);
        }
        for (var started : plan.toProbe()) {
            pool.adoptionBegan();
            ctx.pipeToSelf(channel.awaitReady(address(started), adoption.probeWindow()),
                    (readiness, error) -> new ReadinessChecked(started, readiness != null ? readiness
                            : Readiness.notReady(rootMessage(error)), true));
        }
        startContainersForQueue(); // min-warm at boot and after the daemon returns
        return Behaviors.same();
    }

    private void adoptionChecked(StartedContainer started, boolean ready) {
        pool.adoptionSettled();
        var next = Adoption.afterProbe(ready, pool.knownOrReadying(started.id()));
        if (next == Adoption.AfterProbe.ADOPT) {
            log.info("Adopted running container", kv("function_name", function.name()), kv("container_id", started.id()),
                    kv("host", started.host()), kv("host_port", started.hostPort()));
            budget.adopted();
            makeAvailable(new Container(started.id(), started.host(), started.hostPort(), true, System.nanoTime()));
        } else if (next == Adoption.AfterProbe.REMOVE) {
            log.warn("Running container did not answer; not adopted, removing it", kv("function_name", function.name()),
                    kv("container_id", started.id()), kv("host", started.host()), kv("host_port", started.hostPort()));
            channel.release(address(started));
            remove(started.id());
        }
        startContainersForQueue(); // min-warm, now that adoption has settled
    }

    // ---- live reload -------------------------------------------------------------------------------------------------

    private Behavior<Command> onReconfigure(Reconfigure reconfigure) {
        function = reconfigure.function();
        pool.reconfigure(function.minWarm(), function.maxConcurrency());
        budget.forgetReport(); // min-warm may have changed what counts as evictable
        reportIdle();
        startContainersForQueue(); // a higher min-warm
        cancelUnneededPermitWaits(); // a lower one
        return Behaviors.same();
    }

    private Behavior<Command> onDrain(Drain drain) {
        publishesGauges = !drain.successor();
        log.info("Draining function", kv("function_name", function.name()), kv("busy", pool.busy()), kv("queued", pool.queued()),
                kv("idle", pool.idle()), kv("starting", pool.starting()));
        for (var container : pool.drain()) {
            discard(container);
        }
        cancelUnneededPermitWaits(); // min-warm no longer asks for containers
        timers.startTimerWithFixedDelay(DrainTick.INSTANCE, Duration.ofMillis(100));
        return draining(drain.grace(), -1);
    }

    /** Stops once nothing is left: no container, call, start or Docker call, for the whole grace period. */
    private Behavior<Command> onDrainTick(Duration grace, long drainedSinceNanos) {
        if (!pool.empty() || dockerCalls > 0) {
            return drainedSinceNanos < 0 ? Behaviors.same() : draining(grace, -1);
        }
        long now = System.nanoTime();
        long since = drainedSinceNanos;
        if (since < 0) {
            since = now;
            log.info("Function drained; its containers are removed", kv("function_name", function.name()), kv("cold_starts", pool.coldStarts()));
        }
        if (now - since >= grace.toNanos()) {
            return Behaviors.stopped();
        }
        return since == drainedSinceNanos ? Behaviors.same() : draining(grace, since);
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
