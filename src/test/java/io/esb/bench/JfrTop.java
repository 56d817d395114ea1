package io.esb.bench;

import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Summarises a JFR recording of the gateway: where CPU samples land (self and inclusive, by thread pool and by
 * component), where allocation goes, and GC. Optionally only within the time windows of one bench case
 * ({@code --case invoke-c1 --windows target/bench/windows.txt}).
 *
 * <pre>java -cp target/bench/classes io.esb.bench.JfrTop target/bench/gateway.jfr [--case NAME] [--windows FILE] [--top N]</pre>
 */
public final class JfrTop {
    /** Component buckets, matched against every frame of a stack (inclusive); first match per bucket counts once. */
    private static final Map<String, String[]> COMPONENTS = new LinkedHashMap<>();

    static {
        COMPONENTS.put("logging (logback/logstash/slf4j)", new String[] {"ch.qos.logback.", "net.logstash.", "org.slf4j."});
        COMPONENTS.put("access log (io.esb.observability.AccessLog)", new String[] {"io.esb.observability.AccessLog."});
        COMPONENTS.put("jackson", new String[] {"com.fasterxml.jackson."});
        COMPONENTS.put("akka-http client pool (gateway -> container)", new String[] {"akka.http.impl.engine.client."});
        COMPONENTS.put("akka-http server (client -> gateway)", new String[] {"akka.http.impl.engine.server.", "akka.http.scaladsl.Http$$anonfun$bindAndHandle",
                "akka.http.impl.engine.HttpConnectionIdleTimeoutBidi"});
        COMPONENTS.put("akka-http parsing/rendering", new String[] {"akka.http.impl.engine.parsing.", "akka.http.impl.engine.rendering."});
        COMPONENTS.put("akka-stream interpreter", new String[] {"akka.stream.impl.fusing."});
        COMPONENTS.put("akka-stream TCP/IO", new String[] {"akka.stream.impl.io.", "akka.io."});
        COMPONENTS.put("actor mailbox processing", new String[] {"akka.dispatch.Mailbox.run"});
        COMPONENTS.put("FunctionActor", new String[] {"io.esb.function.FunctionActor"});
        COMPONENTS.put("ContainerClient", new String[] {"io.esb.container.ContainerClient"});
        COMPONENTS.put("GatewayHttp and its route classes", new String[] {"io.esb.http.GatewayHttp", "io.esb.http.InvokeApiRoutes",
                "io.esb.http.ProxyRoutes", "io.esb.http.AdminRoutes", "io.esb.http.LoginRoutes", "io.esb.http.FunctionInvoker",
                "io.esb.http.RequestBodies", "io.esb.http.RequestScope", "io.esb.http.ErrorResponses"});
        COMPONENTS.put("akka-http routing DSL", new String[] {"akka.http.scaladsl.server.", "akka.http.javadsl.server."});
        COMPONENTS.put("API Gateway event building (ApiGatewayV1Events)", new String[] {"io.esb.http.ApiGatewayV1Events", "io.esb.http.ApiGatewayV2Events"});
        COMPONENTS.put("proxy response mapping", new String[] {"io.esb.http.ProxyResponseMapper"});
        COMPONENTS.put("AskPattern / temp actors", new String[] {"akka.actor.typed.javadsl.AskPattern", "akka.actor.typed.scaladsl.AskPattern",
                "akka.actor.typed.internal.adapter.ActorRefFactoryAdapter", "akka.pattern.PromiseActorRef"});
        COMPONENTS.put("CompletableFuture plumbing", new String[] {"java.util.concurrent.CompletableFuture"});
        COMPONENTS.put("UUID / SecureRandom", new String[] {"java.util.UUID.randomUUID", "sun.security.provider."});
        COMPONENTS.put("scheduler (timeouts)", new String[] {"akka.actor.LightArrayRevolverScheduler", "java.util.concurrent.CompletableFuture$Delayer",
                "java.util.concurrent.ScheduledThreadPoolExecutor"});
        COMPONENTS.put("socket I/O (sun.nio.ch)", new String[] {"sun.nio.ch."});
        COMPONENTS.put("docker-java", new String[] {"com.github.dockerjava.", "org.apache.hc."});
    }

    private JfrTop() {}

