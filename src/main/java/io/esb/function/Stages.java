package io.esb.function;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * Stages that Akka returns (Scala futures seen as Java ones) run every non-async callback as an *Async one on the
 * JDK's default executor, and on a machine with fewer than three cores that executor starts a new thread per task.
 * On the request path that cost a few threads per invocation, so Akka's stages are turned into plain ones first.
 */
public final class Stages {
    /** Runs a callback on the thread that completed the stage: for cheap, non-blocking transformations only. */
    public static final Executor SAME_THREAD = Runnable::run;

    private Stages() {}

    public static <T> CompletableFuture<T> plain(CompletionStage<T> stage) {
        var plain = new CompletableFuture<T>();
        stage.whenCompleteAsync((value, error) -> {
            if (error != null) {
                plain.completeExceptionally(error);
            } else {
                plain.complete(value);
            }
        }, SAME_THREAD);
        return plain;
    }
}
