package io.esb.docker;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Which of its containers a reconcile removes. */
class ReconcileTest {
    private static final Map<String, Set<String>> LIVE = Map.of("fx", Set.of("spec1"));
    private static final long NONE_IN_FLIGHT = Long.MAX_VALUE;

    private static ManagedContainer container(String function, String spec, boolean running, boolean neverStarted, long created) {
        return new ManagedContainer("id", "name", function, spec, running, running ? 40000 : 0, Map.of(), neverStarted, created);
    }

    @Test
    void aRunningContainerOfALiveSpecStays() {
        assertThat(Reconciler.stale(container("fx", "spec1", true, false, 100), LIVE, "", NONE_IN_FLIGHT)).isFalse();
    }

    @Test
    void stoppedUnknownOrChangedContainersGo() {
        assertThat(Reconciler.stale(container("fx", "spec1", false, false, 100), LIVE, "", NONE_IN_FLIGHT)).isTrue();
        assertThat(Reconciler.stale(container("gone", "spec1", true, false, 100), LIVE, "", NONE_IN_FLIGHT)).isTrue();
        assertThat(Reconciler.stale(container("fx", "spec0", true, false, 100), LIVE, "", NONE_IN_FLIGHT)).isTrue();
        assertThat(Reconciler.stale(container("fx", "spec1", true, false, 100), LIVE, "esb", NONE_IN_FLIGHT))
                .as("published, but this gateway reaches containers on a network").isTrue();
    }

    @Test
    void aRunningPullModeContainerStaysThoughItPublishesNothingButGoesWhenStopped() {
        var pulling = new ManagedContainer("p1", "n", "fx", "spec1", true, 0, java.util.Map.of(), false, 100, true);
        assertThat(Reconciler.stale(pulling, LIVE, "", NONE_IN_FLIGHT)).as("it calls the Runtime API; no address needed").isFalse();
        var rieWithoutPort = new ManagedContainer("r1", "n", "fx", "spec1", true, 0, java.util.Map.of(), false, 100, false);
        assertThat(Reconciler.stale(rieWithoutPort, LIVE, "", NONE_IN_FLIGHT)).as("an RIE this gateway cannot reach").isTrue();
        var stopped = new ManagedContainer("p2", "n", "fx", "spec1", false, 0, java.util.Map.of(), false, 100, true);
        assertThat(Reconciler.stale(stopped, LIVE, "", NONE_IN_FLIGHT)).isTrue();
    }

    @Test
    void aNeverStartedContainerIsSparedOnlyWhileACreateThatMayHaveMadeItIsInFlight() {
        var justCreated = container("fx", "spec1", false, true, 1_000);
        assertThat(Reconciler.stale(justCreated, LIVE, "", 999)).as("created after the create in flight began").isFalse();
        assertThat(Reconciler.stale(justCreated, LIVE, "", 1_000)).isFalse();
        assertThat(Reconciler.stale(justCreated, LIVE, "", 1_001)).as("older than every create in flight").isTrue();
        assertThat(Reconciler.stale(justCreated, LIVE, "", NONE_IN_FLIGHT)).as("left by an aborted start").isTrue();
        assertThat(Reconciler.stale(container("fx", "spec1", false, false, 1_000), LIVE, "", 999))
                .as("exited, not merely created").isTrue();
    }

    @Test
    void createsInFlightSinceIsTheOldestCreatesStartInEpochSecondsWithASecondsSlack() {
        long nowNanos = 50_000_000_000L;
        long nowMillis = 1_700_000_010_500L;
        assertThat(Reconciler.createsInFlightSince(nowNanos - 2_500_000_000L, nowNanos, nowMillis))
                .as("began 2.5 s ago: at 1_700_000_008.0, less a second").isEqualTo(1_700_000_007L);
        assertThat(Reconciler.createsInFlightSince(Long.MAX_VALUE, nowNanos, nowMillis)).as("none in flight").isEqualTo(NONE_IN_FLIGHT);
    }
}
