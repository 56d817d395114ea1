package io.esb.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * An interleaved A/B benchmark of two gateway jars: both run at once (each through bin/esb, with its own config, port,
 * instance id and containers), and the one-caller warm cases are measured alternately, A then B on odd rounds and B
 * then A on even ones. On a small, noisy machine drift (thermal, other load, JIT) then hits both sides alike, and the
 * per-round difference B - A is what is summarised. Run it with {@code bench/ab.sh JAR_A JAR_B}.
 */
public final class AbBench {
    /** The cases, each with one caller; *-new make a new connection per call (Connection: close). */
    static final List<String> CASES = List.of("direct-c1", "invoke-c1", "route-c1", "pull-c1", "pull-route-c1",
            "direct-c1-new", "invoke-c1-new", "route-c1-new", "pull-c1-new");

    /** One case's figures in one round. */
    record Row(double p50Ms, long errors, double cpuUsPerCall) {}

    /** One gateway under test, with its measurements per case (one Row per round). */
    static final class Side {
        final String name;
        final Path jar;
        final String id;
        final Path dir;
        GatewayProcess gateway;
        final Map<String, Load.Target> targets = new LinkedHashMap<>();
        final Map<String, List<Row>> rows = new LinkedHashMap<>();

        Side(String name, Path jar, Path work) {
            this.name = name;
            this.jar = jar;
            this.id = "ab-" + name.toLowerCase() + "-" + ProcessHandle.current().pid();
            this.dir = work.resolve(name.toLowerCase());
        }
    }

    int rounds = 8;
    double seconds = 3;
    double warmup = 3;
    Path binEsb = Path.of("bin/esb");
    Path work = Path.of("target/bench-ab");
    final List<Side> sides = new ArrayList<>();
    private final DockerEngine docker = new DockerEngine();
    private boolean cleanedUp;

    public static void main(String[] args) throws Exception {
        var ab = new AbBench();
        var jars = new ArrayList<Path>();
        for (int k = 0; k < args.length; k++) {
            switch (args[k]) {
                case "--rounds" -> ab.rounds = Integer.parseInt(args[++k]);
                case "--seconds" -> ab.seconds = Double.parseDouble(args[++k]);
                case "--warmup" -> ab.warmup = Double.parseDouble(args[++k]);
                case "--bin-esb" -> ab.binEsb = Path.of(args[++k]);
                case "--work" -> ab.work = Path.of(args[++k]);
                default -> {
                    if (args[k].startsWith("--")) {
                        throw new IllegalArgumentException("unknown option " + args[k] + " (options: --rounds --seconds --warmup --bin-esb --work)");
                    }
                    jars.add(Path.of(args[k]));
                }
            }
        }
        if (jars.size() != 2 || !Files.isRegularFile(jars.get(0)) || !Files.isRegularFile(jars.get(1))) {
            throw new IllegalArgumentException("usage: AbBench JAR_A JAR_B [--rounds N] [--seconds S] [--warmup S] [--bin-esb PATH] [--work DIR]; got " + jars);
        }
        ab.sides.add(new Side("A", jars.get(0), ab.work));
        ab.sides.add(new Side("B", jars.get(1), ab.work));
        // Also on Ctrl-C: the gateways drain and remove their containers (remove-containers = true).
        Runtime.getRuntime().addShutdownHook(new Thread(ab::cleanup, "ab-cleanup"));
        try {
            ab.run();
        } finally {
            ab.cleanup();
        }
    }

