package io.esb.docker;

import com.github.dockerjava.api.DockerClient;

/** One blocking Docker call. It runs on the Docker dispatcher with the supervisor's client. */
@FunctionalInterface
public interface DockerOperation<T> {
    T run(DockerClient client) throws Exception;
}
