package io.esb.it;

import io.esb.testing.Eventually;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.esb.docker.ContainerLogFollowers;
import io.esb.testing.Docker;
import io.esb.testing.DockerFaultProxy;
import io.esb.testing.DockerFaultProxy.Mode;
import io.esb.testing.GatewayUnderTest;
import io.esb.testing.LogCapture;
import io.esb.testing.RequiresDocker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Function containers' stdout and stderr in the gateway's log ({@code io.esb.container}), against the real daemon and
 * the fixture image, whose {@code log} action prints its {@code message} on stdout inside an invocation, and whose
 * runtime prints {@code START}/{@code END}/{@code REPORT RequestId: <id>} on stdout and its startup line on stderr.
 */
@ExtendWith(RequiresDocker.class)
class ContainerLogsIT {
    private static final Duration ARRIVAL_BOUND = Duration.ofSeconds(30);

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void eachLineArrivesOnceWithFunctionContainerStreamAndRequestId() throws Exception {
        withGateway("it-logs", "", (gw, logs, instance) -> {
            var marker = UUID.randomUUID().toString().substring(0, 8);
            var first = logAction(gw, "first line " + marker + " {not a placeholder}");
            var second = logAction(gw, "second line " + marker);
            var containers = Docker.containers(instance, "fx");
            assertThat(containers).hasSize(1);
            var shortId = containers.get(0).substring(0, 12);

            var lines = awaitLine(logs, shortId, "second line " + marker);

            var firstLine = only(lines, "first line " + marker + " {not a placeholder}");
            assertThat(LogCapture.fields(firstLine)).containsEntry("function_name", "fx").containsEntry("container_id", shortId)
                    .containsEntry("stream", "stdout").doesNotContainKey("request_id");
            assertThat(Instant.parse(LogCapture.fields(firstLine).get("container_time"))).isBefore(Instant.now().plusSeconds(1));
            assertThat(requestId(firstLine)).isEqualTo(first);
            assertThat(firstLine.getLevel().toString()).isEqualTo("INFO");
            // Followers read on threads of their own: never the Docker dispatcher's, whose threads are for short calls.
            assertThat(firstLine.getThreadName()).startsWith(ContainerLogFollowers.THREAD_PREFIX).doesNotContain("esb.docker-dispatcher");

            var secondLine = only(lines, "second line " + marker);
            assertThat(LogCapture.fields(secondLine)).containsEntry("stream", "stdout");
            assertThat(requestId(secondLine)).isEqualTo(second);
            // The runtime's own lines carry their invocation's id, from START through REPORT.
            var start1 = startsWith(lines, "START RequestId: " + first);
            var report1 = startsWith(lines, "REPORT RequestId: " + first);
            var start2 = startsWith(lines, "START RequestId: " + second);
            assertThat(requestId(start1)).isEqualTo(first);
            assertThat(requestId(report1)).isEqualTo(first);
            assertThat(requestId(start2)).isEqualTo(second);
            assertThat(List.of(start1, firstLine, report1, start2, secondLine)).extracting(lines::indexOf).isSorted();

            // stderr: the runtime's startup line.
            // (pull mode, the default: the runtime says where it polls)
            var startup = awaitLineStartingWith(logs, shortId, "esb-runtime: handler=fixture pulling invocations from the Runtime API at ");
            assertThat(LogCapture.fields(startup)).containsEntry("stream", "stderr").containsEntry("function_name", "fx")
                    .containsEntry("container_id", shortId);

            assertThat(gw.gateway.system().classicSystem().actorSelection("/user/container-logs")
                    .resolveOne(Duration.ofSeconds(5)).toCompletableFuture().get()).isNotNull();
        });
    }

