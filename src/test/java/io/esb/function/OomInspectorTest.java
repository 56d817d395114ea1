package io.esb.function;

import static io.esb.function.FunctionActorTest.expectRun;
import static io.esb.function.FunctionActorTest.reply;
import static org.assertj.core.api.Assertions.assertThat;

import io.esb.docker.DockerFailure;
import io.esb.docker.DockerReply;
import io.esb.docker.DockerSupervisor;
import io.esb.testing.ActorTestKitSupport;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** OomInspector against a probe standing in for the DockerSupervisor. */
class OomInspectorTest extends ActorTestKitSupport {
    private static final Duration WAIT = Duration.ofSeconds(5);

    private record Verdict(String containerId, boolean killed) {}

    @Test
    void aContainerStillRunningIsInspectedAgainOnATimerUntilDockerRecordsTheKill() {
        var docker = testKit.<DockerSupervisor.Command>createTestProbe();
        var parent = testKit.<Verdict>createTestProbe();
        var inspector = testKit.spawn(OomInspector.create(docker.ref(), WAIT, "c1", "r1", parent.ref(), killed -> new Verdict("c1", killed)));

        var first = expectRun(docker, "inspect");
        assertThat(first.requestId()).isEqualTo("r1");
        assertThat(FunctionActorTest.RecordingDocker.record(first).<String>firstArg("inspectContainerCmd")).isEqualTo("c1");
        reply(first, new DockerReply.Ok<>(null));
        long asked = System.nanoTime();
        var second = expectRun(docker, "inspect");
        assertThat(Duration.ofNanos(System.nanoTime() - asked)).isGreaterThanOrEqualTo(Duration.ofMillis(80));
        parent.expectNoMessage(Duration.ofMillis(1));
        reply(second, new DockerReply.Ok<>(true));

        assertThat(parent.receiveMessage(WAIT)).isEqualTo(new Verdict("c1", true));
        testKit.createTestProbe().expectTerminated(inspector, WAIT);
        docker.expectNoMessage(Duration.ofMillis(200));
    }

    @Test
    void anExitForAnotherReasonOrAFailedInspectionIsNotAKill() {
        var docker = testKit.<DockerSupervisor.Command>createTestProbe();
        var parent = testKit.<Verdict>createTestProbe();

        var exited = testKit.spawn(OomInspector.create(docker.ref(), WAIT, "c1", "r1", parent.ref(), killed -> new Verdict("c1", killed)));
        reply(expectRun(docker, "inspect"), new DockerReply.Ok<>(false));
        assertThat(parent.receiveMessage(WAIT)).isEqualTo(new Verdict("c1", false));
        testKit.createTestProbe().expectTerminated(exited, WAIT);

        var unanswered = testKit.spawn(OomInspector.create(docker.ref(), WAIT, "c2", "r2", parent.ref(), killed -> new Verdict("c2", killed)));
        reply(expectRun(docker, "inspect"), new DockerReply.Failed<>(
                new DockerFailure(DockerFailure.Kind.UNAVAILABLE, "inspect", "daemon down")));
        assertThat(parent.receiveMessage(WAIT)).isEqualTo(new Verdict("c2", false));
        testKit.createTestProbe().expectTerminated(unanswered, WAIT);
        docker.expectNoMessage(Duration.ofMillis(200));
    }

    @Test
    void aContainerStillRunningAfterTheLastInspectionWasNotKilledForMemory() {
        var docker = testKit.<DockerSupervisor.Command>createTestProbe();
        var parent = testKit.<Verdict>createTestProbe();
        var inspector = testKit.spawn(OomInspector.create(docker.ref(), WAIT, "c1", "r1", parent.ref(), killed -> new Verdict("c1", killed)));

        for (int i = 0; i < FailureClassifier.OOM_CHECKS; i++) {
            parent.expectNoMessage(Duration.ofMillis(1));
            reply(expectRun(docker, "inspect"), new DockerReply.Ok<>(null));
        }
        assertThat(parent.receiveMessage(WAIT)).isEqualTo(new Verdict("c1", false));
        testKit.createTestProbe().expectTerminated(inspector, WAIT);
        docker.expectNoMessage(Duration.ofMillis(200));
    }
}
