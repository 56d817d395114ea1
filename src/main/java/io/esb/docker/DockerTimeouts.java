package io.esb.docker;

import io.esb.config.DockerSettings;

import java.time.Duration;

/**
 * The Docker timeouts by name, each with the setting it comes from, so the supervisor and its probe read them instead
 * of re-deriving them (a call's default deadline, an image build's, which pause a ping may take).
 *
 * @param call          a call's deadline once a worker runs it (esb.docker.client-timeout)
 * @param queueWait     the longest a call waits for a worker before it is refused, never run (esb.docker.queue-timeout)
 * @param probeInterval between two pings, and before an {@link DockerSupervisor.Undo} that found nothing runs again
 * @param probe         how long an idle daemon may leave a ping unanswered (esb.docker.probe-timeout)
 * @param busyProbe     how long a daemon with calls in flight may stay silent (esb.docker.busy-probe-timeout)
 * @param build         an image build's deadline: the build, then a call's time to report it (esb.docker.build-timeout)
 */
public record DockerTimeouts(DockerSupervisor.Deadline call, Duration queueWait, Duration probeInterval, Duration probe,
                             Duration busyProbe, DockerSupervisor.Deadline build) {
    public static final String CALL_KEY = "esb.docker.client-timeout";
    public static final String BUILD_KEY = "esb.docker.build-timeout";

    public static DockerTimeouts of(DockerSettings docker) {
        return new DockerTimeouts(new DockerSupervisor.Deadline(docker.clientTimeout(), CALL_KEY), docker.queueTimeout(),
                docker.probeInterval(), docker.probeTimeout(), docker.busyProbeTimeout(),
                new DockerSupervisor.Deadline(docker.buildTimeout().plus(docker.clientTimeout()), BUILD_KEY));
    }

    /** How long a ping may wait for the daemon's answer: longer while other calls keep it busy. */
    public Duration pingAllowance(boolean busy) {
        return busy ? busyProbe : probe;
    }
}
