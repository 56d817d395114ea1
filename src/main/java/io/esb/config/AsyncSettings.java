package io.esb.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Asynchronous ({@code Event}) invocations: where they are stored ({@code esb.data-dir}), how many may wait and run at
 * once, and AWS's retry policy: {@code maxRetryAttempts} retries after function errors with {@code retryDelays}, throttles
 * and service failures retried from {@code serviceRetryMinDelay} doubling to {@code serviceRetryMaxDelay}, and none past
 * {@code maxEventAge}. {@code scheduleTimeScale} speeds up schedules' time (tests and drills; 1 in production).
 */
public record AsyncSettings(int maxQueued, int maxConcurrent, List<Duration> retryDelays, long maxPayloadBytes, Path dataDir,
                            int maxRetryAttempts, Duration maxEventAge, Duration serviceRetryMinDelay, Duration serviceRetryMaxDelay,
                            double scheduleTimeScale) {
    /** AWS's bounds on MaximumRetryAttempts and MaximumEventAgeInSeconds, for the gateway's settings and each function's. */
    public static final int MAX_RETRY_ATTEMPTS = 2;
    public static final Duration MIN_EVENT_AGE = Duration.ofSeconds(60);
    public static final Duration MAX_EVENT_AGE = Duration.ofHours(6);
}
