package io.esb.docker;

import java.util.Map;

/**
 * A container carrying this gateway's labels, as listed by the daemon. {@code hostPort} is 0 when none is published;
 * {@code networks} maps each network the container is on to its address there. {@code neverStarted}: created and
 * not (yet) started, as a cold start leaves it between its create and its start; {@code createdEpochSeconds}: when.
 * {@code pulls}: it calls the gateway's Runtime API, so it needs no address of its own.
 */
public record ManagedContainer(String id, String name, String function, String specHash, boolean running, int hostPort,
                               Map<String, String> networks, boolean neverStarted, long createdEpochSeconds, boolean pulls) {

    public ManagedContainer(String id, String name, String function, String specHash, boolean running, int hostPort,
                            Map<String, String> networks, boolean neverStarted, long createdEpochSeconds) {
        this(id, name, function, specHash, running, hostPort, networks, neverStarted, createdEpochSeconds, false);
    }

    public ManagedContainer(String id, String name, String function, String specHash, boolean running, int hostPort,
                            Map<String, String> networks) {
        this(id, name, function, specHash, running, hostPort, networks, false, 0);
    }

    /** Listed without network addresses. */
    public ManagedContainer(String id, String name, String function, String specHash, boolean running, int hostPort) {
        this(id, name, function, specHash, running, hostPort, Map.of());
    }

    /**
     * Where a gateway with {@code esb.docker.network = network} reaches this container, or null when it cannot (a
     * container made for the other setting: no published port, or not on that network).
     */
    public StartedContainer addressOn(String network) {
        if (network == null || network.isEmpty()) {
            return hostPort > 0 ? new StartedContainer(id, name, hostPort) : null;
        }
        var address = networks.get(network);
        return address == null || address.isEmpty() ? null : new StartedContainer(id, name, DockerOps.RIE_PORT, address);
    }
}
