package io.esb.container;

import io.esb.testing.ActorTestKitSupport;

import io.esb.config.ContainerSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The container client against real loopback servers that answer exactly as each case scripts. */
class ContainerClientTest extends ActorTestKitSupport {
    private static final String LOOPBACK = "127.0.0.1";
    private static ContainerClient client;
    private final List<ScriptedServer> servers = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() {
        var settings = new ContainerSettings(Duration.ofSeconds(5), Duration.ofMillis(500), Duration.ofSeconds(1),
                Duration.ofMinutes(5), 10, Duration.ofSeconds(5), 10);
        client = new ContainerClient(testKit.system(), settings, 1024);
    }

    @AfterAll
    static void stop() {
        client.close();
    }

    @AfterEach
    void stopServers() {
        servers.forEach(ScriptedServer::close);
    }

    @Test
    void sendsTheEventWithItsRequestIdAndReusesOneConnection() throws Exception {
        var server = serve((request, n) -> response(200, "application/json", "{\"n\":" + n + "}", ""));
        var first = answered(invoke(server, "{\"a\":1}", "req-1"));
        var second = answered(invoke(server, "{\"a\":2}", "req-2"));

        assertThat(new String(first.body(), StandardCharsets.UTF_8)).isEqualTo("{\"n\":1}");
        assertThat(new String(second.body(), StandardCharsets.UTF_8)).isEqualTo("{\"n\":2}");
        assertThat(first.status()).isEqualTo(200);
        assertThat(first.contentType()).isEqualTo("application/json");
        assertThat(server.connections.get()).isEqualTo(1);
        var request = server.requests.get(1);
        assertThat(request.head()).startsWith("POST /2015-03-31/functions/function/invocations HTTP/1.1\r\n")
                .contains("X-Amzn-RequestId: req-2\r\n").contains("Content-Type: application/json\r\n");
        assertThat(request.body()).isEqualTo("{\"a\":2}");
    }

    @Test
    void containersAtOnePortOnDifferentHostsKeepTheirOwnConnections() throws Exception {
        // As on a Docker network: every container listens on 8080, each at its own address.
        var one = serve(InetAddress.getByName("127.0.0.1"), 0, (request, n) -> response(200, "application/json", "{\"server\":1}", ""));
        var two = serve(InetAddress.getByName("127.0.0.2"), one.port(), (request, n) -> response(200, "application/json", "{\"server\":2}", ""));
        for (int i = 0; i < 2; i++) {
            for (var target : List.of(List.of("127.0.0.1", "{\"server\":1}"), List.of("127.0.0.2", "{\"server\":2}"))) {
                var answer = answered(client.invoke(target.get(0), one.port(), "{}".getBytes(StandardCharsets.UTF_8), "r" + i,
                        Duration.ofSeconds(3)).toCompletableFuture().get(10, TimeUnit.SECONDS));
                assertThat(new String(answer.body(), StandardCharsets.UTF_8)).isEqualTo(target.get(1));
            }
        }
        assertThat(one.connections.get()).isEqualTo(1);
        assertThat(two.connections.get()).isEqualTo(1);
    }

    @Test
    void assemblesAChunkedAnswer() throws Exception {
        var server = serve((request, n) -> "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n");
        var first = answered(invoke(server, "{}", "r1"));
        var second = answered(invoke(server, "{}", "r2"));
        assertThat(new String(first.body(), StandardCharsets.UTF_8)).isEqualTo("hello, world");
        assertThat(new String(second.body(), StandardCharsets.UTF_8)).isEqualTo("hello, world");
        assertThat(server.connections.get()).isEqualTo(1);
    }

    @Test
    void aConnectionTheContainerClosesIsNotReused() throws Exception {
        var server = serve((request, n) -> response(200, "application/json", "{}", "Connection: close\r\n"));
        answered(invoke(server, "{}", "r1"));
        answered(invoke(server, "{}", "r2"));
        assertThat(server.connections.get()).isEqualTo(2);
    }

    @Test
    void anAnswerWithoutLengthEndsWithTheConnection() throws Exception {
        var server = serve((request, n) -> "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"streamed\":true}" + ScriptedServer.CLOSE);
        var answer = answered(invoke(server, "{}", "r1"));
        assertThat(new String(answer.body(), StandardCharsets.UTF_8)).isEqualTo("{\"streamed\":true}");
    }

    @Test
    void aKeptConnectionDroppedWhileIdleIsReplacedNotReportedAsLost() throws Exception {
        var server = serve((request, n) -> response(200, "application/json", "{\"n\":" + n + "}", "") + ScriptedServer.CLOSE);
        answered(invoke(server, "{}", "r1"));
        // The server closed its side after answering while still announcing keep-alive, like an idle timeout.
        Thread.sleep(100);
        var second = answered(invoke(server, "{}", "r2"));
        assertThat(new String(second.body(), StandardCharsets.UTF_8)).isEqualTo("{\"n\":2}");
        assertThat(server.connections.get()).isEqualTo(2);
    }

