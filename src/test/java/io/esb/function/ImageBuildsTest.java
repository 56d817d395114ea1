package io.esb.function;

import io.esb.testing.ActorTestKitSupport;

import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import akka.actor.typed.javadsl.Behaviors;
import com.typesafe.config.ConfigFactory;
import io.esb.config.EsbSettings;
import io.esb.config.ImageBuild;
import io.esb.config.SettingsLoader;
import io.esb.docker.DockerFailure;
import io.esb.docker.DockerReply;
import io.esb.docker.DockerSupervisor;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The build queue against a probe standing in for the DockerSupervisor, and the gate in front of a built function. */
class ImageBuildsTest extends ActorTestKitSupport {
    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final EsbSettings SETTINGS = SettingsLoader.load(ConfigFactory.parseString("""
            esb.docker { client-timeout = 2s, build-timeout = 30s, probe-interval = 100ms }
            esb.functions.a { image = "a:latest" }
            esb.functions.b { image = "b:latest" }
            """).withFallback(ConfigFactory.defaultReference()).resolve());



    private static ImageBuild build(String tag) {
        return new ImageBuild(Path.of("/ctx/Dockerfile"), Path.of("/ctx"), tag, Map.of(), null);
    }

    private static InvocationResult.Failed invokeExpectingFailure(ActorRef<FunctionActor.Command> gate) {
        var reply = testKit.<InvocationResult>createTestProbe();
        gate.tell(new FunctionActor.Invoke(new Invocation("{}".getBytes(), "req-1"), reply.ref()));
        var result = reply.receiveMessage(WAIT);
        assertThat(result).isInstanceOf(InvocationResult.Failed.class);
        var failed = (InvocationResult.Failed) result;
        assertThat(failed.reason()).isEqualTo(InvocationResult.Reason.IMAGE_NOT_READY);
        return failed;
    }

    /** The gate of function "a" (image a:v1), with {@code function} standing in for the FunctionActor it runs once built. */
    private ActorRef<FunctionActor.Command> gateOfA(TestProbe<ImageBuilds.Command> builds, TestProbe<FunctionActor.Command> function) {
        return testKit.spawn(ImageBuilds.gate(SETTINGS.functions().get("a"), build("a:v1"), builds.ref(),
                Behaviors.receiveMessage(message -> {
                    function.ref().tell(message);
                    return Behaviors.same();
                }))).narrow();
    }

    private FunctionStatus status(ActorRef<FunctionActor.Command> gate) {
        var status = testKit.<FunctionStatus>createTestProbe();
        gate.tell(new FunctionActor.GetStatus(status.ref()));
        return status.receiveMessage(WAIT);
    }

    @Test
    void gateAnswers503UntilTheImageIsBuiltThenHandsEverythingToTheFunction() {
        var builds = testKit.<ImageBuilds.Command>createTestProbe();
        var function = testKit.<FunctionActor.Command>createTestProbe();
        var gate = gateOfA(builds, function);
        var request = builds.expectMessageClass(ImageBuilds.Build.class, WAIT);
        assertThat(request.function().name()).isEqualTo("a");
        assertThat(request.build().tag()).isEqualTo("a:v1");

        assertThat(invokeExpectingFailure(gate).message()).matches("Image 'a:v1' of function 'a' is being built \\(\\d+ s so far\\); "
                + "the function can be invoked once the build has finished");
        var building = status(gate);
        assertThat(building.image()).isEqualTo("building");
        assertThat(building.imageDetail()).startsWith("Image 'a:v1' of function 'a' is being built (");
        assertThat(building).isEqualTo(new FunctionStatus("a", 0, 0, 0, 0, 0, "building", building.imageDetail()));

        request.replyTo().tell(new ImageBuilds.Waiting("Docker daemon unavailable at unix:///x.sock: Connection refused"));
        assertThat(invokeExpectingFailure(gate).message()).isEqualTo("Image 'a:v1' of function 'a' waits for the Docker daemon to build it: "
                + "Docker daemon unavailable at unix:///x.sock: Connection refused");
        function.expectNoMessage(Duration.ofMillis(100));

        request.replyTo().tell(new ImageBuilds.Built("sha256:abc"));
        var reply = testKit.<InvocationResult>createTestProbe();
        var invoke = new FunctionActor.Invoke(new Invocation("{}".getBytes(), "req-2"), reply.ref());
        gate.tell(invoke);
        assertThat(function.receiveMessage(WAIT)).isSameAs(invoke);
        gate.tell(new FunctionActor.GetStatus(testKit.<FunctionStatus>createTestProbe().ref()));
        assertThat(function.receiveMessage(WAIT)).isInstanceOf(FunctionActor.GetStatus.class);
        reply.expectNoMessage(Duration.ofMillis(100));
    }

