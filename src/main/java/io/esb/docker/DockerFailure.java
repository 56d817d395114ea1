package io.esb.docker;

/**
 * Why a Docker call did not succeed. {@code kind} lets callers choose the HTTP answer without parsing text;
 * {@code message} is what the operator and the client see.
 */
public record DockerFailure(Kind kind, String operation, String message) {
    public enum Kind {
        /** The daemon is known to be down or did not answer; nothing was attempted or the connection failed. */
        UNAVAILABLE,
        /** The call ran past its deadline and was aborted. */
        TIMEOUT,
        /** Too many Docker calls are already pending. */
        OVERLOADED,
        /** The daemon answered with an error (bad image, conflict, ...). */
        REJECTED
    }

    public DockerException toException() {
        return new DockerException(this);
    }

    /** Carries a failure through futures. */
    public static final class DockerException extends RuntimeException {
        private final DockerFailure failure;

        DockerException(DockerFailure failure) {
            super(failure.message(), null, false, false);
            this.failure = failure;
        }

        public DockerFailure failure() {
            return failure;
        }
    }
}
