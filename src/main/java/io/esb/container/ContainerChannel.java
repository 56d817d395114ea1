package io.esb.container;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * How the gateway hands one invocation to a container and hears its answer: pushed to an RIE on the container's 8080
 * ({@link ContainerClient}), or pulled by the container's own runtime client from the gateway's Runtime API. Either
 * way a container runs one invocation at a time, and every failure becomes an {@link InvokeOutcome}.
 */
public interface ContainerChannel {

    /** What a new container needs to reach this channel, added to its environment (the Runtime API's address). */
    CompletionStage<Map<String, String>> containerEnvironment();

    /** Never fails the stage. */
    CompletionStage<InvokeOutcome> invoke(ContainerAddress container, InvokeRequest request);

    /** Completes once the container can take an invocation, or says why it cannot, within {@code within}. */
    CompletionStage<Readiness> awaitReady(ContainerAddress container, Duration within);

    /** The container is discarded: forget it and drop what this channel holds for it. */
    void release(ContainerAddress container);
}
