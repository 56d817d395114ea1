package io.esb.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The gateway in its own process with a config file, so its RSS and CPU time can be read from /proc and nothing of the
 * load generator is counted against it: started as operators start it, through bin/esb ({@link #launchWithBinEsb}),
 * or as plain {@code java -jar esb.jar} ({@link #launch}, for the startup comparison).
 */
final class GatewayProcess implements AutoCloseable {
    static final long CLOCK_TICKS_PER_SECOND = clockTicks();
    /** Every gateway this harness started, so an interrupted run can stop them all (and only them). */
    static final java.util.Set<Process> LAUNCHED = java.util.concurrent.ConcurrentHashMap.newKeySet();

    static void stopAll() {
        for (var p : LAUNCHED) {
            if (p.isAlive()) {
                p.destroy();
                try {
                    if (!p.waitFor(30, TimeUnit.SECONDS)) {
                        p.destroyForcibly();
                    }
                } catch (InterruptedException e) {
                    p.destroyForcibly();
                }
            }
        }
    }

    final Process process;
    final int port;
    final long launchedAtNanos;
    final Path logFile;

    private GatewayProcess(Process process, int port, long launchedAtNanos, Path logFile) {
        this.process = process;
        this.port = port;
        this.launchedAtNanos = launchedAtNanos;
        this.logFile = logFile;
    }

    static GatewayProcess launch(Path jar, Path config, int port, List<String> jvmOptions, Path logFile) throws IOException {
        var command = new ArrayList<String>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.add("-Dconfig.file=" + config.toAbsolutePath());
        command.add("-jar");
        command.add(jar.toAbsolutePath().toString());
        var builder = new ProcessBuilder(command)
                .directory(config.toAbsolutePath().getParent().toFile())
                .redirectErrorStream(true)
                .redirectOutput(logFile.toFile());
        builder.environment().remove("ESB_HTTP_PORT"); // the config file says where to listen
        long t0 = System.nanoTime();
        var process = builder.start();
        LAUNCHED.add(process);
        return new GatewayProcess(process, port, t0, logFile);
    }

    /**
     * The gateway through bin/esb, with {@code ESB_JAR=jar}: its default JAVA_OPTS (bounded heap) unless
     * {@code javaOpts} is given, and its class-data-sharing archive for the jar. bin/esb execs java, so the process's
     * PID is the JVM's once it runs; {@code jvmOptions} (JFR, perf) go on bin/esb's command line, which hands them to
     * java. The JDK on PATH is the harness's own, so both ways of launching run the same JVM.
     */
    static GatewayProcess launchWithBinEsb(Path binEsb, Path jar, Path config, int port, String javaOpts, List<String> jvmOptions,
            Path logFile) throws IOException {
        var command = new ArrayList<String>();
        command.add(binEsb.toAbsolutePath().toString());
        command.addAll(jvmOptions);
        command.add("-Dconfig.file=" + config.toAbsolutePath());
        var builder = new ProcessBuilder(command)
                .directory(config.toAbsolutePath().getParent().toFile())
                .redirectErrorStream(true)
                .redirectOutput(logFile.toFile());
        var env = builder.environment();
        env.remove("ESB_HTTP_PORT"); // the config file says where to listen
        env.put("ESB_JAR", jar.toAbsolutePath().toString());
        if (javaOpts == null) {
            env.remove("JAVA_OPTS"); // bin/esb's default, as operators get it
        } else {
            env.put("JAVA_OPTS", javaOpts);
        }
        var javaBin = Path.of(System.getProperty("java.home"), "bin").toString();
        env.put("PATH", javaBin + java.io.File.pathSeparator + env.getOrDefault("PATH", "/usr/bin:/bin"));
        long t0 = System.nanoTime();
        var process = builder.start();
        LAUNCHED.add(process);
        return new GatewayProcess(process, port, t0, logFile);
    }

    /** The process's command line (NUL-separated arguments joined by spaces), or "" when it is gone. */
    String commandLine() {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid()), "cmdline"))).replace('\0', ' ').trim();
        } catch (IOException e) {
            return "";
        }
    }

    /** The executable the process runs now (after bin/esb's exec: java), or "?". */
    String executable() {
        try {
            return Files.readSymbolicLink(Path.of("/proc", Long.toString(pid()), "exe")).toString();
        } catch (IOException | RuntimeException e) {
            return "?";
        }
    }

    long pid() {
        return process.pid();
    }

    /** Nanoseconds from launch until {@code GET /health} first answers 200 (polled every {@code pollMs}). */
    long awaitHealthy(long timeoutMs, int pollMs) throws IOException, InterruptedException {
        var request = RawHttp.request("GET", "/health", null, null);
        long deadline = launchedAtNanos + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("gateway exited with " + process.exitValue() + " before it was healthy; see " + logFile);
            }
            try (var c = new RawHttp("127.0.0.1", port, 1000)) {
                if (c.exchange(request).status() == 200) {
                    return System.nanoTime() - launchedAtNanos;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(pollMs);
        }
        throw new IOException("gateway not healthy within " + timeoutMs + " ms; see " + logFile);
    }

    /** utime + stime of the gateway process, in clock ticks. */
    long cpuTicks() {
        return ProcFs.cpuTicks(pid());
    }

    /** A line of /proc/pid/status in kB (VmRSS, VmHWM), or -1. */
    long statusKb(String key) {
        return ProcFs.statusKb(pid(), key);
    }

    /** CPU ticks (utime + stime) per thread-name group (digits stripped) of the gateway's threads, from /proc/pid/task. */
    Map<String, Long> cpuTicksByThreadGroup() {
        var result = new HashMap<String, Long>();
        try (var tasks = Files.list(Path.of("/proc", Long.toString(pid()), "task"))) {
            for (var task : (Iterable<Path>) tasks::iterator) {
                try {
                    var stat = Files.readString(task.resolve("stat"));
                    var comm = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    result.merge(group(comm), ProcFs.cpuTicks(stat), Long::sum);
                } catch (IOException | RuntimeException gone) {
                    // the thread ended meanwhile
                }
            }
        } catch (IOException | RuntimeException e) {
            // the process is gone
        }
        return result;
    }

    /**
     * Context switches (voluntary + involuntary) of the gateway's live threads, by thread group ({@link #group});
     * threads that ended are not counted.
     */
    Map<String, Long> contextSwitchesByThreadGroup() {
        var result = new HashMap<String, Long>();
        try (var tasks = Files.list(Path.of("/proc", Long.toString(pid()), "task"))) {
            for (var task : (Iterable<Path>) tasks::iterator) {
                try {
                    var comm = Files.readString(task.resolve("comm")).trim();
                    long switches = 0;
                    for (var line : Files.readAllLines(task.resolve("status"))) {
                        if (line.startsWith("voluntary_ctxt_switches:") || line.startsWith("nonvoluntary_ctxt_switches:")) {
                            switches += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                        }
                    }
                    result.merge(group(comm), switches, Long::sum);
                } catch (IOException | RuntimeException gone) {
                    // the thread ended meanwhile
                }
            }
        } catch (IOException | RuntimeException e) {
            // the process is gone
        }
        return result;
    }

    /** Linux keeps 15 characters of a thread's name: "esb-akka.actor.default-dispatcher-7" reads "esb-akka.actor.". */
    static String group(String comm) {
        return comm.replaceAll("[#-]?\\d+$", "").replaceAll("\\d+$", "");
    }

    int threads() {
        return (int) statusKb("Threads");
    }

    /** SIGTERM (the gateway drains and, with remove-containers = true, removes its containers), then waits. */
    @Override
    public void close() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                System.err.println("bench: gateway " + pid() + " ignored SIGTERM for 60 s; killing it");
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private static long clockTicks() {
        try {
            var p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            var out = new String(p.getInputStream().readAllBytes()).trim();
            p.waitFor();
            return Long.parseLong(out);
        } catch (Exception e) {
            return 100;
        }
    }
}