    /**
     * A container that prints faster than the gateway's log follower would wake for each line: its lines keep up with
     * it. The daemon sends each line as a chunk of its answer, and a follower that paused after every chunk fell
     * 10 ms behind per line (1,200 lines here, 12 s); one that reads a backlog without pausing is done within a
     * moment of the last invocation.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aBusyContainersLinesKeepUpWithIt() throws Exception {
        withGateway("it-logs-busy", "", (gw, logs, instance) -> {
            var marker = UUID.randomUUID().toString().substring(0, 8);
            String last = null;
            for (int i = 0; i < 300; i++) { // four lines each: START, the message, END, REPORT
                last = logAction(gw, "busy " + i + " " + marker);
            }
            long answered = System.nanoTime();
            var shortId = Docker.containers(instance, "fx").get(0).substring(0, 12);
            awaitLineStartingWith(logs, shortId, "REPORT RequestId: " + last);
            var behind = Duration.ofNanos(System.nanoTime() - answered);
            assertThat(behind).as("the last line's delay after the last answer").isLessThan(Duration.ofSeconds(4));
            var lines = containerLines(logs, shortId);
            for (int i = 0; i < 300; i++) {
                only(lines, "busy " + i + " " + marker);
            }
        });
    }

    /**
     * The daemon unreachable for a while (the proxy resets every connection, as a dead dockerd does) while the warm
     * container keeps printing: once it answers again, the lines printed meanwhile arrive, and nothing twice.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void linesPrintedWhileDockerIsUnreachableArriveOnceWhenItIsBack() throws Exception {
        var proxy = new DockerFaultProxy();
        try {
            withGateway("it-logs-out", """
                    esb.docker.host = "%s"
                    esb.docker.probe-interval = 500ms
                    esb.docker.client-timeout = 5s
                    """.formatted(proxy.dockerHost()), (gw, logs, instance) -> {
                var marker = UUID.randomUUID().toString().substring(0, 8);
                var before = logAction(gw, "before " + marker);
                var shortId = Docker.containers(instance, "fx").get(0).substring(0, 12);
                awaitLine(logs, shortId, "before " + marker);

                proxy.setMode(Mode.RESET); // every connection to the daemon closed, new ones refused
                var during = new ArrayList<String>();
                for (int i = 0; i < 3; i++) {
                    during.add(logAction(gw, "during " + i + " " + marker)); // the warm container needs no Docker
                }
                // Nothing can carry them now; whatever shows them later read them after the outage.
                assertThat(containerLines(logs, shortId)).extracting(ILoggingEvent::getFormattedMessage)
                        .noneMatch(m -> m.startsWith("during "));

                proxy.setMode(Mode.PASS);
                var after = logAction(gw, "after " + marker);
                awaitLineStartingWith(logs, shortId, "REPORT RequestId: " + after); // the last line of the last invocation
                var lines = containerLines(logs, shortId);

                assertThat(requestId(only(lines, "before " + marker))).isEqualTo(before);
                for (int i = 0; i < 3; i++) {
                    var line = only(lines, "during " + i + " " + marker);
                    assertThat(requestId(line)).isEqualTo(during.get(i));
                    assertThat(LogCapture.fields(line)).containsEntry("stream", "stdout");
                }
                assertThat(requestId(only(lines, "after " + marker))).isEqualTo(after);
                for (var id : List.of(before, during.get(0), during.get(1), during.get(2), after)) {
                    assertThat(lines).as("START and REPORT of %s, once each", id)
                            .filteredOn(e -> e.getFormattedMessage().startsWith("START RequestId: " + id)
                                    || e.getFormattedMessage().startsWith("REPORT RequestId: " + id))
                            .hasSize(2);
                }
            });
        } finally {
            proxy.close(); // after the gateway has stopped: the proxy's close would look like an outage
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void offLeavesContainerOutputInDockerOnly() throws Exception {
        withGateway("it-logs-off", "esb.logging.container-logs = off", (gw, logs, instance) -> {
            var marker = UUID.randomUUID().toString().substring(0, 8);
            var requestId = logAction(gw, "unseen " + marker);
            var id = Docker.containers(instance, "fx").get(0);
            // Docker has the line and the invocation's REPORT after it...
            Eventually.await(ARRIVAL_BOUND, "the invocation's REPORT in docker logs", () -> Docker.run("logs", id),
                    text -> text.contains("REPORT RequestId: " + requestId));
            assertThat(Docker.run("logs", id)).contains("unseen " + marker, "REPORT RequestId: " + requestId);
            // ...and the gateway follows nothing.
            assertThat(containerLines(logs, id.substring(0, 12))).isEmpty();
            var system = gw.gateway.system().classicSystem();
            assertThatThrownBy(() -> system.actorSelection("/user/container-logs").resolveOne(Duration.ofSeconds(2))
                    .toCompletableFuture().get()).hasCauseInstanceOf(akka.actor.ActorNotFound.class);
        });
    }

    // ---------------------------------------------------------------------------------------------------------------

    /** What a test does with a gateway of its own, started and past its startup reconcile. */
    private interface WithGateway {
        void run(GatewayUnderTest gw, LogCapture logs, String instance) throws Exception;
    }

