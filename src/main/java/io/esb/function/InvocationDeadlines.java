package io.esb.function;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.Extension;
import akka.actor.typed.ExtensionId;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeoutException;

/**
 * The safety net under every local invocation: a caller whose function actor never answers (it stopped with the call
 * still in its mailbox) is failed once the call's bound has passed. One sweep every {@link #SWEEP} serves the whole
 * gateway, so a call costs a queue entry instead of the ask's scheduler timer; a failure may come up to one sweep late.
 */
public final class InvocationDeadlines implements Extension {
    static final Duration SWEEP = Duration.ofMillis(200);

    private record Watched(CompletableFuture<?> answer, long deadlineNanos, Duration bound) {}

    private final ConcurrentLinkedQueue<Watched> watched = new ConcurrentLinkedQueue<>();

    /** Swept only when {@link #sweep} is called: the system's own instance is swept by its scheduler. */
    InvocationDeadlines() {}

    public static InvocationDeadlines get(ActorSystem<?> system) {
        return Id.INSTANCE.apply(system);
    }

    /** Fails {@code answer} with a {@link TimeoutException} if it is still open {@code bound} from now. */
    public <T> CompletableFuture<T> watch(CompletableFuture<T> answer, Duration bound) {
        watched.add(new Watched(answer, System.nanoTime() + bound.toNanos(), bound));
        return answer;
    }

    /** Drops the answered calls and fails the overdue ones. */
    void sweep() {
        long now = System.nanoTime();
        for (var it = watched.iterator(); it.hasNext(); ) {
            var call = it.next();
            if (call.answer().isDone()) {
                it.remove();
            } else if (now - call.deadlineNanos() >= 0) {
                it.remove();
                call.answer().completeExceptionally(new TimeoutException("no answer within " + call.bound().toMillis() + " ms"));
            }
        }
    }

    /** Calls still watched, answered or not, until the next sweep. */
    int watchedCount() {
        return watched.size();
    }

    private static final class Id extends ExtensionId<InvocationDeadlines> {
        static final Id INSTANCE = new Id();

        @Override
        public InvocationDeadlines createExtension(ActorSystem<?> system) {
            var deadlines = new InvocationDeadlines();
            system.scheduler().scheduleWithFixedDelay(SWEEP, SWEEP, deadlines::sweep, system.executionContext());
            return deadlines;
        }
    }
}
