package io.esb.config;

import io.esb.route.RouteSettings;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/** One function: the image that runs it, its limits, its own environment and the routes that reach it. */
public record FunctionSettings(
        String name,
        String image,
        Duration timeout,
        int memoryMb,
        int maxConcurrency,
        int minWarm,
        double cpus,
        Map<String, String> environment,
        List<RouteSettings> routes) implements io.esb.route.ConfiguredRoutes.Routed {

    /**
     * Identifies everything that shapes a container of this function. A container carries it as a label, so a
     * restarted gateway adopts only containers that still match the configuration, and a live reload that changes any
     * of it gives the function new containers. A CPU limit counts only when set, so hashes without one are unchanged.
     */
    public String containerSpecHash() {
        var text = image + "\n" + timeout.toMillis() + "\n" + memoryMb + "\n" + new java.util.TreeMap<>(environment)
                + (cpus > 0 ? "\ncpus=" + cpus : "");
        try {
            var digest = java.security.MessageDigest.getInstance("SHA-256").digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(digest, 0, 8);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
