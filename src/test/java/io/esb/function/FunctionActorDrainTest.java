package io.esb.function;

import io.esb.container.ContainerClient;

import io.esb.testing.ActorTestKitSupport;

import static io.esb.function.FunctionActorTest.awaitStatus;
import static io.esb.function.FunctionActorTest.expectRun;
import static io.esb.function.FunctionActorTest.reply;
import static io.esb.function.FunctionActorTest.status;

import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import com.sun.net.httpserver.HttpServer;
import com.typesafe.config.ConfigFactory;
import io.esb.config.EsbSettings;
import io.esb.config.SettingsLoader;
import io.esb.docker.DaemonState;
import io.esb.docker.DockerReply;
import io.esb.docker.DockerSupervisor;
import io.esb.docker.ManagedContainer;
import io.esb.docker.StartedContainer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Live reload's drain, and settings applied in place: FunctionActor against a probe standing in for the
 * DockerSupervisor and an in-process HTTP server standing in for the function's container.
 */
class FunctionActorDrainTest extends ActorTestKitSupport {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Duration GRACE = Duration.ofMillis(200);

    private final List<Rie> servers = new ArrayList<>();
    private final List<ActorRef<FunctionActor.Command>> actors = new ArrayList<>();



    @AfterEach
    void stopActorsAndServers() {
        actors.forEach(testKit::stop);
        servers.forEach(Rie::stop);
    }

    @Test
    void drainRemovesIdleContainersAtOnceThenStops() {
        var rie = rie(0);
        var docker = testKit.<DockerSupervisor.Command>createTestProbe();
        var actor = spawn(settings(""), docker, true);
        var results = testKit.<InvocationResult>createTestProbe();
        actor.tell(new FunctionActor.Invoke(invocation("warm"), results.ref()));
        reply(expectRun(docker, "create-and-start"), new DockerReply.Ok<>(new StartedContainer("c1", "n1", rie.port())));
        assertThat(results.receiveMessage(WAIT)).isInstanceOf(InvocationResult.Completed.class);
        // The caller is answered before the actor hears that the container is free.
        awaitStatus(actor, s -> s.idle() == 1);

        actor.tell(new FunctionActor.Drain(GRACE));

        var remove = expectRun(docker, "remove");
        assertThat(FunctionActorTest.RecordingDocker.record(remove).<String>firstArg("removeContainerCmd")).isEqualTo("c1");
        // It does not stop before Docker has answered the removal, however long that takes.
        sleep(GRACE.multipliedBy(3).toMillis());
        assertThat(status(actor)).isEqualTo(new FunctionStatus("fn", 0, 0, 0, 0, 1));
        reply(remove, new DockerReply.Ok<>(true));
        testKit.createTestProbe().expectTerminated(actor, WAIT);
        docker.expectNoMessage(Duration.ofMillis(100));
    }

    @Test
    void busyAndQueuedCallsFinishOnTheOldContainerWhichIsThenRemoved() {
        var rie = rie(300);
        var docker = testKit.<DockerSupervisor.Command>createTestProbe();
        var actor = spawn(settings("max-concurrency = 1"), docker, true);
        var results = testKit.<InvocationResult>createTestProbe();
        actor.tell(new FunctionActor.Invoke(invocation("first"), results.ref()));
        actor.tell(new FunctionActor.Invoke(invocation("second"), results.ref()));
        reply(expectRun(docker, "create-and-start"), new DockerReply.Ok<>(new StartedContainer("c1", "n1", rie.port())));
        awaitBusy(actor);

        actor.tell(new FunctionActor.Drain(GRACE));

        var answers = results.receiveSeveralMessages(2, WAIT);
        assertThat(answers).allSatisfy(r -> {
            assertThat(r).isInstanceOf(InvocationResult.Completed.class);
            assertThat(((InvocationResult.Completed) r).containerId()).isEqualTo("c1");
        });
        assertThat(answers.stream().map(r -> new String(((InvocationResult.Completed) r).body(), StandardCharsets.UTF_8)).toList())
                .containsExactly("\"first\"", "\"second\"");
        assertThat(rie.invocations.get()).isEqualTo(2);
        // The queued call was served by the container that freed up; no new container was started for it.
        var remove = expectRun(docker, "remove");
        assertThat(FunctionActorTest.RecordingDocker.record(remove).<String>firstArg("removeContainerCmd")).isEqualTo("c1");
        reply(remove, new DockerReply.Ok<>(true));
        testKit.createTestProbe().expectTerminated(actor, WAIT);
    }

