package io.esb.config;

import java.util.Map;

/** All of the gateway's settings, read once from {@code esb.*} and validated. */
public record EsbSettings(
        HttpSettings http,
        DockerSettings docker,
        ContainerSettings containers,
        ShutdownSettings shutdown,
        AsyncSettings async,
        AuthSettings auth,
        String region,
        String accountId,
        Map<String, FunctionSettings> functions,
        /** The SAM template's functions (already in {@code functions}), their image builds and what it ignores. */
        io.esb.config.sam.SamTemplate sam,
        LoggingSettings logging,
        MetricsSettings metrics,
        /** Base images of zip functions by Lambda runtime identifier ({@code esb.runtimes}), such as java21. */
        Map<String, String> runtimes,
        /** Where pull-mode containers reach the gateway's Runtime API. */
        RuntimeApiSettings runtimeApi,
        /** Whether, and how, this gateway forms a cluster with others ({@code esb.cluster}). */
        ClusterSettings cluster,
        /** The bounds that follow from the settings above, derived once. */
        Timeouts timeouts) {

    /** These settings with other functions (and the SAM template they partly come from): what a live reload applies. */
    public EsbSettings withFunctions(Map<String, FunctionSettings> functions, io.esb.config.sam.SamTemplate sam) {
        return new EsbSettings(http, docker, containers, shutdown, async, auth, region, accountId, functions, sam, logging, metrics, runtimes, runtimeApi,
                cluster, timeouts);
    }
}
