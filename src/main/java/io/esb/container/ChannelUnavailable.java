package io.esb.container;

/**
 * A channel cannot take new containers yet: the Runtime API is not listening. {@code dockerUnavailable}: because
 * Docker, down or unanswering, could not tell where containers reach this host.
 */
public final class ChannelUnavailable extends RuntimeException {
    private final boolean dockerUnavailable;

    public ChannelUnavailable(String message, boolean dockerUnavailable) {
        super(message, null, false, false);
        this.dockerUnavailable = dockerUnavailable;
    }

    public boolean dockerUnavailable() {
        return dockerUnavailable;
    }
}
