package io.esb.config;

import java.nio.file.Path;
import java.util.List;

/**
 * The code of a zip function, as Lambda unpacks it: {@code codeUri} becomes the task root ({@code /var/task}), each
 * layer is laid over {@code /opt} in order, and {@code handler} names the entry point for {@code runtime}. Paths are
 * absolute and normalised, and were directories when the configuration was read.
 */
public record ZipCode(String runtime, String handler, Path codeUri, List<Path> layers, String architecture) {
    public static final String X86_64 = "x86_64";
    public static final String ARM64 = "arm64";

    public ZipCode {
        layers = List.copyOf(layers);
    }
}
