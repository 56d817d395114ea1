package io.esb.docker;

/** The typed answer to every Docker operation: a value or a failure, never a hang. */
public sealed interface DockerReply<T> {
    record Ok<T>(T value) implements DockerReply<T> {}

    record Failed<T>(DockerFailure failure) implements DockerReply<T> {}
}
