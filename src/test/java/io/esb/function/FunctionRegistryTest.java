package io.esb.function;

import io.esb.container.ContainerClient;

import io.esb.testing.ActorTestKitSupport;

import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import com.typesafe.config.ConfigFactory;
import io.esb.config.EsbSettings;
import io.esb.config.SettingsLoader;
import io.esb.docker.DockerSupervisor;
import io.esb.route.RouteTable;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/** The registry's diff and publication: which actors it keeps, spawns and drains, and the table requests see. */
class FunctionRegistryTest extends ActorTestKitSupport {
    private static final Duration WAIT = Duration.ofSeconds(10);



    @Test
    void publishesOneTableAndAppliesADiff() throws Exception {
        var boot = settings("""
                keep    { image = "esb-fixture:latest", routes = [ { method = "GET", path = "/keep" } ] }
                gone    { image = "esb-fixture:latest", routes = [ { method = "GET", path = "/gone" } ] }
                env     { image = "esb-fixture:latest", environment { A = "1" }, routes = [ { method = "GET", path = "/env" } ] }
                pool    { image = "esb-fixture:latest", max-concurrency = 4 }
                """);
        var docker = testKit.<DockerSupervisor.Command>createTestProbe();
        var dockerState = DockerSupervisor.sharedState(boot);
        var table = new AtomicReference<FunctionTable>();
        var started = new CompletableFuture<FunctionTable>();
        var registry = testKit.spawn(FunctionRegistry.create(boot, docker.ref(), channels(boot), null, io.esb.observability.GatewayMetrics.disabled(), null, dockerState, table, started,
                Duration.ofMillis(100)));

        var first = started.get(10, TimeUnit.SECONDS);
        assertThat(first).isSameAs(table.get());
        assertThat(first.generation()).isEqualTo(1);
        assertThat(first.refs()).containsOnlyKeys("keep", "gone", "env", "pool");
        assertThat(first.ref("env").path().name()).isEqualTo("function-env-1");
        assertThat(first.routes().lookup("GET", "/gone")).isInstanceOf(RouteTable.Found.class);
        expectDaemonStateAsks(docker, 4);
        var oldEnvHash = boot.functions().get("env").containerSpecHash();

        var next = settings("""
                keep    { image = "esb-fixture:latest", routes = [ { method = "GET", path = "/keep" } ] }
                env     { image = "esb-fixture:latest", environment { A = "2" }, routes = [ { method = "GET", path = "/env" } ] }
                pool    { image = "esb-fixture:latest", max-concurrency = 2, routes = [ { method = "POST", path = "/pool" } ] }
                fresh   { image = "esb-fixture:latest", routes = [ { method = "GET", path = "/fresh" } ] }
                """);
        var applied = apply(registry, next);

        assertThat(applied.generation()).isEqualTo(2);
        assertThat(applied.diff()).isEqualTo(new FunctionDiff(java.util.List.of("fresh"), java.util.List.of("gone"),
                java.util.List.of("env"), java.util.List.of("pool")));
        var second = table.get();
        assertThat(second.generation()).isEqualTo(2);
        assertThat(second.functions()).isEqualTo(next.functions());
        assertThat(second.refs()).containsOnlyKeys("keep", "env", "pool", "fresh");
        // Unchanged and updated-in-place functions keep their actor; replaced and new ones get one of this generation.
        assertThat(second.ref("keep")).isEqualTo(first.ref("keep"));
        assertThat(second.ref("pool")).isEqualTo(first.ref("pool"));
        assertThat(second.ref("env")).isNotEqualTo(first.ref("env"));
        assertThat(second.ref("env").path().name()).isEqualTo("function-env-2");
        assertThat(second.ref("fresh").path().name()).isEqualTo("function-fresh-2");
        assertThat(second.routes().lookup("GET", "/gone")).isInstanceOf(RouteTable.NotFound.class);
        assertThat(second.routes().lookup("GET", "/fresh")).isInstanceOf(RouteTable.Found.class);
        assertThat(second.routes().lookup("POST", "/pool")).isInstanceOf(RouteTable.Found.class);
        // The table requests saw before is untouched: a request holding it stays on one version.
        assertThat(first.routes().lookup("GET", "/gone")).isInstanceOf(RouteTable.Found.class);
        expectDaemonStateAsks(docker, 2);

        // While they drain, reconcile keeps the old containers of the replaced and removed functions.
        assertThat(dockerState.liveSpecs().get("env")).containsExactlyInAnyOrder(oldEnvHash, next.functions().get("env").containerSpecHash());
        assertThat(dockerState.liveSpecs()).containsKey("gone");

        // The replaced and removed actors had no containers: they drain, linger for the grace and stop.
        var watcher = testKit.createTestProbe();
        watcher.expectTerminated(first.ref("gone"), WAIT);
        watcher.expectTerminated(first.ref("env"), WAIT);
        awaitSpecs(dockerState, specs -> !specs.containsKey("gone") && specs.get("env").equals(Set.of(next.functions().get("env").containerSpecHash())));
        assertThat(dockerState.liveSpecs()).containsOnlyKeys("keep", "env", "pool", "fresh");

        // The same settings again: nothing changes, not even the generation.
        var again = apply(registry, next);
        assertThat(again.generation()).isEqualTo(2);
        assertThat(again.diff().isEmpty()).isTrue();
        assertThat(table.get()).isSameAs(second);
        docker.expectNoMessage(Duration.ofMillis(100));
        testKit.stop(registry);
    }

