package io.esb.docker;

/** A running function container and the 127.0.0.1 port its RIE listens on. */
public record StartedContainer(String id, String name, int hostPort) {}