    @Test
    void aCallArrivingWhileDrainingIsStillServedAndItsContainerRemovedAfterwards() {
        var rie = rie(0);
        var docker = testKit.<DockerSupervisor.Command>createTestProbe();
        var actor = spawn(settings(""), docker, true);
        actor.tell(new FunctionActor.Drain(Duration.ofSeconds(30)));

        // A request that looked the function up just before the reload.
        var results = testKit.<InvocationResult>createTestProbe();
        actor.tell(new FunctionActor.Invoke(invocation("late"), results.ref()));
        reply(expectRun(docker, "create-and-start"), new DockerReply.Ok<>(new StartedContainer("c2", "n2", rie.port())));
        var answer = results.receiveMessage(WAIT);
        assertThat(answer).isInstanceOf(InvocationResult.Completed.class);
        assertThat(((InvocationResult.Completed) answer).coldStart()).isTrue();
        var remove = expectRun(docker, "remove");
        assertThat(FunctionActorTest.RecordingDocker.record(remove).<String>firstArg("removeContainerCmd")).isEqualTo("c2");
        reply(remove, new DockerReply.Ok<>(true));
        assertThat(status(actor)).isEqualTo(new FunctionStatus("fn", 0, 0, 0, 0, 1));
    }

    @Test
    void aDrainingFunctionStopsKeepingMinWarmContainers() {
        var rie = rie(0);
        var docker = testKit.<DockerSupervisor.Command>createTestProbe();
        var actor = spawn(settings("min-warm = 1"), docker, true);
        announceDaemonUp(docker);
        reply(expectRun(docker, "list-containers"), new DockerReply.Ok<>(List.<ManagedContainer>of()));
        reply(expectRun(docker, "create-and-start"), new DockerReply.Ok<>(new StartedContainer("w1", "n1", rie.port())));
        awaitStatus(actor, s -> s.idle() == 1);

        actor.tell(new FunctionActor.Drain(GRACE));

        reply(expectRun(docker, "remove"), new DockerReply.Ok<>(true));
        testKit.createTestProbe().expectTerminated(actor, WAIT);
        // min-warm did not start a replacement.
        docker.expectNoMessage(Duration.ofMillis(200));
    }

    @Test
    void withoutAdoptionAPredecessorsRunningContainersAreLeftAlone() {
        var rie = rie(0);
        var settings = settings("");
        var running = new ManagedContainer("old1", "n", "fn", settings.functions().get("fn").containerSpecHash(), true, rie.port());

        // Positive control: an actor that adopts takes the running container as idle without a cold start.
        var adoptingDocker = testKit.<DockerSupervisor.Command>createTestProbe();
        var adopting = spawn(settings, adoptingDocker, true);
        announceDaemonUp(adoptingDocker);
        reply(expectRun(adoptingDocker, "list-containers"), new DockerReply.Ok<>(List.of(running)));
        awaitStatus(adopting, s -> s.idle() == 1);

        var docker = testKit.<DockerSupervisor.Command>createTestProbe();
        var actor = spawn(settings, docker, false);
        announceDaemonUp(docker);
        reply(expectRun(docker, "list-containers"), new DockerReply.Ok<>(List.of(running)));
        var results = testKit.<InvocationResult>createTestProbe();
        actor.tell(new FunctionActor.Invoke(invocation("x"), results.ref()));
        // Its first call needs its own container: the running one belongs to the draining predecessor.
        reply(expectRun(docker, "create-and-start"), new DockerReply.Ok<>(new StartedContainer("new1", "n", rie.port())));
        var answer = (InvocationResult.Completed) results.receiveMessage(WAIT);
        assertThat(answer.containerId()).isEqualTo("new1");
        assertThat(answer.coldStart()).isTrue();
    }

    @Test
    void aRunningContainerThatDoesNotAnswerIsRemovedRatherThanLeftRunning() throws Exception {
        int deadPort;
        try (var socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            deadPort = socket.getLocalPort();
        }
        var settings = settings("");
        var silent = new ManagedContainer("mute1", "n", "fn", settings.functions().get("fn").containerSpecHash(), true, deadPort);
        var docker = testKit.<DockerSupervisor.Command>createTestProbe();
        var actor = spawn(settings, docker, true);
        announceDaemonUp(docker);
        reply(expectRun(docker, "list-containers"), new DockerReply.Ok<>(List.of(silent)));

        // It gets the adoption window (2 x ping-timeout = 10 s here) to answer, then goes.
        var remove = (DockerSupervisor.Run<?>) docker.receiveMessage(Duration.ofSeconds(20));
        assertThat(remove.operation()).isEqualTo("remove");
        assertThat(FunctionActorTest.RecordingDocker.record(remove).<String>firstArg("removeContainerCmd")).isEqualTo("mute1");
        reply(remove, new DockerReply.Ok<>(true));
        awaitStatus(actor, s -> s.equals(new FunctionStatus("fn", 0, 0, 0, 0, 0)));
    }

