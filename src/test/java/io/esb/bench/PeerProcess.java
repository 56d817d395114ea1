package io.esb.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A server the gateway is measured beside, on loopback, stopped by its own PID (and its descendants', which only it can
 * have started): the peer column's serverless-offline ({@link #launch}), or the Akka HTTP floor ({@link #akkaHttpFloor}).
 */
final class PeerProcess implements AutoCloseable {
    final Process process;
    final int port;
    final Path logFile;

    private PeerProcess(Process process, int port, Path logFile) {
        this.process = process;
        this.port = port;
        this.logFile = logFile;
    }

    /**
     * The floor: bench/floor/AkkaHttpFloor.java run from the gateway's {@code jar}, so with the gateway's Akka and its
     * Akka settings, answering every request at once. {@code javaOpts}: the gateway's JVM options.
     */
    static PeerProcess akkaHttpFloor(Path jar, Path source, List<String> javaOpts, int port, Path logFile) throws IOException {
        var command = new java.util.ArrayList<String>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(javaOpts);
        command.addAll(List.of("-cp", jar.toAbsolutePath().toString(), source.toAbsolutePath().toString(), Integer.toString(port)));
        var builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(logFile.toFile());
        builder.environment().put("MALLOC_ARENA_MAX", "2"); // as bin/esb sets it
        return new PeerProcess(builder.start(), port, logFile);
    }

    /**
     * Starts serverless-offline in {@code dir} (which holds serverless.yml, handler.js and node_modules) on
     * {@code httpPort}; its Lambda and WebSocket listeners, which the bench does not use, get ports of their own so
     * nothing clashes with another run.
     */
    static PeerProcess launch(Path dir, int httpPort, int lambdaPort, int websocketPort, Path logFile) throws IOException {
        var serverless = dir.resolve("node_modules/.bin/serverless").toAbsolutePath();
        if (!Files.isExecutable(serverless)) {
            throw new IOException("no " + serverless + " (bench/run.sh installs it with npm)");
        }
        var builder = new ProcessBuilder(List.of(serverless.toString(), "offline", "start", "--host", "127.0.0.1",
                "--httpPort", Integer.toString(httpPort), "--lambdaPort", Integer.toString(lambdaPort),
                "--websocketPort", Integer.toString(websocketPort), "--noPrependStageInUrl"))
                .directory(dir.toAbsolutePath().toFile())
                .redirectErrorStream(true)
                .redirectOutput(logFile.toFile());
        var env = builder.environment();
        // No telemetry, update notices or interactive setup: the run stays on loopback and needs no account.
        env.put("SLS_TELEMETRY_DISABLED", "1");
        env.put("SLS_TRACKING_DISABLED", "1");
        env.put("SLS_NOTIFICATIONS_MODE", "off");
        env.put("SLS_INTERACTIVE_SETUP_DISABLE", "1");
        env.put("SLS_DEPRECATION_DISABLE", "*");
        env.put("NODE_ENV", "production");
        return new PeerProcess(builder.start(), httpPort, logFile);
    }

    long pid() {
        return process.pid();
    }

    /** Waits until {@code request} is answered so that {@code valid} holds (the first call also loads the handler). */
    long awaitAnswering(byte[] request, Predicate<RawHttp.Response> valid, long timeoutMs) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        long deadline = t0 + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("the process exited with " + process.exitValue() + "; see " + logFile);
            }
            try (var c = new RawHttp("127.0.0.1", port, 5000)) {
                var r = c.exchange(request);
                if (valid.test(r)) {
                    return System.nanoTime() - t0;
                }
                last = "HTTP " + r.status() + ": " + Load.abbreviate(r.text());
            } catch (IOException notYet) {
                last = notYet.toString();
            }
            Thread.sleep(100);
        }
        throw new IOException("no valid answer within " + timeoutMs + " ms (" + last + "); see " + logFile);
    }

    /** utime + stime of the process (all its threads, so also serverless-offline's handler worker), in clock ticks. */
    long cpuTicks() {
        return ProcFs.cpuTicks(pid());
    }

    /** A line of /proc/pid/status in kB (VmRSS, VmHWM), or -1. */
    long statusKb(String key) {
        return ProcFs.statusKb(pid(), key);
    }

    /** SIGTERM to the peer and whatever it started, by PID; SIGKILL after 10 s. */
    @Override
    public void close() {
        var descendants = process.descendants().toList();
        process.destroy();
        descendants.forEach(ProcessHandle::destroy);
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        descendants.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
    }
}
