package io.esb.function;

import io.esb.container.ContainerClient;

import io.esb.testing.ActorTestKitSupport;

import static org.assertj.core.api.Assertions.assertThat;

import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import com.github.dockerjava.api.DockerClient;
import com.sun.net.httpserver.HttpServer;
import com.typesafe.config.ConfigFactory;
import io.esb.config.EsbSettings;
import io.esb.config.SettingsLoader;
import io.esb.docker.DockerFailure;
import io.esb.docker.DockerReply;
import io.esb.docker.DockerSupervisor;
import io.esb.docker.StartedContainer;
import java.io.IOException;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * FunctionActor against a probe standing in for the DockerSupervisor and real in-process HTTP servers standing in for
 * function containers (the actor's ContainerClient always talks to 127.0.0.1:port).
 */
class FunctionActorTest extends ActorTestKitSupport {
    private static final String INVOKE_PATH = "/2015-03-31/functions/function/invocations";
    private static final Duration WAIT = Duration.ofSeconds(5);

    private final List<FakeRie> servers = new ArrayList<>();
    private final List<ActorRef<FunctionActor.Command>> actors = new ArrayList<>();

    @BeforeAll
    static void warmUpTheContainerClient() throws Exception {
        // The first exchange in a JVM loads classes and starts threads; done here, readiness timings below mean something.
        var warmUp = new FakeRie();
        try {
            var containers = settings("fn", "", "").containers();
            var ready = new ContainerClient(testKit.system(), containers, 1024).awaitReady("127.0.0.1", warmUp.port(), Duration.ofSeconds(20))
                    .toCompletableFuture().get(30, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(ready).isTrue();
        } finally {
            warmUp.stop();
        }
    }


    @AfterEach
    void cleanUp() {
        actors.forEach(testKit::stop);
        servers.forEach(FakeRie::stop);
    }

    // ---------------------------------------------------------------------------------------------------------------

    @Test
    void concurrentInvocationsShareOneColdStartAndNeverOverlapOnAContainer() {
        var server = startServer();
        var settings = settings("fn", "max-concurrency = 1", "");
        var docker = testKit.<DockerSupervisor.Command>createTestProbe();
        var actor = spawn(settings, "fn", docker);
        var results = testKit.<InvocationResult>createTestProbe();

        for (int i = 0; i < 20; i++) {
            actor.tell(new FunctionActor.Invoke(invocation("{\"n\":" + i + "}", "req-" + i), results.ref()));
        }
        var start = expectRun(docker, "create-and-start");
        // Single flight: 20 queued invocations, one container allowed, so exactly one start while it is pending.
        docker.expectNoMessage(Duration.ofMillis(300));
        var spec = RecordingDocker.record(start);
        assertThat(spec.<String>firstArg("createContainerCmd")).isEqualTo("esb-fixture:latest");
        assertThat((String) spec.firstArg("withName")).startsWith("esb-fa-test-fn-");
        assertThat(spec.<List<String>>firstArg("withEnv")).contains("AWS_LAMBDA_FUNCTION_NAME=fn",
                "AWS_LAMBDA_FUNCTION_TIMEOUT=3", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128", "AWS_REGION=us-east-1");
        assertThat(spec.<Map<String, String>>firstArg("withLabels"))
                .containsEntry("esb.instance", "fa-test").containsEntry("esb.function", "fn")
                .containsEntry("esb.spec", settings.functions().get("fn").containerSpecHash());
        reply(start, new DockerReply.Ok<>(new StartedContainer("c1", "name", server.port())));

        var received = results.receiveSeveralMessages(20, Duration.ofSeconds(10));
        assertThat(received).allSatisfy(r -> assertThat(r).isInstanceOf(InvocationResult.Completed.class));
        var completed = received.stream().map(r -> (InvocationResult.Completed) r).toList();
        assertThat(completed).allSatisfy(c -> {
            assertThat(c.status()).isEqualTo(200);
            assertThat(c.containerId()).isEqualTo("c1");
            assertThat(c.contentType()).contains("application/json");
        });
        assertThat(completed.stream().map(c -> new String(c.body(), StandardCharsets.UTF_8)).collect(Collectors.toSet()))
                .hasSize(20)
                .isEqualTo(java.util.stream.IntStream.range(0, 20).mapToObj(i -> "{\"n\":" + i + "}").collect(Collectors.toSet()));
        assertThat(completed.stream().filter(InvocationResult.Completed::coldStart).count()).isEqualTo(1);

        assertThat(server.invocations.get()).isEqualTo(20);
        assertThat(server.maxConcurrent.get()).as("requests in flight at once on one container").isEqualTo(1);
        // Each request carried its own request id to the container.
        assertThat(server.requestIds).hasSize(20).contains("req-0", "req-19");
        docker.expectNoMessage(Duration.ofMillis(200));

        assertStatusSettles(actor, new FunctionStatus("fn", 1, 0, 0, 0, 1));
    }

    @Test
    void startsOnlyAsManyContainersAsQueuedCallsNeedWithinTheLimit() {
        var server = startServer();
        server.delayMs = 200;
        var settings = settings("fn", "max-concurrency = 3", "");
        var docker = testKit.<DockerSupervisor.Command>createTestProbe();
        var actor = spawn(settings, "fn", docker);
        var results = testKit.<InvocationResult>createTestProbe();

        // Two callers, limit three: two starts, not three.
        actor.tell(new FunctionActor.Invoke(invocation("{\"n\":0}", "r0"), results.ref()));
        actor.tell(new FunctionActor.Invoke(invocation("{\"n\":1}", "r1"), results.ref()));
        var starts = new ArrayList<DockerSupervisor.Run<?>>(List.of(expectRun(docker, "create-and-start"), expectRun(docker, "create-and-start")));
        docker.expectNoMessage(Duration.ofMillis(300));
        // Five more: only one more start fits under the limit.
        for (int i = 2; i < 7; i++) {
            actor.tell(new FunctionActor.Invoke(invocation("{\"n\":" + i + "}", "r" + i), results.ref()));
        }
        starts.add(expectRun(docker, "create-and-start"));
        docker.expectNoMessage(Duration.ofMillis(300));
        assertStatusSettles(actor, new FunctionStatus("fn", 0, 0, 3, 7, 3));

        for (int i = 0; i < starts.size(); i++) {
            reply(starts.get(i), new DockerReply.Ok<>(new StartedContainer("c" + i, "n" + i, server.port())));
        }
        var completed = results.receiveSeveralMessages(7, Duration.ofSeconds(10)).stream()
                .map(r -> (InvocationResult.Completed) r).toList();
        assertThat(completed.stream().map(InvocationResult.Completed::containerId).collect(Collectors.toSet()))
                .containsExactlyInAnyOrder("c0", "c1", "c2");
        assertThat(completed.stream().filter(InvocationResult.Completed::coldStart).map(InvocationResult.Completed::containerId))
                .containsExactlyInAnyOrder("c0", "c1", "c2");
        assertThat(server.maxConcurrent.get()).isBetween(2, 3);
        docker.expectNoMessage(Duration.ofMillis(200));
        assertStatusSettles(actor, new FunctionStatus("fn", 3, 0, 0, 0, 3));
    }

    @Test
    void queueBeyondMaxDepthIsThrottledAtOnce() {
        var server = startServer();
        var settings = settings("fn", "max-concurrency = 1", "esb.containers.max-queue-depth = 2");
        var docker = testKit.<DockerSupervisor.Command>createTestProbe();
        var actor = spawn(settings, "fn", docker);
        var first = testKit.<InvocationResult>createTestProbe();
        var second = testKit.<InvocationResult>createTestProbe();
        var third = testKit.<InvocationResult>createTestProbe();

        actor.tell(new FunctionActor.Invoke(invocation("{\"n\":1}", "r1"), first.ref()));
        var start = expectRun(docker, "create-and-start");
        actor.tell(new FunctionActor.Invoke(invocation("{\"n\":2}", "r2"), second.ref()));
        actor.tell(new FunctionActor.Invoke(invocation("{\"n\":3}", "r3"), third.ref()));

        // The start is still pending: the third caller is answered right away, the first two keep waiting.
        var throttled = third.expectMessageClass(InvocationResult.Failed.class, Duration.ofSeconds(1));
        assertThat(throttled.reason()).isEqualTo(InvocationResult.Reason.THROTTLED);
        assertThat(throttled.message()).contains("'fn'", "esb.containers.max-queue-depth = 2");
        first.expectNoMessage(Duration.ofMillis(100));
        second.expectNoMessage(Duration.ofMillis(1));
        assertStatusSettles(actor, new FunctionStatus("fn", 0, 0, 1, 2, 1));

        reply(start, new DockerReply.Ok<>(new StartedContainer("c1", "name", server.port())));
        assertThat(body(first.expectMessageClass(InvocationResult.Completed.class, WAIT))).isEqualTo("{\"n\":1}");
        assertThat(body(second.expectMessageClass(InvocationResult.Completed.class, WAIT))).isEqualTo("{\"n\":2}");
        third.expectNoMessage(Duration.ofMillis(100));
        assertThat(server.invocations.get()).isEqualTo(2);
    }

    @Test
    void startFailureFailsEveryQueuedCallerWithTheReason() {
        var settings = settings("fn", "max-concurrency = 1", "");
        var docker = testKit.<DockerSupervisor.Command>createTestProbe();
        var actor = spawn(settings, "fn", docker);
        var callers = List.of(testKit.<InvocationResult>createTestProbe(), testKit.<InvocationResult>createTestProbe(),
                testKit.<InvocationResult>createTestProbe());

        for (int i = 0; i < callers.size(); i++) {
            actor.tell(new FunctionActor.Invoke(invocation("{}", "r" + i), callers.get(i).ref()));
        }
        var start = expectRun(docker, "create-and-start");
        var message = "Docker daemon unavailable at unix:///var/run/docker.sock: Connection refused";
        reply(start, new DockerReply.Failed<>(new DockerFailure(DockerFailure.Kind.UNAVAILABLE, "create-and-start", message)));

        for (var caller : callers) {
            var failed = caller.expectMessageClass(InvocationResult.Failed.class, WAIT);
            assertThat(failed.reason()).isEqualTo(InvocationResult.Reason.DOCKER_UNAVAILABLE);
            assertThat(failed.message()).isEqualTo(message);
            assertThat(failed.coldStart()).isTrue();
        }
        docker.expectNoMessage(Duration.ofMillis(200)); // no retry storm, nothing to remove
        assertStatusSettles(actor, new FunctionStatus("fn", 0, 0, 0, 0, 1));
    }

    @Test
    void rejectedStartIsReportedAsStartFailed() {
        var settings = settings("fn", "", "");
        var docker = testKit.<DockerSupervisor.Command>createTestProbe();
        var actor = spawn(settings, "fn", docker);
        var caller = testKit.<InvocationResult>createTestProbe();

        actor.tell(new FunctionActor.Invoke(invocation("{}", "r"), caller.ref()));
        var message = "Docker rejected 'create-and-start' (HTTP 404): No such image: esb-fixture:latest";
        reply(expectRun(docker, "create-and-start"),
                new DockerReply.Failed<>(new DockerFailure(DockerFailure.Kind.REJECTED, "create-and-start", message)));

        var failed = caller.expectMessageClass(InvocationResult.Failed.class, WAIT);
        assertThat(failed.reason()).isEqualTo(InvocationResult.Reason.START_FAILED);
        assertThat(failed.message()).isEqualTo(message);
    }

    @Test
    void refusedConnectionDiscardsTheContainerAndRetriesOnAFreshOne() throws Exception {
        var first = startServer();
        var settings = settings("fn", "max-concurrency = 1", "");
        var docker = testKit.<DockerSupervisor.Command>createTestProbe();
        var actor = spawn(settings, "fn", docker);
        var caller = testKit.<InvocationResult>createTestProbe();

        // A first call makes c1 warm and idle.
        actor.tell(new FunctionActor.Invoke(invocation("{\"n\":1}", "r1"), caller.ref()));
        reply(expectRun(docker, "create-and-start"), new DockerReply.Ok<>(new StartedContainer("c1", "one", first.port())));
        var warm = caller.expectMessageClass(InvocationResult.Completed.class, WAIT);
        assertThat(warm.containerId()).isEqualTo("c1");

        // c1 dies while idle: nothing listens on its port any more.
        first.stop();
        Thread.sleep(300); // let the pool notice its keep-alive connection was closed
        var second = startServer();
        actor.tell(new FunctionActor.Invoke(invocation("{\"n\":2}", "r2"), caller.ref()));

        var remove = expectRun(docker, "remove");
        assertThat(RecordingDocker.record(remove).<String>firstArg("removeContainerCmd")).isEqualTo("c1");
        reply(remove, new DockerReply.Ok<>(true));
        var restart = expectRun(docker, "create-and-start");
        assertThat(restart.requestId()).isEqualTo("r2");
        reply(restart, new DockerReply.Ok<>(new StartedContainer("c2", "two", second.port())));

        var retried = caller.expectMessageClass(InvocationResult.Completed.class, WAIT);
        assertThat(retried.containerId()).isEqualTo("c2");
        assertThat(body(retried)).isEqualTo("{\"n\":2}");
        assertThat(retried.coldStart()).isTrue();
        assertThat(first.invocations.get()).isEqualTo(1);
        assertThat(second.invocations.get()).isEqualTo(1);
        assertStatusSettles(actor, new FunctionStatus("fn", 1, 0, 0, 0, 2));
    }

    @Test
    void connectionLostAfterDeliveryOnTheFreshContainerIsNotResent() throws Exception {
        var first = startServer();
        var settings = settings("fn", "max-concurrency = 1", "");
        var docker = testKit.<DockerSupervisor.Command>createTestProbe();
        var actor = spawn(settings, "fn", docker);
        var caller = testKit.<InvocationResult>createTestProbe();

        actor.tell(new FunctionActor.Invoke(invocation("{}", "r1"), caller.ref()));
        reply(expectRun(docker, "create-and-start"), new DockerReply.Ok<>(new StartedContainer("c1", "one", first.port())));
        caller.expectMessageClass(InvocationResult.Completed.class, WAIT);
        first.stop();
        Thread.sleep(300);

        var second = startServer();
        actor.tell(new FunctionActor.Invoke(invocation("{}", "r2"), caller.ref()));
        reply(expectRun(docker, "remove"), new DockerReply.Ok<>(true));
        // The fresh container answers the readiness probe, then drops the connection once the event was sent:
        // the event may have run, so it must not be sent again.
        second.failNextInvocationByStopping = true;
        reply(expectRun(docker, "create-and-start"), new DockerReply.Ok<>(new StartedContainer("c2", "two", second.port())));
        // Before the dead container goes, its state tells whether the kernel killed it for memory (here: no).
        reply(expectRun(docker, "inspect"), new DockerReply.Ok<>(false));

        var failed = caller.expectMessageClass(InvocationResult.Failed.class, WAIT);
        // The runtime died mid-invocation: reported as such, never resent.
        assertThat(failed.reason()).isEqualTo(InvocationResult.Reason.RUNTIME_EXITED);
        assertThat(failed.message()).startsWith("Function container failed during the invocation: ");
        assertThat(second.droppedInvocations.get()).isEqualTo(1);
        assertThat(failed.coldStart()).isTrue();
        var remove = expectRun(docker, "remove");
        assertThat(RecordingDocker.record(remove).<String>firstArg("removeContainerCmd")).isEqualTo("c2");
        reply(remove, new DockerReply.Ok<>(true));
        docker.expectNoMessage(Duration.ofMillis(300)); // no third container for a call that already failed
    }

    @Test
    void idleContainerIsReapedAfterIdleTimeout() {
        var server = startServer();
        var settings = settings("fn", "", "esb.containers.idle-timeout = 800ms");
        var docker = testKit.<DockerSupervisor.Command>createTestProbe();
        var actor = spawn(settings, "fn", docker);
        var caller = testKit.<InvocationResult>createTestProbe();

        actor.tell(new FunctionActor.Invoke(invocation("{}", "r1"), caller.ref()));
        reply(expectRun(docker, "create-and-start"), new DockerReply.Ok<>(new StartedContainer("c1", "one", server.port())));
        caller.expectMessageClass(InvocationResult.Completed.class, WAIT);
        long idleSince = System.nanoTime();
        assertStatusSettles(actor, new FunctionStatus("fn", 1, 0, 0, 0, 1));

        var remove = expectRun(docker, "remove");
        long waitedMs = Duration.ofNanos(System.nanoTime() - idleSince).toMillis();
        assertThat(waitedMs).as("reaped only after the idle timeout").isGreaterThanOrEqualTo(700).isLessThan(3000);
        assertThat(RecordingDocker.record(remove).<String>firstArg("removeContainerCmd")).isEqualTo("c1");
        reply(remove, new DockerReply.Ok<>(true));

        assertStatusSettles(actor, new FunctionStatus("fn", 0, 0, 0, 0, 1));
        docker.expectNoMessage(Duration.ofMillis(500)); // reaped once only

        // The next call cold-starts a new container.
        actor.tell(new FunctionActor.Invoke(invocation("{\"again\":true}", "r2"), caller.ref()));
        reply(expectRun(docker, "create-and-start"), new DockerReply.Ok<>(new StartedContainer("c2", "two", server.port())));
        var again = caller.expectMessageClass(InvocationResult.Completed.class, WAIT);
        assertThat(again.containerId()).isEqualTo("c2");
        assertThat(again.coldStart()).isTrue();
    }

    @Test
    void containerThatNeverAnswersIsRemovedAndCallersFailWithStartFailed() throws IOException {
        int deadPort;
        try (var socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            deadPort = socket.getLocalPort(); // nothing listens here once closed
        }
        var settings = settings("fn", "", "esb.containers.readiness-timeout = 1s");
        var docker = testKit.<DockerSupervisor.Command>createTestProbe();
        var actor = spawn(settings, "fn", docker);
        var caller = testKit.<InvocationResult>createTestProbe();

        actor.tell(new FunctionActor.Invoke(invocation("{}", "r1"), caller.ref()));
        long start = System.nanoTime();
        reply(expectRun(docker, "create-and-start"), new DockerReply.Ok<>(new StartedContainer("c1", "esb-dead", deadPort)));

        var remove = expectRun(docker, "remove");
        assertThat(RecordingDocker.record(remove).<String>firstArg("removeContainerCmd")).isEqualTo("c1");
        reply(remove, new DockerReply.Ok<>(true));
        var failed = caller.expectMessageClass(InvocationResult.Failed.class, WAIT);
        long waitedMs = Duration.ofNanos(System.nanoTime() - start).toMillis();
        assertThat(waitedMs).isBetween(900L, 3000L);
        assertThat(failed.reason()).isEqualTo(InvocationResult.Reason.START_FAILED);
        assertThat(failed.message()).isEqualTo("container esb-dead did not answer within 1000 ms (esb.containers.readiness-timeout)");
        assertStatusSettles(actor, new FunctionStatus("fn", 0, 0, 0, 0, 1));
    }

    @Test
    void invocationPastTheFunctionTimeoutFailsAndItsContainerIsDiscarded() {
        var server = startServer();
        server.delayMs = 4000;
        var settings = settings("fn", "timeout = 1s", "");
        var docker = testKit.<DockerSupervisor.Command>createTestProbe();
        var actor = spawn(settings, "fn", docker);
        var caller = testKit.<InvocationResult>createTestProbe();

        actor.tell(new FunctionActor.Invoke(invocation("{}", "r1"), caller.ref()));
        reply(expectRun(docker, "create-and-start"), new DockerReply.Ok<>(new StartedContainer("c1", "one", server.port())));
        var failed = caller.expectMessageClass(InvocationResult.Failed.class, WAIT);
        long waitedMs = Duration.ofNanos(System.nanoTime() - server.lastInvocationStartNanos).toMillis();
        assertThat(failed.reason()).isEqualTo(InvocationResult.Reason.TIMED_OUT);
        // The gateway waits the function's timeout plus a 1 s grace for the RIE's own answer, then gives up
        // (the server would only answer after 4 s).
        assertThat(waitedMs).isBetween(1900L, 3000L);
        assertThat(failed.message()).isEqualTo("Function 'fn' did not answer within its timeout of 1 s");
        assertThat(failed.coldStart()).isTrue();
        var remove = expectRun(docker, "remove");
        assertThat(RecordingDocker.record(remove).<String>firstArg("removeContainerCmd")).isEqualTo("c1");
        reply(remove, new DockerReply.Ok<>(true));
        assertStatusSettles(actor, new FunctionStatus("fn", 0, 0, 0, 0, 1));
    }

    @Test
    void answersThatLeaveTheRuntimeInAnUnknownStateDiscardTheContainer() {
        var server = startServer();
        var settings = settings("fn", "", "");
        var docker = testKit.<DockerSupervisor.Command>createTestProbe();
        var actor = spawn(settings, "fn", docker);
        var caller = testKit.<InvocationResult>createTestProbe();

        // A crashed runtime: the RIE answers 502 without a body. The caller still gets the answer.
        server.status = 502;
        server.fixedBody = "";
        actor.tell(new FunctionActor.Invoke(invocation("{}", "r1"), caller.ref()));
        reply(expectRun(docker, "create-and-start"), new DockerReply.Ok<>(new StartedContainer("c1", "one", server.port())));
        var crashed = caller.expectMessageClass(InvocationResult.Completed.class, WAIT);
        assertThat(crashed.status()).isEqualTo(502);
        assertThat(crashed.containerId()).isEqualTo("c1");
        var remove = expectRun(docker, "remove");
        assertThat(RecordingDocker.record(remove).<String>firstArg("removeContainerCmd")).isEqualTo("c1");
        reply(remove, new DockerReply.Ok<>(true));

        // The RIE's own timeout answer: 200 with "Task timed out after ...".
        server.status = 200;
        server.fixedBody = "Task timed out after 3.00 seconds";
        actor.tell(new FunctionActor.Invoke(invocation("{}", "r2"), caller.ref()));
        reply(expectRun(docker, "create-and-start"), new DockerReply.Ok<>(new StartedContainer("c2", "two", server.port())));
        var timedOut = caller.expectMessageClass(InvocationResult.Completed.class, WAIT);
        assertThat(body(timedOut)).isEqualTo("Task timed out after 3.00 seconds");
        assertThat(timedOut.coldStart()).isTrue();
        var remove2 = expectRun(docker, "remove");
        assertThat(RecordingDocker.record(remove2).<String>firstArg("removeContainerCmd")).isEqualTo("c2");
        reply(remove2, new DockerReply.Ok<>(true));

        // A handler error reported in a 200 body is an ordinary answer: the container stays warm.
        server.fixedBody = "{\"errorMessage\":\"boom\",\"errorType\":\"IllegalStateException\"}";
        actor.tell(new FunctionActor.Invoke(invocation("{}", "r3"), caller.ref()));
        reply(expectRun(docker, "create-and-start"), new DockerReply.Ok<>(new StartedContainer("c3", "three", server.port())));
        caller.expectMessageClass(InvocationResult.Completed.class, WAIT);
        docker.expectNoMessage(Duration.ofMillis(300));
        assertStatusSettles(actor, new FunctionStatus("fn", 1, 0, 0, 0, 3));
    }

    @Test
    void busyContainerIsNotReaped() {
        var server = startServer();
        var settings = settings("fn", "", "esb.containers.idle-timeout = 400ms");
        var docker = testKit.<DockerSupervisor.Command>createTestProbe();
        var actor = spawn(settings, "fn", docker);
        var caller = testKit.<InvocationResult>createTestProbe();

        server.delayMs = 1200; // longer than idle-timeout: the container is busy, not idle
        actor.tell(new FunctionActor.Invoke(invocation("{}", "r1"), caller.ref()));
        reply(expectRun(docker, "create-and-start"), new DockerReply.Ok<>(new StartedContainer("c1", "one", server.port())));
        docker.expectNoMessage(Duration.ofMillis(1000));
        assertThat(status(actor).busy()).isEqualTo(1);
        var done = caller.expectMessageClass(InvocationResult.Completed.class, WAIT);
        assertThat(done.containerId()).isEqualTo("c1");
    }

    @Test
    void aContainerStillRunningAfterItDroppedTheConnectionIsInspectedAgainOnATimer() {
        var server = startServer();
        server.failNextInvocationByStopping = true;
        var settings = settings("fn", "", "");
        var docker = testKit.<DockerSupervisor.Command>createTestProbe();
        var actor = spawn(settings, "fn", docker);
        var caller = testKit.<InvocationResult>createTestProbe();

        actor.tell(new FunctionActor.Invoke(invocation("{}", "r1"), caller.ref()));
        reply(expectRun(docker, "create-and-start"), new DockerReply.Ok<>(new StartedContainer("c1", "one", server.port())));
        // Docker has not recorded the exit yet: the actor asks again a moment later, not at once.
        var first = expectRun(docker, "inspect");
        assertThat(first.requestId()).isEqualTo("r1");
        assertThat(RecordingDocker.record(first).<String>firstArg("inspectContainerCmd")).isEqualTo("c1");
        reply(first, new DockerReply.Ok<>(null));
        long asked = System.nanoTime();
        var second = expectRun(docker, "inspect");
        assertThat(Duration.ofNanos(System.nanoTime() - asked).toMillis()).isGreaterThanOrEqualTo(80);
        caller.expectNoMessage(Duration.ofMillis(1));
        reply(second, new DockerReply.Ok<>(true));

        var failed = caller.expectMessageClass(InvocationResult.Failed.class, WAIT);
        assertThat(failed.reason()).isEqualTo(InvocationResult.Reason.OUT_OF_MEMORY);
        assertThat(failed.message()).isEqualTo("Function 'fn' ran out of memory (memory-mb = 128); the kernel killed its container");
        assertThat(failed.coldStart()).isTrue();
        var remove = expectRun(docker, "remove");
        assertThat(RecordingDocker.record(remove).<String>firstArg("removeContainerCmd")).isEqualTo("c1");
        reply(remove, new DockerReply.Ok<>(true));
        assertStatusSettles(actor, new FunctionStatus("fn", 0, 0, 0, 0, 1));
    }

    @Test
    void aLogTailWithoutItsReportLineIsReadAgainUpToThreeTimes() {
        var server = startServer();
        var settings = settings("fn", "", "");
        var docker = testKit.<DockerSupervisor.Command>createTestProbe();
        var actor = spawn(settings, "fn", docker);
        var caller = testKit.<InvocationResult>createTestProbe();

        actor.tell(new FunctionActor.Invoke(new Invocation("{\"n\":1}".getBytes(StandardCharsets.UTF_8), "r1", true), caller.ref()));
        reply(expectRun(docker, "create-and-start"), new DockerReply.Ok<>(new StartedContainer("c1", "one", server.port())));
        var partial = "START RequestId: r1 Version: $LATEST\nhello\n";
        var read = expectRun(docker, "invocation-logs");
        assertThat(read.requestId()).isEqualTo("r1");
        assertThat(RecordingDocker.record(read).<String>firstArg("logContainerCmd")).isEqualTo("c1");
        reply(read, new DockerReply.Ok<>(partial));
        long asked = System.nanoTime();
        var again = expectRun(docker, "invocation-logs");
        assertThat(Duration.ofNanos(System.nanoTime() - asked).toMillis()).isGreaterThanOrEqualTo(40);
        var full = partial + "END RequestId: r1\nREPORT RequestId: r1 Duration: 1.00 ms\n";
        reply(again, new DockerReply.Ok<>(full));
        var completed = caller.expectMessageClass(InvocationResult.Completed.class, WAIT);
        assertThat(body(completed)).isEqualTo("{\"n\":1}");
        assertThat(completed.logTail()).isEqualTo(full);
        assertThat(completed.containerId()).isEqualTo("c1");

        // Never complete: after the third read the caller gets what there is.
        actor.tell(new FunctionActor.Invoke(new Invocation("{}".getBytes(StandardCharsets.UTF_8), "r2", true), caller.ref()));
        for (int i = 0; i < 3; i++) {
            caller.expectNoMessage(Duration.ofMillis(1));
            reply(expectRun(docker, "invocation-logs"), new DockerReply.Ok<>("START RequestId: r2\n"));
        }
        assertThat(caller.expectMessageClass(InvocationResult.Completed.class, WAIT).logTail()).isEqualTo("START RequestId: r2\n");
        docker.expectNoMessage(Duration.ofMillis(200));
        assertStatusSettles(actor, new FunctionStatus("fn", 1, 0, 0, 0, 1));
    }

    // --- helpers ---------------------------------------------------------------------------------------------------

    private static EsbSettings settings(String function, String functionExtra, String extra) {
        var text = """
                esb.docker { instance-id = "fa-test", client-timeout = 2s }
                esb.containers { readiness-timeout = 5s, ping-timeout = 1s, connect-timeout = 1s }
                esb.functions.%s { image = "esb-fixture:latest", %s }
                %s
                """.formatted(function, functionExtra, extra);
        return SettingsLoader.load(ConfigFactory.parseString(text).withFallback(ConfigFactory.defaultReference()).resolve());
    }

    private ActorRef<FunctionActor.Command> spawn(EsbSettings settings, String function, TestProbe<DockerSupervisor.Command> docker) {
        var client = new ContainerClient(testKit.system(), settings.containers(), 6 * 1024 * 1024);
        var actor = testKit.spawn(FunctionActor.create(settings.functions().get(function), settings, docker.ref(), client));
        actors.add(actor);
        // A new function actor first asks for the daemon's state; the stand-in supervisor does not know it yet.
        assertThat(docker.receiveMessage(WAIT)).isInstanceOf(DockerSupervisor.GetDaemonState.class);
        return actor;
    }

    private FakeRie startServer() {
        var server = new FakeRie();
        servers.add(server);
        return server;
    }

    private static Invocation invocation(String json, String requestId) {
        return new Invocation(json.getBytes(StandardCharsets.UTF_8), requestId);
    }

    private static String body(InvocationResult.Completed completed) {
        return new String(completed.body(), StandardCharsets.UTF_8);
    }

    /**
     * The caller gets its answer straight from the I/O thread, and the actor learns a moment later that the container
     * is free, so a pool state read right after an answer may be one message behind; it must settle within WAIT.
     */
    private static void assertStatusSettles(ActorRef<FunctionActor.Command> actor, FunctionStatus expected) {
        awaitStatus(actor, expected::equals);
    }

    static void awaitStatus(ActorRef<FunctionActor.Command> actor, java.util.function.Predicate<FunctionStatus> condition) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        FunctionStatus last;
        do {
            last = status(actor);
            if (condition.test(last)) {
                return;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        } while (System.nanoTime() < deadline);
        throw new AssertionError("status never matched; last: " + last);
    }

    static FunctionStatus status(ActorRef<FunctionActor.Command> actor) {
        var probe = testKit.<FunctionStatus>createTestProbe();
        actor.tell(new FunctionActor.GetStatus(probe.ref()));
        return probe.receiveMessage(WAIT);
    }

    static DockerSupervisor.Run<?> expectRun(TestProbe<DockerSupervisor.Command> docker, String operation) {
        var message = docker.receiveMessage(WAIT);
        assertThat(message).isInstanceOf(DockerSupervisor.Run.class);
        var run = (DockerSupervisor.Run<?>) message;
        assertThat(run.operation()).isEqualTo(operation);
        return run;
    }

    @SuppressWarnings("unchecked")
    static <T> void reply(DockerSupervisor.Run<?> run, DockerReply<T> reply) {
        ((ActorRef<DockerReply<T>>) (ActorRef<?>) run.replyTo()).tell(reply);
    }

    /** A stand-in for the Lambda RIE: echoes invocation bodies and tracks how many run at once. */
    private static final class FakeRie {
        final AtomicInteger invocations = new AtomicInteger();
        final AtomicInteger droppedInvocations = new AtomicInteger();
        final AtomicInteger concurrent = new AtomicInteger();
        final AtomicInteger maxConcurrent = new AtomicInteger();
        final java.util.Set<String> requestIds = ConcurrentHashMap.newKeySet();
        volatile long delayMs = 20;
        volatile int status = 200;
        volatile long lastInvocationStartNanos;
        volatile String fixedBody;
        volatile boolean failNextInvocationByStopping;
        private final HttpServer server;
        private final ExecutorService executor = Executors.newFixedThreadPool(32);
        private volatile boolean stopped;

        FakeRie() {
            try {
                server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            server.setExecutor(executor);
            server.createContext("/", exchange -> {
                try (exchange) {
                    if ("POST".equals(exchange.getRequestMethod()) && INVOKE_PATH.equals(exchange.getRequestURI().getPath())) {
                        if (failNextInvocationByStopping) {
                            // Too late to be "not delivered"; close without answering.
                            failNextInvocationByStopping = false;
                            droppedInvocations.incrementAndGet();
                            exchange.getRequestBody().readAllBytes();
                            exchange.close();
                            return;
                        }
                        lastInvocationStartNanos = System.nanoTime();
                        int now = concurrent.incrementAndGet();
                        maxConcurrent.accumulateAndGet(now, Math::max);
                        try {
                            var body = exchange.getRequestBody().readAllBytes();
                            requestIds.add(String.valueOf(exchange.getRequestHeaders().getFirst("X-Amzn-RequestId")));
                            sleep(delayMs);
                            invocations.incrementAndGet();
                            var fixed = fixedBody;
                            if (fixed != null) {
                                body = fixed.getBytes(StandardCharsets.UTF_8);
                            }
                            exchange.getResponseHeaders().set("Content-Type", "application/json");
                            exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
                            if (body.length > 0) {
                                exchange.getResponseBody().write(body);
                            }
                        } finally {
                            concurrent.decrementAndGet();
                        }
                    } else {
                        exchange.getRequestBody().readAllBytes();
                        exchange.sendResponseHeaders(404, -1);
                    }
                }
            });
            server.start();
        }

        int port() {
            return server.getAddress().getPort();
        }

        void stop() {
            if (!stopped) {
                stopped = true;
                server.stop(0);
                executor.shutdownNow();
            }
        }

        private static void sleep(long ms) {
            try {
                Thread.sleep(ms);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Runs a DockerOperation against a recording DockerClient proxy, so a test can see which container or image an
     * operation targets. Fluent builder calls are recorded; {@code exec()} returns null, or aborts when its result
     * type is not an interface (the operation's remaining steps do not matter here).
     */
    static final class RecordingDocker {
        final List<Map.Entry<String, Object[]>> calls = new ArrayList<>();

        static RecordingDocker record(DockerSupervisor.Run<?> run) {
            var recording = new RecordingDocker();
            try {
                run.call().run(recording.proxy(DockerClient.class));
            } catch (Abort expected) {
                // create-and-start stops at its first exec()
            } catch (Exception e) {
                throw new AssertionError("operation failed against the recording client", e);
            }
            return recording;
        }

        @SuppressWarnings("unchecked")
        <T> T firstArg(String method) {
            return (T) calls.stream().filter(c -> c.getKey().equals(method)).findFirst()
                    .map(c -> c.getValue()[0]).orElseThrow(() -> new AssertionError("no call to " + method + " in " + names()));
        }

        private List<String> names() {
            return calls.stream().map(Map.Entry::getKey).toList();
        }

        @SuppressWarnings("unchecked")
        private <T> T proxy(Class<T> type) {
            InvocationHandler handler = (self, method, args) -> {
                switch (method.getName()) {
                    case "toString": return "recording " + type.getSimpleName();
                    case "hashCode": return System.identityHashCode(self);
                    case "equals": return self == args[0];
                    default: break;
                }
                calls.add(Map.entry(method.getName(), args == null ? new Object[0] : args));
                var returnType = method.getReturnType();
                if (method.getName().equals("exec") || method.getName().equals("close")) {
                    if (returnType == Void.class || returnType == void.class) {
                        return null;
                    }
                    throw new Abort();
                }
                if (returnType.isInterface()) {
                    return proxy(returnType);
                }
                return returnType == boolean.class ? false : null;
            };
            return (T) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {type}, handler);
        }

        static final class Abort extends RuntimeException {
            Abort() {
                super(null, null, false, false);
            }
        }
    }

}
