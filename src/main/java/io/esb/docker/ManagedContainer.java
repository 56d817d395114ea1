package io.esb.docker;

/** A container carrying this gateway's labels, as listed by the daemon. {@code hostPort} is 0 when none is published. */
public record ManagedContainer(String id, String name, String function, String specHash, boolean running, int hostPort) {}
