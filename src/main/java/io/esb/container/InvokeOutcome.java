package io.esb.container;

/** What happened when an invocation was sent to a container. */
public sealed interface InvokeOutcome {
    /** The container answered; the RIE answers 200 even for handler errors and timeouts. */
    record Answered(int status, byte[] body, String contentType) implements InvokeOutcome {}

    /** No connection could be opened, so the event never reached the container and may be sent elsewhere. */
    record NotDelivered(String errorType, String detail) implements InvokeOutcome {}

    /** The connection failed or dropped after the event was sent, or no answer came in time. */
    record Lost(String errorType, String detail, boolean timedOut) implements InvokeOutcome {}
}