    private void run() throws Exception {
        // Both launched before either is awaited, so their startups overlap instead of adding up.
        for (var s : sides) {
            int port = Bench.freePort();
            var config = writeConfig(s, port);
            s.gateway = GatewayProcess.launchWithBinEsb(binEsb, s.jar, config, port, null, List.of(), work.resolve(s.name.toLowerCase() + ".log"));
        }
        for (var s : sides) {
            long healthy = s.gateway.awaitHealthy(180_000, 20);
            int gw = s.gateway.port;
            for (var function : List.of("w1", "p1")) { // cold-start each pool once, outside any measurement
                try (var c = new RawHttp("127.0.0.1", gw, 120_000)) {
                    var r = c.exchange(Bench.invokeRequest(function));
                    if (!Bench.echoed(r)) {
                        throw new IllegalStateException(s.name + ": priming " + function + " failed: " + r.status() + " " + r.text());
                    }
                }
            }
            var w1 = docker.list("esb.instance=" + s.id, "esb.function=w1").stream().mapToInt(DockerEngine.Running::hostPort).filter(p -> p > 0).toArray();
            if (w1.length != 1) {
                throw new IllegalStateException(s.name + ": expected one w1 container with a published port, found " + w1.length);
            }
            for (var name : CASES) {
                s.targets.put(name, target(name, gw, w1[0]));
                s.rows.put(name, new ArrayList<>());
            }
            System.out.printf("%s = %s: pid %d on 127.0.0.1:%d, healthy after %.0f ms, w1 container on port %d, instance %s%n",
                    s.name, s.jar, s.gateway.pid(), gw, healthy / 1e6, w1[0], s.id);
        }
        System.out.printf("%d rounds x %d cases x %.0f s per gateway, after %.0f s warm-up per case; p50 in ms, gateway CPU in us per call%n%n",
                rounds, CASES.size(), seconds, warmup);
        for (var s : sides) {
            for (var name : CASES) {
                var r = Load.run(s.targets.get(name), 1, (long) (warmup * 1e9), Bench::echoed);
                if (r.errors() > 0) {
                    System.out.printf("warm-up %s %s: %d errors (%s)%n", s.name, name, r.errors(), r.firstError());
                }
            }
        }
        for (int round = 1; round <= rounds; round++) {
            var order = round % 2 == 1 ? sides : List.of(sides.get(1), sides.get(0)); // A,B on odd rounds, B,A on even
            for (var s : order) {
                for (var name : CASES) {
                    long cpu0 = s.gateway.cpuTicks();
                    var r = Load.run(s.targets.get(name), 1, (long) (seconds * 1e9), Bench::echoed);
                    long cpu1 = s.gateway.cpuTicks();
                    double cpuUs = r.ok() == 0 ? Double.NaN : (cpu1 - cpu0) * 1e6 / GatewayProcess.CLOCK_TICKS_PER_SECOND / r.ok();
                    s.rows.get(name).add(new Row(r.percentileMs(0.5), r.errors(), cpuUs));
                    System.out.printf("round %d %s %-14s p50 %7.3f  cpu %6.1f  calls %6d  errors %d%s%n", round, s.name, name, r.percentileMs(0.5), cpuUs,
                            r.ok(), r.errors(), r.firstError() == null ? "" : " (" + r.firstError() + ")");
                }
            }
        }
        report();
    }

    private static Load.Target target(String name, int gw, int w1) {
        return switch (name) {
            case "direct-c1" -> new Load.PerCaller(w1, RawHttp.request("POST", Bench.INVOKE_PATH, "application/json", Bench.PAYLOAD), 1);
            case "invoke-c1" -> new Load.PerCaller(gw, Bench.invokeRequest("w1"), 1);
            case "route-c1" -> new Load.PerCaller(gw, RawHttp.request("POST", "/w1", "application/json", Bench.PAYLOAD), 1);
            case "pull-c1" -> new Load.PerCaller(gw, Bench.invokeRequest("p1"), 1);
            case "pull-route-c1" -> new Load.PerCaller(gw, RawHttp.request("POST", "/p1", "application/json", Bench.PAYLOAD), 1);
            case "direct-c1-new" -> new Load.NewConnection(w1, Bench.closing("POST", Bench.INVOKE_PATH));
            case "invoke-c1-new" -> new Load.NewConnection(gw, Bench.closing("POST", "/2015-03-31/functions/w1/invocations"));
            case "route-c1-new" -> new Load.NewConnection(gw, Bench.closing("POST", "/w1"));
            case "pull-c1-new" -> new Load.NewConnection(gw, Bench.closing("POST", "/2015-03-31/functions/p1/invocations"));
            default -> throw new IllegalArgumentException(name);
        };
    }

