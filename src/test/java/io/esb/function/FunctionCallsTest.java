package io.esb.function;

import com.typesafe.config.ConfigFactory;
import io.esb.config.EsbSettings;
import io.esb.config.SettingsLoader;
import io.esb.testing.ActorTestKitSupport;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Local calls reach the function's actor with a future for its answer, and never wait past their bound. */
class FunctionCallsTest extends ActorTestKitSupport {
    private static final EsbSettings SETTINGS = SettingsLoader.load(ConfigFactory.parseString("""
            esb.functions.fx { image = "esb-fixture:latest" }
            """).withFallback(ConfigFactory.defaultReference()).resolve());

    private static Invocation invocation(String requestId) {
        return new Invocation("{\"n\":1}".getBytes(StandardCharsets.UTF_8), requestId);
    }

    @Test
    void theActorsAnswerCompletesTheCallersStage() throws Exception {
        var actor = testKit.<FunctionActor.Command>createTestProbe();
        var table = FunctionTable.of(1, SETTINGS.functions(), Map.of("fx", actor.ref()));
        var answer = FunctionCalls.local(testKit.system()).invoke(table, "fx", invocation("r-1"), Duration.ofSeconds(30));

        var invoke = actor.expectMessageClass(FunctionActor.Invoke.class);
        assertThat(invoke.invocation().requestId()).isEqualTo("r-1");
        assertThat(answer.toCompletableFuture()).isNotDone();
        var result = new InvocationResult.Completed(200, "{\"ok\":true}".getBytes(StandardCharsets.UTF_8), "application/json", false, "c-1", null);
        invoke.replyTo().send(result);
        assertThat(answer.toCompletableFuture().get(1, TimeUnit.SECONDS)).isSameAs(result);
        // A second answer (a late duplicate) changes nothing.
        invoke.replyTo().send(new InvocationResult.Failed(InvocationResult.Reason.TIMED_OUT, "late", false));
        assertThat(answer.toCompletableFuture().get()).isSameAs(result);
    }

    @Test
    void aCallNoActorAnswersFailsOnceItsBoundHasPassedAndNotBefore() {
        var silent = testKit.<FunctionActor.Command>createTestProbe();
        var table = FunctionTable.of(1, SETTINGS.functions(), Map.of("fx", silent.ref()));
        long started = System.nanoTime();
        var answer = FunctionCalls.local(testKit.system()).invoke(table, "fx", invocation("r-2"), Duration.ofMillis(600)).toCompletableFuture();

        silent.expectMessageClass(FunctionActor.Invoke.class);
        assertThatThrownBy(() -> answer.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class).hasCauseInstanceOf(TimeoutException.class);
        long waitedMs = (System.nanoTime() - started) / 1_000_000;
        assertThat(waitedMs).isGreaterThanOrEqualTo(600);
    }

    @Test
    void aFunctionTheTableDoesNotHaveIsNoCall() {
        var table = FunctionTable.of(1, SETTINGS.functions(), Map.of("fx", testKit.<FunctionActor.Command>createTestProbe().ref()));
        assertThat(FunctionCalls.local(testKit.system()).invoke(table, "nope", invocation("r-3"), Duration.ofSeconds(1))).isNull();
    }

    @Test
    void theSweepForgetsAnsweredCallsAndFailsOnlyOverdueOnes() {
        var deadlines = new InvocationDeadlines();
        var answered = deadlines.watch(new CompletableFuture<String>(), Duration.ZERO);
        var overdue = deadlines.watch(new CompletableFuture<String>(), Duration.ZERO);
        var open = deadlines.watch(new CompletableFuture<String>(), Duration.ofMinutes(5));
        answered.complete("done");

        deadlines.sweep();

        assertThat(answered).isCompletedWithValue("done");
        assertThat(overdue).isCompletedExceptionally();
        assertThat(open).isNotDone();
        assertThat(deadlines.watchedCount()).isEqualTo(1);
        open.complete("later");
        deadlines.sweep();
        assertThat(deadlines.watchedCount()).isZero();
    }
}
