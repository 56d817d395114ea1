package io.esb.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A quick A/B of gateway builds by where a request's time goes (bench/handoffs.sh): for each jar, in turn and in
 * rounds, a gateway started through bin/esb serves one caller, keep-alive or a new connection per call, and the
 * probe reports each case's p50, the gateway's CPU per request and its context switches per request by thread pool.
 * Each switch is a hand-off that woke a parked thread; on a 2-core host they, not Java code, were most of the
 * per-request cost (BENCHMARKS.md, issue 17). Counts are steadier than latencies on a shared machine, so they show
 * what one change did in a minute. It reports; it asserts nothing.
 */
public final class Handoffs {
    private static final byte[] PAYLOAD = "{\"action\":\"echo\"}".getBytes(StandardCharsets.UTF_8);
    private static final String DIRECT_PATH = "/2015-03-31/functions/function/invocations";
    private static final String[] CLOSE = {"Connection", "close"};

    private record Case(String name, boolean viaGateway, String method, String path, boolean newConnection) {}

    public static void main(String[] args) throws Exception {
        int requests = 2000;
        int rounds = 2;
        var jars = new ArrayList<Path>();
        for (int k = 0; k < args.length; k++) {
            switch (args[k]) {
                case "--requests" -> requests = Integer.parseInt(args[++k]);
                case "--rounds" -> rounds = Integer.parseInt(args[++k]);
                default -> jars.add(Path.of(args[k]));
            }
        }
        if (jars.isEmpty()) {
            throw new IllegalArgumentException("usage: Handoffs [--requests N] [--rounds R] JAR [JAR ...]");
        }
        var cases = List.of(
                new Case("direct", false, "POST", DIRECT_PATH, false),
                new Case("invoke", true, "POST", "/2015-03-31/functions/w1/invocations", false),
                new Case("route", true, "POST", "/w1", false),
                new Case("pull", true, "POST", "/2015-03-31/functions/p1/invocations", false),
                new Case("pull-route", true, "POST", "/p1", false),
                new Case("health", true, "GET", "/health", false),
                new Case("direct-new", false, "POST", DIRECT_PATH, true),
                new Case("route-new", true, "POST", "/w1", true),
                new Case("health-new", true, "GET", "/health", true));
        // jar -> case -> one row per round: {p50 ms, CPU us/req, switches/req}, and switches by thread pool
        var rows = new LinkedHashMap<Path, Map<String, List<double[]>>>();
        var byPool = new LinkedHashMap<Path, Map<String, Map<String, List<Double>>>>();
        var docker = new DockerEngine();
        Runtime.getRuntime().addShutdownHook(new Thread(GatewayProcess::stopAll)); // an interrupted run leaves no gateway
        for (int round = 0; round < rounds; round++) {
            for (var jar : jars) {
                var id = "handoffs-" + ProcessHandle.current().pid() + "-" + round;
                var work = Files.createDirectories(Path.of("target", "bench", "handoffs"));
                // In a directory of its own: the gateway watches its config's directory, and a log beside it would wake that.
                var config = Files.createDirectories(work.resolve(id)).resolve("gateway.conf");
                int port = Bench.freePort();
                Files.writeString(config, "esb.http.interface = \"127.0.0.1\"\nesb.http.port = " + port + "\n"
                        + "esb.docker.instance-id = \"" + id + "\"\nesb.containers.idle-timeout = 60m\nesb.shutdown.remove-containers = true\n"
                        + "esb.functions {\n"
                        + "  w1 { image = \"esb-fixture:latest\", timeout = 10s, memory-mb = 128, mode = push, max-concurrency = 1, routes = [ { method = \"POST\", path = \"/w1\" } ] }\n"
                        + "  p1 { image = \"esb-fixture:latest\", timeout = 10s, memory-mb = 128, mode = pull, max-concurrency = 1, routes = [ { method = \"POST\", path = \"/p1\" } ] }\n"
                        + "}\n");
                var gateway = GatewayProcess.launchWithBinEsb(Path.of("bin/esb"), jar, config, port, null, List.of(), work.resolve(id + ".log"));
                try {
                    gateway.awaitHealthy(120_000, 20);
                    int direct;
                    try (var c = new RawHttp("127.0.0.1", port, 120_000)) {
                        c.exchange(RawHttp.request("POST", "/2015-03-31/functions/w1/invocations", "application/json", PAYLOAD));
                        c.exchange(RawHttp.request("POST", "/2015-03-31/functions/p1/invocations", "application/json", PAYLOAD));
                    }
                    direct = docker.list("esb.instance=" + id, "esb.function=w1").get(0).hostPort();
                    for (var c : cases) {
                        int target = c.viaGateway() ? port : direct;
                        var request = c.method().equals("GET") ? RawHttp.request("GET", c.path(), null, null, c.newConnection() ? CLOSE : new String[0])
                                : RawHttp.request("POST", c.path(), "application/json", PAYLOAD, c.newConnection() ? CLOSE : new String[0]);
                        run(target, request, c.newConnection(), requests); // warm-up
                        var switches0 = gateway.contextSwitchesByThreadGroup();
                        long cpu0 = gateway.cpuTicks();
                        var latencies = run(target, request, c.newConnection(), requests);
                        long cpu1 = gateway.cpuTicks();
                        var switches1 = gateway.contextSwitchesByThreadGroup();
                        long switches = 0;
                        var pools = byPool.computeIfAbsent(jar, j -> new LinkedHashMap<>()).computeIfAbsent(c.name(), n -> new TreeMap<>());
                        for (var e : switches1.entrySet()) {
                            long d = e.getValue() - switches0.getOrDefault(e.getKey(), 0L);
                            if (d > 0) {
                                switches += d;
                                pools.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(d / (double) requests);
                            }
                        }
                        Arrays.sort(latencies);
                        rows.computeIfAbsent(jar, j -> new LinkedHashMap<>()).computeIfAbsent(c.name(), n -> new ArrayList<>()).add(new double[] {
                                latencies[latencies.length / 2] / 1e6,
                                (cpu1 - cpu0) * 1e6 / GatewayProcess.CLOCK_TICKS_PER_SECOND / requests,
                                switches / (double) requests});
                    }
                } finally {
                    gateway.close();
                    docker.removeLabelled("esb.instance=" + id);
                }
            }
        }
        System.out.printf("Hand-offs: one caller, %d requests per case after as many to warm up, %d round(s), jars in turn; medians of the rounds%n",
                requests, rounds);
        for (var jar : jars) {
            System.out.println("\n" + jar);
            var perCase = rows.get(jar);
            double directP50 = median(perCase.get("direct"), 0);
            double directNewP50 = median(perCase.get("direct-new"), 0);
            for (var c : cases) {
                var r = perCase.get(c.name());
                double p50 = median(r, 0);
                var over = c.viaGateway() && !c.name().startsWith("health")
                        ? String.format("(%+.3f over direct%s)", p50 - (c.newConnection() ? directNewP50 : directP50), c.newConnection() ? "-new" : "") : "";
                var pools = new StringBuilder();
                byPool.get(jar).get(c.name()).entrySet().stream().map(e -> Map.entry(e.getKey(), Bench.median(e.getValue())))
                        .filter(e -> e.getValue() >= 0.05).sorted((a, b) -> Double.compare(b.getValue(), a.getValue())).limit(6)
                        .forEach(e -> pools.append(String.format("%s %.1f, ", e.getKey(), e.getValue())));
                System.out.printf("  %-11s p50 %6.3f ms %-26s gateway CPU %5.0f us/req, switches/req %5.1f: %s%n", c.name(), p50, over,
                        median(r, 1), median(r, 2), pools.length() > 2 ? pools.substring(0, pools.length() - 2) : "");
            }
        }
    }

    private static long[] run(int port, byte[] request, boolean newConnection, int count) throws Exception {
        var latencies = new long[count];
        RawHttp kept = newConnection ? null : new RawHttp("127.0.0.1", port, 60_000);
        try {
            for (int k = 0; k < count; k++) {
                long t0 = System.nanoTime();
                RawHttp.Response response;
                if (newConnection) {
                    try (var c = new RawHttp("127.0.0.1", port, 60_000)) {
                        response = c.exchange(request);
                    }
                } else {
                    response = kept.exchange(request);
                }
                latencies[k] = System.nanoTime() - t0;
                if (response.status() != 200) {
                    throw new IllegalStateException("HTTP " + response.status() + " from port " + port + ": "
                            + new String(response.body(), StandardCharsets.UTF_8));
                }
            }
        } finally {
            if (kept != null) {
                kept.close();
            }
        }
        return latencies;
    }

    private static double median(List<double[]> rows, int column) {
        return Bench.median(rows.stream().map(r -> r[column]).toList());
    }
}