    private void report() {
        var a = sides.get(0);
        var b = sides.get(1);
        System.out.printf("%nA = %s%nB = %s%nmedians over %d rounds ('!': a round of that case had errors)%n", a.jar, b.jar, rounds);
        System.out.printf("%-14s %10s %10s %12s %10s %10s%n", "case", "A p50 ms", "B p50 ms", "B-A p50 ms", "A cpu us", "B cpu us");
        for (var name : CASES) {
            var ra = a.rows.get(name);
            var rb = b.rows.get(name);
            System.out.printf("%-14s %10s %10s %12s %10s %10s%n", name, fig(ra, Bench.median(values(ra, Row::p50Ms)), "%.3f"),
                    fig(rb, Bench.median(values(rb, Row::p50Ms)), "%.3f"),
                    fig(both(ra, rb), Bench.median(Bench.pairDiff(values(rb, Row::p50Ms), values(ra, Row::p50Ms))), "%+.3f"),
                    fig(ra, Bench.median(values(ra, Row::cpuUsPerCall)), "%.1f"), fig(rb, Bench.median(values(rb, Row::cpuUsPerCall)), "%.1f"));
        }
        System.out.printf("%nderived, ms: median over rounds of the per-round difference within one gateway%n");
        System.out.printf("%-28s %10s %10s %12s%n", "", "A", "B", "B-A");
        for (var name : List.of("invoke-c1", "route-c1", "pull-c1", "pull-route-c1")) {
            derived(name + " - direct-c1", name, "direct-c1");
        }
        for (var name : List.of("direct-c1", "invoke-c1", "route-c1", "pull-c1")) {
            derived(name + "-new - " + name, name + "-new", name);
        }
        for (var s : sides) {
            s.rows.forEach((name, rows) -> {
                long errors = rows.stream().mapToLong(Row::errors).sum();
                if (errors > 0) {
                    System.out.printf("ERRORS: %s %s: %d in all rounds (see the round lines)%n", s.name, name, errors);
                }
            });
        }
    }

    /** One derived figure: per gateway the median of (minuend - subtrahend) per round, and the median of B's minus A's per round. */
    private void derived(String label, String minuend, String subtrahend) {
        var perSide = new ArrayList<List<Double>>();
        var cells = new ArrayList<String>();
        var involved = new ArrayList<Row>();
        for (var s : sides) {
            var m = s.rows.get(minuend);
            var t = s.rows.get(subtrahend);
            var d = Bench.pairDiff(values(m, Row::p50Ms), values(t, Row::p50Ms));
            perSide.add(d);
            cells.add(fig(both(m, t), Bench.median(d), "%+.3f"));
            involved.addAll(both(m, t));
        }
        System.out.printf("%-28s %10s %10s %12s%n", label, cells.get(0), cells.get(1),
                fig(involved, Bench.median(Bench.pairDiff(perSide.get(1), perSide.get(0))), "%+.3f"));
    }

    private static List<Double> values(List<Row> rows, ToDoubleFunction<Row> f) {
        return rows.stream().map(f::applyAsDouble).toList();
    }

    private static List<Row> both(List<Row> x, List<Row> y) {
        var all = new ArrayList<>(x);
        all.addAll(y);
        return all;
    }

    /** A figure, with '!' when any of the rows it comes from had errors. */
    private static String fig(List<Row> rows, double value, String format) {
        return String.format(format, value) + (rows.stream().anyMatch(r -> r.errors() > 0) ? "!" : "");
    }

    /** As Bench's config, but only w1 (push) and p1 (pull); in a directory of its own, which the gateway watches for reload. */
    private Path writeConfig(Side s, int port) throws IOException {
        var fx = "image = \"" + Bench.IMAGE + "\", timeout = 10s, memory-mb = 128, max-concurrency = 1";
        var config = s.dir.resolve("gateway.conf");
        Files.createDirectories(s.dir);
        Files.writeString(config, "# written by io.esb.bench.AbBench\n"
                + "esb.http.interface = \"127.0.0.1\"\nesb.http.port = " + port + "\n"
                + "esb.docker.instance-id = \"" + s.id + "\"\n"
                + "esb.containers.idle-timeout = 60m\n"
                + "esb.shutdown.remove-containers = true\nesb.shutdown.drain-timeout = 5s\n"
                + "esb.data-dir = \"" + s.dir.resolve("data").toAbsolutePath() + "\"\n"
                + "esb.functions {\n"
                + "  w1 { " + fx + ", mode = push, routes = [ { method = \"POST\", path = \"/w1\" } ] }\n"
                + "  p1 { " + fx + ", mode = pull, routes = [ { method = \"POST\", path = \"/p1\" } ] }\n"
                + "}\n");
        return config;
    }

    /** Stops both gateways (they remove their containers), then removes whatever is left and their Event stores. */
    private synchronized void cleanup() {
        if (cleanedUp) { // both the finally and the shutdown hook get here
            return;
        }
        cleanedUp = true;
        for (var s : sides) {
            for (var t : s.targets.values()) {
                t.close();
            }
        }
        GatewayProcess.stopAll();
        for (var s : sides) {
            int n = docker.removeLabelled("esb.instance=" + s.id);
            if (n > 0) {
                System.out.println("cleanup: removed " + n + " container(s) left by gateway " + s.name);
            }
            Bench.deleteTree(s.dir.resolve("data").resolve(s.id));
        }
    }
}
