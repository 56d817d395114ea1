package io.esb.docker;

import java.util.List;
import java.util.Map;

/**
 * What a function container is created from.
 *
 * @param command        the container's Cmd (a zip function's handler, as for AWS base images), or empty for the image's
 * @param readOnlyMounts host directory to container path, mounted read-only (a zip function's code and layers)
 * @param publishRie     whether 8080 (an RIE) is published and called; a container that pulls its events from the
 *                       gateway's Runtime API publishes nothing and is known by its address on the network
 */
public record ContainerSpec(String name, String image, Map<String, String> environment, Map<String, String> labels, long memoryBytes,
                            double cpus, List<String> command, Map<String, String> readOnlyMounts, boolean publishRie) {

    /** An image whose RIE serves on 8080. */
    public ContainerSpec(String name, String image, Map<String, String> environment, Map<String, String> labels, long memoryBytes,
                         double cpus) {
        this(name, image, environment, labels, memoryBytes, cpus, List.of(), Map.of(), true);
    }
}
