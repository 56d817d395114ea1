package io.esb.config;

import java.time.Duration;
import java.util.List;

/** Asynchronous ({@code Event}) invocations: how many may wait, how many run at once, and the retry delays. */
public record AsyncSettings(int maxQueued, int maxConcurrent, List<Duration> retryDelays, long maxPayloadBytes) {}
