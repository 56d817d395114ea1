package io.esb.config;

import java.time.Duration;

/**
 * A function's own retry policy for Event invocations ({@code esb.functions.NAME.async}, or SAM's
 * {@code EventInvokeConfig}); a null field takes the gateway's ({@code esb.async}).
 */
public record FunctionAsync(Integer maxRetryAttempts, Duration maxEventAge) {
    public static final FunctionAsync GATEWAY_DEFAULTS = new FunctionAsync(null, null);

    public int maxRetryAttempts(AsyncSettings gateway) {
        return maxRetryAttempts != null ? maxRetryAttempts : gateway.maxRetryAttempts();
    }

    public Duration maxEventAge(AsyncSettings gateway) {
        return maxEventAge != null ? maxEventAge : gateway.maxEventAge();
    }
}
