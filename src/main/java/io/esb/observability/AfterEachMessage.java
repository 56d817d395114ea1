package io.esb.observability;

import akka.actor.typed.Behavior;
import akka.actor.typed.BehaviorInterceptor;
import akka.actor.typed.TypedActorContext;

/**
 * Runs {@code after} on the actor's thread once each message has been handled, so an actor can publish a snapshot of
 * its state (for gauges) from one place instead of from every handler that changes it.
 */
public final class AfterEachMessage<T> extends BehaviorInterceptor<T, T> {
    private final Runnable after;

    public AfterEachMessage(Class<T> messageClass, Runnable after) {
        super(messageClass);
        this.after = after;
    }

    @Override
    public Behavior<T> aroundReceive(TypedActorContext<T> ctx, T msg, ReceiveTarget<T> target) {
        var next = target.apply(ctx, msg);
        after.run();
        return next;
    }
}
