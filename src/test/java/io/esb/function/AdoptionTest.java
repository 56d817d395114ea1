package io.esb.function;

import static org.assertj.core.api.Assertions.assertThat;

import io.esb.docker.ManagedContainer;
import io.esb.docker.StartedContainer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Adoption's decisions on a listing, without actors or a daemon. */
class AdoptionTest {
    private static final String SPEC = "spec-1";
    private static final Duration PROBE = Duration.ofSeconds(2);
    private static final Duration READINESS = Duration.ofSeconds(30);

    private final Adoption published = new Adoption("", PROBE, READINESS, false);

    @Test
    void runningContainersOfTheCurrentSpecNotYetPooledAreProbedAtTheirPublishedPort() {
        var listing = List.of(
                container("run1", SPEC, true, 40001),
                container("stopped", SPEC, false, 40002),
                container("otherSpec", "spec-0", true, 40003),
                container("pooled", SPEC, true, 40004),
                container("noPort", SPEC, true, 0));

        var plan = published.plan(listing, true, SPEC, "pooled"::equals);

        assertThat(plan.toProbe()).containsExactly(new StartedContainer("run1", "name-run1", 40001));
        // Every running container counts as running, adopted or not: the pool keeps its idle ones among them.
        assertThat(plan.running()).containsExactlyInAnyOrder("run1", "otherSpec", "pooled", "noPort");
    }

    @Test
    void pullModeContainersAnEarlierGatewayStartedAreRemovedRunningOrNotAndNeverProbed() {
        var pull = new Adoption("", PROBE, READINESS, true);
        var old = new ManagedContainer("old", "n", "fn", SPEC, true, 0, Map.of(), false, 100, true);
        var exited = new ManagedContainer("exited", "n", "fn", SPEC, false, 0, Map.of(), false, 100, true);
        var pooled = new ManagedContainer("pooled", "n", "fn", SPEC, true, 0, Map.of(), false, 100, true);
        var justStarted = new ManagedContainer("new", "n", "fn", SPEC, true, 0, Map.of(), false, Long.MAX_VALUE, true);
        var exitedSince = new ManagedContainer("exitedSince", "n", "fn", SPEC, false, 0, Map.of(), false, Long.MAX_VALUE, true);
        var creating = new ManagedContainer("creating", "n", "fn", SPEC, false, 0, Map.of(), true, Long.MAX_VALUE, true);
        assertThat(pull.plan(List.of(exitedSince, creating), true, SPEC, id -> false).toRemove())
                .as("exited, whenever made; a cold start's created container is spared").containsExactly("exitedSince");

        var plan = pull.plan(List.of(old, exited, pooled, justStarted), true, SPEC, "pooled"::equals);
        assertThat(plan.toRemove()).containsExactlyInAnyOrder("old", "exited");
        assertThat(plan.toProbe()).isEmpty();
        assertThat(plan.running()).containsExactlyInAnyOrder("pooled", "new");

        // While a draining predecessor owns the function's containers, they are left to it; so are those of another
        // spec (a predecessor live reload replaced).
        assertThat(pull.plan(List.of(old), false, SPEC, id -> false).toRemove()).isEmpty();
        var replaced = new ManagedContainer("replaced", "n", "fn", "spec-0", true, 0, Map.of(), false, 100, true);
        assertThat(pull.plan(List.of(replaced), true, SPEC, id -> false).toRemove()).isEmpty();
    }

    @Test
    void nothingIsProbedWhenAdoptionIsOffButRunningContainersStillCount() {
        var plan = published.plan(List.of(container("run1", SPEC, true, 40001)), false, SPEC, id -> false);

        assertThat(plan.toProbe()).isEmpty();
        assertThat(plan.running()).containsExactly("run1");
    }

    @Test
    void anEmptyListingDropsEveryIdleContainer() {
        var plan = published.plan(List.of(), true, SPEC, id -> false);

        assertThat(plan.running()).isEmpty();
        assertThat(plan.toProbe()).isEmpty();
    }

    @Test
    void onANetworkContainersAreReachedAtTheirAddressThereAndGetTheReadinessTimeout() {
        var onNetwork = new Adoption("esb-net", PROBE, READINESS, false);
        var listing = List.of(
                new ManagedContainer("net1", "name-net1", "fn", SPEC, true, 0, Map.of("esb-net", "172.18.0.5")),
                new ManagedContainer("elsewhere", "name-elsewhere", "fn", SPEC, true, 0, Map.of("bridge", "172.17.0.5")),
                container("published", SPEC, true, 40001));

        var plan = onNetwork.plan(listing, true, SPEC, id -> false);

        // On a network the RIE is reached at its own port, 8080.
        assertThat(plan.toProbe()).containsExactly(new StartedContainer("net1", "name-net1", 8080, "172.18.0.5"));
        assertThat(plan.running()).isEqualTo(Set.of("net1", "elsewhere", "published"));
        assertThat(onNetwork.probeWindow()).isEqualTo(READINESS);
        // Through a published port, a container that does not answer soon is behind a proxy that died with the daemon.
        assertThat(published.probeWindow()).isEqualTo(PROBE);
    }

    @Test
    void aProbedContainerIsAdoptedWhenItAnswersAndIsNotPooledYetAndRemovedWhenSilent() {
        assertThat(Adoption.afterProbe(true, false)).isEqualTo(Adoption.AfterProbe.ADOPT);
        assertThat(Adoption.afterProbe(true, true)).isEqualTo(Adoption.AfterProbe.ALREADY_POOLED);
        assertThat(Adoption.afterProbe(false, false)).isEqualTo(Adoption.AfterProbe.REMOVE);
        assertThat(Adoption.afterProbe(false, true)).isEqualTo(Adoption.AfterProbe.REMOVE);
    }

    private static ManagedContainer container(String id, String spec, boolean running, int hostPort) {
        return new ManagedContainer(id, "name-" + id, "fn", spec, running, hostPort);
    }
}
