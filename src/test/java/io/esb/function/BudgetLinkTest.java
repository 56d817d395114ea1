package io.esb.function;

import static org.assertj.core.api.Assertions.assertThat;

import io.esb.testing.ActorTestKitSupport;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** BudgetLink against a probe standing in for the ContainerBudget. */
class BudgetLinkTest extends ActorTestKitSupport {
    private static final Duration WAIT = Duration.ofSeconds(5);

    @Test
    void aCappedLinkSendsEachRequestWithTheFunctionAndItsActor() {
        var budget = testKit.<ContainerBudget.Command>createTestProbe();
        var self = testKit.<FunctionActor.Command>createTestProbe();
        var link = new BudgetLink(budget.ref(), "fn", self.ref());

        assertThat(link.capped()).isTrue();
        link.acquire();
        assertThat(budget.receiveMessage(WAIT)).isEqualTo(new ContainerBudget.Acquire("fn", self.ref()));
        link.release();
        assertThat(budget.receiveMessage(WAIT)).isEqualTo(new ContainerBudget.Release("fn"));
        link.cancel();
        assertThat(budget.receiveMessage(WAIT)).isEqualTo(new ContainerBudget.Cancel(self.ref()));
        link.adopted();
        assertThat(budget.receiveMessage(WAIT)).isEqualTo(new ContainerBudget.Adopted("fn"));
    }

    @Test
    void theOldestIdleTimeIsReportedOnlyWhenItChangesOrTheLastReportWasForgotten() {
        var budget = testKit.<ContainerBudget.Command>createTestProbe();
        var self = testKit.<FunctionActor.Command>createTestProbe();
        var link = new BudgetLink(budget.ref(), "fn", self.ref());

        link.reportIdle(42);
        assertThat(budget.receiveMessage(WAIT)).isEqualTo(new ContainerBudget.IdleReport("fn", self.ref(), 42));
        link.reportIdle(42);
        budget.expectNoMessage(Duration.ofMillis(100));
        link.reportIdle(Long.MAX_VALUE);
        assertThat(budget.receiveMessage(WAIT)).isEqualTo(new ContainerBudget.IdleReport("fn", self.ref(), Long.MAX_VALUE));
        link.forgetReport();
        link.reportIdle(Long.MAX_VALUE);
        assertThat(budget.receiveMessage(WAIT)).isEqualTo(new ContainerBudget.IdleReport("fn", self.ref(), Long.MAX_VALUE));
    }

    @Test
    void withoutACapNothingIsAsked() {
        var link = new BudgetLink(null, "fn", testKit.<FunctionActor.Command>createTestProbe().ref());

        assertThat(link.capped()).isFalse();
        // None of these may throw or wait: there is no budget to tell.
        link.acquire();
        link.release();
        link.cancel();
        link.adopted();
        link.reportIdle(42);
        link.forgetReport();
    }
}
