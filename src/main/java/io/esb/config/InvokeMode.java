package io.esb.config;

/** How the gateway hands a function's containers their invocations ({@code esb.functions.NAME.mode}). */
public enum InvokeMode {
    /** The container's runtime client pulls events from the gateway's Runtime API ({@code esb.runtime-api}), as in AWS. */
    PULL,
    /** The gateway POSTs each event to a Runtime Interface Emulator on the container's port 8080; the image must carry one. */
    PUSH;

    /** The value as written in the configuration: {@code pull} or {@code push}. */
    public String key() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