    public static void main(String[] args) throws Exception {
        Path file = null;
        String caseName = null;
        Path windowsFile = Path.of("target/bench/windows.txt");
        int top = 30;
        String whoCalls = null;
        for (int k = 0; k < args.length; k++) {
            switch (args[k]) {
                case "--case" -> caseName = args[++k];
                case "--windows" -> windowsFile = Path.of(args[++k]);
                case "--top" -> top = Integer.parseInt(args[++k]);
                case "--who-calls" -> whoCalls = args[++k];
                default -> file = Path.of(args[k]);
            }
        }
        if (file == null) {
            System.err.println("usage: JfrTop file.jfr [--case NAME] [--windows FILE] [--top N]");
            System.exit(2);
        }
        var windows = new ArrayList<long[]>();
        if (caseName != null) {
            for (var line : Files.readAllLines(windowsFile)) {
                var f = line.trim().split("\\s+");
                if (f.length == 4 && f[0].equals(caseName)) {
                    windows.add(new long[] {Long.parseLong(f[2]), Long.parseLong(f[3])});
                }
            }
            if (windows.isEmpty()) {
                System.err.println("no windows for case " + caseName + " in " + windowsFile);
                System.exit(2);
            }
        }

        int samples = 0;
        var self = new HashMap<String, Integer>();
        var inclusive = new HashMap<String, Integer>();
        var byThread = new HashMap<String, Integer>();
        var byComponent = new HashMap<String, Integer>();
        var allocByFrame = new HashMap<String, Long>();
        var allocByClass = new HashMap<String, Long>();
        long allocTotal = 0;
        var callers = new HashMap<String, Integer>();
        int matching = 0;
        var threadStartsByName = new HashMap<String, Integer>();
        var threadStartsBySite = new HashMap<String, Integer>();
        int threadStarts = 0;
        int gcCount = 0;
        double gcPauseMs = 0;
        long firstMs = Long.MAX_VALUE;
        long lastMs = 0;
        try (var recording = new RecordingFile(file)) {
            while (recording.hasMoreEvents()) {
                var e = recording.readEvent();
                var t = e.getStartTime().toEpochMilli();
                if (!windows.isEmpty() && !inside(windows, t)) {
                    continue;
                }
                var type = e.getEventType().getName();
                switch (type) {
                    case "jdk.ExecutionSample" -> {
                        samples++;
                        firstMs = Math.min(firstMs, t);
                        lastMs = Math.max(lastMs, t);
                        var thread = e.getThread("sampledThread");
                        var name = thread == null ? "?" : thread.getJavaName();
                        byThread.merge(name == null ? "?" : name.replaceAll("-?\\d+$", "-N"), 1, Integer::sum);
                        var stack = e.getStackTrace();
                        if (stack == null || stack.getFrames().isEmpty()) {
                            continue;
                        }
                        var frames = stack.getFrames();
                        self.merge(frame(frames.get(0)), 1, Integer::sum);
                        var seen = new HashSet<String>();
                        var comps = new HashSet<String>();
                        for (var f : frames) {
                            var name2 = frame(f);
                            if (seen.add(name2)) {
                                inclusive.merge(name2, 1, Integer::sum);
                            }
                            for (var c : COMPONENTS.entrySet()) {
                                for (var prefix : c.getValue()) {
                                    if (name2.startsWith(prefix)) {
                                        comps.add(c.getKey());
                                    }
                                }
                            }
                        }
                        for (var c : comps) {
                            byComponent.merge(c, 1, Integer::sum);
                        }
                        if (whoCalls != null) {
                            for (int k = 0; k < frames.size(); k++) {
                                if (frame(frames.get(k)).contains(whoCalls)) {
                                    matching++;
                                    String site = "?";
                                    for (int j = k + 1; j < frames.size(); j++) {
                                        var n = frame(frames.get(j));
                                        if (n.startsWith("io.esb.")) {
                                            site = n + ":" + frames.get(j).getLineNumber();
                                            break;
                                        }
                                    }
                                    callers.merge(site, 1, Integer::sum);
                                    break;
                                }
                            }
                        }
                    }
                    case "jdk.ObjectAllocationSample" -> {
                        long weight = e.getLong("weight");
                        allocTotal += weight;
                        var cls = e.getClass("objectClass");
                        allocByClass.merge(cls == null ? "?" : cls.getName(), weight, Long::sum);
                        allocByFrame.merge(firstApplicationFrame(e.getStackTrace()), weight, Long::sum);
                    }
                    case "jdk.ThreadStart" -> {
                        threadStarts++;
                        var started = e.getThread("thread");
                        var name = started == null ? "?" : String.valueOf(started.getJavaName());
                        threadStartsByName.merge(name.replaceAll("-?\\d+$", "-N"), 1, Integer::sum);
                        threadStartsBySite.merge(creationSite(e.getStackTrace()), 1, Integer::sum);
                    }
                    case "jdk.GarbageCollection" -> {
                        gcCount++;
                        gcPauseMs += e.getDuration("sumOfPauses").toNanos() / 1e6;
                    }
                    default -> { }
                }
            }
        }
        double seconds = samples == 0 ? 0 : (lastMs - firstMs) / 1000.0;
        if (!windows.isEmpty()) {
            seconds = windows.stream().mapToLong(w -> w[1] - w[0]).sum() / 1000.0;
        }
        System.out.printf("JFR %s%s: %d execution samples over %.1f s (window%s %s)%n", file, caseName == null ? "" : " case " + caseName,
                samples, seconds, windows.size() == 1 ? "" : "s", caseName == null ? "whole recording" : windows.size() + " run(s)");
        if (samples == 0) {
            return;
        }
        print("CPU samples by thread (pool)", byThread, samples, 12);
        print("CPU samples by component (inclusive; a sample may count in several)", byComponent, samples, COMPONENTS.size());
        if (whoCalls != null) {
            System.out.printf("Samples with a frame containing '%s': %d (%.1f%%); nearest io.esb caller:%n", whoCalls, matching,
                    100.0 * matching / samples);
            print("", callers, Math.max(1, matching), 10);
        }
        print("Top frames, self", self, samples, top);
        print("Top frames, inclusive", inclusive, samples, top);
        if (allocTotal > 0) {
            printLong("Allocation (sampled weight) by first non-JDK frame", allocByFrame, allocTotal, 20);
            printLong("Allocation by class", allocByClass, allocTotal, 15);
            System.out.printf("  allocation rate ~ %.0f MB/s%n", seconds == 0 ? 0 : allocTotal / 1e6 / seconds);
        }
        System.out.printf("GC: %d collections, %.1f ms total pause%n", gcCount, gcPauseMs);
        if (threadStarts > 0) {
            System.out.printf("Threads started: %d (%.0f per second)%n", threadStarts, seconds == 0 ? 0 : threadStarts / seconds);
            print("  by thread name", threadStartsByName, threadStarts, 8);
            print("  by creating call site (first frame outside java.util.concurrent / java.lang)", threadStartsBySite, threadStarts, 8);
        }
    }

