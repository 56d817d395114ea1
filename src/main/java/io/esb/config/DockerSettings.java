package io.esb.config;

import java.time.Duration;

/**
 * How the gateway reaches Docker. {@code clientTimeout} bounds every call; {@code instanceId} is the label value
 * that marks containers as this gateway's, so several gateways (or test runs) can share one daemon.
 * {@code buildTimeout} bounds an image build (SAM Dockerfile functions), which may take far longer than other calls.
 */
public record DockerSettings(
        String host,
        int maxWorkers,
        Duration clientTimeout,
        int maxPendingOperations,
        Duration probeInterval,
        Duration probeTimeout,
        Duration restartMinBackoff,
        Duration restartMaxBackoff,
        String instanceId,
        Duration buildTimeout) {}
