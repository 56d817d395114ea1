package io.esb.config;

import java.time.Duration;

/** Lifecycle of function containers, shared by every function. */
public record ContainerSettings(
        Duration readinessTimeout,
        Duration pingTimeout,
        Duration connectTimeout,
        Duration idleTimeout,
        int maxQueueDepth,
        Duration queueTimeout,
        int maxTotal) {}
