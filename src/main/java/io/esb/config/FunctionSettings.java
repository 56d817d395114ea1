package io.esb.config;

import io.esb.route.RouteSettings;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * One function: the image that runs it, its limits, its own environment, the routes that reach it, how its containers
 * get their invocations and, for a zip function, its code. A zip function's {@code image} is its runtime's base image
 * ({@code esb.runtimes}); {@code zip} is null for an image function. {@code async} is its retry policy for Event
 * invocations, {@code schedules} what invokes it on a timer; neither shapes its containers.
 */
public record FunctionSettings(
        String name,
        String image,
        Duration timeout,
        int memoryMb,
        int maxConcurrency,
        int minWarm,
        double cpus,
        Map<String, String> environment,
        List<RouteSettings> routes,
        InvokeMode mode,
        ZipCode zip,
        FunctionAsync async,
        List<ScheduleSettings> schedules) implements io.esb.route.ConfiguredRoutes.Routed {

    public FunctionSettings {
        java.util.Objects.requireNonNull(mode, "mode");
        async = async == null ? FunctionAsync.GATEWAY_DEFAULTS : async;
        schedules = schedules == null ? List.of() : List.copyOf(schedules);
        if (zip != null && mode != InvokeMode.PULL) {
            throw new IllegalArgumentException("a zip function runs under its runtime's client, so its mode is pull");
        }
    }

    /** A function with the gateway's retry policy and no schedules. */
    public FunctionSettings(String name, String image, Duration timeout, int memoryMb, int maxConcurrency, int minWarm, double cpus,
                            Map<String, String> environment, List<RouteSettings> routes, InvokeMode mode, ZipCode zip) {
        this(name, image, timeout, memoryMb, maxConcurrency, minWarm, cpus, environment, routes, mode, zip, null, null);
    }

    /** An image function whose RIE serves on 8080 ({@link InvokeMode#PUSH}). */
    public FunctionSettings(String name, String image, Duration timeout, int memoryMb, int maxConcurrency, int minWarm, double cpus,
                            Map<String, String> environment, List<RouteSettings> routes) {
        this(name, image, timeout, memoryMb, maxConcurrency, minWarm, cpus, environment, routes, InvokeMode.PUSH, null);
    }

    /** Whether the function's code is a directory mounted into its runtime's image, rather than an image of its own. */
    public boolean isZip() {
        return zip != null;
    }

    /**
     * Identifies everything that shapes a container of this function. A container carries it as a label, so a
     * restarted gateway adopts only containers that still match the configuration, and a live reload that changes any
     * of it gives the function new containers. A CPU limit counts only when set. The mode counts only when pull: before
     * modes, every container was called as push ones are, so a push function's hash is what it was then and its
     * running containers are still adopted, while a pull function never adopts a container that was not told the
     * Runtime API. The code's paths count, not the files in them.
     */
    public String containerSpecHash() {
        var text = new StringBuilder().append(image).append('\n').append(timeout.toMillis()).append('\n').append(memoryMb).append('\n')
                .append(new java.util.TreeMap<>(environment)).append(cpus > 0 ? "\ncpus=" + cpus : "")
                .append(mode == InvokeMode.PUSH ? "" : "\nmode=" + mode.key());
        if (zip != null) {
            text.append("\nruntime=").append(zip.runtime()).append("\nhandler=").append(zip.handler()).append("\ncode=").append(zip.codeUri())
                    .append("\nlayers=").append(zip.layers()).append("\narchitecture=").append(zip.architecture());
        }
        try {
            var digest = java.security.MessageDigest.getInstance("SHA-256").digest(text.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(digest, 0, 8);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
