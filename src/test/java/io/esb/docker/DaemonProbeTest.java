package io.esb.docker;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import com.github.dockerjava.api.DockerClient;
import io.esb.config.DockerSettings;
import io.esb.observability.GatewayMetrics;
import io.esb.testing.LogCapture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The probe's judgement over real unix sockets, without Docker: nothing listening is Down at once and the client is
 * kept; a daemon that accepts connections and answers nothing misses pings, and is Down with a client reset after
 * probe-misses of them in a row.
 */
class DaemonProbeTest {
    private static final ActorTestKit testKit = ActorTestKit.create();
    private static final Duration WAIT = Duration.ofSeconds(10);
    /** The pings' thread, as DockerSupervisor.Shared has one. */
    private static final ExecutorService prober = Executors.newSingleThreadExecutor(r -> {
        var thread = new Thread(r, "probe-test-prober");
        thread.setDaemon(true);
        return thread;
    });
    private static final List<DockerClient> clients = new CopyOnWriteArrayList<>();

    @AfterAll
    static void stop() throws IOException {
        testKit.shutdownTestKit();
        for (var client : clients) {
            client.close();
        }
        prober.shutdownNow();
    }

    @Test
    void nothingListeningIsDownAtOnceWithoutAClientReset() throws Exception {
        var socket = Files.createTempDirectory("esb-probe").resolve("absent.sock");
        var reports = testKit.<DaemonProbe.Report>createTestProbe();
        // A probe-timeout long enough for a cold client's first ping: only the refusal may end it.
        var probe = testKit.spawn(DaemonProbe.create(wiring(7, socket, Duration.ofSeconds(5)), reports.ref()));

        var down = reports.expectMessageClass(DaemonProbe.Down.class, WAIT);

        assertThat(down.incarnation()).isEqualTo(7);
        assertThat(down.resetClient()).isFalse();
        assertThat(down.reason()).isNotBlank();
        testKit.stop(probe);
    }

    @Test
    void aDaemonThatAnswersNothingMissesPingsThenIsDownWithAClientReset() throws Exception {
        var socket = Files.createTempDirectory("esb-probe").resolve("silent.sock");
        try (var silent = new SilentDaemon(socket); var logs = new LogCapture()) {
            var reports = testKit.<DaemonProbe.Report>createTestProbe();
            testKit.spawn(DaemonProbe.create(wiring(3, socket, Duration.ofMillis(300)), reports.ref()));

            var missed = reports.expectMessageClass(DaemonProbe.Missed.class, WAIT);
            assertThat(missed).isEqualTo(new DaemonProbe.Missed(3, 1, 2,
                    "ping got no answer within 300 ms (esb.docker.probe-timeout), 1 of 2 pings missed in a row (esb.docker.probe-misses)"));
            var down = reports.expectMessageClass(DaemonProbe.Down.class, WAIT);
            assertThat(down).isEqualTo(new DaemonProbe.Down(3,
                    "ping got no answer within 300 ms (esb.docker.probe-timeout), 2 of 2 pings missed in a row (esb.docker.probe-misses)", true));
            assertThat(silent.accepted()).as("a missed ping's connection is aborted, so the next ping opens its own").isGreaterThanOrEqualTo(2);

            var warned = logs.withMessage("Docker daemon missed a ping");
            assertThat(warned).hasSize(1);
            assertThat(warned.get(0).getLoggerName()).isEqualTo(DockerSupervisor.class.getName());
            assertThat(LogCapture.fields(warned.get(0))).containsEntry("missed", "1").containsEntry("probe_misses", "2")
                    .containsEntry("operations_in_flight", "0");
            reports.expectNoMessage(Duration.ofMillis(600)); // stopped: nothing more to judge on that client
        }
    }

    private static DaemonProbe.Wiring wiring(long incarnation, Path socket, Duration probeTimeout) {
        var docker = new DockerSettings("unix://" + socket, 4, Duration.ofSeconds(5), 10, Duration.ofMillis(200),
                probeTimeout, Duration.ofSeconds(10), Duration.ofMillis(100), Duration.ofSeconds(1), "probe-test",
                Duration.ofSeconds(30), "", Duration.ofSeconds(5), 2);
        var lastAnswer = new AtomicLong(System.nanoTime());
        var client = DockerClients.create(docker, lastAnswer);
        clients.add(client);
        return new DaemonProbe.Wiring(incarnation, client, docker.host(),
                DockerTimeouts.of(docker), docker.probeMisses(), new AtomicInteger(), lastAnswer, prober, DockerMetrics.of(GatewayMetrics.disabled()));
    }

    /** Accepts every connection on a unix socket and never answers: a hung daemon. */
    private static final class SilentDaemon implements AutoCloseable {
        private final ServerSocketChannel server;
        private final List<SocketChannel> held = new CopyOnWriteArrayList<>();
        private final Thread acceptor;

        SilentDaemon(Path socket) throws IOException {
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(socket));
            acceptor = new Thread(() -> {
                try {
                    while (true) {
                        held.add(server.accept());
                    }
                } catch (IOException closed) {
                    // the test is over
                }
            }, "silent-daemon");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int accepted() {
            return held.size();
        }

        @Override
        public void close() throws IOException {
            server.close();
            for (var channel : held) {
                channel.close();
            }
        }
    }
}
