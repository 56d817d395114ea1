package io.esb.config;

import java.time.Duration;

/**
 * How the gateway reaches Docker. {@code clientTimeout} bounds every call; {@code instanceId} is the label value
 * that marks containers as this gateway's, so several gateways (or test runs) can share one daemon.
 * {@code busyProbeTimeout} is how long a daemon with calls in flight may stay silent before a ping counts as missed;
 * {@code probeMisses} pings missed in a row mark it down. {@code queueTimeout} bounds a call's wait for a Docker worker.
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
        String network,
        Duration queueTimeout,
        int probeMisses) {
}
