package io.esb.config;

/** {@code esb.metrics}: whether {@code GET /metrics} serves Prometheus metrics and meters are recorded at all. */
public record MetricsSettings(boolean enabled) {}
