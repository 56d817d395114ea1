package io.esb.config;

import java.time.Duration;

/**
 * How the gateway reaches Docker. {@code clientTimeout} bounds every call; {@code instanceId} is the label value
 * that marks containers as this gateway's, so several gateways (or test runs) can share one daemon.
 * {@code busyProbeTimeout} is how long a daemon with calls in flight may stay silent before it counts as hung.
 * {@code buildTimeout} bounds an image build (SAM Dockerfile functions), which may take far longer than other calls.
 * {@code network} is empty when function containers publish 8080 on 127.0.0.1, or the Docker network they join
 * instead (the gateway then runs on that network too, in a container, and calls them at their address there).
 */
public record DockerSettings(
        String host,
        int maxWorkers,
        Duration clientTimeout,
        int maxPendingOperations,
        Duration probeInterval,
        Duration probeTimeout,
        Duration busyProbeTimeout,
        Duration restartMinBackoff,
        Duration restartMaxBackoff,
        String instanceId,
        Duration buildTimeout,
        String network) {

    /** Function containers publish their port on 127.0.0.1 (no {@code esb.docker.network}). */
    public DockerSettings(String host, int maxWorkers, Duration clientTimeout, int maxPendingOperations, Duration probeInterval,
                          Duration probeTimeout, Duration busyProbeTimeout, Duration restartMinBackoff, Duration restartMaxBackoff,
                          String instanceId, Duration buildTimeout) {
        this(host, maxWorkers, clientTimeout, maxPendingOperations, probeInterval, probeTimeout, busyProbeTimeout, restartMinBackoff,
                restartMaxBackoff,
                instanceId, buildTimeout, "");
    }
}
