package io.esb.cluster;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** What {@code /status} and {@code /metrics} show of the cluster: its members and the node each function runs on. */
public interface ClusterView {
    /** A lone gateway: nothing to show. */
    ClusterView SINGLE_NODE = () -> CompletableFuture.completedFuture(null);

    /** The cluster as this node sees it now; null on a lone gateway. */
    CompletionStage<Snapshot> snapshot();

    /** {@code functionNodes}: function name to the address of the node running it, for functions placed so far. */
    record Snapshot(String self, String leader, List<Member> members, Map<String, String> functionNodes) {}

    /** {@code status}: Akka's member status in lower case (joining, up, leaving, exiting, down, removed). */
    record Member(String address, String status, boolean reachable) {}
}
