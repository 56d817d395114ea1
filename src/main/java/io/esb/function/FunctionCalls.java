package io.esb.function;

import akka.actor.typed.Scheduler;
import akka.actor.typed.javadsl.AskPattern;

import java.time.Duration;
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

    /** Asks the function's actor in {@code table}. */
    static FunctionCalls local(Scheduler scheduler) {
        return (table, name, invocation, bound) -> {
            var ref = table.ref(name);
            return ref == null ? null : Stages.plain(AskPattern.<FunctionActor.Command, InvocationResult>ask(ref,
                    replyTo -> new FunctionActor.Invoke(invocation, replyTo), bound, scheduler));
        };
    }
}
