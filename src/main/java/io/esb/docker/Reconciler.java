package io.esb.docker;

import java.util.Map;
import java.util.Set;

/**
 * What a reconcile removes, and the Docker operation that does it. The supervisor decides when (the daemon first seen
 * Up, and after each comeback) and runs the operation like any other call; this class only decides which containers.
 */
final class Reconciler {
    static final String OPERATION = "reconcile";
    private static final String REASON = "reconcile: stopped, unknown function, changed spec or other network";

    private Reconciler() {}

    /**
     * Whether reconcile removes a container of this instance: stopped, of a function no longer configured or of another
     * spec, or (serving an RIE) unreachable with {@code network}. A container created but never started since {@code createsInFlightSince}
     * (epoch seconds) may be a cold start's between its create and its start, and is spared.
     */
    static boolean stale(ManagedContainer container, Map<String, Set<String>> liveSpecs, String network, long createsInFlightSince) {
        if (container.neverStarted() && container.createdEpochSeconds() >= createsInFlightSince) {
            return false;
        }
        var live = container.function() == null ? null : liveSpecs.get(container.function());
        return !container.running() || live == null || !live.contains(container.specHash())
                || (!container.pulls() && container.addressOn(network) == null);
    }

    /**
     * When the oldest create-and-start still in flight began ({@code oldestSubmittedNanos}, {@link System#nanoTime()}
     * of its submission; {@link Long#MAX_VALUE}: none), in Docker's epoch seconds with a second's slack for their
     * resolution; {@link Long#MAX_VALUE} when none is in flight.
     */
    static long createsInFlightSince(long oldestSubmittedNanos, long nowNanos, long nowEpochMillis) {
        if (oldestSubmittedNanos == Long.MAX_VALUE) {
            return Long.MAX_VALUE;
        }
        long agoMillis = (nowNanos - oldestSubmittedNanos) / 1_000_000;
        return (nowEpochMillis - agoMillis) / 1000 - 1;
    }

    /**
     * Removes this instance's stopped containers, those of functions no longer configured, and those made for another
     * {@code network} (this gateway could not reach them). Never touches others. Answers how many it removed.
     */
    static DockerOperation<Integer> operation(String instanceId, Map<String, Set<String>> liveSpecs, String network,
                                              long createsInFlightSince) {
        return DockerOps.removeWhere(instanceId, container -> stale(container, liveSpecs, network, createsInFlightSince), REASON);
    }
}