    private static boolean inside(List<long[]> windows, long t) {
        for (var w : windows) {
            if (t >= w[0] && t <= w[1]) {
                return true;
            }
        }
        return false;
    }

    private static String frame(RecordedFrame f) {
        var m = f.getMethod();
        return m == null ? "?" : m.getType().getName() + "." + m.getName();
    }

    private static String firstApplicationFrame(RecordedStackTrace stack) {
        if (stack == null) {
            return "?";
        }
        for (var f : stack.getFrames()) {
            var name = frame(f);
            if (!name.startsWith("java.") && !name.startsWith("jdk.") && !name.startsWith("sun.") && !name.startsWith("scala.")) {
                return name;
            }
        }
        return stack.getFrames().isEmpty() ? "?" : frame(stack.getFrames().get(0));
    }

    /** The frame that asked for a thread: the first outside the JDK's executor and thread machinery, plus its caller. */
    private static String creationSite(RecordedStackTrace stack) {
        if (stack == null) {
            return "?";
        }
        var frames = stack.getFrames();
        for (int k = 0; k < frames.size(); k++) {
            var name = frame(frames.get(k));
            if (!name.startsWith("java.util.concurrent.") && !name.startsWith("java.lang.")) {
                return name + (k + 1 < frames.size() ? " <- " + frame(frames.get(k + 1)) : "");
            }
        }
        return frames.isEmpty() ? "?" : frame(frames.get(frames.size() - 1));
    }

    private static void print(String title, Map<String, Integer> counts, int total, int n) {
        System.out.println(title + ":");
        counts.entrySet().stream().sorted((a, b) -> b.getValue() - a.getValue()).limit(n)
                .forEach(e -> System.out.printf("  %5.1f%%  %6d  %s%n", 100.0 * e.getValue() / total, e.getValue(), e.getKey()));
    }

    private static void printLong(String title, Map<String, Long> weights, long total, int n) {
        System.out.println(title + ":");
        weights.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue(), a.getValue())).limit(n)
                .forEach(e -> System.out.printf("  %5.1f%%  %8.1f MB  %s%n", 100.0 * e.getValue() / total, e.getValue() / 1e6, e.getKey()));
    }
}
