package io.esb.cli;

import java.io.InputStream;
import java.nio.file.Path;

/**
 * What a command needs from its surroundings besides its arguments: {@code home}, the checkout that holds
 * {@code docker/} (the scripts {@code esb up} runs) and {@code target/} (the jar, and the PID and log of a detached
 * gateway); and standard input, for {@code esb invoke NAME -}. Tests give their own.
 */
public record CliContext(Path home, InputStream stdin) {

    /** {@code bin/esb} passes its checkout as {@code -Desb.home}; without it, the working directory. */
    public static CliContext fromSystem() {
        var home = System.getProperty("esb.home");
        return new CliContext(Path.of(home == null || home.isBlank() ? "" : home).toAbsolutePath().normalize(), System.in);
    }

    Path pidFile() {
        return home.resolve("target").resolve("esb.pid");
    }

    Path logFile() {
        return home.resolve("target").resolve("esb.log");
    }

    Path script(String name) {
        return home.resolve("docker").resolve(name);
    }
}
