package io.esb.function;

/** A snapshot of one function's pool, for the status endpoint and tests. */
public record FunctionStatus(String function, int idle, int busy, int starting, int queued, long coldStarts) {}
