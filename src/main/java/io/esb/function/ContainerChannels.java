package io.esb.function;

import io.esb.config.InvokeMode;
import io.esb.container.ContainerChannel;

/**
 * The two ways a function's containers get their invocations, one per {@link InvokeMode}: {@code push} to an RIE on
 * 8080, {@code pull} through the gateway's Runtime API.
 */
public record ContainerChannels(ContainerChannel push, ContainerChannel pull) {

    /** For functions that all push (tests without a Runtime API). */
    public static ContainerChannels pushOnly(ContainerChannel push) {
        return new ContainerChannels(push, null);
    }

    ContainerChannel forMode(InvokeMode mode) {
        var channel = mode == InvokeMode.PULL ? pull : push;
        if (channel == null) {
            throw new IllegalStateException("no " + mode.name().toLowerCase() + " channel: this gateway was built without a Runtime API");
        }
        return channel;
    }
}
