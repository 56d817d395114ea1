package io.esb.cli;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.transport.DockerHttpClient;
import io.esb.config.DockerSettings;
import io.esb.docker.DockerClients;
import io.esb.docker.DockerOps;

/**
 * A docker-java client for one command, on the configured Docker host. It has no response timeout (it also carries
 * followed log streams); the one call that could hang on a wedged daemon, the first, is a ping bounded separately.
 */
final class DockerAccess implements AutoCloseable {
    private final DockerHttpClient http;
    private final DockerClient client;
    private final String host;

    private DockerAccess(DockerSettings settings, int connections) {
        this.http = DockerClients.forStreams(settings, connections);
        this.client = DockerClients.over(settings, http);
        this.host = settings.host();
    }

    /** Opens a client and checks that the daemon answers; a CliFailure naming the host when it does not. */
    static DockerAccess open(DockerSettings settings, int connections) {
        var access = new DockerAccess(settings, connections);
        var problem = access.pingProblem();
        if (problem != null) {
            access.close();
            throw new CliFailure("the Docker daemon does not answer at " + settings.host() + ": " + problem);
        }
        return access;
    }

    /** Null when the daemon answers a ping within the client timeout. */
    static String pingProblem(DockerSettings settings) {
        try (var access = new DockerAccess(settings, 1)) {
            return access.pingProblem();
        }
    }

    private String pingProblem() {
        var ping = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                DockerOps.ping().run(client);
                return (String) null;
            } catch (Exception e) {
                return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            }
        });
        try {
            return ping.get(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            ping.cancel(true);
            return "no answer to a ping within 10 s";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        } catch (java.util.concurrent.ExecutionException e) {
            return String.valueOf(e.getCause());
        }
    }

    DockerClient client() {
        return client;
    }

    String host() {
        return host;
    }

    @Override
    public void close() {
        try {
            client.close();
        } catch (java.io.IOException | RuntimeException ignored) {
            // Closing aborts whatever is still open; nothing the command could do about a failure to.
        }
        try {
            http.close();
        } catch (java.io.IOException | RuntimeException ignored) {
            // as above
        }
    }
}
