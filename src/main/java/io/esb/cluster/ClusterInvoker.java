package io.esb.cluster;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.Scheduler;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.AskPattern;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.TimerScheduler;
import akka.cluster.ClusterEvent;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.typed.Cluster;
import akka.cluster.typed.Subscribe;
import io.esb.function.FunctionCalls;
import io.esb.function.Invocation;
import io.esb.function.InvocationResult;
import io.esb.function.Stages;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static net.logstash.logback.argument.StructuredArguments.kv;

/**
 * This node's side of every invocation it sends into the cluster ("cluster-invoker"): it hands the call to the
 * function's sharded {@link FunctionHost}, wherever that runs, and remembers which node took it. When that node
 * becomes unreachable or leaves before answering, its calls end at once with 502 naming the node, never a hang; a call
 * no node takes within {@code esb.cluster.accept-timeout} (its function is moving) ends with 503.
 */
public final class ClusterInvoker {
    private static final Logger log = LoggerFactory.getLogger(ClusterInvoker.class);

    public sealed interface Command permits Call, Reply, MemberGone, AcceptTimedOut, Resend {}

    /** From this node's HTTP surfaces and async invoker, through {@link #calls}. */
    public record Call(String function, Invocation invocation, ActorRef<InvocationResult> replyTo) implements Command {}

    /** From the function's node. */
    public sealed interface Reply extends Command, ClusterMessage permits Accepted, Answered, Refused {}

    /** {@code node}: the address of the node that took the call and runs it. */
    public record Accepted(long callId, String node) implements Reply {}

    public record Answered(long callId, InvocationResult.Completed result) implements Reply {}

    public record Refused(long callId, InvocationResult.Failed result) implements Reply {}

    private record MemberGone(String address, String how) implements Command {}

    private record AcceptTimedOut(long callId) implements Command {}

    private record Resend(long callId) implements Command {}

    /** The two timers of a call not yet taken: its deadline, and its periodic resend. */
    private record DeadlineKey(long callId) {}

    private record ResendKey(long callId) {}

    /** A call sent and not yet answered; {@code node} is null until a node took it. */
    private record InFlight(String function, Invocation invocation, ActorRef<InvocationResult> replyTo, String node) {
        String requestId() {
            return invocation.requestId();
        }
    }