    @Test
    void aFunctionRemovedAndAddedBackWhileDrainingGetsANewActor() throws Exception {
        var boot = settings("a { image = \"esb-fixture:latest\" }");
        var docker = testKit.<DockerSupervisor.Command>createTestProbe();
        var table = new AtomicReference<FunctionTable>();
        var started = new CompletableFuture<FunctionTable>();
        var registry = testKit.spawn(FunctionRegistry.create(boot, docker.ref(), channels(boot), null, io.esb.observability.GatewayMetrics.disabled(), null, null, table, started,
                Duration.ofSeconds(30)));
        var original = started.get(10, TimeUnit.SECONDS).ref("a");

        apply(registry, settings(""));
        assertThat(table.get().refs()).isEmpty();
        var back = apply(registry, boot);

        assertThat(back.diff().added()).containsExactly("a");
        assertThat(table.get().ref("a")).isNotEqualTo(original);
        assertThat(table.get().ref("a").path().name()).isEqualTo("function-a-3");
        testKit.stop(registry); // with its actors, the draining one included
    }

    @Test
    void aRebuiltFunctionKeepsItsDrainingPredecessorsContainersUntilTheyFinish() throws Exception {
        var plain = settings("b { image = \"built:test\" }");
        var build1 = new io.esb.config.ImageBuild(java.nio.file.Path.of("/ctx/Dockerfile"), java.nio.file.Path.of("/ctx"), "built:test",
                java.util.Map.of("V", "1"), null);
        var build2 = new io.esb.config.ImageBuild(build1.dockerfile(), build1.context(), build1.tag(), java.util.Map.of("V", "2"), null);
        var boot = withBuild(plain, build1);
        var docker = testKit.<DockerSupervisor.Command>createTestProbe();
        var builds = testKit.<ImageBuilds.Command>createTestProbe();
        var table = new AtomicReference<FunctionTable>();
        var started = new CompletableFuture<FunctionTable>();
        var registry = testKit.spawn(FunctionRegistry.create(boot, docker.ref(), channels(boot), null, io.esb.observability.GatewayMetrics.disabled(), builds.ref(), null, table, started,
                Duration.ofSeconds(30)));
        started.get(10, TimeUnit.SECONDS);
        // At startup the build removes containers of earlier images, so they are not adopted.
        var first = (ImageBuilds.Build) builds.receiveMessage(WAIT);
        assertThat(first.build()).isEqualTo(build1);
        assertThat(first.removeStale()).isTrue();

        var applied = apply(registry, withBuild(plain, build2));

        assertThat(applied.diff().replaced()).containsExactly("b");
        // The old actor drains with the same settings: its busy containers run an earlier image and must finish.
        var second = (ImageBuilds.Build) builds.receiveMessage(WAIT);
        assertThat(second.build()).isEqualTo(build2);
        assertThat(second.removeStale()).isFalse();
        testKit.stop(registry);
    }

    private static EsbSettings withBuild(EsbSettings settings, io.esb.config.ImageBuild build) {
        var sam = new io.esb.config.sam.SamTemplate(java.nio.file.Path.of("/ctx/template.yaml"), settings.functions(),
                java.util.Map.of("b", build), java.util.List.of());
        return settings.withFunctions(settings.functions(), sam);
    }

    private static FunctionRegistry.Applied apply(ActorRef<FunctionRegistry.Command> registry, EsbSettings settings) {
        var probe = testKit.<FunctionRegistry.Result>createTestProbe();
        registry.tell(new FunctionRegistry.Apply(settings, probe.ref()));
        var result = probe.receiveMessage(WAIT);
        assertThat(result).isInstanceOf(FunctionRegistry.Applied.class);
        return (FunctionRegistry.Applied) result;
    }

    private static void expectDaemonStateAsks(TestProbe<DockerSupervisor.Command> docker, int actors) {
        for (int i = 0; i < actors; i++) {
            assertThat(docker.receiveMessage(WAIT)).isInstanceOf(DockerSupervisor.GetDaemonState.class);
        }
        docker.expectNoMessage(Duration.ofMillis(100));
    }

    private static void awaitSpecs(DockerSupervisor.Shared state, java.util.function.Predicate<java.util.Map<String, Set<String>>> condition)
            throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.test(state.liveSpecs())) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("live specs never matched: " + state.liveSpecs());
            }
            Thread.sleep(10);
        }
    }

    /** The registry only hands a channel to each actor; these tests never reach a container through it. */
    private static ContainerChannels channels(EsbSettings settings) {
        var client = client(settings);
        return new ContainerChannels(client, client);
    }

    private static ContainerClient client(EsbSettings settings) {
        return new ContainerClient(testKit.system(), settings.containers(), 6 * 1024 * 1024);
    }

    private static EsbSettings settings(String functions) {
        return SettingsLoader.load(ConfigFactory.parseString("esb.docker.instance-id = \"registry-test\"\nesb.functions {\n" + functions + "\n}")
                .withFallback(ConfigFactory.defaultReference()).resolve());
    }
}
