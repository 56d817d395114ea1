package io.esb.function;

/** One event to run, with the request id that follows it through logs and into the container. */
public record Invocation(byte[] event, String requestId) {}
