package io.esb.config;

import java.time.Duration;

/**
 * Every timeout the gateway derives from its settings, by name, in one place: what a caller waits for a Docker call,
 * for one invocation, between two reaps, and how long shutdown phases may take. The settings hold what operators set;
 * this holds what follows from them, so no class re-derives a bound with its own margin.
 */
public record Timeouts(
        /** Waiting for the DockerSupervisor's answer to a call bounded by client-timeout: queue wait, deadline, margin. */
        Duration dockerAsk,
        /** How long a removed function's drained actor waits for calls that looked it up just before the reload. */
        Duration drainGrace,
        /** Between two idle-container reaps: a quarter of idle-timeout, at most 15 s. */
        Duration reapEvery,
        /** Between two checks of waiters past queue-timeout: a quarter of it, at most 250 ms. */
        Duration queueCheckEvery,
        /** How long a running container found on the daemon may take to answer before it is adopted, on the host setup. */
        Duration adoptionProbe,
        /** CoordinatedShutdown's service-stop phase: long enough for the removal of every container (one Docker call). */
        Duration shutdownServiceStop,
        /** CoordinatedShutdown's service-requests-done phase: the drain timeout and a margin. */
        Duration shutdownRequestsDone) {

    /** The margin a caller adds to the supervisor's own bound, for the messages on the way. */
    private static final Duration ASK_MARGIN = Duration.ofSeconds(5);

    public static Timeouts of(DockerSettings docker, ContainerSettings containers, ShutdownSettings shutdown) {
        var dockerAsk = dockerAsk(docker, docker.clientTimeout());
        return new Timeouts(
                dockerAsk,
                containers.readinessTimeout().plusSeconds(2),
                atMost(containers.idleTimeout().dividedBy(4), Duration.ofSeconds(15), Duration.ofMillis(100)),
                atMost(containers.queueTimeout().dividedBy(4), Duration.ofMillis(250), Duration.ofMillis(10)),
                containers.pingTimeout().multipliedBy(2),
                dockerAsk.plusSeconds(2),
                shutdown.drainTimeout().plusSeconds(2));
    }

    /** Waiting for the supervisor's answer to a call with its own {@code deadline}: queue wait, deadline, margin. */
    public static Duration dockerAsk(DockerSettings docker, Duration deadline) {
        return docker.queueTimeout().plus(deadline).plus(ASK_MARGIN);
    }

    /**
     * The longest a caller waits for one invocation of {@code function}: queueing and the function's own run (twice its
     * timeout), a cold start (readiness) and its Docker call. Past it the caller is answered as timed out.
     */
    public Duration invocation(FunctionSettings function, ContainerSettings containers) {
        return function.timeout().multipliedBy(2).plus(containers.readinessTimeout()).plus(dockerAsk);
    }

    private static Duration atMost(Duration wanted, Duration cap, Duration floor) {
        var capped = wanted.compareTo(cap) > 0 ? cap : wanted;
        return capped.isZero() ? floor : capped;
    }
}