    @Test
    void reconfigureAppliesPoolSettingsInPlace() {
        var rie = rie(0);
        var docker = testKit.<DockerSupervisor.Command>createTestProbe();
        var actor = spawn(settings(""), docker, true);
        var results = testKit.<InvocationResult>createTestProbe();
        actor.tell(new FunctionActor.Invoke(invocation("one"), results.ref()));
        reply(expectRun(docker, "create-and-start"), new DockerReply.Ok<>(new StartedContainer("c1", "n1", rie.port())));
        assertThat(results.receiveMessage(WAIT)).isInstanceOf(InvocationResult.Completed.class);

        actor.tell(new FunctionActor.Reconfigure(settings("min-warm = 2").functions().get("fn")));

        // One container exists; min-warm 2 asks for one more. The existing container keeps serving.
        reply(expectRun(docker, "create-and-start"), new DockerReply.Ok<>(new StartedContainer("c2", "n2", rie.port())));
        awaitStatus(actor, s -> s.idle() == 2);
        actor.tell(new FunctionActor.Invoke(invocation("two"), results.ref()));
        var answer = (InvocationResult.Completed) results.receiveMessage(WAIT);
        assertThat(answer.containerId()).isIn("c1", "c2");
        awaitStatus(actor, s -> s.equals(new FunctionStatus("fn", 2, 0, 0, 0, 2)));
        docker.expectNoMessage(Duration.ofMillis(200));
    }

    // --- helpers ---------------------------------------------------------------------------------------------------

    private static EsbSettings settings(String functionExtra) {
        var text = """
                esb.docker { instance-id = "drain-test", client-timeout = 2s }
                # Adoption probes get 2 x ping-timeout; a fresh actor system's first HTTP request can take seconds.
                esb.containers { readiness-timeout = 10s, ping-timeout = 5s, connect-timeout = 1s }
                esb.functions.fn { image = "esb-fixture:latest", mode = push, %s }
                """.formatted(functionExtra);
        return SettingsLoader.load(ConfigFactory.parseString(text).withFallback(ConfigFactory.defaultReference()).resolve());
    }

    private ActorRef<FunctionActor.Command> spawn(EsbSettings settings, TestProbe<DockerSupervisor.Command> docker, boolean adopt) {
        var client = new ContainerClient(testKit.system(), settings.containers(), 6 * 1024 * 1024);
        var actor = testKit.spawn(FunctionActor.create(settings.functions().get("fn"), settings, docker.ref(), client, null, adopt));
        assertThat(docker.receiveMessage(WAIT)).isInstanceOf(DockerSupervisor.GetDaemonState.class);
        actors.add(actor);
        return actor;
    }

    /** The actor asked for the daemon's state at start; answering it Up makes it list its containers. */
    private static void announceDaemonUp(TestProbe<DockerSupervisor.Command> docker) {
        testKit.system().eventStream().tell(new akka.actor.typed.eventstream.EventStream.Publish<>(
                new DaemonState(DaemonState.Status.UP, "unix:///test", null, Instant.now())));
    }

    private Rie rie(long delayMs) {
        var rie = new Rie(delayMs);
        servers.add(rie);
        return rie;
    }

    private static Invocation invocation(String text) {
        return new Invocation(("\"" + text + "\"").getBytes(StandardCharsets.UTF_8), "req-" + text);
    }

    private static void awaitBusy(ActorRef<FunctionActor.Command> actor) {
        awaitStatus(actor, s -> s.busy() == 1);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Echoes invocation bodies after {@code delayMs}; answers anything else (readiness probes) with 404. */
    private static final class Rie {
        final AtomicInteger invocations = new AtomicInteger();
        private final HttpServer server;
        private final ExecutorService executor = Executors.newFixedThreadPool(4);

        Rie(long delayMs) {
            try {
                server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            server.setExecutor(executor);
            server.createContext("/", exchange -> {
                try (exchange) {
                    var body = exchange.getRequestBody().readAllBytes();
                    if (!"POST".equals(exchange.getRequestMethod())) {
                        exchange.sendResponseHeaders(404, -1);
                        return;
                    }
                    sleep(delayMs);
                    invocations.incrementAndGet();
                    exchange.getResponseHeaders().set("Content-Type", "application/json");
                    exchange.sendResponseHeaders(200, body.length);
                    exchange.getResponseBody().write(body);
                }
            });
            server.start();
        }

        int port() {
            return server.getAddress().getPort();
        }

        void stop() {
            server.stop(0);
            executor.shutdownNow();
        }
    }
}
