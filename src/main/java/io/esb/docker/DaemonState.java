package io.esb.docker;

import java.time.Instant;

/** Published on the event stream whenever the daemon's status changes. */
public record DaemonState(Status status, String dockerHost, String lastError, Instant since) {
    public enum Status { UNKNOWN, UP, DOWN }

    public boolean up() {
        return status == Status.UP;
    }

    public boolean down() {
        return status == Status.DOWN;
    }
}