    public static Behavior<Command> create(ClusterSharding sharding, Duration acceptTimeout) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
            var cluster = Cluster.get(ctx.getSystem());
            var events = ctx.messageAdapter(ClusterEvent.ClusterDomainEvent.class, ClusterInvoker::gone);
            cluster.subscriptions().tell(Subscribe.create(events.narrow(), ClusterEvent.UnreachableMember.class));
            cluster.subscriptions().tell(Subscribe.create(events.narrow(), ClusterEvent.MemberRemoved.class));
            return new ClusterInvoker(ctx, timers, sharding, acceptTimeout).behavior();
        }));
    }

    /** Invocations through {@code invoker}: the function's bound, plus the time a node may take to accept it. */
    public static FunctionCalls calls(ActorRef<Command> invoker, Scheduler scheduler, Duration acceptTimeout) {
        return (table, name, invocation, bound) -> table.function(name) == null ? null
                : Stages.plain(AskPattern.<Command, InvocationResult>ask(invoker, replyTo -> new Call(name, invocation, replyTo),
                bound.plus(acceptTimeout), scheduler));
    }

    private static Command gone(ClusterEvent.ClusterDomainEvent event) {
        if (event instanceof ClusterEvent.UnreachableMember unreachable) {
            return new MemberGone(unreachable.member().address().toString(), "became unreachable");
        }
        return new MemberGone(((ClusterEvent.MemberRemoved) event).member().address().toString(), "left the cluster");
    }

    private static final Duration RESEND_EVERY = Duration.ofSeconds(1);

    private final ActorContext<Command> ctx;
    private final TimerScheduler<Command> timers;
    private final ClusterSharding sharding;
    private final Duration acceptTimeout;
    private final Map<Long, InFlight> inFlight = new HashMap<>();
    private long nextCallId;

    private ClusterInvoker(ActorContext<Command> ctx, TimerScheduler<Command> timers, ClusterSharding sharding, Duration acceptTimeout) {
        this.ctx = ctx;
        this.timers = timers;
        this.sharding = sharding;
        this.acceptTimeout = acceptTimeout;
    }

    private Behavior<Command> behavior() {
        return Behaviors.receive(Command.class)
                .onMessage(Call.class, this::onCall)
                .onMessage(Accepted.class, this::onAccepted)
                .onMessage(Answered.class, answered -> finish(answered.callId(), answered.result()))
                .onMessage(Refused.class, refused -> finish(refused.callId(), refused.result()))
                .onMessage(MemberGone.class, this::onMemberGone)
                .onMessage(AcceptTimedOut.class, this::onAcceptTimedOut)
                .onMessage(Resend.class, this::onResend)
                .build();
    }

    private Behavior<Command> onCall(Call call) {
        long callId = nextCallId++;
        var sent = new InFlight(call.function(), call.invocation(), call.replyTo(), null);
        inFlight.put(callId, sent);
        timers.startSingleTimer(new DeadlineKey(callId), new AcceptTimedOut(callId), acceptTimeout);
        timers.startTimerWithFixedDelay(new ResendKey(callId), new Resend(callId), RESEND_EVERY);
        send(callId, sent);
        return Behaviors.same();
    }

    private void send(long callId, InFlight call) {
        sharding.entityRefFor(FunctionHost.KEY, call.function())
                .tell(new FunctionHost.Invoke(callId, call.invocation(), ctx.getSelf().narrow()));
    }

    /**
     * A node takes a call the moment it arrives, so one not taken after a second was most likely sent to a node that
     * was lost, into its shard region, and lost with it. It is sent again until taken or timed out; the function's
     * node takes each call once (FunctionHost drops a copy it has seen), so a copy that was only slow runs once.
     */
    private Behavior<Command> onResend(Resend resend) {
        var call = inFlight.get(resend.callId());
        if (call == null || call.node() != null) {
            timers.cancel(new ResendKey(resend.callId()));
        } else {
            send(resend.callId(), call);
        }
        return Behaviors.same();
    }

    private void cancelTimers(long callId) {
        timers.cancel(new DeadlineKey(callId));
        timers.cancel(new ResendKey(callId));
    }

    private Behavior<Command> onAccepted(Accepted accepted) {
        var call = inFlight.get(accepted.callId());
        if (call != null) {
            cancelTimers(accepted.callId());
            inFlight.put(accepted.callId(), new InFlight(call.function(), call.invocation(), call.replyTo(), accepted.node()));
        }
        return Behaviors.same();
    }

    private Behavior<Command> finish(long callId, InvocationResult result) {
        var call = inFlight.remove(callId);
        if (call != null) {
            cancelTimers(callId);
            call.replyTo().tell(result);
        }
        return Behaviors.same();
    }

    private Behavior<Command> onMemberGone(MemberGone gone) {
        int failed = 0;
        for (var it = inFlight.entrySet().iterator(); it.hasNext(); ) {
            var call = it.next().getValue();
            if (gone.address().equals(call.node())) {
                it.remove();
                failed++;
                call.replyTo().tell(new InvocationResult.Failed(InvocationResult.Reason.NODE_LOST, "Cluster node " + gone.address() + " "
                        + gone.how() + " while running function '" + call.function() + "' (request " + call.requestId()
                        + "); the invocation may or may not have completed there", false));
            }
        }
        if (failed > 0) {
            log.warn("Cluster node lost; its in-flight invocations end with 502", kv("node", gone.address()), kv("how", gone.how()),
                    kv("in_flight", failed));
        }
        return Behaviors.same();
    }

    private Behavior<Command> onAcceptTimedOut(AcceptTimedOut timedOut) {
        var call = inFlight.get(timedOut.callId());
        if (call != null && call.node() == null) {
            inFlight.remove(timedOut.callId());
            call.replyTo().tell(new InvocationResult.Failed(InvocationResult.Reason.NODE_UNAVAILABLE, "No cluster node took the invocation of function '"
                    + call.function() + "' within " + acceptTimeout.toSeconds() + " s (esb.cluster.accept-timeout); its node may have been lost "
                    + "and not yet replaced", false));
        }
        return Behaviors.same();
    }
}
