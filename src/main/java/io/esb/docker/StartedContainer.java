package io.esb.docker;

/**
 * A running function container and where its RIE answers: {@code host:hostPort}, that is 127.0.0.1 and the published
 * port, or the container's address on {@code esb.docker.network} and 8080.
 */
public record StartedContainer(String id, String name, int hostPort, String host) {

    /** Published on 127.0.0.1. */
    public StartedContainer(String id, String name, int hostPort) {
        this(id, name, hostPort, "127.0.0.1");
    }
}
