package io.esb.config;

/**
 * Where the gateway serves the Lambda Runtime API that pull-mode containers ({@link InvokeMode#PULL}) fetch their
 * events from ({@code esb.runtime-api}).
 *
 * @param host             {@link #AUTO} (the gateway address of the Docker network the containers are on, which is
 *                         how they reach the host) or an IPv4 address; never {@code 0.0.0.0}
 * @param port             0 for an ephemeral port, else the port to bind
 * @param maxResponseBytes largest response a runtime may post; past it the runtime is answered 413
 */
public record RuntimeApiSettings(String host, int port, long maxResponseBytes) {
    public static final String AUTO = "auto";

    /** Whether {@link #host} is to be found from the Docker network rather than given. */
    public boolean autoHost() {
        return AUTO.equals(host);
    }
}
