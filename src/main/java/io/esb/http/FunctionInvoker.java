package io.esb.http;

import io.esb.function.FunctionMetrics;
import io.esb.config.EsbSettings;
import io.esb.function.FunctionActor;
import io.esb.function.FunctionCalls;
import io.esb.function.FunctionTable;
import io.esb.function.Invocation;
import io.esb.function.InvocationResult;
import io.esb.function.LambdaOutcome;
import io.esb.observability.GatewayMetrics;

import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/** The one ask per invocation that both surfaces share, counted in the metrics. */
final class FunctionInvoker {
    private final FunctionCalls calls;
    private final EsbSettings settings;
    private final Supplier<FunctionTable> functions;
    private final GatewayMetrics metrics;

    FunctionInvoker(FunctionCalls calls, EsbSettings settings, Supplier<FunctionTable> functions, GatewayMetrics metrics) {
        this.calls = calls;
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
        var function = now.function(name);
        if (function == null) {
            return null;
        }
        var bound = FunctionActor.invocationBound(function, settings);
        return calls.invoke(now, name, invocation, bound)
                .exceptionally(error -> new InvocationResult.Failed(InvocationResult.Reason.TIMED_OUT,
                        "Function '" + name + "' gave no answer within " + bound.toSeconds() + " s", false))
                .thenApply(result -> FunctionMetrics.of(metrics, name).invoked(LambdaOutcome.of(result, invocation.requestId(), function.timeout().toSeconds()), started));
    }
}
