package io.esb.async;

/** An event that gave up: the event as it last stood, why ({@code reason}), and when (epoch milliseconds). */
public record DeadLetter(PendingEvent event, String reason, long deadLetteredAt) {}
