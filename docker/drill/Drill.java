import java.io.IOException;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Traffic generator and report of the resilience drill (docker/drill.sh). A JDK 17 single-file program without
 * dependencies: {@code java docker/drill/Drill.java <command> --option value ...}.
 *
 * <pre>
 * traffic  warm-up, then bounded-rate traffic (warm Invoke API, /health, /status; cold from the kill on) while
 *          drill.sh kills and restarts dockerd; phases are told through a control file. Writes metrics as JSON.
 * adopt    waits for a freshly started gateway to be ready and to count the containers it should adopt.
 * report   merges traffic, adoption and the script's facts, checks the targets, prints a table, writes JSON,
 *          exits 1 when a target is missed.
 * </pre>
 *
 * Clock: every phase time is wall-clock milliseconds since the epoch ({@code date +%s%3N} in the script).
 */
public final class Drill {

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            System.err.println("usage: java Drill.java traffic|adopt|report --option value ...");
            System.exit(2);
        }
        var opts = Opts.parse(Arrays.copyOfRange(args, 1, args.length));
        int rc = switch (args[0]) {
            case "traffic" -> new Traffic(opts).run();
            case "adopt" -> adopt(opts);
            case "report" -> report(opts);
            default -> {
                System.err.println("drill: unknown command " + args[0]);
                yield 2;
            }
        };
        System.exit(rc);
    }

    // =====================================================================================================
    // traffic
    // =====================================================================================================

    /** One answered (or failed) request. status 0: no HTTP answer (connect error, timeout). */
    record Sample(String load, long sentMs, long doneMs, double latencyMs, int status, boolean functionError,
                  String container, String message, String dockerStatus, Map<String, Object> body) {
        boolean ok() {
            return status == 200 && !functionError;
        }

        String statusLabel() {
            if (status == 0) {
                var m = message == null ? "error" : message;
                var colon = m.indexOf(':');
                return "no-answer(" + (colon > 0 ? m.substring(0, colon) : m) + ")";
            }
            return status + (functionError ? "+FunctionError" : "");
        }
    }

    /** Requests at a fixed rate, never more than {@code maxOutstanding} at once (extra ticks are skipped and counted). */
    static final class Load {
        final String name;
        final HttpClient http;
        final java.util.function.Supplier<HttpRequest> request;
        final int maxOutstanding;
        final boolean keepBody;
        final AtomicInteger outstanding = new AtomicInteger();
        final AtomicInteger skipped = new AtomicInteger();
        final ConcurrentLinkedQueue<Sample> samples = new ConcurrentLinkedQueue<>();
        volatile boolean on;
        ScheduledFuture<?> task;

        Load(String name, java.util.function.Supplier<HttpRequest> request, int maxOutstanding, boolean keepBody) {
            this.name = name;
            this.http = client();
            this.request = request;
            this.maxOutstanding = maxOutstanding;
            this.keepBody = keepBody;
        }

        void start(ScheduledExecutorService timer, double perSecond) {
            if (perSecond <= 0) {
                return;
            }
            on = true;
            task = timer.scheduleAtFixedRate(this::fire, 0, Math.max(1, (long) (1_000_000 / perSecond)), TimeUnit.MICROSECONDS);
        }

        void stop() {
            on = false;
            if (task != null) {
                task.cancel(false);
            }
        }

        void fire() {
            if (!on) {
                return;
            }
            if (outstanding.get() >= maxOutstanding) {
                skipped.incrementAndGet();
                return;
            }
            outstanding.incrementAndGet();
            send(http, request.get(), name, keepBody).whenComplete((s, e) -> {
                samples.add(s);
                outstanding.decrementAndGet();
            });
        }

        List<Sample> list() {
            var xs = new ArrayList<>(samples);
            xs.sort(Comparator.comparingLong(Sample::sentMs));
            return xs;
        }
    }

    static HttpClient client() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
    }

    /** Never fails: transport errors become samples with status 0. */
    static CompletableFuture<Sample> send(HttpClient http, HttpRequest request, String load, boolean keepBody) {
        long sentMs = System.currentTimeMillis();
        long t0 = System.nanoTime();
        CompletableFuture<HttpResponse<String>> f;
        try {
            f = http.sendAsync(request, HttpResponse.BodyHandlers.ofString());
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        return f.handle((r, e) -> toSample(load, sentMs, t0, r, e, keepBody));
    }

    @SuppressWarnings("unchecked")
    static Sample toSample(String load, long sentMs, long t0, HttpResponse<String> r, Throwable e, boolean keepBody) {
        double latency = (System.nanoTime() - t0) / 1e6;
        long done = System.currentTimeMillis();
        if (e != null) {
            var c = rootCause(e);
            return new Sample(load, sentMs, done, latency, 0, false, null,
                    c.getClass().getSimpleName() + (c.getMessage() == null ? "" : ": " + c.getMessage()), null, null);
        }
        Map<String, Object> m = null;
        try {
            if (Json.parse(r.body()) instanceof Map<?, ?> map) {
                m = (Map<String, Object>) map;
            }
        } catch (RuntimeException notJson) {
            // body stays unparsed
        }
        boolean fe = r.headers().firstValue("X-Amz-Function-Error").isPresent();
        String message = m == null ? null : str(m.get(fe ? "errorMessage" : "message"));
        return new Sample(load, sentMs, done, latency, r.statusCode(), fe,
                m == null ? null : str(m.get("container")), message,
                m == null ? null : str(Json.at(m, "docker", "status")), keepBody ? m : null);
    }

    static final class Traffic {
        final URI base;
        final Path sock;
        final Path control;
        final Path ready;
        final Path out;
        final double baselineS;
        final double recoveryMaxS;
        final double holdMaxS;
        final double postS;
        final double warmRps;
        final double healthRps;
        final double coldRps;
        final double statusRps;
        final List<String> anomalies = new ArrayList<>();
        final ScheduledExecutorService timer = Executors.newScheduledThreadPool(2, daemonThreads("drill-timer"));
        final ExecutorService pinger = Executors.newCachedThreadPool(daemonThreads("drill-ping"));

        Traffic(Opts o) {
            base = URI.create(o.req("base"));
            sock = Path.of(o.req("docker-sock"));
            control = Path.of(o.req("control"));
            ready = Path.of(o.req("ready"));
            out = Path.of(o.req("out"));
            baselineS = o.num("baseline-s", 10);
            recoveryMaxS = o.num("recovery-max-s", 30);
            holdMaxS = o.num("hold-max-s", 100);
            postS = o.num("post-s", 2);
            warmRps = o.num("warm-rps", 20);
            healthRps = o.num("health-rps", 20);
            coldRps = o.num("cold-rps", 2);
            statusRps = o.num("status-rps", 4);
        }

        HttpRequest invoke(String function, String payload, Duration timeout) {
            return HttpRequest.newBuilder(base.resolve("/2015-03-31/functions/" + function + "/invocations"))
                    .timeout(timeout).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(payload)).build();
        }

        HttpRequest get(String path, Duration timeout) {
            return HttpRequest.newBuilder(base.resolve(path)).timeout(timeout).GET().build();
        }

        int run() throws Exception {
            var result = new LinkedHashMap<String, Object>();
            var times = new LinkedHashMap<String, Object>();
            result.put("times", times);
            result.put("anomalies", anomalies);
            log("waiting for the gateway at " + base);
            if (!waitReady(base, 60_000)) {
                anomalies.add("gateway not ready (/health 200 and /status docker up) within 60 s");
                write(result);
                return 3;
            }
            var warmup = warmUp();
            result.put("warmup", warmup);

            var warm = new Load("warm", () -> invoke("warm", "{\"action\":\"echo\"}", Duration.ofSeconds(5)), 40, false);
            var health = new Load("health", () -> get("/health", Duration.ofSeconds(2)), 40, false);
            var cold = new Load("cold", () -> invoke("cold", "{\"action\":\"echo\"}", Duration.ofSeconds(10)), 20, false);
            var status = new Load("status", () -> get("/status", Duration.ofSeconds(2)), 8, true);
            // The drill's own noise floor: the same client calling a trivial server inside this JVM. Its latency is
            // what the machine and the client add; /health much above it is the gateway's.
            var controlServer = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 64);
            controlServer.createContext("/control", ex -> {
                var bytes = "{\"status\":\"ok\"}".getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().add("Content-Type", "application/json");
                ex.sendResponseHeaders(200, bytes.length);
                try (var os = ex.getResponseBody()) {
                    os.write(bytes);
                }
            });
            controlServer.setExecutor(Executors.newFixedThreadPool(2, daemonThreads("drill-control-server")));
            controlServer.start();
            var controlUri = URI.create("http://127.0.0.1:" + controlServer.getAddress().getPort() + "/control");
            var controlLoad = new Load("control", () -> HttpRequest.newBuilder(controlUri).timeout(Duration.ofSeconds(2)).GET().build(), 40, false);
            controlLoad.start(timer, healthRps);
            status.start(timer, statusRps);
            health.start(timer, healthRps);
            warm.start(timer, warmRps);
            long baselineStart = System.currentTimeMillis();
            times.put("baselineStartMs", baselineStart);
            log(String.format(Locale.ROOT, "baseline: warm %.0f/s, /health %.0f/s, /status %.0f/s for %.0f s", warmRps, healthRps, statusRps, baselineS));
            Thread.sleep((long) (baselineS * 1000));
            Files.writeString(ready, Long.toString(System.currentTimeMillis()));

            Long kill = awaitControl("killed", System.currentTimeMillis() + 180_000);
            Long daemonAnswered = null;
            Long firstColdOk = null;
            Long statusUpAgain = null;
            if (kill == null) {
                anomalies.add("no 'killed' line in the control file: the script never killed the daemon");
            } else {
                times.put("killMs", kill);
                cold.start(timer, coldRps);
                log("daemon killed; cold traffic " + coldRps + "/s; polling the daemon socket every 50 ms");
                long holdDeadline = kill + (long) (holdMaxS * 1000);
                while (System.currentTimeMillis() < holdDeadline) {
                    if (control("abort") != null || control("restart-failed") != null) {
                        break;
                    }
                    if (pingDocker(Duration.ofSeconds(1))) {
                        daemonAnswered = System.currentTimeMillis();
                        if (control("restarting") == null) {
                            anomalies.add("the daemon socket answered before the drill restarted dockerd (another daemon or socket activation?)");
                        }
                        break;
                    }
                    Thread.sleep(50);
                }
                if (daemonAnswered == null) {
                    anomalies.add("the daemon did not answer again (see the script's output)");
                } else {
                    times.put("daemonAnsweredMs", daemonAnswered);
                    log("daemon answers again; waiting for the first successful cold start (max " + recoveryMaxS + " s)");
                    long deadline = daemonAnswered + (long) (recoveryMaxS * 1000);
                    while (System.currentTimeMillis() < deadline && firstColdOk == null) {
                        firstColdOk = cold.samples.stream().filter(s -> s.ok() && s.sentMs() >= kill)
                                .map(Sample::doneMs).min(Long::compare).orElse(null);
                        Thread.sleep(20);
                    }
                    if (firstColdOk != null) {
                        times.put("firstColdSuccessMs", firstColdOk);
                    }
                    // /status should say up again; give it up to 10 s after the daemon answers
                    long upDeadline = Math.max(System.currentTimeMillis(), daemonAnswered + 10_000);
                    final long answered = daemonAnswered;
                    while (System.currentTimeMillis() < upDeadline) {
                        statusUpAgain = status.samples.stream().filter(s -> s.sentMs() >= answered && "up".equals(s.dockerStatus()))
                                .map(Sample::doneMs).min(Long::compare).orElse(null);
                        if (statusUpAgain != null) {
                            break;
                        }
                        Thread.sleep(50);
                    }
                    Thread.sleep((long) (postS * 1000));
                }
            }
            for (var l : List.of(warm, health, cold, status, controlLoad)) {
                l.stop();
            }
            long end = System.currentTimeMillis();
            times.put("endMs", end);
            long drainDeadline = end + 12_000;
            while (System.currentTimeMillis() < drainDeadline
                    && (warm.outstanding.get() + health.outstanding.get() + cold.outstanding.get() + status.outstanding.get()) > 0) {
                Thread.sleep(50);
            }
            for (var l : List.of(warm, health, cold, status)) {
                if (l.outstanding.get() > 0) {
                    anomalies.add(l.name + ": " + l.outstanding.get() + " requests still unanswered at the end");
                }
            }

            // ---- metrics by phase: baseline < kill <= outage < daemonAnswered <= recovery
            long k = kill == null ? Long.MAX_VALUE : kill;
            long up = daemonAnswered == null ? Long.MAX_VALUE : daemonAnswered;
            Predicate<Sample> isBaseline = s -> s.sentMs() < k;
            Predicate<Sample> isOutage = s -> s.sentMs() >= k && s.sentMs() < up;
            Predicate<Sample> isRecovery = s -> s.sentMs() >= up;
            // a cold call sent just before the daemon answered that succeeded after it belongs to the recovery
            Predicate<Sample> coldOutage = s -> isOutage.test(s) && !(s.ok() && s.doneMs() >= up);
            Predicate<Sample> coldRecovery = s -> isRecovery.test(s) || (isOutage.test(s) && s.ok() && s.doneMs() >= up);

            var phases = new LinkedHashMap<String, Object>();
            phases.put("baseline", Map.of("warm", stats(filter(warm.list(), isBaseline)), "health", stats(filter(health.list(), isBaseline)),
                    "control", stats(filter(controlLoad.list(), isBaseline))));
            var outage = new LinkedHashMap<String, Object>();
            outage.put("warm", stats(filter(warm.list(), isOutage)));
            outage.put("health", stats(filter(health.list(), isOutage)));
            outage.put("control", stats(filter(controlLoad.list(), isOutage)));
            outage.put("cold", stats(filter(cold.list(), coldOutage)));
            outage.put("status", statusStats(filter(status.list(), isOutage)));
            phases.put("outage", outage);
            var recovery = new LinkedHashMap<String, Object>();
            recovery.put("warm", stats(filter(warm.list(), isRecovery)));
            recovery.put("health", stats(filter(health.list(), isRecovery)));
            recovery.put("control", stats(filter(controlLoad.list(), isRecovery)));
            recovery.put("cold", stats(filter(cold.list(), coldRecovery)));
            recovery.put("status", statusStats(filter(status.list(), isRecovery)));
            phases.put("recovery", recovery);
            result.put("phases", phases);

            var derived = new LinkedHashMap<String, Object>();
            if (kill != null && daemonAnswered != null) {
                derived.put("outageMs", daemonAnswered - kill);
            }
            if (daemonAnswered != null && firstColdOk != null) {
                derived.put("daemonAnsweredToFirstColdSuccessMs", firstColdOk - daemonAnswered);
            }
            if (daemonAnswered != null && statusUpAgain != null) {
                derived.put("daemonAnsweredToStatusUpMs", statusUpAgain - daemonAnswered);
            }
            if (kill != null) {
                status.list().stream().filter(s -> s.sentMs() >= k && "down".equals(s.dockerStatus())).findFirst()
                        .ifPresent(s -> derived.put("killToStatusDownMs", s.doneMs() - k));
            }
            result.put("derived", derived);
            result.put("statusTimeline", timeline(status.list(), kill == null ? baselineStart : kill));
            status.list().stream().reduce((a, b) -> b).ifPresent(s -> result.put("finalStatus", s.body()));
            var skipped = new LinkedHashMap<String, Object>();
            for (var l : List.of(warm, health, cold, status, controlLoad)) {
                skipped.put(l.name, l.skipped.get());
            }
            controlServer.stop(0);
            result.put("skippedTicks", skipped);
            write(result);
            timer.shutdownNow();
            pinger.shutdownNow();
            return 0;
        }

        /** Two concurrent slow calls make the gateway start two warm containers; retried until /status counts 2. */
        Map<String, Object> warmUp() throws Exception {
            var http = client();
            var containers = new TreeSet<String>();
            var m = new LinkedHashMap<String, Object>();
            for (int attempt = 1; attempt <= 5; attempt++) {
                var a = send(http, invoke("warm", "{\"action\":\"sleep\",\"ms\":300}", Duration.ofSeconds(30)), "warmup", false);
                var b = send(http, invoke("warm", "{\"action\":\"sleep\",\"ms\":300}", Duration.ofSeconds(30)), "warmup", false);
                for (var s : List.of(a.join(), b.join())) {
                    if (s.ok() && s.container() != null) {
                        containers.add(s.container());
                    } else {
                        log("warm-up call failed: " + s.statusLabel() + " " + s.message());
                    }
                }
                var st = send(http, get("/status", Duration.ofSeconds(2)), "status", true).join();
                long counted = st.body() == null ? 0 : num(Json.at(st.body(), "functions", "warm", "idle"))
                        + num(Json.at(st.body(), "functions", "warm", "busy"));
                m.put("attempts", attempt);
                m.put("gatewayCounts", counted);
                if (counted >= 2 && containers.size() >= 2) {
                    break;
                }
                Thread.sleep(500);
            }
            m.put("containers", new ArrayList<>(containers));
            log("warm-up: containers " + containers + ", /status counts " + m.get("gatewayCounts"));
            if (containers.size() < 2) {
                anomalies.add("warm-up did not reach 2 warm containers (" + containers + ")");
            }
            return m;
        }

        /** GET /_ping on the daemon's unix socket; false on refusal, error or no answer within the timeout. */
        boolean pingDocker(Duration timeout) {
            var channel = new AtomicReference<SocketChannel>();
            Future<Boolean> f = pinger.submit(() -> {
                try (var ch = SocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
                    channel.set(ch);
                    ch.connect(UnixDomainSocketAddress.of(sock));
                    ch.write(ByteBuffer.wrap("GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
                    var buf = ByteBuffer.allocate(512);
                    var text = new StringBuilder();
                    while (ch.read(buf) > 0 && text.length() < 4096) {
                        buf.flip();
                        text.append(StandardCharsets.US_ASCII.decode(buf));
                        buf.clear();
                    }
                    var firstLine = text.toString().lines().findFirst().orElse("");
                    return firstLine.startsWith("HTTP/1.") && firstLine.contains(" 200");
                } catch (IOException e) {
                    return false;
                }
            });
            try {
                return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                try {
                    var ch = channel.get();
                    if (ch != null) {
                        ch.close();
                    }
                } catch (IOException ignored) {
                    // closing only to free the thread
                }
                f.cancel(true);
                return false;
            } catch (Exception e) {
                return false;
            }
        }

        String control(String key) throws IOException {
            if (!Files.exists(control)) {
                return null;
            }
            for (var line : Files.readAllLines(control)) {
                var parts = line.trim().split("\\s+");
                if (parts.length > 0 && parts[0].equals(key)) {
                    return parts.length > 1 ? parts[1] : "";
                }
            }
            return null;
        }

        Long awaitControl(String key, long deadlineMs) throws Exception {
            while (System.currentTimeMillis() < deadlineMs) {
                var v = control(key);
                if (v != null) {
                    return v.isEmpty() ? System.currentTimeMillis() : Long.parseLong(v);
                }
                if (control("abort") != null) {
                    return null;
                }
                Thread.sleep(20);
            }
            return null;
        }

        void write(Map<String, Object> result) throws IOException {
            Files.writeString(out, Json.write(result) + "\n");
            log("traffic metrics written to " + out);
        }
    }

    static List<Sample> filter(List<Sample> xs, Predicate<Sample> p) {
        return xs.stream().filter(p).toList();
    }

    static Map<String, Object> stats(List<Sample> xs) {
        var m = new LinkedHashMap<String, Object>();
        long ok = xs.stream().filter(Sample::ok).count();
        m.put("count", xs.size());
        m.put("ok", ok);
        m.put("failed", xs.size() - ok);
        m.put("successRatePct", xs.isEmpty() ? null : round(100.0 * ok / xs.size(), 2));
        m.put("statuses", histogram(xs, Sample::statusLabel));
        m.put("latencyMs", latency(xs));
        var failures = xs.stream().filter(s -> !s.ok()).toList();
        m.put("failureLatencyMs", latency(failures));
        m.put("failureMessages", histogram(failures, s -> s.message() == null ? "(none)" : truncate(s.message(), 240)));
        m.put("containers", new ArrayList<>(new TreeSet<>(xs.stream().filter(Sample::ok).map(Sample::container)
                .filter(c -> c != null).toList())));
        var slowest = new ArrayList<Object>();
        xs.stream().sorted(Comparator.comparingDouble(Sample::latencyMs).reversed()).limit(5).forEach(x -> {
            var e = new LinkedHashMap<String, Object>();
            e.put("latencyMs", round(x.latencyMs(), 1));
            e.put("sentMs", x.sentMs());
            e.put("status", x.statusLabel());
            slowest.add(e);
        });
        m.put("slowest", slowest);
        if (!xs.isEmpty()) {
            m.put("firstSentMs", xs.get(0).sentMs());
            m.put("lastSentMs", xs.get(xs.size() - 1).sentMs());
        }
        return m;
    }

    static Map<String, Object> statusStats(List<Sample> xs) {
        var m = new LinkedHashMap<String, Object>();
        m.put("count", xs.size());
        m.put("docker", histogram(xs, s -> s.dockerStatus() == null ? "(no answer: " + s.statusLabel() + ")" : s.dockerStatus()));
        m.put("http", histogram(xs, Sample::statusLabel));
        return m;
    }

    static List<Object> timeline(List<Sample> xs, long zeroMs) {
        var out = new ArrayList<Object>();
        String last = null;
        for (var s : xs) {
            var state = (s.dockerStatus() == null ? "-" : s.dockerStatus()) + "/" + s.statusLabel();
            if (!state.equals(last)) {
                var e = new LinkedHashMap<String, Object>();
                e.put("tMs", s.sentMs() - zeroMs);
                e.put("docker", s.dockerStatus());
                e.put("http", s.statusLabel());
                out.add(e);
                last = state;
            }
        }
        return out;
    }

    static Map<String, Object> latency(List<Sample> xs) {
        var m = new LinkedHashMap<String, Object>();
        var v = xs.stream().mapToDouble(Sample::latencyMs).sorted().toArray();
        m.put("p50", percentile(v, 50));
        m.put("p90", percentile(v, 90));
        m.put("p99", percentile(v, 99));
        m.put("max", v.length == 0 ? null : round(v[v.length - 1], 1));
        return m;
    }

    /** Nearest-rank percentile of sorted values; null when empty. */
    static Double percentile(double[] sorted, double p) {
        if (sorted.length == 0) {
            return null;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return round(sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))], 1);
    }

    static Map<String, Object> histogram(List<Sample> xs, Function<Sample, String> key) {
        var counts = new TreeMap<String, Integer>();
        for (var s : xs) {
            counts.merge(key.apply(s), 1, Integer::sum);
        }
        return new LinkedHashMap<>(counts);
    }

    // =====================================================================================================
    // adopt
    // =====================================================================================================

    /** Waits until the restarted gateway is ready and counts (idle + busy) the expected containers, then settles. */
    static int adopt(Opts o) throws Exception {
        var base = URI.create(o.req("base"));
        var out = Path.of(o.req("out"));
        long timeoutMs = (long) (o.num("timeout-s", 20) * 1000);
        var expected = new LinkedHashMap<String, Long>();
        for (var pair : o.get("expect", "").split(",")) {
            if (pair.contains("=")) {
                var kv = pair.split("=", 2);
                expected.put(kv[0].trim(), Long.parseLong(kv[1].trim()));
            }
        }
        var result = new LinkedHashMap<String, Object>();
        result.put("expected", expected);
        long t0 = System.currentTimeMillis();
        if (!waitReady(base, timeoutMs)) {
            result.put("ready", false);
            Files.writeString(out, Json.write(result) + "\n");
            return 3;
        }
        result.put("ready", true);
        result.put("readyAfterMs", System.currentTimeMillis() - t0);
        var http = client();
        long deadline = System.currentTimeMillis() + timeoutMs;
        String lastFunctions = null;
        long stableSince = 0;
        boolean matched = false;
        Map<String, Object> body = null;
        while (System.currentTimeMillis() < deadline) {
            var s = send(http, HttpRequest.newBuilder(base.resolve("/status")).timeout(Duration.ofSeconds(2)).GET().build(), "status", true).join();
            if (s.body() != null) {
                body = s.body();
                var fns = Json.write(body.get("functions"));
                boolean settled = "up".equals(s.dockerStatus());
                for (var e : expected.entrySet()) {
                    long counted = num(Json.at(body, "functions", e.getKey(), "idle")) + num(Json.at(body, "functions", e.getKey(), "busy"));
                    settled &= counted >= e.getValue() && num(Json.at(body, "functions", e.getKey(), "starting")) == 0;
                }
                if (!fns.equals(lastFunctions)) {
                    lastFunctions = fns;
                    stableSince = System.currentTimeMillis();
                }
                if (settled && System.currentTimeMillis() - stableSince >= 1000) {
                    matched = true;
                    break;
                }
            }
            Thread.sleep(200);
        }
        result.put("countsReached", matched);
        result.put("settledAfterMs", System.currentTimeMillis() - t0);
        result.put("status", body);
        Files.writeString(out, Json.write(result) + "\n");
        log("adoption: " + (matched ? "counts reached" : "counts NOT reached") + " " + (body == null ? "" : Json.compact(body.get("functions"))));
        return 0;
    }

    static boolean waitReady(URI base, long timeoutMs) throws InterruptedException {
        var http = client();
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline) {
            var h = send(http, HttpRequest.newBuilder(base.resolve("/health")).timeout(Duration.ofSeconds(2)).GET().build(), "health", false).join();
            if (h.status() == 200) {
                var s = send(http, HttpRequest.newBuilder(base.resolve("/status")).timeout(Duration.ofSeconds(2)).GET().build(), "status", false).join();
                if ("up".equals(s.dockerStatus())) {
                    return true;
                }
            }
            Thread.sleep(200);
        }
        return false;
    }

    // =====================================================================================================
    // report
    // =====================================================================================================

    record Check(String name, String value, String target, String result) {}

    @SuppressWarnings("unchecked")
    static int report(Opts o) throws Exception {
        var facts = new Properties();
        try (var in = Files.newBufferedReader(Path.of(o.req("facts")))) {
            facts.load(in);
        }
        Map<String, Object> traffic = readJson(o.get("traffic", ""));
        Map<String, Object> adopt = readJson(o.get("adopt", ""));
        var before = containers(o.get("before", ""));
        var after = containers(o.get("after", ""));
        var adopted = containers(o.get("adopted", ""));
        boolean liveRestore = !"false".equalsIgnoreCase(facts.getProperty("live_restore_mode", "true"));

        long maxWarmFailures = envLong("DRILL_MAX_WARM_FAILURES", 0);
        double healthP99 = envDouble("DRILL_HEALTH_P99_MS", 50);
        double coldFailMs = envDouble("DRILL_COLD_FAIL_MS", 1000);
        double recoveryMs = envDouble("DRILL_RECOVERY_MS", 5000);
        long maxOrphans = envLong("DRILL_MAX_ORPHANS", 0);
        String coldMessage = System.getenv().getOrDefault("DRILL_COLD_MESSAGE", "Docker daemon unavailable");
        String healthSide = System.getenv().getOrDefault("DRILL_HEALTH_SIDE", "client");

        var checks = new ArrayList<Check>();
        var anomalies = new ArrayList<Object>();
        if (traffic.get("anomalies") instanceof List<?> l) {
            anomalies.addAll(l);
        }
        var outage = (Map<String, Object>) Json.at(traffic, "phases", "outage");
        var recovery = (Map<String, Object>) Json.at(traffic, "phases", "recovery");
        var derived = (Map<String, Object>) traffic.getOrDefault("derived", Map.of());
        boolean daemonReturned = Json.at(traffic, "times", "daemonAnsweredMs") != null;

        // sanity: the drill itself did what it should
        var warmupContainers = Json.at(traffic, "warmup", "containers") instanceof List<?> wl ? wl : List.of();
        checks.add(new Check("warm-up: warm containers before the kill", warmupContainers.size() + " " + warmupContainers,
                "2", warmupContainers.size() >= 2 ? "PASS" : "FAIL"));
        checks.add(new Check("daemon killed and answering again", daemonReturned
                ? "outage " + derived.get("outageMs") + " ms (kill -> daemon answers)" : "daemon did not answer again",
                "answers", daemonReturned ? "PASS" : "FAIL"));

        // warm
        for (var phase : List.of("outage", "recovery")) {
            var w = (Map<String, Object>) (phase.equals("outage") ? outage : recovery).get("warm");
            long count = num(w.get("count"));
            long failed = num(w.get("failed"));
            String value = count + " calls, " + failed + " failed (" + fmt(w.get("successRatePct")) + " % ok)"
                    + (failed > 0 ? " " + Json.compact(w.get("statuses")) : "")
                    + "; containers " + w.get("containers");
            String result = count == 0 ? "FAIL" : failed <= maxWarmFailures ? "PASS" : "FAIL";
            if (!liveRestore) {
                result = "INFO";
            }
            checks.add(new Check(phase.equals("outage") ? "warm invocations during the outage" : "warm invocations after the daemon returned",
                    value, liveRestore ? "<= " + maxWarmFailures + " failures" : "report only (no live-restore)", result));
        }
        if (!liveRestore) {
            var beforeSet = new TreeSet<>(warmupContainers.stream().map(String::valueOf).toList());
            var afterWarm = (List<Object>) Json.at(recovery, "warm", "containers");
            var afterSet = new TreeSet<>(afterWarm == null ? List.<String>of() : afterWarm.stream().map(String::valueOf).toList());
            var kept = new TreeSet<>(afterSet);
            kept.retainAll(beforeSet);
            checks.add(new Check("warm containers replaced after the daemon returned",
                    "before " + beforeSet + ", after " + afterSet, "new containers (none of the old)",
                    !afterSet.isEmpty() && kept.isEmpty() ? "PASS" : "INFO"));
        }

        // /health
        var h = (Map<String, Object>) outage.get("health");
        var hl = (Map<String, Object>) h.get("latencyMs");
        long hCount = num(h.get("count"));
        long hFailed = num(h.get("failed"));
        Double p99 = dbl(hl.get("p99"));
        var hb = (Map<String, Object>) Json.at(traffic, "phases", "baseline", "health", "latencyMs");
        var hc = (Map<String, Object>) Json.at(traffic, "phases", "outage", "control", "latencyMs");
        var glog = gatewayLog(o.get("gateway-log", ""));
        Long killMs = Json.at(traffic, "times", "killMs") instanceof Number n1 ? n1.longValue() : null;
        Long upMs = Json.at(traffic, "times", "daemonAnsweredMs") instanceof Number n2 ? n2.longValue() : null;
        String serverSide = "";
        Double serverP99 = null;
        if (killMs != null && upMs != null && !glog.isEmpty()) {
            var lat = new ArrayList<Double>();
            for (var l : glog) {
                if (l.section() == 1 && l.tMs() >= killMs && l.tMs() < upMs && l.text().contains("io.esb.access - GET /health ")) {
                    var mm = java.util.regex.Pattern.compile("latency_ms=([0-9.]+)").matcher(l.text());
                    if (mm.find()) {
                        lat.add(Double.parseDouble(mm.group(1)));
                    }
                }
            }
            var v = lat.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            serverP99 = percentile(v, 99);
            serverSide = "; gateway-side (access log) " + fmt(percentile(v, 50)) + " / " + fmt(percentile(v, 99)) + " / "
                    + fmt(v.length == 0 ? null : round(v[v.length - 1], 1)) + " ms";
        }
        Double judged = healthSide.equals("gateway") ? serverP99 : p99;
        checks.add(new Check("/health during the outage: p50 / p99 / max",
                fmt(hl.get("p50")) + " / " + fmt(hl.get("p99")) + " / " + fmt(hl.get("max")) + " ms (" + hCount + " calls, " + hFailed + " failed)"
                        + serverSide + "; baseline " + (hb == null ? "-" : fmt(hb.get("p50")) + " / " + fmt(hb.get("p99")) + " / " + fmt(hb.get("max")) + " ms")
                        + (hc == null ? "" : "; drill's own loopback control " + fmt(hc.get("p50")) + " / " + fmt(hc.get("p99")) + " / " + fmt(hc.get("max")) + " ms"),
                "p99" + (healthSide.equals("gateway") ? " (gateway-side)" : "") + " < " + fmt(healthP99) + " ms, 0 failed",
                hCount > 0 && hFailed == 0 && judged != null && judged < healthP99 ? "PASS" : "FAIL"));

        // cold during the outage
        var c = (Map<String, Object>) outage.get("cold");
        var statuses = (Map<String, Object>) c.get("statuses");
        long cCount = num(c.get("count"));
        boolean all503 = cCount > 0 && statuses.size() == 1 && statuses.containsKey("503");
        checks.add(new Check("cold during the outage: statuses", histText(statuses) + " (" + cCount + " calls)", "all 503",
                all503 ? "PASS" : "FAIL"));
        var cl = (Map<String, Object>) c.get("failureLatencyMs");
        Double coldMax = dbl(cl.get("max"));
        checks.add(new Check("cold during the outage: latency to the failure p50 / max",
                fmt(cl.get("p50")) + " / " + fmt(cl.get("max")) + " ms", "<= " + fmt(coldFailMs) + " ms",
                coldMax != null && coldMax <= coldFailMs ? "PASS" : "FAIL"));
        var messages = (Map<String, Object>) c.get("failureMessages");
        boolean messagesOk = !messages.isEmpty() && messages.keySet().stream().allMatch(m -> m.startsWith(coldMessage));
        checks.add(new Check("cold during the outage: message", histText(messages), "starts with \"" + coldMessage + "\"",
                messagesOk ? "PASS" : "FAIL"));

        // recovery
        Long rec = derived.get("daemonAnsweredToFirstColdSuccessMs") == null ? null : num(derived.get("daemonAnsweredToFirstColdSuccessMs"));
        checks.add(new Check("daemon answers -> first successful cold start", rec == null ? "no cold success" : rec + " ms",
                "<= " + fmt(recoveryMs) + " ms", rec != null && rec <= recoveryMs ? "PASS" : "FAIL"));

        // /status
        var sOut = (Map<String, Object>) Json.at(outage, "status", "docker");
        var sHttp = (Map<String, Object>) Json.at(outage, "status", "http");
        checks.add(new Check("/status docker during the outage", histText(sOut) + " (HTTP " + histText(sHttp) + ")"
                + (derived.get("killToStatusDownMs") != null ? "; down " + derived.get("killToStatusDownMs") + " ms after the kill" : ""),
                "down (HTTP 503)", sOut != null && sOut.containsKey("down") ? "PASS" : "FAIL"));
        Object finalDocker = Json.at(traffic, "finalStatus", "docker", "status");
        checks.add(new Check("/status docker after", finalDocker
                + (derived.get("daemonAnsweredToStatusUpMs") != null ? ", up " + derived.get("daemonAnsweredToStatusUpMs") + " ms after the daemon answered" : "")
                + "; functions " + Json.compact(Json.at(traffic, "finalStatus", "functions")),
                "up", "up".equals(finalDocker) ? "PASS" : "FAIL"));

        // the gateway's view of the daemon, from its log: "down" while the daemon was running is a false alarm
        var daemonEvents = new ArrayList<Object>();
        var falseDowns = new ArrayList<String>();
        for (var l : glog) {
            boolean down = l.text().contains("Docker daemon is down");
            if (!down && !l.text().contains("Docker daemon is up")) {
                continue;
            }
            var e = new LinkedHashMap<String, Object>();
            e.put("gateway", l.section());
            e.put("tMsFromKill", killMs == null ? null : l.tMs() - killMs);
            e.put("state", down ? "down" : "up");
            var mm = java.util.regex.Pattern.compile("error_detail=([^}]*)").matcher(l.text());
            if (mm.find()) {
                e.put("detail", mm.group(1));
            }
            daemonEvents.add(e);
            boolean inOutage = l.section() == 1 && killMs != null && l.tMs() >= killMs && (upMs == null || l.tMs() < upMs);
            if (down && !inOutage) {
                falseDowns.add("gateway " + l.section() + " at " + (killMs == null ? "?" : String.format(Locale.ROOT, "%+.1f s", (l.tMs() - killMs) / 1000.0))
                        + " (" + e.getOrDefault("detail", "") + ")");
            }
        }
        checks.add(new Check("gateway said \"Docker daemon is down\" while it ran", falseDowns.size()
                + (falseDowns.isEmpty() ? "" : ": " + String.join("; ", falseDowns)), "report only", "INFO"));
        if (!falseDowns.isEmpty()) {
            anomalies.add("the gateway marked the running daemon down " + falseDowns.size() + " time(s) (times relative to the kill): "
                    + String.join("; ", falseDowns));
        }

        // containers and orphans
        checks.add(new Check("containers (esb.instance) before the kill", describe(before), "", "INFO"));
        checks.add(new Check("containers after the drill", describe(after), "", "INFO"));
        var counted = new LinkedHashMap<String, Long>();
        var fns = Json.at(adopt, "status", "functions") instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.<String, Object>of();
        for (var e : fns.entrySet()) {
            counted.put(e.getKey(), num(Json.at(e.getValue(), "idle")) + num(Json.at(e.getValue(), "busy")));
        }
        long notRunning = adopted.stream().filter(x -> !x[1].equals("running")).count();
        var runningByFn = new TreeMap<String, Long>();
        adopted.stream().filter(x -> x[1].equals("running")).forEach(x -> runningByFn.merge(x[2], 1L, Long::sum));
        long uncounted = 0;
        for (var e : runningByFn.entrySet()) {
            uncounted += Math.max(0, e.getValue() - counted.getOrDefault(e.getKey(), 0L));
        }
        long orphans = notRunning + uncounted;
        boolean adoptReady = Boolean.TRUE.equals(adopt.get("ready"));
        checks.add(new Check("containers after restarting the gateway", describe(adopted) + "; gateway counts (idle+busy) " + counted
                + (adoptReady ? "" : " (restarted gateway never became ready)"), "", "INFO"));
        checks.add(new Check("orphans after the gateway restart (adoption)",
                orphans + " (" + notRunning + " not running, " + uncounted + " running but not counted)",
                "<= " + maxOrphans, adoptReady && orphans <= maxOrphans ? "PASS" : "FAIL"));

        // ---- output
        boolean pass = checks.stream().noneMatch(x -> x.result().equals("FAIL"));
        var report = new LinkedHashMap<String, Object>();
        report.put("result", pass ? "PASS" : "FAIL");
        var run = new LinkedHashMap<String, Object>();
        for (var name : new TreeSet<>(facts.stringPropertyNames())) {
            run.put(name, facts.getProperty(name));
        }
        report.put("run", run);
        var thresholds = new LinkedHashMap<String, Object>();
        thresholds.put("DRILL_MAX_WARM_FAILURES", maxWarmFailures);
        thresholds.put("DRILL_HEALTH_P99_MS", healthP99);
        thresholds.put("DRILL_COLD_FAIL_MS", coldFailMs);
        thresholds.put("DRILL_RECOVERY_MS", recoveryMs);
        thresholds.put("DRILL_MAX_ORPHANS", maxOrphans);
        thresholds.put("DRILL_COLD_MESSAGE", coldMessage);
        thresholds.put("DRILL_HEALTH_SIDE", healthSide);
        report.put("thresholds", thresholds);
        var checkList = new ArrayList<Object>();
        for (var x : checks) {
            var e = new LinkedHashMap<String, Object>();
            e.put("check", x.name());
            e.put("value", x.value());
            e.put("target", x.target());
            e.put("result", x.result());
            checkList.add(e);
        }
        report.put("checks", checkList);
        report.put("anomalies", anomalies);
        report.put("gatewayDaemonEvents", daemonEvents);
        report.put("containers", Map.of("beforeKill", rows(before), "afterDrill", rows(after), "afterGatewayRestart", rows(adopted)));
        report.put("traffic", traffic);
        report.put("adoption", adopt);
        var out = Path.of(o.req("out"));
        Files.writeString(out, Json.write(report) + "\n");

        var sb = new StringBuilder();
        sb.append('\n').append("ESB resilience drill  instance=").append(facts.getProperty("instance_id"))
                .append("  live-restore=").append(liveRestore).append("  daemon=").append(facts.getProperty("docker_sock"))
                .append(facts.getProperty("isolated", "0").equals("1") ? " (private, own network namespace)" : "").append('\n');
        sb.append("phases: baseline ").append(facts.getProperty("baseline_s")).append(" s, hold ").append(facts.getProperty("hold_s"))
                .append(" s, daemon restart took ").append(facts.getProperty("restart_script_ms")).append(" ms (start-dockerd.sh)")
                .append(", outage ").append(derived.get("outageMs")).append(" ms\n");
        int w1 = checks.stream().mapToInt(x -> x.name().length()).max().orElse(10);
        int w3 = checks.stream().mapToInt(x -> x.target().length()).max().orElse(10);
        String line = "-".repeat(Math.min(200, w1 + w3 + 60));
        sb.append(line).append('\n');
        sb.append(String.format(Locale.ROOT, "%-6s %-" + w1 + "s  %-" + w3 + "s  %s%n", "RESULT", "CHECK", "TARGET", "VALUE"));
        sb.append(line).append('\n');
        for (var x : checks) {
            sb.append(String.format(Locale.ROOT, "%-6s %-" + w1 + "s  %-" + w3 + "s  %s%n", x.result(), x.name(), x.target(), x.value()));
        }
        sb.append(line).append('\n');
        for (var a : anomalies) {
            sb.append("anomaly: ").append(a).append('\n');
        }
        sb.append("drill ").append(pass ? "PASSED" : "FAILED").append(" (report: ").append(out).append(")\n");
        System.out.print(sb);
        return pass ? 0 : 1;
    }

    record LogLine(int section, long tMs, String text) {}

    /** The gateway's text log; sections (gateway 1, 2, ...) start at the script's "=====" header lines. */
    static List<LogLine> gatewayLog(String file) throws IOException {
        var out = new ArrayList<LogLine>();
        if (file.isEmpty() || !Files.exists(Path.of(file))) {
            return out;
        }
        int section = 0;
        for (var line : Files.readAllLines(Path.of(file), StandardCharsets.UTF_8)) {
            if (line.startsWith("===== ")) {
                section++;
                continue;
            }
            int sp = line.indexOf(' ');
            if (sp < 20) {
                continue;
            }
            try {
                long t = java.time.OffsetDateTime.parse(line.substring(0, sp)).toInstant().toEpochMilli();
                out.add(new LogLine(section, t, line));
            } catch (java.time.format.DateTimeParseException notALogLine) {
                // stack trace or other output
            }
        }
        return out;
    }

    /** Lines "id state function name" written by drill.sh. */
    static List<String[]> containers(String file) throws IOException {
        if (file.isEmpty() || !Files.exists(Path.of(file))) {
            return List.of();
        }
        var out = new ArrayList<String[]>();
        for (var line : Files.readAllLines(Path.of(file))) {
            var p = line.trim().split("\\s+");
            if (p.length >= 3) {
                out.add(p);
            }
        }
        return out;
    }

    static String describe(List<String[]> cs) {
        var byFnState = new TreeMap<String, Integer>();
        for (var x : cs) {
            byFnState.merge(x[2] + ":" + x[1], 1, Integer::sum);
        }
        return cs.size() + " total " + byFnState;
    }

    static List<Object> rows(List<String[]> cs) {
        var out = new ArrayList<Object>();
        for (var x : cs) {
            var e = new LinkedHashMap<String, Object>();
            e.put("id", x[0]);
            e.put("state", x[1]);
            e.put("function", x[2]);
            e.put("name", x.length > 3 ? x[3] : null);
            out.add(e);
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> readJson(String file) throws IOException {
        if (file.isEmpty() || !Files.exists(Path.of(file))) {
            return new LinkedHashMap<>();
        }
        return Json.parse(Files.readString(Path.of(file))) instanceof Map<?, ?> m ? (Map<String, Object>) m : new LinkedHashMap<>();
    }

    static String histText(Map<String, Object> h) {
        if (h == null || h.isEmpty()) {
            return "(none)";
        }
        var parts = new ArrayList<String>();
        for (var e : h.entrySet()) {
            parts.add(e.getKey() + " x" + e.getValue());
        }
        return String.join(", ", parts);
    }

    // =====================================================================================================
    // small helpers
    // =====================================================================================================

    static final class Opts {
        final Map<String, String> values = new LinkedHashMap<>();

        static Opts parse(String[] args) {
            var o = new Opts();
            for (int i = 0; i < args.length; i++) {
                if (!args[i].startsWith("--") || i + 1 >= args.length) {
                    throw new IllegalArgumentException("expected --name value, got " + args[i]);
                }
                o.values.put(args[i].substring(2), args[++i]);
            }
            return o;
        }

        String req(String name) {
            var v = values.get(name);
            if (v == null) {
                throw new IllegalArgumentException("missing --" + name);
            }
            return v;
        }

        String get(String name, String dflt) {
            return values.getOrDefault(name, dflt);
        }

        double num(String name, double dflt) {
            return values.containsKey(name) ? Double.parseDouble(values.get(name)) : dflt;
        }
    }

    static java.util.concurrent.ThreadFactory daemonThreads(String name) {
        var n = new AtomicInteger();
        return r -> {
            var t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    static void log(String message) {
        System.err.printf(Locale.ROOT, "%tT drill: %s%n", System.currentTimeMillis(), message);
    }

    static Throwable rootCause(Throwable e) {
        while (e.getCause() != null && e.getCause() != e) {
            e = e.getCause();
        }
        return e;
    }

    static String str(Object o) {
        return o == null ? null : String.valueOf(o);
    }

    static long num(Object o) {
        return o instanceof Number n ? n.longValue() : 0;
    }

    static Double dbl(Object o) {
        return o instanceof Number n ? n.doubleValue() : null;
    }

    static double round(double v, int places) {
        double f = Math.pow(10, places);
        return Math.round(v * f) / f;
    }

    static String fmt(Object o) {
        if (o == null) {
            return "-";
        }
        if (o instanceof Double d) {
            return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString(d.longValue()) : String.format(Locale.ROOT, "%.1f", d);
        }
        return String.valueOf(o);
    }

    static String truncate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max) + "...";
    }

    static long envLong(String name, long dflt) {
        var v = System.getenv(name);
        return v == null || v.isBlank() ? dflt : Long.parseLong(v.trim());
    }

    static double envDouble(String name, double dflt) {
        var v = System.getenv(name);
        return v == null || v.isBlank() ? dflt : Double.parseDouble(v.trim());
    }

    /** Minimal JSON: parse into Map/List/String/Long/Double/Boolean/null; write with two-space indent. */
    static final class Json {
        private final String s;
        private int i;

        private Json(String s) {
            this.s = s;
        }

        static Object parse(String text) {
            var p = new Json(text);
            p.ws();
            var v = p.value();
            p.ws();
            if (p.i != p.s.length()) {
                throw p.error("trailing content");
            }
            return v;
        }

        static Object at(Object root, String... keys) {
            Object cur = root;
            for (var k : keys) {
                if (!(cur instanceof Map<?, ?> m)) {
                    return null;
                }
                cur = m.get(k);
            }
            return cur;
        }

        private Object value() {
            if (i >= s.length()) {
                throw error("unexpected end");
            }
            char c = s.charAt(i);
            switch (c) {
                case '{' -> {
                    i++;
                    var m = new LinkedHashMap<String, Object>();
                    ws();
                    if (peek('}')) {
                        i++;
                        return m;
                    }
                    while (true) {
                        ws();
                        var k = string();
                        ws();
                        expect(':');
                        ws();
                        m.put(k, value());
                        ws();
                        if (peek(',')) {
                            i++;
                        } else {
                            expect('}');
                            return m;
                        }
                    }
                }
                case '[' -> {
                    i++;
                    var l = new ArrayList<Object>();
                    ws();
                    if (peek(']')) {
                        i++;
                        return l;
                    }
                    while (true) {
                        ws();
                        l.add(value());
                        ws();
                        if (peek(',')) {
                            i++;
                        } else {
                            expect(']');
                            return l;
                        }
                    }
                }
                case '"' -> {
                    return string();
                }
                case 't' -> {
                    literal("true");
                    return Boolean.TRUE;
                }
                case 'f' -> {
                    literal("false");
                    return Boolean.FALSE;
                }
                case 'n' -> {
                    literal("null");
                    return null;
                }
                default -> {
                    return number();
                }
            }
        }

        private String string() {
            expect('"');
            var b = new StringBuilder();
            while (true) {
                if (i >= s.length()) {
                    throw error("unterminated string");
                }
                char c = s.charAt(i++);
                if (c == '"') {
                    return b.toString();
                }
                if (c != '\\') {
                    b.append(c);
                    continue;
                }
                char e = s.charAt(i++);
                switch (e) {
                    case 'b' -> b.append('\b');
                    case 'f' -> b.append('\f');
                    case 'n' -> b.append('\n');
                    case 'r' -> b.append('\r');
                    case 't' -> b.append('\t');
                    case 'u' -> {
                        b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                        i += 4;
                    }
                    default -> b.append(e);
                }
            }
        }

        private Object number() {
            int start = i;
            while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) {
                i++;
            }
            var t = s.substring(start, i);
            if (t.isEmpty()) {
                throw error("unexpected character");
            }
            if (t.contains(".") || t.contains("e") || t.contains("E")) {
                return Double.parseDouble(t);
            }
            try {
                return Long.parseLong(t);
            } catch (NumberFormatException big) {
                return Double.parseDouble(t);
            }
        }

        private void literal(String word) {
            if (!s.startsWith(word, i)) {
                throw error("expected " + word);
            }
            i += word.length();
        }

        private boolean peek(char c) {
            return i < s.length() && s.charAt(i) == c;
        }

        private void expect(char c) {
            if (!peek(c)) {
                throw error("expected '" + c + "'");
            }
            i++;
        }

        private void ws() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
        }

        private IllegalArgumentException error(String what) {
            return new IllegalArgumentException("JSON: " + what + " at " + i);
        }

        static String write(Object v) {
            var b = new StringBuilder();
            write(b, v, 0);
            return b.toString();
        }

        /** One line, no spaces: for table cells and log lines. */
        static String compact(Object v) {
            if (v instanceof Map<?, ?> m) {
                var parts = new ArrayList<String>();
                for (var e : m.entrySet()) {
                    parts.add(compact(String.valueOf(e.getKey())) + ":" + compact(e.getValue()));
                }
                return "{" + String.join(",", parts) + "}";
            }
            if (v instanceof Collection<?> c) {
                return "[" + String.join(",", c.stream().map(Json::compact).toList()) + "]";
            }
            return write(v);
        }

        private static void write(StringBuilder b, Object v, int indent) {
            if (v == null) {
                b.append("null");
            } else if (v instanceof Map<?, ?> m) {
                if (m.isEmpty()) {
                    b.append("{}");
                    return;
                }
                b.append("{\n");
                int n = 0;
                for (var e : m.entrySet()) {
                    b.append("  ".repeat(indent + 1));
                    quote(b, String.valueOf(e.getKey()));
                    b.append(": ");
                    write(b, e.getValue(), indent + 1);
                    b.append(++n < m.size() ? ",\n" : "\n");
                }
                b.append("  ".repeat(indent)).append('}');
            } else if (v instanceof Collection<?> c) {
                if (c.isEmpty()) {
                    b.append("[]");
                    return;
                }
                boolean simple = c.stream().noneMatch(x -> x instanceof Map || x instanceof Collection);
                if (simple) {
                    b.append('[');
                    int n = 0;
                    for (var x : c) {
                        write(b, x, indent);
                        if (++n < c.size()) {
                            b.append(", ");
                        }
                    }
                    b.append(']');
                    return;
                }
                b.append("[\n");
                int n = 0;
                for (var x : c) {
                    b.append("  ".repeat(indent + 1));
                    write(b, x, indent + 1);
                    b.append(++n < c.size() ? ",\n" : "\n");
                }
                b.append("  ".repeat(indent)).append(']');
            } else if (v instanceof Double d) {
                b.append(d.isNaN() || d.isInfinite() ? "null" : fmtNumber(d));
            } else if (v instanceof Number || v instanceof Boolean) {
                b.append(v);
            } else {
                quote(b, String.valueOf(v));
            }
        }

        private static String fmtNumber(double d) {
            return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
        }

        private static void quote(StringBuilder b, String s) {
            b.append('"');
            for (int k = 0; k < s.length(); k++) {
                char c = s.charAt(k);
                switch (c) {
                    case '"' -> b.append("\\\"");
                    case '\\' -> b.append("\\\\");
                    case '\n' -> b.append("\\n");
                    case '\r' -> b.append("\\r");
                    case '\t' -> b.append("\\t");
                    default -> {
                        if (c < 0x20) {
                            b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                        } else {
                            b.append(c);
                        }
                    }
                }
            }
            b.append('"');
        }
    }
}
