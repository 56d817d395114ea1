package io.esb.cluster;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Behaviors;
import akka.cluster.sharding.typed.javadsl.EntityTypeKey;
import io.esb.config.EsbSettings;
import io.esb.function.FunctionActor;
import io.esb.function.FunctionCalls;
import io.esb.function.FunctionTable;
import io.esb.function.Invocation;
import io.esb.function.InvocationResult;

import java.util.function.Supplier;

/**
 * The sharded entity of one function (entity id = function name, one shard each): it lives on the node that runs the
 * function's containers, and hands each invocation that reaches it, from any node, to that node's FunctionActor. So a
 * function's warm pool and its max-concurrency are the cluster's, and each node's Docker runs only its own functions.
 * It keeps no state: when its node goes, sharding starts it on another, whose FunctionActor starts containers there.
 */
public final class FunctionHost {
    public static final EntityTypeKey<Command> KEY = EntityTypeKey.create(Command.class, "esb-function");

    public sealed interface Command extends ClusterMessage permits Invoke {}

    /** {@code callId} is the caller's, echoed in every reply; {@code caller} is the ClusterInvoker of the node asked. */
    public record Invoke(long callId, Invocation invocation, ActorRef<ClusterInvoker.Reply> caller) implements Command {}

    private FunctionHost() {}

    /** The calls taken lately, by caller incarnation and call id, so a resent copy runs once. */
    private static final class RecentCalls extends java.util.LinkedHashMap<String, Boolean> {
        private static final int KEEP = 10_000;

        boolean firstTime(String key) {
            return put(key, Boolean.TRUE) == null;
        }

        @Override
        protected boolean removeEldestEntry(java.util.Map.Entry<String, Boolean> eldest) {
            return size() > KEEP;
        }
    }

    public static Behavior<Command> create(String function, String selfAddress, Supplier<FunctionTable> functions, EsbSettings settings,
                                           ActorSystem<?> system) {
        var local = FunctionCalls.local(system);
        var taken = new RecentCalls();
        return Behaviors.receive(Command.class).onMessage(Invoke.class, invoke -> {
            invoke.caller().tell(new ClusterInvoker.Accepted(invoke.callId(), selfAddress));
            if (!taken.firstTime(invoke.caller() + "/" + invoke.callId())) {
                return Behaviors.same(); // a copy the caller resent before our Accepted reached it
            }
            var table = functions.get();
            var settingsHere = table.function(function);
            if (settingsHere == null) {
                invoke.caller().tell(new ClusterInvoker.Refused(invoke.callId(), new InvocationResult.Failed(InvocationResult.Reason.NODE_UNAVAILABLE,
                        "Function '" + function + "' is not configured on cluster node " + selfAddress + "; every node needs the same functions", false)));
                return Behaviors.same();
            }
            var bound = FunctionActor.invocationBound(settingsHere, settings);
            // The answer goes to the caller from the thread that completes it, not back through this entity's mailbox.
            local.invoke(table, function, invoke.invocation(), bound).whenComplete((result, error) -> invoke.caller().tell(
                    result instanceof InvocationResult.Completed completed ? new ClusterInvoker.Answered(invoke.callId(), completed)
                            : new ClusterInvoker.Refused(invoke.callId(), result instanceof InvocationResult.Failed failed ? failed
                            : new InvocationResult.Failed(InvocationResult.Reason.TIMED_OUT, "Function '" + function + "' gave no answer within "
                            + bound.toSeconds() + " s on cluster node " + selfAddress, false))));
            return Behaviors.same();
        }).build();
    }
}