    /** Starts a gateway on a new instance with {@code config}, runs {@code test}, then stops it and removes its containers. */
    private static void withGateway(String instancePrefix, String config, WithGateway test) throws Exception {
        var instance = GatewayUnderTest.newInstanceId(instancePrefix);
        var logs = new LogCapture();
        GatewayUnderTest gw = null;
        try {
            gw = GatewayUnderTest.start(instance, config);
            awaitStartupReconcile(logs);
            test.run(gw, logs, instance);
        } finally {
            GatewayUnderTest.stopAndClean(gw, logs, instance);
        }
    }

    /**
     * The supervisor's first reconcile removes the instance's containers that are not running, which includes one a
     * cold start has created and not started yet; so the first invocation waits for it to finish.
     */
    private static void awaitStartupReconcile(LogCapture logs) throws InterruptedException {
        long deadline = System.nanoTime() + ARRIVAL_BOUND.toNanos();
        while (logs.withMessage("Reconcile finished").isEmpty()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the gateway's startup reconcile did not finish within " + ARRIVAL_BOUND);
            }
            Thread.sleep(20);
        }
    }

    /** Invokes the fixture's {@code log} action; answers the invocation's request id (x-amzn-RequestId). */
    private static String logAction(GatewayUnderTest gw, String message) throws Exception {
        HttpResponse<String> response = gw.invoke("fx", GatewayUnderTest.JSON.createObjectNode()
                .put("action", "log").put("message", message).toString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return response.headers().firstValue("x-amzn-RequestId").orElseThrow();
    }

    /** The request id a line was logged with (MDC: the text pattern's brackets, the JSON request_id field). */
    private static String requestId(ILoggingEvent line) {
        return line.getMDCPropertyMap().get("request_id");
    }

    private static List<ILoggingEvent> containerLines(LogCapture logs, String shortId) {
        return logs.events().stream()
                .filter(e -> e.getLoggerName().equals(ContainerLogFollowers.LOGGER))
                .filter(e -> shortId.equals(LogCapture.fields(e).get("container_id")))
                .toList();
    }

    /** Waits until the container's line {@code text} has been logged; answers the container's lines so far. */
    private static List<ILoggingEvent> awaitLine(LogCapture logs, String shortId, String text) throws InterruptedException {
        long deadline = System.nanoTime() + ARRIVAL_BOUND.toNanos();
        while (true) {
            var lines = containerLines(logs, shortId);
            if (lines.stream().anyMatch(e -> e.getFormattedMessage().equals(text))) {
                return lines;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("'" + text + "' not logged for container " + shortId + " within " + ARRIVAL_BOUND
                        + "; its lines: " + lines.stream().map(ILoggingEvent::getFormattedMessage).toList());
            }
            Thread.sleep(50);
        }
    }

    private static ILoggingEvent awaitLineStartingWith(LogCapture logs, String shortId, String prefix) throws InterruptedException {
        long deadline = System.nanoTime() + ARRIVAL_BOUND.toNanos();
        while (true) {
            var found = containerLines(logs, shortId).stream().filter(e -> e.getFormattedMessage().startsWith(prefix)).findFirst();
            if (found.isPresent()) {
                return found.get();
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no line starting '" + prefix + "' for container " + shortId);
            }
            Thread.sleep(50);
        }
    }

    private static ILoggingEvent only(List<ILoggingEvent> lines, String text) {
        var matching = lines.stream().filter(e -> e.getFormattedMessage().equals(text)).toList();
        assertThat(matching).as("lines '%s' (exactly one expected)", text).hasSize(1);
        return matching.get(0);
    }

    private static ILoggingEvent startsWith(List<ILoggingEvent> lines, String prefix) {
        var matching = lines.stream().filter(e -> e.getFormattedMessage().startsWith(prefix)).toList();
        assertThat(matching).as("lines starting '%s' (exactly one expected)", prefix).hasSize(1);
        return matching.get(0);
    }
}
