package io.esb.config;

/** One API-Gateway-style route: an upper-case HTTP method (or {@code ANY}) and a path template. */
public record RouteSettings(String method, String path) {}
