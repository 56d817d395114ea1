package io.esb.container;

/**
 * Where a container is reached: its RIE at {@code host:port} (push), or, for a container that pulls from the Runtime
 * API, its address on the Docker network (the one its calls come from) with port 0.
 */
public record ContainerAddress(String id, String host, int port) {}
