package io.esb.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import io.esb.config.DockerSettings;

/** Builds docker-java clients. The API version stays unpinned so requests go out unversioned. */
public final class DockerClients {
    private DockerClients() {}

    public static DockerClient create(DockerSettings settings) {
        var config = DefaultDockerClientConfig.createDefaultConfigBuilder().withDockerHost(settings.host()).build();
        // httpclient5 retries only idempotent requests (GET/DELETE), so create and start are never sent twice.
        var http = new ApacheDockerHttpClient.Builder()
                .dockerHost(config.getDockerHost())
                .sslConfig(config.getSSLConfig())
                .maxConnections(settings.maxWorkers() + 2)
                .connectionTimeout(settings.clientTimeout())
                .responseTimeout(settings.clientTimeout())
                .build();
        return DockerClientImpl.getInstance(config, http);
    }

    /**
     * A transport for long-lived streams (container logs, events), apart from the supervisor's client: it has no
     * response timeout, since a quiet stream is not a hung daemon. Closing it, or a response, aborts a blocked read.
     */
    public static com.github.dockerjava.transport.DockerHttpClient forStreams(DockerSettings settings, int maxConnections) {
        var config = DefaultDockerClientConfig.createDefaultConfigBuilder().withDockerHost(settings.host()).build();
        return new ApacheDockerHttpClient.Builder()
                .dockerHost(config.getDockerHost())
                .sslConfig(config.getSSLConfig())
                .maxConnections(maxConnections)
                .connectionTimeout(settings.clientTimeout())
                .build();
    }

    /** A docker-java client over a transport built by {@link #forStreams}. */
    public static DockerClient over(DockerSettings settings, com.github.dockerjava.transport.DockerHttpClient http) {
        return DockerClientImpl.getInstance(DefaultDockerClientConfig.createDefaultConfigBuilder().withDockerHost(settings.host()).build(), http);
    }
}
