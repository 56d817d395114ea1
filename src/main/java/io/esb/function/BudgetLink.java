package io.esb.function;

import akka.actor.typed.ActorRef;

/**
 * One function's side of the gateway-wide {@link ContainerBudget} ({@code esb.containers.max-total}), or nothing when
 * there is no cap: every call is then a no-op, so {@link FunctionActor} need not ask.
 */
final class BudgetLink {
    private final ActorRef<ContainerBudget.Command> budget;
    private final String function;
    private final ActorRef<FunctionActor.Command> self;
    private long reportedOldestIdle = Long.MIN_VALUE;

    /** {@code budget}: null without a cap. */
    BudgetLink(ActorRef<ContainerBudget.Command> budget, String function, ActorRef<FunctionActor.Command> self) {
        this.budget = budget;
        this.function = function;
        this.self = self;
    }

    /** Whether each cold start first waits for a permit. */
    boolean capped() {
        return budget != null;
    }

    /** Asks for a cold start's permit; the budget answers {@link FunctionActor.StartPermitted}. */
    void acquire() {
        tell(new ContainerBudget.Acquire(function, self));
    }

    /** Gives a permit back: its container is gone, or its start was not needed after all. */
    void release() {
        tell(new ContainerBudget.Release(function));
    }

    /** Withdraws one wait for a permit. */
    void cancel() {
        tell(new ContainerBudget.Cancel(self));
    }

    /** An adopted container holds a permit from now on. */
    void adopted() {
        tell(new ContainerBudget.Adopted(function));
    }

    /** Tells the budget since when the least recently used evictable idle container has waited, when that changed. */
    void reportIdle(long oldestIdleSinceNanos) {
        if (budget != null && oldestIdleSinceNanos != reportedOldestIdle) {
            reportedOldestIdle = oldestIdleSinceNanos;
            budget.tell(new ContainerBudget.IdleReport(function, self, oldestIdleSinceNanos));
        }
    }

    /** The next {@link #reportIdle} is sent even if unchanged: the budget's view may be stale. */
    void forgetReport() {
        reportedOldestIdle = Long.MIN_VALUE;
    }

    private void tell(ContainerBudget.Command command) {
        if (budget != null) {
            budget.tell(command);
        }
    }
}
