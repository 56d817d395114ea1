package io.esb.cli;

/**
 * A command that cannot do what was asked, for a reason the user can act on: printed as one {@code esb: ...} line,
 * no stack trace, with exit code 1 (or 2 for a bad configuration, as the gateway itself exits).
 */
final class CliFailure extends RuntimeException {
    private final int exitCode;

    CliFailure(String message) {
        this(message, EsbCommand.FAILURE);
    }

    CliFailure(String message, int exitCode) {
        super(message, null, false, false);
        this.exitCode = exitCode;
    }

    int exitCode() {
        return exitCode;
    }
}