    @Test
    void noAnswerWithinTheTimeoutIsLostAndTimedOut() throws Exception {
        var server = serve((request, n) -> ScriptedServer.SILENCE);
        var outcome = client.invoke(LOOPBACK, server.port(), "{}".getBytes(StandardCharsets.UTF_8), "r1", Duration.ofMillis(300))
                .toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertThat(outcome).isInstanceOfSatisfying(InvokeOutcome.Lost.class, lost -> {
            assertThat(lost.timedOut()).isTrue();
            assertThat(lost.detail()).isEqualTo("no answer within 300 ms");
        });
    }

    @Test
    void aLargeEventToAContainerThatStopsReadingTimesOut() throws Exception {
        try (var stuck = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            // Accepted by the kernel's backlog and never read, so the socket buffers fill and the write blocks.
            var outcome = client.invoke(LOOPBACK, stuck.getLocalPort(), new byte[32 * 1024 * 1024], "r1", Duration.ofMillis(500))
                    .toCompletableFuture().get(5, TimeUnit.SECONDS);
            assertThat(outcome).isInstanceOfSatisfying(InvokeOutcome.Lost.class, lost -> assertThat(lost.timedOut()).isTrue());
        }
    }

    @Test
    void aLargeEventOnAWarmConnectionArrivesWhole() throws Exception {
        // The caller's thread writes what the socket takes at once; the I/O thread must send the rest, in order.
        var server = serve((request, n) -> response(200, "application/json", "{\"length\":" + request.body().length() + "}", ""));
        answered(invoke(server, "{}", "warm-up"));
        var large = "{\"pad\":\"" + "abcdefghij".repeat(600_000) + "\"}";

        var answer = answered(invoke(server, large, "large"));

        assertThat(new String(answer.body(), StandardCharsets.UTF_8)).isEqualTo("{\"length\":" + large.length() + "}");
        assertThat(server.requests.get(1).body()).isEqualTo(large);
        assertThat(server.connections.get()).isEqualTo(1);
    }

    @Test
    void aLargeEventOnAWarmConnectionToAContainerThatStopsReadingTimesOut() throws Exception {
        var server = serve((request, n) -> response(200, "application/json", "{}", "") + ScriptedServer.STALL);
        answered(invoke(server, "{}", "warm-up"));
        // The server answers the warm-up and then reads nothing more, so the socket buffers fill and the write blocks.
        var outcome = client.invoke(LOOPBACK, server.port(), new byte[32 * 1024 * 1024], "r2", Duration.ofMillis(500))
                .toCompletableFuture().get(5, TimeUnit.SECONDS);

        assertThat(outcome).isInstanceOfSatisfying(InvokeOutcome.Lost.class, lost -> assertThat(lost.timedOut()).isTrue());
    }

    @Test
    void anAnswerTheParserDoesNotForeseeOnAWarmConnectionStillEndsTheCall() throws Exception {
        // A negative chunk size gets past the parser's checks and fails as a RuntimeException in the reader's thread.
        var server = serve((request, n) -> n == 1 ? response(200, "application/json", "{}", "")
                : "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\n");
        answered(invoke(server, "{}", "warm-up"));
        var stage = client.invoke(LOOPBACK, server.port(), "{}".getBytes(StandardCharsets.UTF_8), "r2", Duration.ofSeconds(10))
                .toCompletableFuture();

        assertThatThrownBy(() -> stage.get(3, TimeUnit.SECONDS)).isInstanceOf(java.util.concurrent.ExecutionException.class)
                .hasCauseInstanceOf(NegativeArraySizeException.class);
    }

    @Test
    void anAnswerOverTheLimitIsLost() throws Exception {
        var server = serve((request, n) -> response(200, "application/json", "x".repeat(2000), ""));
        var outcome = invoke(server, "{}", "r1");
        assertThat(outcome).isInstanceOfSatisfying(InvokeOutcome.Lost.class, lost -> {
            assertThat(lost.timedOut()).isFalse();
            assertThat(lost.detail()).isEqualTo("response exceeds 1024 bytes");
        });
    }

