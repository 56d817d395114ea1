package io.esb.container;

/**
 * Whether a new container can take invocations.
 *
 * @param detail    why not, for the log and the caller
 * @param initError the runtime's own report of a failed init (the Runtime API's init/error body, Lambda's error JSON),
 *                  answered to the waiting callers as the function's error; null otherwise
 */
public record Readiness(boolean ready, String detail, byte[] initError) {
    public static final Readiness READY = new Readiness(true, null, null);

    public static Readiness notReady(String detail) {
        return new Readiness(false, detail, null);
    }

    public static Readiness initFailed(byte[] initError, String detail) {
        return new Readiness(false, detail, initError);
    }
}
