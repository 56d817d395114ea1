package io.esb.config;

/** Where the gateway listens and how large request bodies may be. */
public record HttpSettings(String iface, int port, String stage, String basePath, java.util.Map<String, String> stageVariables,
                           long maxInvokePayloadBytes, long maxRouteBodyBytes) {}
