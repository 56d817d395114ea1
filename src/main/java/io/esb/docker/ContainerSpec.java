package io.esb.docker;

import java.util.Map;

/** What a function container is created from. */
public record ContainerSpec(String name, String image, Map<String, String> environment, Map<String, String> labels, long memoryBytes,
                            double cpus) {}
