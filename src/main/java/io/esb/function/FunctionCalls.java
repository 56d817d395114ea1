package io.esb.function;

import akka.actor.typed.ActorSystem;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Where an invocation goes: on a lone gateway, the function's own actor here; in a cluster, the node that runs the
 * function ({@code io.esb.cluster}). The HTTP surfaces and the async invoker both invoke through this.
 */
public interface FunctionCalls {
    /**
     * The function's answer; fails (as an ask does) when none comes within {@code bound}. Null when {@code table} has
     * no such function.
     */
    CompletionStage<InvocationResult> invoke(FunctionTable table, String name, Invocation invocation, Duration bound);

    /**
     * Tells the function's actor in {@code table}, with a future for its answer: the actor completes it on the thread
     * that has the result, and {@link InvocationDeadlines} fails it past {@code bound}, as an ask would have.
     */
    static FunctionCalls local(ActorSystem<?> system) {
        var deadlines = InvocationDeadlines.get(system);
        return (table, name, invocation, bound) -> {
            var ref = table.ref(name);
            if (ref == null) {
                return null;
            }
            var answer = deadlines.watch(new CompletableFuture<InvocationResult>(), bound);
            ref.tell(new FunctionActor.Invoke(invocation, new InvocationReply.ToFuture(answer)));
            return answer;
        };
    }
}
