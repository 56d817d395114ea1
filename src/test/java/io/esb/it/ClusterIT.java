package io.esb.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.esb.testing.Docker;
import io.esb.testing.Eventually;
import io.esb.testing.GatewayJar;
import io.esb.testing.GatewayUnderTest;
import io.esb.testing.RequiresDocker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Three gateway processes on loopback form one cluster, each driving the real daemon under its own instance label
 * (so each node's containers, reconcile and removal are its own): any node serves the function, its containers live on
 * one node only, max-concurrency holds cluster-wide, a node killed with SIGKILL under load costs its in-flight calls a
 * clear 502/503 and nothing else, Event invocations are still delivered (those queued on the lost node too, taken over
 * from its store by a survivor), and the node rejoins.
 */
@ExtendWith(RequiresDocker.class)
@Timeout(420)
class ClusterIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private record Node(int index, String instance, int httpPort, int clusterPort) {
        String address() {
            return "akka://esb@127.0.0.1:" + clusterPort;
        }
    }

    private record Call(long startNanos, long endNanos, int status, String body) {}

    private static String config(Node node, List<Node> all, Path dataDir) {
        var seeds = String.join(", ", all.stream().map(n -> "\"127.0.0.1:" + n.clusterPort() + "\"").toList());
        return GatewayJar.pushFixtureConfig(node.instance(), node.httpPort(), dataDir, 2) + """
                esb.async { service-retry-min-delay = 200ms, service-retry-max-delay = 1s }
                esb.cluster { enabled = on, port = %d, seed-nodes = [%s], stable-after = 3s, accept-timeout = 20s }
                """.formatted(node.clusterPort(), seeds);
    }

    private HttpResponse<String> invoke(Node node, String payload, String type) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort() + "/2015-03-31/functions/fx/invocations"))
                .header("X-Amz-Invocation-Type", type).timeout(Duration.ofSeconds(90))
                .POST(HttpRequest.BodyPublishers.ofString(payload)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode status(Node node) throws Exception {
        var answer = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort() + "/status"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(answer.body());
    }

    private Set<String> upMembers(Node node) {
        try {
            var members = new HashSet<String>();
            for (var member : status(node).path("cluster").path("members")) {
                if (member.path("status").asText().equals("up") && member.path("reachable").asBoolean()) {
                    members.add(member.path("address").asText());
                }
            }
            return members;
        } catch (Exception e) {
            return Set.of();
        }
    }

    private void awaitMembers(List<Node> observers, Set<String> expected) {
        for (var node : observers) {
            Eventually.await(Duration.ofSeconds(90), "node " + node.index() + " sees " + expected + " up", () -> upMembers(node),
                    expected::equals);
        }
    }

    private static String container(HttpResponse<String> answer) throws Exception {
        return JSON.readTree(answer.body()).path("container").asText();
    }

    private static List<String> runs(List<Node> nodes) {
        return nodes.stream().flatMap(node -> Docker.requestIdsRun(node.instance()).stream()).toList();
    }

    @Test
    void aGatewayWithoutClusterSettingsIsALoneNodeAsBefore() throws Exception {
        try (var gw = GatewayUnderTest.start(GatewayUnderTest.newInstanceId("it-lone"), "")) {
            var akka = gw.gateway.system().settings().config();
            assertThat(akka.getString("akka.actor.provider")).isEqualTo("local");
            // Nor does it start the cluster modules' serializers (they cost 0.3 s of startup): stand-ins, bound to nothing.
            assertThat(akka.getString("akka.actor.serializers.akka-cluster")).isEqualTo(io.esb.cluster.LoneNodeSerializer.class.getName());
            assertThat(akka.getString("akka.actor.serialization-bindings.\"akka.cluster.ClusterMessage\"")).isEqualTo("none");
            var status = JSON.readTree(gw.get("/status").body());
            assertThat(status.has("cluster")).as("/status of a lone gateway: %s", status).isFalse();
            assertThat(gw.get("/metrics").body()).doesNotContain("esb_cluster_members");
        }
    }

    @Test
    void anyNodeServesTheFunctionAndALostNodeCostsOnlyItsInFlightCalls() throws Exception {
        var base = GatewayUnderTest.newInstanceId("it-cluster");
        var dataDir = Path.of("target", "esb-data").toAbsolutePath();
        var nodes = new ArrayList<Node>();
        for (int i = 0; i < 3; i++) {
            nodes.add(new Node(i, base + "-n" + i, GatewayJar.freePort(), GatewayJar.freePort()));
        }
        var gateways = new GatewayJar[3];
        try {
            for (var node : nodes) {
                gateways[node.index()] = GatewayJar.start(node.instance(), node.httpPort(), config(node, nodes, dataDir));
            }
            for (var gateway : gateways) {
                gateway.awaitHealthy();
            }
            var everyone = new HashSet<String>(nodes.stream().map(Node::address).toList());
            awaitMembers(nodes, everyone);

            // Any node serves the function; its warm container is the one every node's calls reach.
            var containers = new HashSet<String>();
            for (var node : nodes) {
                for (int i = 0; i < 2; i++) {
                    var answer = invoke(node, "{\"action\":\"echo\",\"via\":" + node.index() + "}", "RequestResponse");
                    assertThat(answer.statusCode()).as("via node %d: %s", node.index(), answer.body()).isEqualTo(200);
                    assertThat(JSON.readTree(answer.body()).path("echo").path("via").asInt()).isEqualTo(node.index());
                    containers.add(container(answer));
                }
            }
            for (var node : nodes) { // an API route too, on every node
                var viaRoute = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort() + "/fx?action=env")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(viaRoute.statusCode()).as(viaRoute.body()).isEqualTo(200);
                containers.add(container(viaRoute));
            }
            assertThat(containers).as("one warm container serves all nodes").hasSize(1);
            var hostAddress = status(nodes.get(0)).path("cluster").path("functionNodes").path("fx").asText();
            for (var node : nodes) {
                assertThat(status(node).path("cluster").path("functionNodes").path("fx").asText()).isEqualTo(hostAddress);
            }
            var host = nodes.stream().filter(n -> n.address().equals(hostAddress)).findFirst().orElseThrow();
            for (var node : nodes) {
                assertThat(Docker.containers(node.instance(), "fx")).as("fx containers of node %d", node.index())
                        .hasSize(node == host ? 1 : 0);
            }

            // max-concurrency = 2 holds across the cluster: 9 slow calls, 3 through each node, share 2 containers.
            var concurrent = IntStream.range(0, 9).mapToObj(i -> CompletableFuture.supplyAsync(() -> {
                try {
                    return invoke(nodes.get(i % 3), "{\"action\":\"sleep\",\"ms\":1500}", "RequestResponse");
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            })).toList();
            var used = new HashSet<String>();
            for (var call : concurrent) {
                var answer = call.get();
                assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
                used.add(container(answer));
            }
            assertThat(used).as("containers that served 9 concurrent calls").hasSize(2);
            int fxContainers = nodes.stream().mapToInt(n -> Docker.containers(n.instance(), "fx").size()).sum();
            assertThat(fxContainers).as("fx containers on all nodes").isEqualTo(2);

            // Kill -9 the function's node under load from the other two, with Event invocations queued.
            var survivors = nodes.stream().filter(n -> n != host).toList();
            var accepted = new LinkedHashSet<String>();
            // Events accepted by every node, the doomed one too: its queue is in its store, which a survivor takes over.
            for (int i = 0; i < 30; i++) {
                var answer = invoke(nodes.get(i % 3), "{\"action\":\"sleep\",\"ms\":300,\"n\":" + i + "}", "Event");
                assertThat(answer.statusCode()).as(answer.body()).isEqualTo(202);
                accepted.add(answer.headers().firstValue("X-Amzn-RequestId").orElseThrow());
            }
            var calls = Collections.synchronizedList(new ArrayList<Call>());
            var stop = new AtomicBoolean();
            var load = IntStream.range(0, 4).mapToObj(i -> CompletableFuture.runAsync(() -> {
                while (!stop.get()) {
                    long start = System.nanoTime();
                    try {
                        var answer = invoke(survivors.get(i % 2), "{\"action\":\"sleep\",\"ms\":200}", "RequestResponse");
                        calls.add(new Call(start, System.nanoTime(), answer.statusCode(), answer.body()));
                    } catch (Exception e) {
                        calls.add(new Call(start, System.nanoTime(), -1, String.valueOf(e)));
                    }
                }
            })).toList();
            Thread.sleep(2_000);
            long killedAt = System.nanoTime();
            gateways[host.index()].kill();
            Eventually.await(Duration.ofSeconds(90), "calls succeeding again after the kill", () -> List.copyOf(calls),
                    list -> list.stream().filter(c -> c.startNanos() > killedAt && c.status() == 200).count() >= 5);
            stop.set(true);
            CompletableFuture.allOf(load.toArray(CompletableFuture[]::new)).get();

            var answers = List.copyOf(calls);
            var failed = answers.stream().filter(c -> c.status() != 200).toList();
            for (var call : failed) {
                assertThat(call.status()).as("a failed call: %s", call.body()).isIn(502, 503);
                assertThat(call.body()).as("a failed call names its cause").containsAnyOf("Cluster node " + hostAddress, "No cluster node took");
            }
            long slowestMs = answers.stream().mapToLong(c -> (c.endNanos() - c.startNanos()) / 1_000_000).max().orElseThrow();
            var recovered = answers.stream().filter(c -> c.startNanos() > killedAt && c.status() == 200)
                    .mapToLong(c -> (c.endNanos() - killedAt) / 1_000_000).min().orElseThrow();
            System.out.printf("[cluster] node %d killed under load: %d calls, %d failed (%s), slowest %d ms, first success %d ms after the kill%n",
                    host.index(), answers.size(), failed.size(), failed.stream().map(Call::status).toList(), slowestMs, recovered);
            assertThat(recovered).as("ms from the kill to the first call served again").isLessThan(30_000);

            // Every accepted Event ran (at least once), on the lost node before it died or on the function's new node.
            var delivered = Eventually.await(Duration.ofSeconds(120), "every accepted event run", () -> new HashSet<>(runs(nodes)),
                    ids -> ids.containsAll(accepted));
            assertThat(delivered).containsAll(accepted);
            var adopted = String.join("", gateways[survivors.get(0).index()].output(), gateways[survivors.get(1).index()].output());
            assertThat(adopted).contains("Cluster node removed; taking over its queued Event invocations");
            var newHost = status(survivors.get(0)).path("cluster").path("functionNodes").path("fx").asText();
            assertThat(newHost).isIn(survivors.stream().map(Node::address).toList());

            // The node comes back under the same address and rejoins; it serves again.
            gateways[host.index()] = GatewayJar.start(host.instance(), host.httpPort(), config(host, nodes, dataDir));
            gateways[host.index()].awaitHealthy();
            awaitMembers(nodes, everyone);
            var again = invoke(host, "{\"action\":\"echo\"}", "RequestResponse");
            assertThat(again.statusCode()).as(again.body()).isEqualTo(200);
            var metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + host.httpPort() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(metrics).contains("esb_cluster_members{status=\"up\"} 3.0").contains("esb_cluster_members{status=\"unreachable\"} 0.0");

            // Graceful leave: SIGTERM to the function's node. It hands the function over while calls keep coming
            // through another node, none of which fails, and removes its own containers on the way out.
            var leavingAddress = status(host).path("cluster").path("functionNodes").path("fx").asText();
            var leaving = nodes.stream().filter(n -> n.address().equals(leavingAddress)).findFirst().orElseThrow();
            var caller = nodes.stream().filter(n -> n != leaving).findFirst().orElseThrow();
            var duringLeave = CompletableFuture.supplyAsync(() -> {
                var statuses = new ArrayList<String>();
                long until = System.nanoTime() + Duration.ofSeconds(15).toNanos();
                while (System.nanoTime() < until) {
                    try {
                        var answer = invoke(caller, "{\"action\":\"sleep\",\"ms\":100}", "RequestResponse");
                        statuses.add(answer.statusCode() == 200 ? "200" : answer.statusCode() + " " + answer.body());
                    } catch (Exception e) {
                        statuses.add(String.valueOf(e));
                    }
                }
                return statuses;
            });
            Thread.sleep(1_000);
            gateways[leaving.index()].process.destroy(); // SIGTERM
            assertThat(gateways[leaving.index()].process.waitFor(90, java.util.concurrent.TimeUnit.SECONDS)).as("the leaving node exits").isTrue();
            var leaveCalls = duringLeave.get();
            System.out.printf("[cluster] node %d left gracefully: %d calls through node %d meanwhile, %d not 200%n", leaving.index(),
                    leaveCalls.size(), caller.index(), leaveCalls.stream().filter(c -> !c.equals("200")).count());
            assertThat(leaveCalls).as("calls while the function's node left").isNotEmpty().allMatch("200"::equals);
            assertThat(Docker.containers(leaving.instance())).as("the leaving node's containers").isEmpty();
            var remaining = new HashSet<String>(nodes.stream().filter(n -> n != leaving).map(Node::address).toList());
            awaitMembers(nodes.stream().filter(n -> n != leaving).toList(), remaining);
            assertThat(gateways[leaving.index()].output()).contains("Removed containers on shutdown");
        } finally {
            for (var gateway : gateways) {
                if (gateway != null) {
                    gateway.close();
                }
            }
            for (var node : nodes) {
                Docker.removeAll(node.instance());
            }
        }
    }
}
