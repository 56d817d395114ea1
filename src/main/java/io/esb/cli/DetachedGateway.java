package io.esb.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A gateway started by {@code esb up --detach}: a JVM of its own, launched as this one was (same JVM options, so the
 * bounded heap and the class-data-sharing archive too, and the same classpath), its PID in {@code target/esb.pid}
 * and its output in {@code target/esb.log}. {@code esb down} stops it by that PID.
 */
final class DetachedGateway {
    private static final Duration HEALTH_BOUND = Duration.ofSeconds(90);
    private static final int LOG_TAIL_LINES = 20;

    private DetachedGateway() {}

    /** Starts the gateway and waits until it answers {@code /health}; answers its PID. */
    static long start(CliContext context, Path configFile, String url, PrintWriter out) throws IOException, InterruptedException {
        var running = running(context.pidFile());
        if (running.isPresent()) {
            throw new CliFailure("a gateway is already running (PID " + running.get().pid() + ", from " + context.pidFile()
                    + "); stop it with esb down");
        }
        var gateway = new GatewayClient(url);
        if (answersHealth(gateway)) {
            throw new CliFailure("something already answers at " + url + "; stop it first, or set esb.http.port");
        }
        Files.createDirectories(context.pidFile().getParent());
        var log = context.logFile();
        var process = new ProcessBuilder(command(configFile))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        Files.writeString(context.pidFile(), process.pid() + "\n");
        long deadline = System.nanoTime() + HEALTH_BOUND.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                Files.deleteIfExists(context.pidFile());
                throw new CliFailure("the gateway exited (code " + process.exitValue() + ") before it answered " + url
                        + "/health; the end of " + log + ":\n" + tail(log));
            }
            if (answersHealth(gateway)) {
                return process.pid();
            }
            process.waitFor(200, TimeUnit.MILLISECONDS); // wakes early when it exits
        }
        throw new CliFailure("the gateway (PID " + process.pid() + ") did not answer " + url + "/health within "
                + HEALTH_BOUND.toSeconds() + " s; it is still running, see " + log + " (esb down stops it)");
    }

    /** This JVM's launch, with io.esb.cli.Main (the gateway) as the main class and {@code configFile} as -Dconfig.file. */
    static List<String> command(Path configFile) {
        var command = new ArrayList<String>();
        command.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        if (configFile != null) {
            command.add("-Dconfig.file=" + configFile.toAbsolutePath());
        }
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add("io.esb.cli.Main");
        return command;
    }

    private static boolean answersHealth(GatewayClient gateway) {
        try {
            return gateway.get("/health", Duration.ofSeconds(2)).statusCode() == 200;
        } catch (CliFailure notYet) {
            return false;
        }
    }

    /**
     * The gateway the PID file names, if it still runs as a java process. A PID file left by one that died (or a PID
     * the system has since given to another program) names nothing.
     */
    static Optional<ProcessHandle> running(Path pidFile) throws IOException {
        if (!Files.isRegularFile(pidFile)) {
            return Optional.empty();
        }
        long pid;
        try {
            pid = Long.parseLong(Files.readString(pidFile).strip());
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
        return ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                .filter(p -> p.info().command().map(c -> Path.of(c).getFileName().toString().startsWith("java")).orElse(true));
    }

    /**
     * Stops the gateway the PID file names: SIGTERM, then waits for its drain ({@code drainTimeout}) and shutdown.
     * Answers what was done, for the user; null when the PID file named no running gateway.
     */
    static String stop(CliContext context, Duration drainTimeout) throws IOException, InterruptedException {
        var pidFile = context.pidFile();
        var process = running(pidFile);
        if (process.isEmpty()) {
            boolean stale = Files.deleteIfExists(pidFile);
            return stale ? "No gateway runs with the PID in " + pidFile + "; removed the file." : null;
        }
        var gateway = process.get();
        gateway.destroy(); // SIGTERM: CoordinatedShutdown drains in-flight calls first
        var bound = drainTimeout.plusSeconds(20);
        try {
            gateway.onExit().get(bound.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new CliFailure("the gateway (PID " + gateway.pid() + ") did not stop within " + bound.toSeconds()
                    + " s of SIGTERM; see " + context.logFile());
        } catch (java.util.concurrent.ExecutionException e) {
            throw new CliFailure("could not wait for the gateway (PID " + gateway.pid() + ") to stop: " + e.getCause());
        }
        Files.deleteIfExists(pidFile);
        return "Stopped the gateway (PID " + gateway.pid() + ").";
    }

    private static String tail(Path log) {
        try {
            var lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size()));
        } catch (IOException | java.io.UncheckedIOException e) {
            return "(cannot read it: " + e.getMessage() + ")";
        }
    }
}
