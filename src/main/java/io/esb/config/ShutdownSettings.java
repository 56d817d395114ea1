package io.esb.config;

import java.time.Duration;

/** What SIGTERM does: how long in-flight invocations may finish, and whether containers are removed or left for adoption. */
public record ShutdownSettings(Duration drainTimeout, boolean removeContainers) {}