    @Test
    void gateNamesTheBuildErrorAfterAFailedBuild() {
        var builds = testKit.<ImageBuilds.Command>createTestProbe();
        var function = testKit.<FunctionActor.Command>createTestProbe();
        var gate = gateOfA(builds, function);
        builds.expectMessageClass(ImageBuilds.Build.class, WAIT).replyTo()
                .tell(new ImageBuilds.BuildFailed("Docker operation 'build-image' failed: ImageBuildFailed: COPY failed"));
        assertThat(invokeExpectingFailure(gate).message()).isEqualTo("Image build of 'a:v1' for function 'a' failed: "
                + "Docker operation 'build-image' failed: ImageBuildFailed: COPY failed");
        assertThat(invokeExpectingFailure(gate).message()).contains("COPY failed"); // stays failed
        assertThat(status(gate)).isEqualTo(new FunctionStatus("a", 0, 0, 0, 0, 0, "failed",
                "Image build of 'a:v1' for function 'a' failed: Docker operation 'build-image' failed: ImageBuildFailed: COPY failed"));
        function.expectNoMessage(Duration.ofMillis(100));
    }

    @Test
    void buildsRunOneAtATimeWithTheBuildDeadlineAndWaitForTheDaemon() {
        var docker = testKit.<DockerSupervisor.Command>createTestProbe();
        var builder = testKit.spawn(ImageBuilds.create(SETTINGS, docker.ref()));
        var gateA = testKit.<ImageBuilds.Outcome>createTestProbe();
        var gateB = testKit.<ImageBuilds.Outcome>createTestProbe();
        builder.tell(new ImageBuilds.Build(SETTINGS.functions().get("a"), build("a:v1"), gateA.ref()));
        builder.tell(new ImageBuilds.Build(SETTINGS.functions().get("b"), build("b:v1"), gateB.ref()));

        var first = expectBuildRun(docker);
        docker.expectNoMessage(Duration.ofMillis(200)); // b waits for a
        reply(first, new DockerReply.Failed<>(new DockerFailure(DockerFailure.Kind.UNAVAILABLE, "build-image", "Docker daemon unavailable")));
        assertThat(gateA.receiveMessage(WAIT)).isEqualTo(new ImageBuilds.Waiting("Docker daemon unavailable"));

        var retry = expectBuildRun(docker); // again after the probe interval
        reply(retry, new DockerReply.Ok<>("sha256:a"));
        // Containers of an earlier image are removed before the function may adopt them; a failure there only warns.
        var stale = docker.expectMessageClass(DockerSupervisor.Run.class, WAIT);
        assertThat(stale.operation()).isEqualTo("remove-stale-containers");
        gateA.expectNoMessage(Duration.ofMillis(100));
        reply(stale, new DockerReply.Failed<>(new DockerFailure(DockerFailure.Kind.UNAVAILABLE, "remove-stale-containers", "gone")));
        assertThat(gateA.receiveMessage(WAIT)).isEqualTo(new ImageBuilds.Built("sha256:a"));

        var second = expectBuildRun(docker);
        reply(second, new DockerReply.Failed<>(new DockerFailure(DockerFailure.Kind.REJECTED, "build-image", "COPY failed")));
        assertThat(gateB.receiveMessage(WAIT)).isEqualTo(new ImageBuilds.BuildFailed("COPY failed"));
        docker.expectNoMessage(Duration.ofMillis(300)); // a failed build is not retried
        gateA.expectNoMessage(Duration.ofMillis(10));
    }

    private static DockerSupervisor.Run<?> expectBuildRun(TestProbe<DockerSupervisor.Command> docker) {
        var run = docker.expectMessageClass(DockerSupervisor.Run.class, WAIT);
        assertThat(run.operation()).isEqualTo("build-image");
        assertThat(run.deadline()).isEqualTo(new DockerSupervisor.Deadline(Duration.ofSeconds(32), "esb.docker.build-timeout"));
        return run;
    }

    @SuppressWarnings("unchecked")
    private static <T> void reply(DockerSupervisor.Run<?> run, DockerReply<T> reply) {
        ((ActorRef<DockerReply<T>>) (ActorRef<?>) run.replyTo()).tell(reply);
    }
}
