package io.esb.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import com.github.dockerjava.transport.DockerHttpClient;
import io.esb.config.DockerSettings;
import java.util.concurrent.atomic.AtomicLong;

/** Builds docker-java clients. The API version stays unpinned so requests go out unversioned. */
public final class DockerClients {
    private DockerClients() {}

    /**
     * A client whose calls can be aborted one by one ({@link AbortableDockerHttpClient#open}), and that sets
     * {@code lastAnswerNanos} to {@link System#nanoTime()} each time the daemon answers one of its HTTP requests (any
     * status): how the supervisor tells a busy daemon from a hung one.
     */
    public static DockerClient create(DockerSettings settings, AtomicLong lastAnswerNanos) {
        var config = config(settings);
        return DockerClientImpl.getInstance(config, new AbortableDockerHttpClient(config.getDockerHost(), config.getSSLConfig(),
                settings.maxWorkers() + 2, settings.clientTimeout(), lastAnswerNanos));
    }

    /**
     * A transport for long-lived streams (container logs, events), apart from the supervisor's client: it has no
     * response timeout, since a quiet stream is not a hung daemon. Closing it, or a response, aborts a blocked read.
     */
    public static DockerHttpClient forStreams(DockerSettings settings, int maxConnections) {
        var config = config(settings);
        return new ApacheDockerHttpClient.Builder()
                .dockerHost(config.getDockerHost())
                .sslConfig(config.getSSLConfig())
                .maxConnections(maxConnections)
                .connectionTimeout(settings.clientTimeout())
                .build();
    }

    /** A docker-java client over a transport built by {@link #forStreams}. */
    public static DockerClient over(DockerSettings settings, DockerHttpClient http) {
        return DockerClientImpl.getInstance(config(settings), http);
    }

    private static DefaultDockerClientConfig config(DockerSettings settings) {
        return DefaultDockerClientConfig.createDefaultConfigBuilder().withDockerHost(settings.host()).build();
    }
}
