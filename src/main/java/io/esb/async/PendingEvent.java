package io.esb.async;

/**
 * An accepted Event invocation as the store keeps it: its payload and client context, when it was accepted, and its
 * delivery so far. {@code attempts} counts every attempt; {@code functionErrors} those the function failed, which
 * alone use up its retries (as on AWS, throttles and the gateway's own failures are retried until the event's maximum
 * age). Times are epoch milliseconds; {@code firstAttemptAt} and {@code lastAttemptAt} are 0 before the first attempt,
 * {@code lastError} null. {@code payload} is null while the event waits: it stays in the store until the event runs.
 */
public record PendingEvent(String requestId, String functionName, byte[] payload, String clientContext, long acceptedAt, int attempts,
                           int functionErrors, long nextAttemptAt, long firstAttemptAt, long lastAttemptAt, String lastError) {

    /** A newly accepted event, due now. */
    public static PendingEvent accepted(String requestId, String functionName, byte[] payload, String clientContext, long now) {
        return new PendingEvent(requestId, functionName, payload, clientContext, now, 0, 0, now, 0, 0, null);
    }

    /** This event after an attempt at {@code at} that failed ({@code byFunction}: the function's own error). */
    public PendingEvent failed(long at, boolean byFunction, String error, long nextAttemptAt) {
        return new PendingEvent(requestId, functionName, payload, clientContext, acceptedAt, attempts + 1,
                functionErrors + (byFunction ? 1 : 0), nextAttemptAt, firstAttemptAt == 0 ? at : firstAttemptAt, at, error);
    }

    /** This event as it waits: without its payload, which the store keeps. */
    public PendingEvent withoutPayload() {
        return new PendingEvent(requestId, functionName, null, clientContext, acceptedAt, attempts, functionErrors, nextAttemptAt,
                firstAttemptAt, lastAttemptAt, lastError);
    }

    /** This event as a fresh one (a dead letter replayed): no attempts, due at {@code now}, same request id. */
    public PendingEvent replayed(long now) {
        return accepted(requestId, functionName, payload, clientContext, now);
    }
}
