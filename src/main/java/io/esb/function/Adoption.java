package io.esb.function;

import io.esb.docker.ManagedContainer;
import io.esb.docker.StartedContainer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * What a function does with the daemon's listing of its containers, without actors: running containers left by an
 * earlier gateway (or surviving a daemon restart) are probed and adopted, and idle containers the daemon no longer
 * runs (such as after a restart without live-restore) are dropped. {@link FunctionActor} carries the decisions out.
 */
final class Adoption {

    /**
     * {@code running}: the ids of the listed containers that run, so the pool drops its idle ones not among them.
     * {@code toProbe}: the containers to check for readiness, each then adopted or removed ({@link #afterProbe}).
     * {@code toRemove}: running containers that can never serve this gateway: a pull-mode container not in the pool
     * lost its runtime's connection to the Runtime API of the gateway that started it.
     */
    record Plan(Set<String> running, List<StartedContainer> toProbe, List<String> toRemove) {}

    /** What becomes of a probed container. */
    enum AfterProbe {
        /** It answered and is not in the pool yet: it joins it, idle. */
        ADOPT,
        /** It did not answer. Nothing else would ever remove it: it is this instance's, runs, and no actor pools it. */
        REMOVE,
        /** It answered but is in the pool already (its own cold start, or an earlier adoption, got there first). */
        ALREADY_POOLED
    }

    private final String network;
    private final Duration probeWindow;
    private final boolean pull;
    private final long startedEpochSeconds = java.time.Instant.now().getEpochSecond();

    /**
     * @param network          {@code esb.docker.network}; empty when containers publish a port
     * @param adoptionProbe    how long a container reached through its published port gets to answer
     * @param readinessTimeout how long one on a network gets
     */
    Adoption(String network, Duration adoptionProbe, Duration readinessTimeout, boolean pull) {
        this.network = network;
        this.pull = pull;
        // On a network no port proxy can have died with the daemon: a running container that is slow to answer is
        // only slow (as a gateway that has just started is), so it gets the readiness timeout.
        this.probeWindow = network.isEmpty() ? adoptionProbe : readinessTimeout;
    }

    /**
     * @param adopt            false while draining, or when a draining predecessor still owns the running containers
     * @param specHash         the function's current {@code esb.spec}; a container of another spec is not adopted
     * @param knownOrReadying  whether the pool has the container already, or is checking its readiness after a start
     */
    Plan plan(List<ManagedContainer> listing, boolean adopt, String specHash, Predicate<String> knownOrReadying) {
        var running = new HashSet<String>();
        var toProbe = new ArrayList<StartedContainer>();
        var toRemove = new ArrayList<String>();
        for (var container : listing) {
            // A pull-mode container this actor did not start belongs to a gateway that is gone, and so is its
            // runtime's Runtime API: running or already exited, it goes. (One created since this actor started may
            // be its own cold start, not yet known to the pool; while a draining predecessor owns them, they are its,
            // and one of another spec is a predecessor's that live reload replaced, draining.)
            // An exited one (not merely created, as a cold start's is before its start) can be no start of this actor's.
            boolean exited = !container.running() && !container.neverStarted();
            if (pull && adopt && specHash.equals(container.specHash()) && !knownOrReadying.test(container.id())
                    && (exited || container.createdEpochSeconds() < startedEpochSeconds)) {
                toRemove.add(container.id());
                continue;
            }
            if (!container.running()) {
                continue;
            }
            running.add(container.id());
            if (pull) {
                continue;
            }
            // The address comes from the listing: the published port, or the container's IP on esb.docker.network.
            var address = container.addressOn(network);
            if (adopt && address != null && !knownOrReadying.test(container.id()) && specHash.equals(container.specHash())) {
                toProbe.add(address);
            }
        }
        return new Plan(running, toProbe, toRemove);
    }

    /** How long a listed container gets to answer its readiness probe. */
    Duration probeWindow() {
        return probeWindow;
    }

    /** {@code pooled}: the pool has the container already, or is checking its readiness after a cold start. */
    static AfterProbe afterProbe(boolean ready, boolean pooled) {
        if (!ready) {
            return AfterProbe.REMOVE;
        }
        return pooled ? AfterProbe.ALREADY_POOLED : AfterProbe.ADOPT;
    }
}
