package io.esb.function;

import akka.actor.typed.ActorRef;

import java.util.concurrent.CompletableFuture;

/**
 * Where an invocation's result goes. A caller on this node holds a future ({@link FunctionCalls#local}): completing
 * it is all a reply costs, where an ask made a temporary actor, a scheduler timer and a Scala future per call
 * (BENCHMARKS.md, issue 17). An actor is the other way, for callers that are actors.
 */
public sealed interface InvocationReply {
    void send(InvocationResult result);

    record ToActor(ActorRef<InvocationResult> actor) implements InvocationReply {
        @Override
        public void send(InvocationResult result) {
            actor.tell(result);
        }
    }

    /** The caller's future, completed on the thread that has the result; a second result is ignored. */
    record ToFuture(CompletableFuture<InvocationResult> future) implements InvocationReply {
        @Override
        public void send(InvocationResult result) {
            future.complete(result);
        }
    }
}
