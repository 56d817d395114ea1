package io.esb.function;

import static io.esb.function.FunctionActorTest.expectRun;
import static io.esb.function.FunctionActorTest.reply;
import static org.assertj.core.api.Assertions.assertThat;

import io.esb.docker.DockerFailure;
import io.esb.docker.DockerReply;
import io.esb.docker.DockerSupervisor;
import io.esb.testing.ActorTestKitSupport;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** LogTailReader against a probe standing in for the DockerSupervisor. */
class LogTailReaderTest extends ActorTestKitSupport {
    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final InvocationResult.Completed ANSWER =
            new InvocationResult.Completed(200, "{\"ok\":1}".getBytes(StandardCharsets.UTF_8), "application/json", true, "c1", null);

    @Test
    void aTailWithItsReportLineAnswersTheCallerAtOnceAndStops() {
        var docker = testKit.<DockerSupervisor.Command>createTestProbe();
        var caller = testKit.<InvocationResult>createTestProbe();
        var reader = testKit.spawn(LogTailReader.create(docker.ref(), WAIT, ANSWER, new InvocationReply.ToActor(caller.ref()), "r1", Duration.ofSeconds(3)));

        var read = expectRun(docker, "invocation-logs");
        assertThat(read.requestId()).isEqualTo("r1");
        assertThat(FunctionActorTest.RecordingDocker.record(read).<String>firstArg("logContainerCmd")).isEqualTo("c1");
        var full = "START RequestId: r1 Version: $LATEST\nEND RequestId: r1\nREPORT RequestId: r1 Duration: 1.00 ms\n";
        reply(read, new DockerReply.Ok<>(full));

        var completed = caller.expectMessageClass(InvocationResult.Completed.class, WAIT);
        assertThat(completed.logTail()).isEqualTo(full);
        assertThat(new String(completed.body(), StandardCharsets.UTF_8)).isEqualTo("{\"ok\":1}");
        assertThat(completed.status()).isEqualTo(200);
        assertThat(completed.contentType()).isEqualTo("application/json");
        assertThat(completed.coldStart()).isTrue();
        assertThat(completed.containerId()).isEqualTo("c1");
        testKit.createTestProbe().expectTerminated(reader, WAIT);
        docker.expectNoMessage(Duration.ofMillis(100));
    }

    @Test
    void aTailWithoutItsReportLineIsReadAgainOnATimerAtMostThreeTimes() {
        var docker = testKit.<DockerSupervisor.Command>createTestProbe();
        var caller = testKit.<InvocationResult>createTestProbe();
        var reader = testKit.spawn(LogTailReader.create(docker.ref(), WAIT, ANSWER, new InvocationReply.ToActor(caller.ref()), "r2", Duration.ofSeconds(3)));

        long replied = 0;
        for (int read = 1; read <= LogTailReader.READS; read++) {
            var run = expectRun(docker, "invocation-logs");
            if (read > 1) {
                // Asked again a moment later, not at once.
                assertThat(Duration.ofNanos(System.nanoTime() - replied)).isGreaterThanOrEqualTo(Duration.ofMillis(40));
            }
            caller.expectNoMessage(Duration.ofMillis(1));
            reply(run, new DockerReply.Ok<>("START RequestId: r2\n"));
            replied = System.nanoTime();
        }
        // Never complete: after the last read the caller gets what there is.
        assertThat(caller.expectMessageClass(InvocationResult.Completed.class, WAIT).logTail()).isEqualTo("START RequestId: r2\n");
        testKit.createTestProbe().expectTerminated(reader, WAIT);
        docker.expectNoMessage(Duration.ofMillis(200));
    }

    @Test
    void aFailedReadAnswersWithoutATail() {
        var docker = testKit.<DockerSupervisor.Command>createTestProbe();
        var caller = testKit.<InvocationResult>createTestProbe();
        var reader = testKit.spawn(LogTailReader.create(docker.ref(), WAIT, ANSWER, new InvocationReply.ToActor(caller.ref()), "r3", Duration.ofSeconds(3)));

        reply(expectRun(docker, "invocation-logs"), new DockerReply.Failed<>(
                new DockerFailure(DockerFailure.Kind.UNAVAILABLE, "invocation-logs", "daemon down")));

        assertThat(caller.expectMessageClass(InvocationResult.Completed.class, WAIT)).isSameAs(ANSWER);
        testKit.createTestProbe().expectTerminated(reader, WAIT);
        docker.expectNoMessage(Duration.ofMillis(100));
    }
}
