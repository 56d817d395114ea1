package io.esb.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * The "Scale and speed" benchmark: warm overhead (direct vs Invoke API vs API route, at 1 and 32 callers), cold
 * start against a raw Docker Engine API baseline, a burst of 200 on a cold function, and the gateway's own cost
 * (RSS, CPU, startup); at one caller also with a new connection per call, and beside serverless-offline (the peer
 * column). The gateway runs in its own process, started through bin/esb as operators start it. Run it with
 * {@code bench/run.sh}; see BENCHMARKS.md. Prints a table and writes target/bench-report.json.
 * It measures and reports; it never fails a build.
 */
public final class Bench {
    static final String IMAGE = "esb-fixture:latest";
    static final String INVOKE_PATH = "/2015-03-31/functions/function/invocations";
    static final byte[] PAYLOAD = "{\"action\":\"echo\"}".getBytes(StandardCharsets.UTF_8);
    static final Pattern CONTAINER = Pattern.compile("\\\\?\"container\\\\?\":\\s*\\\\?\"([0-9a-f]+)");

    // ---- options ----
    int reps = 5;
    double warmupSeconds = 5;
    double measureSeconds = 5;
    int callers = 32;
    /** The middle load level, where push, pull and direct are compared over the 10-container pools. */
    int midCallers = 8;
    int poolSize = 10;
    int coldReps = 7;
    int coldPollMs = 5;
    int burstReps = 3;
    int burstSize = 200;
    int startupReps = 5;
    int queueDepth = 256;
    int sleepMs = 20;
    boolean profile;
    boolean perf;
    Path work = Path.of("target/bench");
    Path jar = Path.of("target/bench/esb.jar");
    Path report = Path.of("target/bench-report.json");
    String id = "bench-" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffL);
    List<String> gatewayJvmOptions = new ArrayList<>();
    List<String> only = new ArrayList<>();
    Path binEsb = Path.of("bin/esb");
    /** Where bench/run.sh installed the peer (serverless-offline); null when there is none. */
    Path peerDir;
    boolean noPeer;

    private final DockerEngine docker = new DockerEngine();
    private final Map<String, Object> out = new LinkedHashMap<>();
    private final List<String[]> targets = new ArrayList<>();
    private final List<String> windows = new ArrayList<>();
    private GatewayProcess gateway;
    private PeerProcess peer;
    /** The Akka HTTP floor (bench/floor/AkkaHttpFloor.java); null when it did not start. */
    private PeerProcess floor;

    public static void main(String[] args) throws Exception {
        var bench = new Bench();
        bench.parse(args);
        Runtime.getRuntime().addShutdownHook(new Thread(bench::cleanup, "bench-cleanup"));
        bench.run();
    }

    private void parse(String[] args) {
        for (int k = 0; k < args.length; k++) {
            var a = args[k];
            var value = a.contains("=") ? a.substring(a.indexOf('=') + 1) : (k + 1 < args.length ? args[k + 1] : "");
            var key = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
            boolean consumed = !a.contains("=");
            switch (key) {
                case "--reps" -> reps = Integer.parseInt(value);
                case "--warmup" -> warmupSeconds = Double.parseDouble(value);
                case "--seconds" -> measureSeconds = Double.parseDouble(value);
                case "--callers" -> callers = Integer.parseInt(value);
                case "--mid-callers" -> midCallers = Integer.parseInt(value);
                case "--pool" -> poolSize = Integer.parseInt(value);
                case "--cold" -> coldReps = Integer.parseInt(value);
                case "--cold-poll-ms" -> coldPollMs = Integer.parseInt(value);
                case "--burst-reps" -> burstReps = Integer.parseInt(value);
                case "--burst" -> burstSize = Integer.parseInt(value);
                case "--startup" -> startupReps = Integer.parseInt(value);
                case "--queue-depth" -> queueDepth = Integer.parseInt(value);
                case "--sleep-ms" -> sleepMs = Integer.parseInt(value);
                case "--jar" -> jar = Path.of(value);
                case "--work" -> work = Path.of(value);
                case "--report" -> report = Path.of(value);
                case "--id" -> id = value;
                case "--only" -> only = Arrays.asList(value.split(","));
                case "--gateway-opts" -> gatewayJvmOptions.addAll(Arrays.asList(value.trim().split("\\s+")));
                case "--bin-esb" -> binEsb = Path.of(value);
                case "--peer" -> peerDir = Path.of(value);
                case "--no-peer" -> {
                    noPeer = true;
                    consumed = false;
                }
                case "--profile" -> {
                    profile = true;
                    consumed = false;
                }
                case "--perf" -> {
                    perf = true;
                    consumed = false;
                }
                case "--quick" -> {
                    reps = 2;
                    warmupSeconds = 1;
                    measureSeconds = 2;
                    coldReps = 2;
                    burstReps = 1;
                    startupReps = 2;
                    consumed = false;
                }
                default -> throw new IllegalArgumentException("unknown option " + a
                        + " (options: --reps --warmup --seconds --callers --mid-callers --pool --cold --cold-poll-ms --burst-reps --burst"
                        + " --startup --queue-depth --sleep-ms --jar --work --report --id --only warm,cold,burst,startup,async --gateway-opts '...'"
                        + " --bin-esb --peer DIR --no-peer --profile --perf --quick)");
            }
            if (consumed) {
                k++;
            }
        }
        gatewayJvmOptions.removeIf(String::isBlank);
        if (midCallers <= 1 || midCallers == callers) {
            throw new IllegalArgumentException("--mid-callers must be above 1 and differ from --callers (case names would clash)");
        }
    }

    private boolean enabled(String part) {
        return only.isEmpty() || only.contains(part);
    }

    private void run() throws Exception {
        Files.createDirectories(work);
        try (var old = Files.list(work)) {
            for (var f : (Iterable<Path>) old::iterator) {
                var n = f.getFileName().toString();
                if (n.startsWith("perf-") || n.equals("gateway.jfr") || n.equals("windows.txt")) {
                    Files.delete(f); // leftovers of an earlier run must not pass for this one's
                }
            }
        }
        var started = ZonedDateTime.now();
        var meta = meta(started);
        out.put("meta", meta);
        out.put("options", options());
        System.out.printf("esb benchmark %s, id %s%n  machine: %s%n  gateway: %s (built %s; tree %s), warm/cold/burst via %s with %s%n"
                        + "  docker: %s, image %s%n%n",
                started.format(DateTimeFormatter.ISO_OFFSET_DATE_TIME), id, meta.get("machine"), jar, meta.get("jarModified"), meta.get("git"),
                binEsb, gatewayJavaOpts() == null ? "its default JAVA_OPTS" : "JAVA_OPTS='" + gatewayJavaOpts() + "'", meta.get("docker"), IMAGE);
        if (!docker.imageExists(IMAGE)) {
            throw new IllegalStateException(IMAGE + " is missing: run docker/build-images.sh");
        }

        if (enabled("startup")) {
            startup();
        }
        if (enabled("warm") || enabled("cold") || enabled("burst") || enabled("async")) {
            if (!Files.isExecutable(binEsb)) {
                throw new IllegalStateException("no executable " + binEsb + " (--bin-esb): the gateway is started as operators start it");
            }
            int port = freePort();
            // In a directory of its own, as /etc/esb would be: the gateway watches its config's directory for live reload,
            // and its log file next to the config would wake that watcher on every line.
            var config = writeConfig(work.resolve("conf").resolve("gateway.conf"), id, port, true);
            var options = new ArrayList<String>(); // on bin/esb's command line; --gateway-opts go into JAVA_OPTS
            if (perf) {
                options.add("-XX:+PreserveFramePointer");
            }
            if (profile) {
                // A sample per thread every millisecond (JDK 17's "max"; the profile's default is 10 ms): a 5 s window
                // then holds hundreds of samples of a call's path instead of a few dozen.
                options.add("-XX:StartFlightRecording=filename=" + work.resolve("gateway.jfr").toAbsolutePath()
                        + ",settings=profile,method-profiling=max,dumponexit=true");
            }
            // As operators start it: bin/esb, with its bounded heap and class-data-sharing archive (--gateway-opts replaces JAVA_OPTS).
            gateway = GatewayProcess.launchWithBinEsb(binEsb, jar, config, port, gatewayJavaOpts(), options, work.resolve("gateway.log"));
            Files.writeString(work.resolve("gateway.pid"), Long.toString(gateway.pid()));
            long healthy = gateway.awaitHealthy(60_000, 5);
            var exe = gateway.executable();
            System.out.printf("gateway pid %d (%s) on 127.0.0.1:%d, healthy after %.0f ms%n  %s%n%n", gateway.pid(), exe, port, healthy / 1e6,
                    gateway.commandLine());
            if (!exe.endsWith("/java")) {
                System.out.println("  WARNING: the gateway's PID is not a java process (bin/esb should exec java); its RSS and CPU figures are not the JVM's");
            }
            var launch = new LinkedHashMap<String, Object>();
            launch.put("launcher", binEsb.toString());
            launch.put("javaOpts", gatewayJavaOpts() == null ? "(bin/esb default)" : gatewayJavaOpts());
            launch.put("commandLine", gateway.commandLine());
            costSection().put("gatewayLaunch", launch);
            if (enabled("warm")) {
                warm();
            }
            if (enabled("cold")) {
                cold();
            }
            if (enabled("burst")) {
                burst();
            }
            if (enabled("async")) {
                async();
            }
            var cost = costSection();
            cost.put("afterAllRssMb", gateway.statusKb("VmRSS") / 1024.0);
            cost.put("peakRssMb", gateway.statusKb("VmHWM") / 1024.0);
            cost.put("threads", gateway.threads());
            long t0 = System.nanoTime();
            gateway.close();
            cost.put("shutdownMs", (System.nanoTime() - t0) / 1e6);
        }
        cleanup();
        Files.write(work.resolve("windows.txt"), windows);
        printTargets();
        out.put("targets", targets.stream().map(t -> {
            var m = new LinkedHashMap<String, Object>();
            m.put("goal", t[0]);
            m.put("measured", t[1]);
            m.put("status", t[2]);
            return m;
        }).toList());
        Files.createDirectories(report.toAbsolutePath().getParent());
        Files.writeString(report, MiniJson.write(out) + "\n");
        System.out.println("\nreport: " + report + " (gateway log: " + work.resolve("gateway.log") + ")");
        if (profile) {
            System.out.println("profile: " + work.resolve("gateway.jfr") + "  (analyse: bench/profile.sh, windows in "
                    + work.resolve("windows.txt") + ")");
        }
    }

    /** What the gateway gets as JAVA_OPTS through bin/esb: --gateway-opts, or null for bin/esb's default. */
    private String gatewayJavaOpts() {
        return gatewayJvmOptions.isEmpty() ? null : String.join(" ", gatewayJvmOptions);
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> costSection() {
        return (Map<String, Object>) out.computeIfAbsent("cost", k -> new LinkedHashMap<String, Object>());
    }

    // ---------------------------------------------------------------- (e) Event invocations

    /**
     * Accepted Event invocations per second, every 202 durable (on disk in the gateway's SQLite store, fsynced, with
     * concurrent ones sharing a commit), at 1 and {@code midCallers} callers, beside synchronous invocations of the
     * pull-mode pools in the same rotation. The events go to {@code ev}, whose one container sleeps a second per event
     * while the gateway runs one at a time: the backlog waits in the store and costs nothing while it is measured.
     */
    private void async() throws Exception {
        System.out.printf("(e) Event invocations: accepted per second (202 once durable) beside synchronous ones, %d reps x %.0f s after %.0f s warm-up%n",
                reps, measureSeconds, warmupSeconds);
        int gw = gateway.port;
        var event = RawHttp.request("POST", "/2015-03-31/functions/ev/invocations", "application/json",
                "{\"action\":\"sleep\",\"ms\":1000}".getBytes(StandardCharsets.UTF_8), "X-Amz-Invocation-Type", "Event");
        java.util.function.Predicate<RawHttp.Response> accepted = r -> r.status() == 202 && r.text().isEmpty();
        String mid = "c" + midCallers;
        var cases = List.of(
                new Case("sync-c1", "Invoke (pull)", 1, 1, new Load.PerCaller(gw, invokeRequest("p1"), 1), true),
                new Case("event-c1", "Event", 1, 0, new Load.PerCaller(gw, event, 1), true, false, accepted),
                new Case("sync-" + mid, "Invoke (pull)", midCallers, poolSize, new Load.PerCaller(gw, invokeRequest("p10"), midCallers), true),
                new Case("event-" + mid, "Event", midCallers, 0, new Load.PerCaller(gw, event, midCallers), true, false, accepted));
        for (var c : cases) {
            var r = Load.run(c.target(), c.callers(), (long) (warmupSeconds * 1e9), c.valid());
            System.out.printf("  warm-up %-10s %7.0f req/s, %d errors%s%n", c.name(), r.throughput(), r.errors(),
                    r.firstError() == null ? "" : " (" + r.firstError() + ")");
        }
        var perCase = new LinkedHashMap<String, List<Map<String, Object>>>();
        for (int rep = 0; rep < reps; rep++) {
            for (var c : cases) {
                long cpu0 = gateway.cpuTicks();
                var r = Load.run(c.target(), c.callers(), (long) (measureSeconds * 1e9), c.valid());
                long cpu1 = gateway.cpuTicks();
                var m = new LinkedHashMap<String, Object>();
                m.put("rps", r.throughput());
                m.put("p50Ms", r.percentileMs(0.5));
                m.put("p99Ms", r.percentileMs(0.99));
                m.put("errors", r.errors());
                m.put("gatewayCpuUsPerReq", r.ok() == 0 ? null : (cpu1 - cpu0) / (double) GatewayProcess.CLOCK_TICKS_PER_SECOND * 1e6 / r.ok());
                perCase.computeIfAbsent(c.name(), k -> new ArrayList<>()).add(m);
                System.out.printf("  rep %d %-10s %7.0f req/s  p50 %6.3f ms  p99 %7.3f ms  err %d  gw %.1f us/req%n", rep + 1, c.name(),
                        r.throughput(), r.percentileMs(0.5), r.percentileMs(0.99), r.errors(), num(m, "gatewayCpuUsPerReq"));
            }
        }
        var medians = new LinkedHashMap<String, Object>();
        for (var entry : perCase.entrySet()) {
            var m = new LinkedHashMap<String, Object>();
            for (var key : List.of("rps", "p50Ms", "p99Ms", "gatewayCpuUsPerReq")) {
                m.put(key, medianOf(entry.getValue(), key));
            }
            medians.put(entry.getKey(), m);
        }
        var section = new LinkedHashMap<String, Object>();
        section.put("durability", "202 after the SQLite WAL commit with synchronous=FULL (fsync); concurrent events share one commit");
        section.put("medians", medians);
        section.put("perRep", perCase);
        out.put("async", section);
        System.out.println("  medians:");
        for (var c : cases) {
            @SuppressWarnings("unchecked")
            var m = (Map<String, Object>) medians.get(c.name());
            System.out.printf("    %-10s %-14s %7.0f req/s  p50 %6.3f ms%n", c.name(), c.label(), num(m, "rps"), num(m, "p50Ms"));
        }
        @SuppressWarnings("unchecked")
        var eventsMid = (Map<String, Object>) medians.get("event-" + mid);
        target("accepted Event invocations >= 1000/s at " + midCallers + " callers, every 202 durable",
                String.format("%.0f/s", num(eventsMid, "rps")), num(eventsMid, "rps") >= 1000);
    }

    // ---------------------------------------------------------------- (d) startup

    private void startup() throws Exception {
        System.out.println("(d) Startup to healthy, /health polled every 5 ms, with the bench config: `java -jar esb.jar` and bin/esb's way"
                + " (the same plus its class-data-sharing archive), alternating");
        var archive = jar.resolveSibling(jar.getFileName().toString().replaceAll("\\.jar$", ".jsa"));
        var launchers = new LinkedHashMap<String, List<String>>();
        launchers.put("java -jar", gatewayJvmOptions);
        if (Files.isRegularFile(archive)) {
            var withArchive = new ArrayList<>(gatewayJvmOptions);
            withArchive.add("-XX:SharedArchiveFile=" + archive.toAbsolutePath());
            withArchive.add("-Xshare:auto");
            launchers.put("bin/esb", withArchive);
        } else {
            System.out.println("  no CDS archive at " + archive + " (bench/run.sh makes it with bin/esb --cds-only); measuring java -jar only");
        }
        // The target is judged on the documented way to run (bin/esb) when its archive exists.
        var judged = launchers.containsKey("bin/esb") ? "bin/esb" : "java -jar";
        var byLauncher = new LinkedHashMap<String, Object>();
        for (var launcher : launchers.entrySet()) {
            byLauncher.put(launcher.getKey(), new LinkedHashMap<String, List<Double>>());
        }
        var times = new ArrayList<Double>();
        var idleRss = new ArrayList<Double>();
        var cpuSeconds = new ArrayList<Double>();
        var busyPct = new ArrayList<Double>();
        for (int k = 0; k < startupReps; k++) {
            for (var launcher : launchers.entrySet()) {
                int port = freePort();
                var config = writeConfig(work.resolve("conf").resolve("startup-" + k + ".conf"), id + "-s" + k, port, false);
                long[] machine0 = machineTicks();
                try (var g = GatewayProcess.launch(jar, config, port, launcher.getValue(), work.resolve("startup-" + k + ".log"))) {
                    double ms = g.awaitHealthy(60_000, 5) / 1e6;
                    long[] machine1 = machineTicks();
                    double cpu = g.cpuTicks() / (double) GatewayProcess.CLOCK_TICKS_PER_SECOND;
                    double busy = machine1[1] == machine0[1] ? Double.NaN : 100.0 * (machine1[0] - machine0[0]) / (machine1[1] - machine0[1]);
                    Thread.sleep(1000);
                    double rss = g.statusKb("VmRSS") / 1024.0;
                    @SuppressWarnings("unchecked")
                    var figures = (Map<String, List<Double>>) byLauncher.get(launcher.getKey());
                    figures.computeIfAbsent("healthyMs", x -> new ArrayList<>()).add(ms);
                    figures.computeIfAbsent("cpuSecondsAtHealthy", x -> new ArrayList<>()).add(cpu);
                    figures.computeIfAbsent("idleRssMb", x -> new ArrayList<>()).add(rss);
                    if (launcher.getKey().equals(judged)) {
                        times.add(ms);
                        cpuSeconds.add(cpu);
                        idleRss.add(rss);
                        busyPct.add(busy);
                    }
                    System.out.printf("  run %d, %-9s: healthy after %.0f ms (%.2f CPU s used by then; machine %.0f%% busy), idle RSS %.0f MB%n",
                            k + 1, launcher.getKey(), ms, cpu, busy, rss);
                }
            }
        }
        for (var launcher : byLauncher.entrySet()) {
            @SuppressWarnings("unchecked")
            var figures = (Map<String, List<Double>>) launcher.getValue();
            System.out.printf("  %-9s median %.0f ms (%.2f CPU s), idle RSS %.0f MB%n", launcher.getKey(), median(figures.get("healthyMs")),
                    median(figures.get("cpuSecondsAtHealthy")), median(figures.get("idleRssMb")));
        }
        var startup = new LinkedHashMap<String, Object>();
        startup.put("launcher", judged);
        startup.put("byLauncher", byLauncher);
        startup.put("healthyMs", times);
        startup.put("medianHealthyMs", median(times));
        startup.put("cpuSecondsAtHealthy", cpuSeconds);
        startup.put("medianCpuSecondsAtHealthy", median(cpuSeconds));
        startup.put("machineBusyPct", busyPct);
        startup.put("idleRssMb", idleRss);
        startup.put("medianIdleRssMb", median(idleRss));
        out.put("startup", startup);
        System.out.println();
        target("startup to healthy <= 2 s", String.format("%.2f s (%s, median of %d)", median(times) / 1000, judged, times.size()),
                median(times) <= 2000);
    }

    // ---------------------------------------------------------------- (a) warm

    /**
     * A warm case; {@code viaPeer}: it calls serverless-offline (the peer column), whose process's CPU is then measured;
     * {@code valid}: what a correct answer is (the fixture's echo, unless the case says otherwise).
     */
    private record Case(String name, String label, int callers, int containers, Load.Target target, boolean viaGateway, boolean viaPeer,
                        java.util.function.Predicate<RawHttp.Response> valid) {
        Case(String name, String label, int callers, int containers, Load.Target target, boolean viaGateway, boolean viaPeer) {
            this(name, label, callers, containers, target, viaGateway, viaPeer, Bench::echoed);
        }

        Case(String name, String label, int callers, int containers, Load.Target target, boolean viaGateway) {
            this(name, label, callers, containers, target, viaGateway, false);
        }
    }

    /** The API Gateway event the gateway builds for {@code POST /w1}, as the fixture echoes it (its raw JSON). */
    private static byte[] routeEvent(int gatewayPort) throws IOException {
        try (var c = new RawHttp("127.0.0.1", gatewayPort, 60_000)) {
            var r = c.exchange(RawHttp.request("POST", "/w1", "application/json", PAYLOAD));
            var text = r.text();
            int key = text.indexOf("\"echo\":");
            if (r.status() != 200 || key < 0) {
                throw new IllegalStateException("POST /w1 did not echo its event: " + r.status() + " " + text);
            }
            int start = key + "\"echo\":".length();
            int depth = 0;
            boolean inString = false;
            for (int k = start; k < text.length(); k++) {
                char ch = text.charAt(k);
                if (inString) {
                    if (ch == '\\') {
                        k++;
                    } else if (ch == '"') {
                        inString = false;
                    }
                } else if (ch == '"') {
                    inString = true;
                } else if (ch == '{' || ch == '[') {
                    depth++;
                } else if ((ch == '}' || ch == ']') && --depth == 0) {
                    return text.substring(start, k + 1).getBytes(StandardCharsets.UTF_8);
                }
            }
            throw new IllegalStateException("POST /w1 echoed an unterminated event: " + text);
        }
    }

    /** The same request with {@code Connection: close}, for the new-connection-per-call cases. */
    static byte[] closing(String method, String path) {
        return RawHttp.request(method, path, "application/json", PAYLOAD, "Connection", "close");
    }

    /**
     * Starts the peer column's serverless-offline, or says in one line why there is none. bench/run.sh installs it and
     * passes --peer DIR; when npm is missing or the install failed it has said so itself and passes --no-peer.
     */
    private void startPeer() throws InterruptedException {
        if (noPeer) {
            return;
        }
        if (peerDir == null) {
            System.out.println("bench: peer column skipped: no --peer DIR with serverless-offline installed (bench/run.sh installs it when npm is available)");
            return;
        }
        try {
            int port = freePort();
            peer = PeerProcess.launch(peerDir, port, freePort(), freePort(), work.resolve("peer.log"));
            Files.writeString(work.resolve("peer.pid"), Long.toString(peer.pid()));
            long answering = peer.awaitAnswering(RawHttp.request("POST", "/w1", "application/json", PAYLOAD), Bench::echoed, 120_000);
            var info = new LinkedHashMap<String, Object>();
            info.put("serverless", packageVersion(peerDir, "serverless"));
            info.put("serverlessOffline", packageVersion(peerDir, "serverless-offline"));
            info.put("node", nodeVersion());
            info.put("pid", peer.pid());
            info.put("port", port);
            info.put("answeringAfterMs", answering / 1e6);
            out.put("peer", info);
            System.out.printf("  peer: serverless %s + serverless-offline %s (node %s), pid %d on 127.0.0.1:%d, POST /w1 answered after %.0f ms%n",
                    info.get("serverless"), info.get("serverlessOffline"), info.get("node"), peer.pid(), port, answering / 1e6);
        } catch (IOException e) {
            System.out.println("bench: peer column skipped: " + e.getMessage());
            stopPeer();
        }
    }

    private synchronized void stopPeer() {
        stopRecorded(peer, "peer.pid");
        peer = null;
    }

    /** Stops a process the run started and forgets its PID file (bench/run.sh's trap stops it when the harness is killed). */
    private void stopRecorded(PeerProcess process, String pidFile) {
        if (process == null) {
            return;
        }
        process.close();
        try {
            Files.deleteIfExists(work.resolve(pidFile));
        } catch (IOException ignored) {
            // bench/run.sh's trap checks the PID's command line before it acts on it
        }
    }

    /**
     * Starts the Akka HTTP floor (bench/floor/AkkaHttpFloor.java) from the gateway's jar with the gateway's JVM options,
     * or says in one line why there is none.
     */
    private void startFloor() throws InterruptedException {
        var source = Path.of("bench/floor/AkkaHttpFloor.java");
        if (!Files.isRegularFile(source)) {
            System.out.println("bench: Akka HTTP floor skipped: no " + source + " (run the bench from the repository's root)");
            return;
        }
        try {
            int port = freePort();
            // bin/esb's default JAVA_OPTS unless --gateway-opts replaced them, as for the gateway
            var options = gatewayJvmOptions.isEmpty() ? List.of("-Xms64m", "-Xmx256m", "-XX:+UseSerialGC") : gatewayJvmOptions;
            floor = PeerProcess.akkaHttpFloor(jar, source, options, port, work.resolve("floor.log"));
            Files.writeString(work.resolve("floor.pid"), Long.toString(floor.pid()));
            long answering = floor.awaitAnswering(RawHttp.request("POST", "/", "application/json", PAYLOAD), Bench::floorAnswer, 60_000);
            System.out.printf("  Akka HTTP floor: pid %d on 127.0.0.1:%d, answered after %.0f ms%n", floor.pid(), port, answering / 1e6);
        } catch (IOException e) {
            System.out.println("bench: Akka HTTP floor skipped: " + e.getMessage());
            stopFloor();
        }
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            System.out.println("cleanup: could not remove " + dir + ": " + e.getMessage());
        }
    }

    /** The floor's fixed answer (bench/floor/AkkaHttpFloor.java). */
    private static boolean floorAnswer(RawHttp.Response r) {
        return r.status() == 200 && r.text().equals("{\"ok\":true}");
    }

    private synchronized void stopFloor() {
        stopRecorded(floor, "floor.pid");
        floor = null;
    }

    private static String packageVersion(Path dir, String name) {
        try {
            var json = Files.readString(dir.resolve("node_modules").resolve(name).resolve("package.json"));
            var m = Pattern.compile("\"version\"\\s*:\\s*\"([^\"]+)\"").matcher(json);
            return m.find() ? m.group(1) : "?";
        } catch (IOException e) {
            return "?";
        }
    }

    private static String nodeVersion() {
        try {
            var p = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
            var v = new String(p.getInputStream().readAllBytes()).trim();
            p.waitFor();
            return v;
        } catch (IOException | InterruptedException e) {
            return "?";
        }
    }

    static boolean echoed(RawHttp.Response r) {
        if (r.status() != 200) {
            return false;
        }
        var b = r.body();
        // "echo" appears as "echo" (Invoke, direct) or \"echo\" inside the proxy response body (routes)
        for (int k = 0; k + 5 < b.length; k++) {
            if (b[k] == 'e' && b[k + 1] == 'c' && b[k + 2] == 'h' && b[k + 3] == 'o' && (b[k + 4] == '"' || b[k + 4] == '\\')) {
                return true;
            }
        }
        return false;
    }

    private void warm() throws Exception {
        System.out.printf("(a) Warm overhead: %d reps x %.0f s per case after %.0f s warm-up, payload %s%n", reps, measureSeconds,
                warmupSeconds, new String(PAYLOAD, StandardCharsets.UTF_8));
        int gw = gateway.port;
        // Cold-start both pools through the gateway, then find its containers so the direct cases use the very same ones.
        try (var c = new RawHttp("127.0.0.1", gw, 120_000)) {
            var r = c.exchange(invokeRequest("w1"));
            if (!echoed(r)) {
                throw new IllegalStateException("priming w1 failed: " + r.status() + " " + r.text());
            }
        }
        try (var prime = new Load.PerCaller(gw, invokeRequest("w10"), callers)) {
            var r = Load.run(prime, callers, TimeUnit.SECONDS.toNanos(3), Bench::echoed);
            System.out.printf("  primed w10: %d ok, %d errors%s%n", r.ok(), r.errors(), r.firstError() == null ? "" : " (" + r.firstError() + ")");
        }
        // The pull-mode pools likewise; their containers publish no port, so they are only counted.
        try (var c = new RawHttp("127.0.0.1", gw, 120_000)) {
            var r = c.exchange(invokeRequest("p1"));
            if (!echoed(r)) {
                throw new IllegalStateException("priming p1 failed: " + r.status() + " " + r.text());
            }
        }
        try (var prime = new Load.PerCaller(gw, invokeRequest("p10"), callers)) {
            var r = Load.run(prime, callers, TimeUnit.SECONDS.toNanos(3), Bench::echoed);
            System.out.printf("  primed p10: %d ok, %d errors%s%n", r.ok(), r.errors(), r.firstError() == null ? "" : " (" + r.firstError() + ")");
        }
        var w1 = ports("w1");
        var w10 = ports("w10");
        int p1 = docker.list("esb.instance=" + id, "esb.function=p1").size();
        int p10 = docker.list("esb.instance=" + id, "esb.function=p10").size();
        System.out.printf("  containers: w1 -> ports %s, w10 -> %d containers %s; pull mode: p1 -> %d, p10 -> %d containers%n", w1,
                w10.size(), w10, p1, p10);
        if (w1.size() != 1 || w10.size() != poolSize || p1 != 1 || p10 != poolSize) {
            System.out.printf("  WARNING: expected 1 and %d containers per mode%n", poolSize);
        }
        String mid = "c" + midCallers;
        var directRequest = RawHttp.request("POST", INVOKE_PATH, "application/json", PAYLOAD);
        // The container's cost depends on the event: the route's API Gateway event is ~1.5 KB that the fixture parses and
        // echoes back inside an escaped body, the Invoke API's is 17 bytes. So a route's overhead is measured against a
        // direct call with the very event the gateway builds for it (the fixture echoes it), as well as against direct-c1.
        var routeEvent = routeEvent(gw);
        System.out.printf("  the route's event for direct-event-c1: %d bytes%n", routeEvent.length);
        startPeer();
        startFloor();
        var cases = new ArrayList<>(List.of(
                new Case("direct-c1", "direct", 1, 1, new Load.PerCaller(w1.get(0), RawHttp.request("POST", INVOKE_PATH, "application/json", PAYLOAD), 1), false),
                new Case("invoke-c1", "Invoke API", 1, 1, new Load.PerCaller(gw, invokeRequest("w1"), 1), true),
                new Case("route-c1", "route (v1)", 1, 1, new Load.PerCaller(gw, RawHttp.request("POST", "/w1", "application/json", PAYLOAD), 1), true),
                new Case("direct-event-c1", "direct, route's event", 1, 1, new Load.PerCaller(w1.get(0), RawHttp.request("POST", INVOKE_PATH, "application/json", routeEvent), 1), false),
                // A new connection per call (Connection: close), as curl and many device clients do, beside the keep-alive cases.
                new Case("direct-c1-new", "direct, new", 1, 1, new Load.NewConnection(w1.get(0), closing("POST", INVOKE_PATH)), false),
                new Case("invoke-c1-new", "Invoke API, new", 1, 1, new Load.NewConnection(gw, closing("POST", "/2015-03-31/functions/w1/invocations")), true),
                new Case("route-c1-new", "route (v1), new", 1, 1, new Load.NewConnection(gw, closing("POST", "/w1")), true),
                new Case("direct-c" + callers, "direct", callers, w10.size(), new Load.Pooled(w10, RawHttp.request("POST", INVOKE_PATH, "application/json", PAYLOAD)), false),
                new Case("invoke-c" + callers, "Invoke API", callers, poolSize, new Load.PerCaller(gw, invokeRequest("w10"), callers), true),
                new Case("route-c" + callers, "route (v1)", callers, poolSize, new Load.PerCaller(gw, RawHttp.request("POST", "/w10", "application/json", PAYLOAD), callers), true),
                // Extra: the one container saturated by all callers (the gateway queues; direct callers take turns).
                new Case("direct-sat1", "direct", callers, 1, new Load.Pooled(w1, RawHttp.request("POST", INVOKE_PATH, "application/json", PAYLOAD)), false),
                new Case("invoke-sat1", "Invoke API", callers, 1, new Load.PerCaller(gw, invokeRequest("w1"), callers), true),
                // Extra: a function that takes sleepMs, so scaling over containers is not capped by the machine's 2 cores.
                new Case("sleep-c1", "Invoke sleep", 1, 1, new Load.PerCaller(gw, sleepRequest("w1"), 1), true),
                new Case("sleep-c" + callers, "Invoke sleep", callers, poolSize, new Load.PerCaller(gw, sleepRequest("w10"), callers), true),
                // Pull mode (issue 12): the same fixture fetching its events from the gateway's Runtime API. There is no direct
                // call to a pull-mode container, so its baseline is the push containers' direct case.
                new Case("pull-c1", "Invoke (pull)", 1, p1, new Load.PerCaller(gw, invokeRequest("p1"), 1), true),
                new Case("pull-route-c1", "route (pull)", 1, p1, new Load.PerCaller(gw, RawHttp.request("POST", "/p1", "application/json", PAYLOAD), 1), true),
                new Case("pull-c1-new", "Invoke (pull), new", 1, p1, new Load.NewConnection(gw, closing("POST", "/2015-03-31/functions/p1/invocations")), true),
                new Case("pull-route-c1-new", "route (pull), new", 1, p1, new Load.NewConnection(gw, closing("POST", "/p1")), true),
                new Case("direct-" + mid, "direct", midCallers, w10.size(), new Load.Pooled(w10, directRequest), false),
                new Case("invoke-" + mid, "Invoke API", midCallers, poolSize, new Load.PerCaller(gw, invokeRequest("w10"), midCallers), true),
                new Case("pull-" + mid, "Invoke (pull)", midCallers, p10, new Load.PerCaller(gw, invokeRequest("p10"), midCallers), true)));
        if (peer != null) {
            // The peer column: serverless-offline's same-shape route, one caller, in the same rotation (0 containers: in-process).
            cases.add(new Case("peer-route-c1", "sls-offline", 1, 0,
                    new Load.PerCaller(peer.port, RawHttp.request("POST", "/w1", "application/json", PAYLOAD), 1), false, true));
            cases.add(new Case("peer-route-c1-new", "sls-offline, new", 1, 0, new Load.NewConnection(peer.port, closing("POST", "/w1")), false, true));
        }
        if (floor != null) {
            // The floor: Akka HTTP alone answering at once, so what a new connection costs any gateway built on it.
            cases.add(new Case("floor-c1", "Akka HTTP floor", 1, 0, new Load.PerCaller(floor.port, RawHttp.request("POST", "/", "application/json", PAYLOAD), 1),
                    false, false, Bench::floorAnswer));
            cases.add(new Case("floor-c1-new", "Akka HTTP floor, new", 1, 0, new Load.NewConnection(floor.port, closing("POST", "/")), false, false,
                    Bench::floorAnswer));
        }

        for (var c : cases) {
            var r = Load.run(c.target(), c.callers(), (long) (warmupSeconds * 1e9), c.valid());
            System.out.printf("  warm-up %-17s %7.0f req/s, %d errors%s%n", c.name(), r.throughput(), r.errors(),
                    r.firstError() == null ? "" : " (" + r.firstError() + ")");
        }

        var rssMax = new AtomicLong();
        var peerRssMax = new AtomicLong();
        var sampling = new java.util.concurrent.atomic.AtomicBoolean(true);
        var sampledPeer = peer;
        var sampler = new Thread(() -> {
            while (sampling.get()) {
                long rss = gateway.statusKb("VmRSS");
                rssMax.accumulateAndGet(rss, Math::max);
                if (sampledPeer != null) {
                    peerRssMax.accumulateAndGet(sampledPeer.statusKb("VmRSS"), Math::max);
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "rss-sampler");
        sampler.setDaemon(true);
        sampler.start();

        var perCase = new LinkedHashMap<String, List<Map<String, Object>>>();
        for (var c : cases) {
            perCase.put(c.name(), new ArrayList<>());
        }
        var osBean = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        for (int rep = 0; rep < reps; rep++) {
            for (int k = 0; k < cases.size(); k++) {
                var c = cases.get((k + rep) % cases.size()); // rotate the order every rep
                var threads0 = c.viaGateway() ? gateway.cpuTicksByThreadGroup() : Map.<String, Long>of();
                Process perfRecorder = null;
                if (perf && c.viaGateway() && rep == reps - 1) {
                    perfRecorder = new ProcessBuilder("perf", "record", "-q", "-e", "cpu-clock", "-F", "999", "-g", "-p",
                            Long.toString(gateway.pid()), "-o", work.resolve("perf-" + c.name() + ".data").toString(), "--",
                            "sleep", String.valueOf(measureSeconds)).redirectErrorStream(true)
                            .redirectOutput(work.resolve("perf-" + c.name() + ".log").toFile()).start();
                    Thread.sleep(300); // let perf attach
                }
                var switches0 = c.viaGateway() ? gateway.contextSwitchesByThreadGroup() : Map.<String, Long>of();
                long gwCpu0 = gateway.cpuTicks();
                long peerCpu0 = c.viaPeer() ? peer.cpuTicks() : 0;
                long[] gwUS0 = userSys(gateway.pid());
                long harness0 = osBean.getProcessCpuTime();
                long[] machine0 = machineTicks();
                rssMax.set(0);
                peerRssMax.set(0);
                long wall0 = System.currentTimeMillis();
                var r = Load.run(c.target(), c.callers(), (long) (measureSeconds * 1e9), c.valid());
                long wall1 = System.currentTimeMillis();
                windows.add(c.name() + " " + rep + " " + wall0 + " " + wall1);
                long[] machine1 = machineTicks();
                long harness1 = osBean.getProcessCpuTime();
                long[] gwUS1 = userSys(gateway.pid());
                long gwCpu1 = gateway.cpuTicks();
                long peerCpu1 = c.viaPeer() ? peer.cpuTicks() : 0;
                if (perfRecorder != null && !perfRecorder.waitFor((long) measureSeconds + 30, TimeUnit.SECONDS)) {
                    perfRecorder.destroy(); // SIGTERM: perf writes its data and exits
                    perfRecorder.waitFor(30, TimeUnit.SECONDS);
                }
                double seconds = r.elapsedNanos() / 1e9;
                double gwCpuSeconds = (gwCpu1 - gwCpu0) / (double) GatewayProcess.CLOCK_TICKS_PER_SECOND;
                var m = new LinkedHashMap<String, Object>();
                m.put("rep", rep);
                m.put("p50Ms", r.percentileMs(0.50));
                m.put("p90Ms", r.percentileMs(0.90));
                m.put("p99Ms", r.percentileMs(0.99));
                m.put("maxMs", r.percentileMs(1.0));
                m.put("meanMs", r.meanMs());
                m.put("rps", r.throughput());
                m.put("ok", r.ok());
                m.put("errors", r.errors());
                if (r.firstError() != null) {
                    m.put("firstError", r.firstError());
                }
                m.put("gatewayCpuUsPerReq", r.ok() == 0 ? null : gwCpuSeconds * 1e6 / r.ok());
                m.put("gatewayCores", gwCpuSeconds / seconds);
                m.put("gatewayUserSysTicks", List.of(gwUS1[0] - gwUS0[0], gwUS1[1] - gwUS0[1]));
                m.put("loadgenCpuUsPerReq", r.ok() == 0 ? null : (harness1 - harness0) / 1e3 / r.ok());
                long busy = (machine1[0] - machine0[0]);
                long total = (machine1[1] - machine0[1]);
                m.put("machineBusyPct", total == 0 ? null : 100.0 * busy / total);
                m.put("gatewayRssMaxMb", rssMax.get() / 1024.0);
                if (c.viaPeer()) {
                    double peerCpuSeconds = (peerCpu1 - peerCpu0) / (double) GatewayProcess.CLOCK_TICKS_PER_SECOND;
                    m.put("peerCpuUsPerReq", r.ok() == 0 ? null : peerCpuSeconds * 1e6 / r.ok());
                    m.put("peerCores", peerCpuSeconds / seconds);
                    m.put("peerRssMaxMb", peerRssMax.get() / 1024.0);
                }
                if (c.viaGateway()) {
                    var switches1 = gateway.contextSwitchesByThreadGroup();
                    var switchesByGroup = new TreeMap<String, Object>();
                    long switches = 0;
                    for (var e : switches1.entrySet()) {
                        long d = e.getValue() - switches0.getOrDefault(e.getKey(), 0L);
                        if (d > 0 && r.ok() > 0) {
                            switchesByGroup.put(e.getKey(), d / (double) r.ok());
                            switches += d;
                        }
                    }
                    m.put("gatewayContextSwitchesPerReq", r.ok() == 0 ? null : switches / (double) r.ok());
                    m.put("gatewayContextSwitchesPerReqByThread", switchesByGroup);
                    var threads1 = gateway.cpuTicksByThreadGroup();
                    var byGroup = new TreeMap<String, Object>();
                    long accounted = 0;
                    for (var e : threads1.entrySet()) {
                        long d = e.getValue() - threads0.getOrDefault(e.getKey(), 0L);
                        if (d > 0) {
                            byGroup.put(e.getKey(), d);
                            accounted += d;
                        }
                    }
                    long exited = (gwCpu1 - gwCpu0) - accounted;
                    if (exited > 0) {
                        byGroup.put("(threads that ended during the run)", exited);
                    }
                    m.put("gatewayCpuTicksByThread", byGroup);
                }
                perCase.get(c.name()).add(m);
                System.out.printf("  rep %d %-17s p50 %6.3f ms  p99 %7.3f ms  %7.0f req/s  err %d  %s %5.1f us/req  machine %3.0f%% busy%n",
                        rep + 1, c.name(), r.percentileMs(0.5), r.percentileMs(0.99), r.throughput(), r.errors(), c.viaPeer() ? "peer" : "gw",
                        c.viaPeer() ? num(m, "peerCpuUsPerReq") : r.ok() == 0 ? Double.NaN : gwCpuSeconds * 1e6 / r.ok(),
                        total == 0 ? Double.NaN : 100.0 * busy / total);
            }
        }
        sampling.set(false);
        sampler.join();
        for (var c : cases) {
            c.target().close();
        }
        stopPeer();
        stopFloor();

        // medians per case
        var medians = new LinkedHashMap<String, Map<String, Object>>();
        for (var c : cases) {
            var reps = perCase.get(c.name());
            var m = new LinkedHashMap<String, Object>();
            m.put("label", c.label());
            m.put("callers", c.callers());
            m.put("containers", c.containers());
            for (var key : List.of("p50Ms", "p90Ms", "p99Ms", "meanMs", "rps", "gatewayCpuUsPerReq", "gatewayCores", "loadgenCpuUsPerReq",
                    "machineBusyPct", "gatewayRssMaxMb", "gatewayContextSwitchesPerReq")) {
                m.put(key, medianOf(reps, key));
            }
            if (c.viaPeer()) {
                for (var key : List.of("peerCpuUsPerReq", "peerCores", "peerRssMaxMb")) {
                    m.put(key, medianOf(reps, key));
                }
            }
            m.put("errors", reps.stream().mapToLong(x -> (Long) x.get("errors")).sum());
            medians.put(c.name(), m);
        }
        // side-by-side ratios: computed within each rep, then the median
        var ratios = new LinkedHashMap<String, Object>();
        String c32 = "c" + callers;
        // {ratio's name, case measured, case it is measured against}
        var pairs = new ArrayList<String[]>();
        for (var level : List.of("c1", c32)) {
            for (var via : List.of("invoke", "route")) {
                pairs.add(new String[] {via + "/direct " + level, via + "-" + level, "direct-" + level});
            }
        }
        pairs.add(new String[] {"invoke/direct sat1", "invoke-sat1", "direct-sat1"});
        // Routes against a direct call with the same event (the container's work is the same on both sides).
        pairs.add(new String[] {"route/direct-event c1", "route-c1", "direct-event-c1"});
        pairs.add(new String[] {"pull-route/direct-event c1", "pull-route-c1", "direct-event-c1"});
        // Pull mode against the direct call and against push mode ("invoke" is the Invoke API in push mode).
        pairs.add(new String[] {"pull/direct c1", "pull-c1", "direct-c1"});
        pairs.add(new String[] {"pull-route/direct c1", "pull-route-c1", "direct-c1"});
        pairs.add(new String[] {"pull/push c1", "pull-c1", "invoke-c1"});
        pairs.add(new String[] {"pull/push route c1", "pull-route-c1", "route-c1"});
        pairs.add(new String[] {"invoke/direct " + mid, "invoke-" + mid, "direct-" + mid});
        pairs.add(new String[] {"pull/direct " + mid, "pull-" + mid, "direct-" + mid});
        pairs.add(new String[] {"pull/push " + mid, "pull-" + mid, "invoke-" + mid});
        // A new connection per call: its cost over keep-alive on each path (direct's for reference), and the gateway's
        // overhead over a direct call when both sides pay for a new connection.
        for (var via : List.of("direct", "invoke", "route", "pull", "pull-route")) {
            pairs.add(new String[] {via + " new/keep-alive c1", via + "-c1-new", via + "-c1"});
        }
        if (perCase.containsKey("floor-c1")) {
            pairs.add(new String[] {"floor new/keep-alive c1", "floor-c1-new", "floor-c1"});
        }
        for (var via : List.of("invoke", "route", "pull", "pull-route")) {
            pairs.add(new String[] {via + "/direct c1-new", via + "-c1-new", "direct-c1-new"});
        }
        // esb against serverless-offline (the peer column), same route shape, same load generator, same reps.
        if (perCase.containsKey("peer-route-c1")) {
            for (var via : List.of("route", "pull-route")) {
                pairs.add(new String[] {via + "/peer c1", via + "-c1", "peer-route-c1"});
                pairs.add(new String[] {via + "/peer c1-new", via + "-c1-new", "peer-route-c1-new"});
            }
        }
        for (var pair : pairs) {
            {
                var g = perCase.get(pair[1]);
                var d = perCase.get(pair[2]);
                var over = new ArrayList<Double>();
                var p50x = new ArrayList<Double>();
                var p99x = new ArrayList<Double>();
                var rpsx = new ArrayList<Double>();
                var meanOver = new ArrayList<Double>();
                for (int rep = 0; rep < reps; rep++) {
                    meanOver.add(num(g.get(rep), "meanMs") - num(d.get(rep), "meanMs"));
                    over.add(num(g.get(rep), "p50Ms") - num(d.get(rep), "p50Ms"));
                    p50x.add(num(g.get(rep), "p50Ms") / num(d.get(rep), "p50Ms"));
                    p99x.add(num(g.get(rep), "p99Ms") / num(d.get(rep), "p99Ms"));
                    rpsx.add(num(g.get(rep), "rps") / num(d.get(rep), "rps"));
                }
                var m = new LinkedHashMap<String, Object>();
                m.put("p50OverheadMs", median(over));
                m.put("p50Ratio", median(p50x));
                m.put("meanOverheadMs", median(meanOver));
                m.put("p99Ratio", median(p99x));
                m.put("throughputRatio", median(rpsx));
                m.put("perRepP50OverheadMs", over);
                m.put("perRepThroughputRatio", rpsx);
                ratios.put(pair[0], m);
            }
        }
        var scalings = new ArrayList<String[]>();
        for (var via : List.of("direct", "invoke", "route", "sleep")) {
            scalings.add(new String[] {via, c32});
        }
        for (var via : List.of("direct", "invoke", "pull")) {
            scalings.add(new String[] {via, mid});
        }
        for (var scaling : scalings) {
            var via = scaling[0];
            var level = scaling[1];
            var one = perCase.get(via + "-c1");
            var many = perCase.get(via + "-" + level);
            var x = new ArrayList<Double>();
            for (int rep = 0; rep < reps; rep++) {
                x.add(num(many.get(rep), "rps") / num(one.get(rep), "rps"));
            }
            var m = new LinkedHashMap<String, Object>();
            m.put("scaling", median(x));
            m.put("perRep", x);
            ratios.put((via.equals("sleep") ? "invoke sleep " + sleepMs + " ms" : via) + " " + level + "/c1 throughput", m);
        }
        var warm = new LinkedHashMap<String, Object>();
        warm.put("medians", medians);
        warm.put("ratios", ratios);
        warm.put("perRep", perCase);
        out.put("warm", warm);

        var cost = costSection();
        var gatewayCases = cases.stream().filter(Case::viaGateway).map(Case::name).toList();
        double rssMaxMb = perCase.entrySet().stream().filter(e -> gatewayCases.contains(e.getKey()))
                .flatMap(e -> e.getValue().stream()).mapToDouble(m -> num(m, "gatewayRssMaxMb")).max().orElse(Double.NaN);
        cost.put("rssUnderWarmLoadMaxMb", rssMaxMb);
        cost.put("peakRssAfterWarmMb", gateway.statusKb("VmHWM") / 1024.0);

        // table
        System.out.printf("%n  %-17s %-18s %7s %5s %8s %8s %8s %9s %6s %10s %8s %10s %11s %8s%n", "case", "", "callers", "cont", "p50 ms", "mean ms",
                "p99 ms", "req/s", "errors", "gw us/req", "gw cores", "gw csw/req", "loadgen us", "busy %");
        for (var e : medians.entrySet()) {
            var m = e.getValue();
            boolean ofPeer = m.containsKey("peerCpuUsPerReq");
            System.out.printf("  %-17s %-18s %7d %5d %8.3f %8.3f %8.3f %9.0f %6d %10.1f %8.2f %10.1f %11.1f %8.0f%n", e.getKey(), m.get("label"),
                    m.get("callers"),
                    m.get("containers"), num(m, "p50Ms"), num(m, "meanMs"), num(m, "p99Ms"), num(m, "rps"), m.get("errors"),
                    num(m, ofPeer ? "peerCpuUsPerReq" : "gatewayCpuUsPerReq"), num(m, ofPeer ? "peerCores" : "gatewayCores"),
                    ofPeer ? Double.NaN : num(m, "gatewayContextSwitchesPerReq"), num(m, "loadgenCpuUsPerReq"), num(m, "machineBusyPct"));
        }
        System.out.println("  (*-new: a new connection per call, Connection: close; peer-*: serverless-offline, whose own process the gw columns"
                + " show on its rows)");
        System.out.println("  ratios (median of per-rep ratios; each rep runs all cases back to back):");
        for (var e : ratios.entrySet()) {
            @SuppressWarnings("unchecked")
            var m = (Map<String, Object>) e.getValue();
            if (m.containsKey("scaling")) {
                System.out.printf("    %-28s %.2fx%n", e.getKey(), num(m, "scaling"));
            } else {
                System.out.printf("    %-28s p50 %+.3f ms (%.2fx), mean %+.3f ms, p99 %.2fx, throughput %.0f%%%n", e.getKey(),
                        num(m, "p50OverheadMs"), num(m, "p50Ratio"), num(m, "meanOverheadMs"), num(m, "p99Ratio"), 100 * num(m, "throughputRatio"));
            }
        }
        // Each hand-off between threads wakes a parked one: the count per request, by thread pool, shows where they are.
        System.out.println("  gateway context switches per request by thread (median of the reps; Linux keeps 15 characters of a name):");
        for (var c : cases) {
            if (!c.viaGateway()) {
                continue;
            }
            var byGroup = new TreeMap<String, List<Double>>();
            for (var m : perCase.get(c.name())) {
                @SuppressWarnings("unchecked")
                var g = (Map<String, Object>) m.get("gatewayContextSwitchesPerReqByThread");
                g.forEach((k, v) -> byGroup.computeIfAbsent(k, x -> new ArrayList<>()).add(((Number) v).doubleValue()));
            }
            var line = new StringBuilder();
            byGroup.entrySet().stream().map(e -> Map.entry(e.getKey(), median(e.getValue())))
                    .sorted((a, b) -> Double.compare(b.getValue(), a.getValue())).filter(e -> e.getValue() >= 0.05).limit(7)
                    .forEach(e -> line.append(String.format("%s %.1f, ", e.getKey(), e.getValue())));
            System.out.printf("    %-17s %s%n", c.name(), line.length() > 2 ? line.substring(0, line.length() - 2) : "");
        }
        System.out.println("  gateway CPU by thread (share of the gateway's CPU time, all reps):");
        for (var c : cases) {
            if (!c.viaGateway()) {
                continue;
            }
            var sum = new TreeMap<String, Long>();
            for (var m : perCase.get(c.name())) {
                @SuppressWarnings("unchecked")
                var g = (Map<String, Object>) m.get("gatewayCpuTicksByThread");
                g.forEach((k, v) -> sum.merge(k, ((Number) v).longValue(), Long::sum));
            }
            long total = sum.values().stream().mapToLong(Long::longValue).sum();
            var line = new StringBuilder();
            sum.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue(), a.getValue())).limit(6)
                    .forEach(e -> line.append(String.format("%s %.0f%%, ", e.getKey(), 100.0 * e.getValue() / Math.max(1, total))));
            System.out.printf("    %-17s %s%n", c.name(), line.length() > 2 ? line.substring(0, line.length() - 2) : "");
        }
        if (perf) {
            writePerfMap();
        }
        System.out.printf("  gateway RSS under warm load: max %.0f MB (peak VmHWM so far %.0f MB)%s%n%n", rssMaxMb,
                gateway.statusKb("VmHWM") / 1024.0, medians.containsKey("peer-route-c1")
                        ? String.format("; serverless-offline's: max %.0f MB", Math.max(num(medians.get("peer-route-c1"), "peerRssMaxMb"),
                                num(medians.get("peer-route-c1-new"), "peerRssMaxMb")))
                        : "");

        for (var via : List.of("invoke", "route")) {
            @SuppressWarnings("unchecked")
            var r1 = (Map<String, Object>) ratios.get(via + "/direct c1");
            target("warm p50 overhead over direct at c=1 <= 0.5 ms (" + via + ")", String.format("%+.3f ms", num(r1, "p50OverheadMs")),
                    num(r1, "p50OverheadMs") <= 0.5);
            target("throughput through one container >= 90% of direct (" + via + ")", String.format("%.0f%%", 100 * num(r1, "throughputRatio")),
                    num(r1, "throughputRatio") >= 0.9);
            @SuppressWarnings("unchecked")
            var s = (Map<String, Object>) ratios.get(via + " " + c32 + "/c1 throughput");
            target(callers + " callers / " + poolSize + " containers >= 5x one container (" + via + ")", String.format("%.2fx", num(s, "scaling")),
                    num(s, "scaling") >= 5);
        }
        @SuppressWarnings("unchecked")
        var sleepScaling = (Map<String, Object>) ratios.get("invoke sleep " + sleepMs + " ms " + c32 + "/c1 throughput");
        target(callers + " callers / " + poolSize + " containers >= 5x one container (invoke, function sleeping " + sleepMs + " ms)",
                String.format("%.2fx", num(sleepScaling, "scaling")), num(sleepScaling, "scaling") >= 5);
        target("gateway RSS under load <= 300 MB (" + (gatewayJavaOpts() == null ? "bin/esb" : "bin/esb, --gateway-opts") + ")",
                String.format("%.0f MB", rssMaxMb), rssMaxMb <= 300);
        @SuppressWarnings("unchecked")
        var pull1 = (Map<String, Object>) ratios.get("pull/direct c1");
        target("pull warm p50 overhead over direct at c=1 <= 0.5 ms", String.format("%+.3f ms", num(pull1, "p50OverheadMs")),
                num(pull1, "p50OverheadMs") <= 0.5);
        newConnectionAndPeerTargets(ratios, medians);
    }

    /** Issue 17's targets: the tighter keep-alive overhead, a new connection's cost, esb against the peer, one container's throughput. */
    @SuppressWarnings("unchecked")
    private void newConnectionAndPeerTargets(Map<String, Object> ratios, Map<String, Map<String, Object>> medians) {
        // {what, ratio}: push (invoke, route) and pull (Invoke API, route), each against the push container's direct call
        // Routes are judged against the direct call with the route's own event; their overhead over direct-c1 (a 17-byte
        // event) is printed beside it, as it includes the container's extra work on the bigger event.
        var overKeepAlive = List.of(new String[] {"invoke", "invoke/direct c1", null}, new String[] {"route", "route/direct-event c1", "route/direct c1"},
                new String[] {"pull", "pull/direct c1", null}, new String[] {"pull-route", "pull-route/direct-event c1", "pull-route/direct c1"});
        for (var o : overKeepAlive) {
            var r = (Map<String, Object>) ratios.get(o[1]);
            var measured = String.format("%+.3f ms", num(r, "p50OverheadMs"));
            if (o[2] != null) {
                measured += String.format(" (%+.3f over direct-c1)", num((Map<String, Object>) ratios.get(o[2]), "p50OverheadMs"));
            }
            target("p50 overhead over direct at c=1 <= 0.25 ms, keep-alive (" + o[0] + (o[2] != null ? ", same event" : "") + ")", measured,
                    num(r, "p50OverheadMs") <= 0.25);
        }
        for (var via : List.of("invoke", "route", "pull", "pull-route")) {
            var r = (Map<String, Object>) ratios.get(via + " new/keep-alive c1");
            target("a new connection adds <= 0.5 ms over keep-alive, p50 (" + via + ")", String.format("%+.3f ms", num(r, "p50OverheadMs")),
                    num(r, "p50OverheadMs") <= 0.5);
        }
        var direct = (Map<String, Object>) ratios.get("direct new/keep-alive c1");
        targets.add(new String[] {"  (direct's own new connection over keep-alive, for reference)", String.format("%+.3f ms", num(direct, "p50OverheadMs")),
                "reference"});
        var akkaFloor = (Map<String, Object>) ratios.get("floor new/keep-alive c1");
        if (akkaFloor != null) {
            targets.add(new String[] {"  (Akka HTTP alone, answering at once: its new connection over keep-alive, for reference)",
                    String.format("%+.3f ms (p50 %.3f / %.3f ms)", num(akkaFloor, "p50OverheadMs"), num(medians.get("floor-c1-new"), "p50Ms"),
                            num(medians.get("floor-c1"), "p50Ms")), "reference"});
        }
        for (var conn : List.of(new String[] {"keep-alive", "c1"}, new String[] {"new connection", "c1-new"})) {
            for (var via : List.of(new String[] {"push", "route"}, new String[] {"pull", "pull-route"})) {
                var goal = "route p50 below serverless-offline's, " + conn[0] + " (" + via[0] + ")";
                var r = (Map<String, Object>) ratios.get(via[1] + "/peer " + conn[1]);
                if (r == null) {
                    targets.add(new String[] {goal, "no peer column", "skipped"});
                    continue;
                }
                // the medians of each side, and the median of the per-rep ratios, which decides
                target(goal, String.format("%.3f vs %.3f ms (%.2fx)", num(medians.get(via[1] + "-" + conn[1]), "p50Ms"),
                        num(medians.get("peer-route-" + conn[1]), "p50Ms"), num(r, "p50Ratio")), num(r, "p50Ratio") < 1);
            }
        }
        var one = (Map<String, Object>) ratios.get("invoke/direct c1");
        target("throughput through one container >= 60% of direct at c=1 (invoke)", String.format("%.0f%%", 100 * num(one, "throughputRatio")),
                num(one, "throughputRatio") >= 0.6);
    }

    /** JIT-compiled code has no symbols; the JVM writes /tmp/perf-<pid>.map for perf report on request (JDK 17). */
    private void writePerfMap() {
        try {
            var jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
            var p = new ProcessBuilder(jcmd, Long.toString(gateway.pid()), "Compiler.perfmap").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            p.waitFor(60, TimeUnit.SECONDS);
            System.out.println("  perf: recordings in " + work + "/perf-*.data, JIT symbols in /tmp/perf-" + gateway.pid()
                    + ".map (bench/profile.sh perf CASE)");
        } catch (IOException | InterruptedException e) {
            System.out.println("  perf: could not write the perf map: " + e.getMessage());
        }
    }

    // ---------------------------------------------------------------- (b) cold

    private void cold() throws Exception {
        System.out.printf("(b) Cold start: %d pairs (order alternates); raw = Engine API create+start+inspect over the unix socket,"
                + " then POST invoke every %d ms until it answers; each pair also a pull-mode function's first invoke"
                + " (first in odd pairs, last in even ones)%n", coldReps, coldPollMs);
        var raw = new ArrayList<Double>();
        var gw = new ArrayList<Double>();
        var ratio = new ArrayList<Double>();
        var pull = new ArrayList<Double>();
        var pullOverPush = new ArrayList<Double>();
        var breakdown = new ArrayList<Map<String, Object>>();
        for (int k = 0; k < coldReps; k++) {
            double r;
            double g;
            double p;
            Map<String, Object> parts;
            if (k % 2 == 0) {
                parts = rawColdStart(k);
                r = num(parts, "totalMs");
                Thread.sleep(500);
                g = gatewayColdStart("cold" + k);
                Thread.sleep(500);
                p = gatewayColdStart("pcold" + k);
            } else {
                p = gatewayColdStart("pcold" + k);
                Thread.sleep(500);
                g = gatewayColdStart("cold" + k);
                Thread.sleep(500);
                parts = rawColdStart(k);
                r = num(parts, "totalMs");
            }
            Thread.sleep(300); // the gateway's log is written asynchronously
            double dockerJava = createAndStartMs(id + "-cold" + k);
            double pullDockerJava = createAndStartMs(id + "-pcold" + k);
            parts.put("gatewayCreateAndStartMs", dockerJava);
            parts.put("gatewayMs", g);
            parts.put("pullGatewayCreateAndStartMs", pullDockerJava);
            parts.put("pullGatewayMs", p);
            raw.add(r);
            gw.add(g);
            ratio.add(g / r);
            pull.add(p);
            pullOverPush.add(p / g);
            breakdown.add(parts);
            System.out.printf("  pair %d: raw %.0f ms (create %.0f + start %.0f + inspect %.0f = %.0f, then first answer after %.0f; %d polls),"
                            + " gateway %.0f ms (docker-java create-and-start %.0f, then %.0f) -> %.2fx;"
                            + " pull mode %.0f ms (create-and-start %.0f, then %.0f)%n",
                    k + 1, r, num(parts, "createMs"), num(parts, "startMs"), num(parts, "inspectMs"),
                    num(parts, "createMs") + num(parts, "startMs") + num(parts, "inspectMs"), num(parts, "readyMs"),
                    ((Number) parts.get("polls")).intValue(), g, dockerJava, g - dockerJava, g / r, p, pullDockerJava, p - pullDockerJava);
            Thread.sleep(500);
        }
        var cold = new LinkedHashMap<String, Object>();
        cold.put("rawMs", raw);
        cold.put("gatewayMs", gw);
        cold.put("ratio", ratio);
        cold.put("rawBreakdown", breakdown);
        cold.put("medianRawMs", median(raw));
        cold.put("medianGatewayMs", median(gw));
        cold.put("medianRatio", median(ratio));
        cold.put("medianOverheadMs", median(pairDiff(gw, raw)));
        cold.put("pullGatewayMs", pull);
        cold.put("pullOverPushRatio", pullOverPush);
        cold.put("medianPullGatewayMs", median(pull));
        cold.put("medianPullOverPushRatio", median(pullOverPush));
        var rawDocker = new ArrayList<Double>();
        var rawReady = new ArrayList<Double>();
        var gwDocker = new ArrayList<Double>();
        var gwAfter = new ArrayList<Double>();
        var pullDocker = new ArrayList<Double>();
        var pullAfter = new ArrayList<Double>();
        for (var p : breakdown) {
            rawDocker.add(num(p, "createMs") + num(p, "startMs") + num(p, "inspectMs"));
            rawReady.add(num(p, "readyMs"));
            gwDocker.add(num(p, "gatewayCreateAndStartMs"));
            gwAfter.add(num(p, "gatewayMs") - num(p, "gatewayCreateAndStartMs"));
            pullDocker.add(num(p, "pullGatewayCreateAndStartMs"));
            pullAfter.add(num(p, "pullGatewayMs") - num(p, "pullGatewayCreateAndStartMs"));
        }
        cold.put("medianRawDockerCallsMs", median(rawDocker));
        cold.put("medianRawUntilAnswerMs", median(rawReady));
        cold.put("medianGatewayCreateAndStartMs", median(gwDocker));
        cold.put("medianGatewayAfterStartMs", median(gwAfter));
        cold.put("medianPullCreateAndStartMs", median(pullDocker));
        cold.put("medianPullAfterStartMs", median(pullAfter));
        out.put("cold", cold);
        System.out.printf("  median raw %.0f ms, gateway %.0f ms, ratio %.2fx (overhead %+.0f ms)%n", median(raw), median(gw),
                median(ratio), median(pairDiff(gw, raw)));
        System.out.printf("  medians: Docker calls raw %.0f ms vs gateway (docker-java) %.0f ms; started -> answered raw %.0f ms vs gateway %.0f ms%n",
                median(rawDocker), median(gwDocker), median(rawReady), median(gwAfter));
        System.out.printf("  pull mode: median %.0f ms vs push %.0f ms, pull/push %.2fx (create-and-start %.0f ms, then %.0f ms)%n%n",
                median(pull), median(gw), median(pullOverPush), median(pullDocker), median(pullAfter));
        target("cold start <= 1.15x raw Docker baseline", String.format("%.2fx (%.0f vs %.0f ms)", median(ratio), median(gw), median(raw)),
                median(ratio) <= 1.15);
    }

    static List<Double> pairDiff(List<Double> a, List<Double> b) {
        var d = new ArrayList<Double>();
        for (int k = 0; k < a.size(); k++) {
            d.add(a.get(k) - b.get(k));
        }
        return d;
    }

    private double gatewayColdStart(String function) throws Exception {
        try (var c = new RawHttp("127.0.0.1", gateway.port, 120_000)) {
            var request = RawHttp.request("POST", "/2015-03-31/functions/" + function + "/invocations", "application/json", PAYLOAD,
                    "X-Request-Id", id + "-" + function);
            long t0 = System.nanoTime();
            var r = c.exchange(request);
            long t1 = System.nanoTime();
            if (!echoed(r)) {
                throw new IllegalStateException("cold invoke of " + function + " failed: " + r.status() + " " + r.text());
            }
            return (t1 - t0) / 1e6;
        }
    }

    /** The gateway logs each Docker call's duration with the request id (the harness sends X-Request-Id). NaN if absent. */
    private double createAndStartMs(String requestId) {
        var pattern = Pattern.compile("create-and-start\\W+duration_ms\\W+(\\d+)");
        try {
            for (var line : Files.readAllLines(gateway.logFile)) {
                if (line.contains(requestId)) {
                    var m = pattern.matcher(line);
                    if (m.find()) {
                        return Double.parseDouble(m.group(1));
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // unknown
        }
        return Double.NaN;
    }

    private Map<String, Object> rawColdStart(int k) throws Exception {
        var env = new LinkedHashMap<String, String>();
        env.put("AWS_LAMBDA_FUNCTION_NAME", "raw" + k);
        env.put("AWS_LAMBDA_FUNCTION_TIMEOUT", "10");
        env.put("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128");
        env.put("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST");
        env.put("AWS_REGION", "us-east-1");
        var labels = Map.of("esb.bench", id, "esb.instance", id + "-raw");
        var request = RawHttp.request("POST", INVOKE_PATH, "application/json", PAYLOAD);
        var name = id + "-raw-" + k;
        long t0 = System.nanoTime();
        var containerId = docker.create(name, IMAGE, env, labels, 128L * 1024 * 1024);
        long t1 = System.nanoTime();
        String result;
        int polls = 0;
        long t2;
        long t3;
        long t4;
        try {
            docker.start(containerId);
            t2 = System.nanoTime();
            int port = docker.publishedPort(containerId);
            t3 = System.nanoTime();
            while (true) {
                polls++;
                try (var c = new RawHttp("127.0.0.1", port, 30_000)) {
                    var r = c.exchange(request);
                    if (echoed(r)) {
                        break;
                    }
                } catch (IOException notYet) {
                    // not listening yet
                }
                if (System.nanoTime() - t0 > TimeUnit.SECONDS.toNanos(60)) {
                    throw new IOException("raw container " + name + " did not answer within 60 s");
                }
                Thread.sleep(coldPollMs);
            }
            t4 = System.nanoTime();
        } finally {
            docker.removeForce(containerId);
        }
        var m = new LinkedHashMap<String, Object>();
        m.put("totalMs", (t4 - t0) / 1e6);
        m.put("createMs", (t1 - t0) / 1e6);
        m.put("startMs", (t2 - t1) / 1e6);
        m.put("inspectMs", (t3 - t2) / 1e6);
        m.put("readyMs", (t4 - t3) / 1e6);
        m.put("polls", polls);
        return m;
    }

    // ---------------------------------------------------------------- (c) burst

    private void burst() throws Exception {
        System.out.printf("(c) Burst: %d concurrent Invoke API calls to a cold function with max-concurrency = %d, %d rep(s)%n",
                burstSize, poolSize, burstReps);
        var runs = new ArrayList<Map<String, Object>>();
        for (int k = 0; k < burstReps; k++) {
            var function = "burst" + k;
            var request = invokeRequest(function);
            var connections = new RawHttp[burstSize];
            for (int n = 0; n < burstSize; n++) {
                connections[n] = new RawHttp("127.0.0.1", gateway.port, 120_000);
            }
            var ends = new long[burstSize];
            var statuses = new int[burstSize];
            var valid = new boolean[burstSize];
            var seen = ConcurrentHashMap.<String>newKeySet();
            var errors = new ConcurrentHashMap<String, Integer>();
            var ready = new CountDownLatch(burstSize);
            var go = new CountDownLatch(1);
            var threads = new Thread[burstSize];
            for (int n = 0; n < burstSize; n++) {
                final int i = n;
                threads[n] = new Thread(() -> {
                    ready.countDown();
                    try {
                        go.await();
                        var r = connections[i].exchange(request);
                        ends[i] = System.nanoTime();
                        statuses[i] = r.status();
                        valid[i] = echoed(r);
                        var matcher = CONTAINER.matcher(r.text());
                        if (matcher.find()) {
                            seen.add(matcher.group(1));
                        }
                        if (!valid[i]) {
                            errors.merge("HTTP " + r.status() + ": " + Load.abbreviate(r.text()), 1, Integer::sum);
                        }
                    } catch (Exception e) {
                        ends[i] = System.nanoTime();
                        errors.merge(e.toString(), 1, Integer::sum);
                    } finally {
                        connections[i].close();
                    }
                }, "burst-" + n);
                threads[n].start();
            }
            ready.await();
            long t0 = System.nanoTime();
            go.countDown();
            for (var t : threads) {
                t.join();
            }
            long last = Arrays.stream(ends).max().orElse(t0);
            var latencies = Arrays.stream(ends).map(e -> e - t0).sorted().toArray();
            int ok = 0;
            var byStatus = new TreeMap<Integer, Integer>();
            for (int n = 0; n < burstSize; n++) {
                ok += valid[n] ? 1 : 0;
                byStatus.merge(statuses[n], 1, Integer::sum);
            }
            int created = docker.list("esb.instance=" + id, "esb.function=" + function).size();
            var m = new LinkedHashMap<String, Object>();
            m.put("function", function);
            m.put("totalMs", (last - t0) / 1e6);
            m.put("ok", ok);
            m.put("statuses", byStatus.toString());
            m.put("containersCreated", created);
            m.put("distinctContainersAnswering", seen.size());
            m.put("p50Ms", latencies[latencies.length / 2] / 1e6);
            m.put("p99Ms", latencies[(int) Math.ceil(latencies.length * 0.99) - 1] / 1e6);
            m.put("firstAnswerMs", latencies[0] / 1e6);
            if (!errors.isEmpty()) {
                m.put("errors", new TreeMap<>(errors).toString());
            }
            m.put("gatewayRssMb", gateway.statusKb("VmRSS") / 1024.0);
            runs.add(m);
            System.out.printf("  rep %d: all done in %.0f ms (first answer %.0f ms, p50 %.0f, p99 %.0f), %d/%d correct %s, %d containers created"
                            + " (%d answered), gateway RSS %.0f MB%s%n", k + 1, num(m, "totalMs"), num(m, "firstAnswerMs"), num(m, "p50Ms"),
                    num(m, "p99Ms"), ok, burstSize, byStatus, created, seen.size(), num(m, "gatewayRssMb"),
                    errors.isEmpty() ? "" : " errors " + errors);
            Thread.sleep(1000);
        }
        var burst = new LinkedHashMap<String, Object>();
        burst.put("runs", runs);
        burst.put("medianTotalMs", medianOf(runs, "totalMs"));
        burst.put("maxContainersCreated", runs.stream().mapToInt(m -> (Integer) m.get("containersCreated")).max().orElse(-1));
        burst.put("minOk", runs.stream().mapToInt(m -> (Integer) m.get("ok")).min().orElse(-1));
        out.put("burst", burst);
        double total = medianOf(runs, "totalMs");
        int minOk = (Integer) burst.get("minOk");
        int maxCreated = (Integer) burst.get("maxContainersCreated");
        System.out.printf("  median %.0f ms; worst: %d/%d correct, %d containers%n%n", total, minOk, burstSize, maxCreated);
        target("burst of " + burstSize + ": all answered correctly", minOk + "/" + burstSize, minOk == burstSize);
        target("burst of " + burstSize + ": <= " + poolSize + " containers", maxCreated + " created", maxCreated <= poolSize);
        target("burst of " + burstSize + ": within 5 s", String.format("%.2f s (median of %d)", total / 1000, runs.size()), total <= 5000);
    }

    // ---------------------------------------------------------------- plumbing

    private List<Integer> ports(String function) throws IOException {
        var ports = new ArrayList<Integer>();
        for (var c : docker.list("esb.instance=" + id, "esb.function=" + function)) {
            if (c.hostPort() > 0) {
                ports.add(c.hostPort());
            }
        }
        ports.sort(null);
        return ports;
    }

    private byte[] sleepRequest(String function) {
        return RawHttp.request("POST", "/2015-03-31/functions/" + function + "/invocations", "application/json",
                ("{\"action\":\"sleep\",\"ms\":" + sleepMs + "}").getBytes(StandardCharsets.UTF_8));
    }

    static byte[] invokeRequest(String function) {
        return RawHttp.request("POST", "/2015-03-31/functions/" + function + "/invocations", "application/json", PAYLOAD);
    }

    /**
     * The gateway's config: one pool of 1 and one of {@code poolSize}, plus never-used functions for cold starts and bursts,
     * all in push mode (the direct cases call their containers' published ports); in the main config also the same in pull
     * mode (p1, p10, pcold*), which publish nothing. The startup configs keep to the push functions, as before pull mode.
     */
    private Path writeConfig(Path file, String instance, int port, boolean main) throws IOException {
        var fx = "image = \"" + IMAGE + "\", timeout = 10s, memory-mb = 128";
        var sb = new StringBuilder();
        sb.append("# written by io.esb.bench.Bench\n");
        sb.append("esb.http.interface = \"127.0.0.1\"\nesb.http.port = ").append(port).append('\n');
        sb.append("esb.docker.instance-id = \"").append(instance).append("\"\n");
        sb.append("esb.containers.idle-timeout = 60m\n");
        sb.append("# a burst queues up to ").append(burstSize).append(" calls per function (with the default of 100 the rest are answered 429)\n");
        sb.append("esb.containers.max-queue-depth = ").append(queueDepth).append('\n');
        sb.append("esb.containers.max-total = 200\n");
        sb.append("esb.shutdown.remove-containers = true\nesb.shutdown.drain-timeout = 5s\n");
        sb.append("# the async section's Event store, removed after the run; one event runs at a time, so the backlog costs no CPU\n");
        sb.append("esb.data-dir = \"").append(work.resolve("data").toAbsolutePath()).append("\"\n");
        sb.append("esb.async { max-queued = 1000000, max-concurrent = 1 }\n");
        sb.append("esb.functions {\n");
        sb.append("  w1 { ").append(fx).append(", mode = push, max-concurrency = 1, routes = [ { method = \"POST\", path = \"/w1\" } ] }\n");
        sb.append("  w10 { ").append(fx).append(", mode = push, max-concurrency = ").append(poolSize)
                .append(", routes = [ { method = \"POST\", path = \"/w10\" } ] }\n");
        for (int k = 0; k < (main ? coldReps : 1); k++) {
            sb.append("  cold").append(k).append(" { ").append(fx).append(", mode = push, max-concurrency = 1 }\n");
        }
        for (int k = 0; k < (main ? burstReps : 1); k++) {
            sb.append("  burst").append(k).append(" { ").append(fx).append(", mode = push, max-concurrency = ").append(poolSize).append(" }\n");
        }
        if (main) {
            sb.append("  p1 { ").append(fx).append(", mode = pull, max-concurrency = 1, routes = [ { method = \"POST\", path = \"/p1\" } ] }\n");
            sb.append("  p10 { ").append(fx).append(", mode = pull, max-concurrency = ").append(poolSize).append(" }\n");
            sb.append("  ev { ").append(fx).append(", mode = pull, max-concurrency = 1 }\n");
            for (int k = 0; k < coldReps; k++) {
                sb.append("  pcold").append(k).append(" { ").append(fx).append(", mode = pull, max-concurrency = 1 }\n");
            }
        }
        sb.append("}\n");
        Files.createDirectories(file.getParent());
        Files.writeString(file, sb.toString());
        return file;
    }

    static int freePort() throws IOException {
        try (var s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static long[] userSys(long pid) {
        try {
            var stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            var f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return new long[] {Long.parseLong(f[11]), Long.parseLong(f[12])};
        } catch (IOException | RuntimeException e) {
            return new long[] {0, 0};
        }
    }

    /** {busy, total} jiffies of the whole machine. */
    private static long[] machineTicks() {
        try {
            var f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long total = 0;
            for (int k = 1; k < f.length && k <= 8; k++) {
                total += Long.parseLong(f[k]);
            }
            long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
            return new long[] {total - idle, total};
        } catch (IOException | RuntimeException e) {
            return new long[] {0, 0};
        }
    }

    private void target(String goal, String measured, boolean met) {
        targets.add(new String[] {goal, measured, met ? "met" : "MISSED"});
    }

    private void printTargets() {
        if (targets.isEmpty()) {
            return;
        }
        System.out.println("Targets (goals, not assertions):");
        for (var t : targets) {
            System.out.printf("  %-66s %-28s %s%n", t[0], t[1], t[2]);
        }
    }

    /** Removes every container this run created (the gateway's are labelled esb.instance=<id>, the raw ones <id>-raw). */
    private synchronized void cleanup() {
        stopPeer();
        stopFloor();
        deleteTree(work.resolve("data").resolve(id)); // the async section's Event store (<data-dir>/<instance id>)
        if (gateway != null) {
            gateway.close();
        }
        GatewayProcess.stopAll();
        int n = docker.removeLabelled("esb.instance=" + id) + docker.removeLabelled("esb.bench=" + id);
        if (n > 0) {
            System.out.println("cleanup: removed " + n + " container(s) left by this run");
        }
    }

    private Map<String, Object> options() {
        var m = new LinkedHashMap<String, Object>();
        m.put("reps", reps);
        m.put("warmupSeconds", warmupSeconds);
        m.put("measureSeconds", measureSeconds);
        m.put("callers", callers);
        m.put("midCallers", midCallers);
        m.put("poolSize", poolSize);
        m.put("coldReps", coldReps);
        m.put("coldPollMs", coldPollMs);
        m.put("burstReps", burstReps);
        m.put("burstSize", burstSize);
        m.put("startupReps", startupReps);
        m.put("queueDepth", queueDepth);
        m.put("sleepMs", sleepMs);
        m.put("gatewayJvmOptions", gatewayJvmOptions);
        m.put("profile", profile);
        m.put("id", id);
        return m;
    }

    private Map<String, Object> meta(ZonedDateTime started) {
        var m = new LinkedHashMap<String, Object>();
        m.put("date", started.format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
        String cpu = "?";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name")).findFirst()
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("?");
        } catch (IOException ignored) {
            // unknown
        }
        long memKb = 0;
        try {
            memKb = Long.parseLong(Files.readAllLines(Path.of("/proc/meminfo")).get(0).replaceAll("\\D", ""));
        } catch (IOException | RuntimeException ignored) {
            // unknown
        }
        m.put("machine", String.format(Locale.ROOT, "%d x %s, %.1f GiB RAM, %s %s", Runtime.getRuntime().availableProcessors(), cpu,
                memKb / 1024.0 / 1024.0, System.getProperty("os.name"), System.getProperty("os.version")));
        m.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        try {
            m.put("docker", docker.version() + " at " + docker.describe());
        } catch (IOException e) {
            throw new IllegalStateException("no Docker daemon answers at " + docker.describe() + ": " + e.getMessage()
                    + " (run docker/start-dockerd.sh)", e);
        }
        m.put("git", git());
        m.put("jar", jar.toString());
        try {
            m.put("jarModified", Files.getLastModifiedTime(jar).toInstant().toString());
        } catch (IOException e) {
            m.put("jarModified", "?");
        }
        return m;
    }

    private static String git() {
        try {
            var p = new ProcessBuilder("git", "describe", "--always", "--dirty").redirectErrorStream(true).start();
            var s = new String(p.getInputStream().readAllBytes()).trim();
            p.waitFor();
            return "git " + s;
        } catch (Exception e) {
            return "git ?";
        }
    }

    static double num(Map<String, Object> m, String key) {
        var v = m.get(key);
        return v instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    static double medianOf(List<Map<String, Object>> rows, String key) {
        var values = new ArrayList<Double>();
        for (var r : rows) {
            values.add(num(r, key));
        }
        return median(values);
    }

    static double median(List<Double> values) {
        var v = values.stream().filter(d -> !d.isNaN()).sorted().toList();
        if (v.isEmpty()) {
            return Double.NaN;
        }
        int n = v.size();
        return n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
    }
}