    @Test
    void aRefusedConnectionIsNotDelivered() throws Exception {
        int port;
        try (var socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        var outcome = client.invoke(LOOPBACK, port, "{}".getBytes(StandardCharsets.UTF_8), "r1", Duration.ofSeconds(2))
                .toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertThat(outcome).isInstanceOfSatisfying(InvokeOutcome.NotDelivered.class,
                notDelivered -> assertThat(notDelivered.detail()).contains("Connection refused"));
    }

    @Test
    void aConnectionDroppedAfterTheEventWasReadIsLostNotRetryable() throws Exception {
        var server = serve((request, n) -> ScriptedServer.CLOSE);
        assertThat(invoke(server, "{}", "r1")).isInstanceOfSatisfying(InvokeOutcome.Lost.class,
                lost -> assertThat(lost.timedOut()).isFalse());
    }

    @Test
    void readinessWaitsForAServerThatStartsLateAndKeepsItsConnection() throws Exception {
        int port;
        try (var socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        var ready = client.awaitReady(LOOPBACK, port, Duration.ofSeconds(5)).toCompletableFuture();
        Thread.sleep(300);
        assertThat(ready).isNotDone();
        var server = serve(port, (request, n) -> response(404, "text/plain", "not found", ""));
        assertThat(ready.get(5, TimeUnit.SECONDS)).isTrue();
        assertThat(server.requests.get(0).head()).startsWith("GET / HTTP/1.1\r\n");
        answered(invoke(server, "{}", "r1"));
        assertThat(server.connections.get()).as("the first invocation reuses the probe's connection").isEqualTo(1);
    }

    @Test
    void readinessGivesUpAtItsDeadline() throws Exception {
        int port;
        try (var socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        assertThat(client.awaitReady(LOOPBACK, port, Duration.ofMillis(300)).toCompletableFuture().get(5, TimeUnit.SECONDS)).isFalse();
    }

    // ---------------------------------------------------------------------------------------------------------------

    private static InvokeOutcome invoke(ScriptedServer server, String event, String requestId) throws Exception {
        return client.invoke(LOOPBACK, server.port(), event.getBytes(StandardCharsets.UTF_8), requestId, Duration.ofSeconds(3))
                .toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static InvokeOutcome.Answered answered(InvokeOutcome outcome) {
        assertThat(outcome).isInstanceOf(InvokeOutcome.Answered.class);
        return (InvokeOutcome.Answered) outcome;
    }

    private static String response(int status, String contentType, String body, String extraHeaders) {
        return "HTTP/1.1 " + status + " X\r\nContent-Type: " + contentType + "\r\nContent-Length: "
                + body.getBytes(StandardCharsets.UTF_8).length + "\r\n" + extraHeaders + "\r\n" + body;
    }

    private ScriptedServer serve(BiFunction<Request, Integer, String> script) throws IOException {
        return serve(0, script);
    }

    private ScriptedServer serve(int port, BiFunction<Request, Integer, String> script) throws IOException {
        return serve(InetAddress.getLoopbackAddress(), port, script);
    }

    private ScriptedServer serve(InetAddress address, int port, BiFunction<Request, Integer, String> script) throws IOException {
        var server = new ScriptedServer(address, port, script);
        servers.add(server);
        return server;
    }

    record Request(String head, String body) {}

    /** Answers each request with its script's text; the markers close the connection, send nothing, or stop reading. */
    private static final class ScriptedServer implements AutoCloseable {
        static final String CLOSE = "\u0000close";
        static final String SILENCE = "\u0000silence";
        static final String STALL = "\u0000stall";
        final AtomicInteger connections = new AtomicInteger();
        final List<Request> requests = new CopyOnWriteArrayList<>();
        private final AtomicInteger count = new AtomicInteger();
        private final ServerSocket socket;
        private final BiFunction<Request, Integer, String> script;
        private final List<Socket> accepted = new CopyOnWriteArrayList<>();

        ScriptedServer(InetAddress address, int port, BiFunction<Request, Integer, String> script) throws IOException {
            this.socket = new ServerSocket(port, 16, address);
            this.script = script;
            var acceptor = new Thread(this::acceptLoop, "scripted-server-" + socket.getLocalPort());
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int port() {
            return socket.getLocalPort();
        }

        private void acceptLoop() {
            while (!socket.isClosed()) {
                try {
                    var connection = socket.accept();
                    accepted.add(connection);
                    connections.incrementAndGet();
                    var handler = new Thread(() -> serve(connection), "scripted-connection");
                    handler.setDaemon(true);
                    handler.start();
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void serve(Socket connection) {
            try (connection; var in = connection.getInputStream(); OutputStream out = connection.getOutputStream()) {
                while (true) {
                    var request = read(in);
                    if (request == null) {
                        return;
                    }
                    requests.add(request);
                    var answer = script.apply(request, count.incrementAndGet());
                    if (answer.equals(SILENCE)) {
                        Thread.sleep(10_000);
                        return;
                    }
                    boolean close = answer.endsWith(CLOSE);
                    boolean stall = answer.endsWith(STALL);
                    out.write(answer.replace(CLOSE, "").replace(STALL, "").getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    if (stall) {
                        Thread.sleep(10_000);
                    }
                    if (close || stall) {
                        return;
                    }
                }
            } catch (IOException | InterruptedException e) {
                // the client went away
            }
        }

        private static Request read(InputStream in) throws IOException {
            var head = new ByteArrayOutputStream();
            int matched = 0;
            while (matched < 4) {
                int b = in.read();
                if (b < 0) {
                    return null;
                }
                head.write(b);
                matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
            }
            var text = head.toString(StandardCharsets.ISO_8859_1);
            int length = 0;
            for (var line : text.split("\r\n")) {
                if (line.toLowerCase().startsWith("content-length:")) {
                    length = Integer.parseInt(line.substring(15).trim());
                }
            }
            return new Request(text, new String(in.readNBytes(length), StandardCharsets.UTF_8));
        }

        @Override
        public void close() {
            try {
                socket.close();
                for (var connection : accepted) {
                    connection.close();
                }
            } catch (IOException ignored) {
                // test teardown
            }
        }
    }
}
