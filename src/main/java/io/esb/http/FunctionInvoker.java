package io.esb.http;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.AskPattern;
import io.esb.function.FunctionMetrics;
import io.esb.config.EsbSettings;
import io.esb.function.FunctionActor;
import io.esb.function.FunctionTable;
import io.esb.function.Invocation;
import io.esb.function.InvocationResult;
import io.esb.function.LambdaOutcome;
import io.esb.function.Stages;
import io.esb.observability.GatewayMetrics;

import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/** The one ask per invocation that both surfaces share, counted in the metrics. */
final class FunctionInvoker {
    private final ActorSystem<?> system;
    private final EsbSettings settings;
    private final Supplier<FunctionTable> functions;
    private final GatewayMetrics metrics;

    FunctionInvoker(ActorSystem<?> system, EsbSettings settings, Supplier<FunctionTable> functions, GatewayMetrics metrics) {
        this.system = system;
        this.settings = settings;
        this.functions = functions;
        this.metrics = metrics;
    }

    /**
     * Invokes the function as the table has it now, once the body is in: a live reload during a slow body read may have
     * replaced the function, and the actor the request first saw stops once it has drained. Null when the reload removed
     * the function.
     */
    CompletionStage<LambdaOutcome> invokeCurrent(String name, Invocation invocation, long started) {
        var now = functions.get();
        var ref = now.ref(name);
        if (ref == null) {
            return null;
        }
        var function = now.function(name);
        var bound = FunctionActor.invocationBound(function, settings);
        return Stages.plain(AskPattern.<FunctionActor.Command, InvocationResult>ask(ref, replyTo -> new FunctionActor.Invoke(invocation, replyTo),
                        bound, system.scheduler()))
                .exceptionally(error -> new InvocationResult.Failed(InvocationResult.Reason.TIMED_OUT,
                        "Function '" + name + "' gave no answer within " + bound.toSeconds() + " s", false))
                .thenApply(result -> FunctionMetrics.of(metrics, name).invoked(LambdaOutcome.of(result, invocation.requestId(), function.timeout().toSeconds()), started));
    }
}
