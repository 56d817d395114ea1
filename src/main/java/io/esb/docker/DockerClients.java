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
}
