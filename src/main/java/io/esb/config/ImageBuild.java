package io.esb.config;

import java.nio.file.Path;
import java.util.Map;

/**
 * How to build a function's image locally: the Dockerfile (inside {@code context}), the context directory, the tag
 * the image gets, build arguments and an optional multi-stage target (null for the last stage).
 */
public record ImageBuild(Path dockerfile, Path context, String tag, Map<String, String> buildArgs, String target) {}
