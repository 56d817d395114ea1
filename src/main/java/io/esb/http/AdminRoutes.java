package io.esb.http;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.AskPattern;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.server.Route;
import io.esb.cluster.ClusterView;
import io.esb.docker.DockerSupervisor;
import io.esb.function.FunctionActor;
import io.esb.function.FunctionStatus;
import io.esb.function.FunctionTable;
import io.esb.function.Stages;
import io.esb.observability.GatewayMetrics;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

import static akka.http.javadsl.server.Directives.completeWithFuture;
import static akka.http.javadsl.server.Directives.concat;
import static akka.http.javadsl.server.Directives.extractRequest;
import static akka.http.javadsl.server.Directives.path;

/**
 * The operator's surface, any method: {@code /health} (liveness, never touches Docker), {@code /status} (readiness)
 * and {@code /metrics} (the Prometheus scrape).
 */
final class AdminRoutes {
    /** Whether this surface may answer the raw {@code path} (over-claiming only costs the fast path in {@link GatewayHttp}). */
    static boolean mayAnswer(String path) {
        return path.startsWith("/health") || path.startsWith("/status") || path.startsWith("/metrics");
    }
    private final ActorSystem<?> system;
    private final Supplier<FunctionTable> functions;
    private final DockerSupervisor.Shared docker;
    private final GatewayMetrics metrics;
    private final RequestBodies bodies;
    private final Instant startedAt;
    private final ClusterView cluster;

    AdminRoutes(ActorSystem<?> system, Supplier<FunctionTable> functions, DockerSupervisor.Shared docker, GatewayMetrics metrics,
                RequestBodies bodies, Instant startedAt, ClusterView cluster) {
        this.cluster = cluster;
        this.system = system;
        this.functions = functions;
        this.docker = docker;
        this.metrics = metrics;
        this.bodies = bodies;
        this.startedAt = startedAt;
    }

    /** Built once: the paths are fixed. */
    Route route() {
        return concat(
                path("health", () -> extractRequest(request -> bodies.done(request, health()))),
                path("status", () -> extractRequest(request -> {
                    bodies.discard(request);
                    return completeWithFuture(status());
                })),
                path("metrics", () -> extractRequest(request -> bodies.done(request, MetricsRoute.respond(metrics, request)))));
    }

    private HttpResponse health() {
        var body = JsonResponses.object().put("status", "healthy")
                .put("uptimeSeconds", Duration.between(startedAt, Instant.now()).toSeconds());
        return JsonResponses.json(200, body);
    }

    /** Readiness: Docker's state (from the supervisor's last probe, no Docker call) and each function's pool. */
    private CompletionStage<HttpResponse> status() {
        var state = docker.daemonState();
        var body = JsonResponses.object();
        var dockerNode = body.putObject("docker").put("status", state.status().name().toLowerCase())
                .put("host", state.dockerHost()).put("since", state.since().toString())
                .put("operationsInFlight", docker.operationsInFlight());
        if (state.lastError() != null) {
            dockerNode.put("lastError", state.lastError());
        }
        var functionsNode = body.putObject("functions");
        var asks = new ArrayList<CompletableFuture<FunctionStatus>>();
        for (var ref : functions.get().refs().values()) {
            asks.add(Stages.plain(AskPattern.<FunctionActor.Command, FunctionStatus>ask(ref, FunctionActor.GetStatus::new,
                    Duration.ofSeconds(2), system.scheduler())));
        }
        var clusterSnapshot = cluster.snapshot().toCompletableFuture().exceptionally(error -> null);
        var all = new ArrayList<CompletableFuture<?>>(asks);
        all.add(clusterSnapshot);
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).handle((ok, error) -> {
            var snapshot = clusterSnapshot.getNow(null);
            if (snapshot != null) {
                putCluster(body.putObject("cluster"), snapshot);
            }
            for (var ask : asks) {
                if (!ask.isCompletedExceptionally()) {
                    var s = ask.join();
                    var node = functionsNode.putObject(s.function()).put("idle", s.idle()).put("busy", s.busy())
                            .put("starting", s.starting()).put("queued", s.queued()).put("coldStarts", s.coldStarts());
                    if (s.image() != null) {
                        node.put("image", s.image()).put("imageDetail", s.imageDetail());
                    }
                }
            }
            return JsonResponses.json(state.down() ? 503 : 200, body);
        });
    }

    /** This node, the leader, every member with its status, and the node running each function placed so far. */
    private static void putCluster(com.fasterxml.jackson.databind.node.ObjectNode node, ClusterView.Snapshot snapshot) {
        node.put("self", snapshot.self()).put("leader", snapshot.leader());
        var members = node.putArray("members");
        for (var member : snapshot.members()) {
            members.addObject().put("address", member.address()).put("status", member.status()).put("reachable", member.reachable());
        }
        var placed = node.putObject("functionNodes");
        snapshot.functionNodes().forEach(placed::put);
    }
}
