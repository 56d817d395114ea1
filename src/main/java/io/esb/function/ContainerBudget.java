package io.esb.function;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

import static net.logstash.logback.argument.StructuredArguments.kv;

/**
 * The gateway-wide cap on containers ({@code esb.containers.max-total}). Function actors ask for a permit before a
 * cold start and give it back when a container goes. At the cap, the least recently used idle container of another
 * function is evicted to make room, and the asker waits for the permit that frees.
 */
public final class ContainerBudget {
    private static final Logger log = LoggerFactory.getLogger(ContainerBudget.class);

    public sealed interface Command {}

    /** Answered with {@link FunctionActor.StartPermitted} to {@code requester}, now or once room frees up. */
    public record Acquire(String function, ActorRef<FunctionActor.Command> requester) implements Command {}

    /** A container went away (removed, failed to start, or a permit that was no longer needed). */
    public record Release(String function) implements Command {}

    /** Withdraws one waiting {@link Acquire} of this requester; a permit already granted comes back as a Release. */
    public record Cancel(ActorRef<FunctionActor.Command> requester) implements Command {}

    /** A container that exists without a permit (adopted at startup); it counts against the cap all the same. */
    public record Adopted(String function) implements Command {}

    /** How long the function's least recently used idle container has been idle; {@code Long.MAX_VALUE} when none. */
    public record IdleReport(String function, ActorRef<FunctionActor.Command> ref, long oldestIdleSinceNanos) implements Command {}

    public static Behavior<Command> create(int maxTotal) {
        return Behaviors.setup(ctx -> {
            var state = new State(maxTotal);
            return Behaviors.receive(Command.class)
                    .onMessage(Acquire.class, state::acquire)
                    .onMessage(Release.class, state::release)
                    .onMessage(Adopted.class, adopted -> {
                        state.total++;
                        return Behaviors.same();
                    })
                    .onMessage(IdleReport.class, state::idleReport)
                    .onMessage(Cancel.class, cancel -> {
                        var waiting = state.waiting.iterator();
                        while (waiting.hasNext()) {
                            if (waiting.next().requester().equals(cancel.requester())) {
                                waiting.remove();
                                break;
                            }
                        }
                        return Behaviors.same();
                    })
                    .build();
        });
    }

    private static final class State {
        final int maxTotal;
        int total;
        final ArrayDeque<Acquire> waiting = new ArrayDeque<>();
        /** By actor, not by name: during a live reload two actors of one function (old draining, new) may report. */
        final Map<ActorRef<FunctionActor.Command>, IdleReport> idle = new HashMap<>();

        State(int maxTotal) {
            this.maxTotal = maxTotal;
        }

        Behavior<Command> acquire(Acquire acquire) {
            if (total < maxTotal) {
                total++;
                acquire.requester().tell(new FunctionActor.StartPermitted());
            } else {
                waiting.add(acquire);
                evictFor(acquire.function());
            }
            return Behaviors.same();
        }

        Behavior<Command> release(Release release) {
            total--;
            while (total < maxTotal && !waiting.isEmpty()) {
                total++;
                waiting.poll().requester().tell(new FunctionActor.StartPermitted());
            }
            return Behaviors.same();
        }

        Behavior<Command> idleReport(IdleReport report) {
            if (report.oldestIdleSinceNanos() == Long.MAX_VALUE) {
                idle.remove(report.ref()); // nothing to evict; also forgets actors that drained and stopped
                return Behaviors.same();
            }
            idle.put(report.ref(), report);
            if (!waiting.isEmpty()) {
                evictFor(waiting.peek().function());
            }
            return Behaviors.same();
        }

        /** Asks the function holding the least recently used idle container (not the asker's own) to give it up. */
        private void evictFor(String asker) {
            IdleReport victim = null;
            for (var report : idle.values()) {
                if (!report.function().equals(asker) && report.oldestIdleSinceNanos() != Long.MAX_VALUE
                        && (victim == null || report.oldestIdleSinceNanos() < victim.oldestIdleSinceNanos())) {
                    victim = report;
                }
            }
            if (victim != null) {
                log.info("Container cap reached; evicting the least recently used idle container", kv("function_name", victim.function()),
                        kv("for_function", asker), kv("max_total", maxTotal));
                // Cleared until the victim reports again, so one eviction is asked per idle container.
                idle.remove(victim.ref());
                victim.ref().tell(new FunctionActor.EvictIdle());
            }
        }
    }
}
