package io.esb.config;

import java.time.Duration;
import java.util.List;

/**
 * {@code esb.cluster}: whether this gateway joins others in an Akka Cluster, where it listens for them and whom it asks
 * to join. Off, the gateway is one node alone exactly as before: no remoting port, no cluster actors.
 *
 * @param seedNodes    {@code host:port} of the nodes to join through; the first one starts the cluster when it is itself
 * @param stableAfter  how long membership must stay unchanged before the split-brain resolver downs unreachable nodes
 * @param acceptTimeout how long an invocation may wait for a node to take it (its function moving after a node's loss)
 *                     before it is answered 503
 */
public record ClusterSettings(boolean enabled, String host, int port, List<String> seedNodes, String downingStrategy,
                              Duration stableAfter, Duration acceptTimeout) {
    public static final String SYSTEM_NAME = "esb";

    public ClusterSettings {
        seedNodes = List.copyOf(seedNodes);
    }

    /** Akka's address of a {@code host:port} node. */
    public static String akkaAddress(String hostPort) {
        return "akka://" + SYSTEM_NAME + "@" + hostPort;
    }

    /** This node's {@code host:port}. */
    public String self() {
        return host + ":" + port;
    }
}
