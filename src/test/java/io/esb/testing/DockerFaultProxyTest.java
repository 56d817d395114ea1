package io.esb.testing;

import io.esb.testing.DockerFaultProxy.Mode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The fault proxy against the real daemon, speaking plain HTTP ({@code GET /_ping}) over its unix socket. */
@ExtendWith(RequiresDocker.class)
@Timeout(60)
class DockerFaultProxyTest {
    private static final String PING = "GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n";
    private DockerFaultProxy proxy;

    @BeforeEach
    void start() throws IOException {
        proxy = new DockerFaultProxy();
    }

    @AfterEach
    void stop() {
        proxy.close();
    }

    @Test
    void passForwardsBothWays() throws Exception {
        assertThat(proxy.dockerHost()).isEqualTo("unix://" + proxy.socketPath()).startsWith("unix:///");
        assertThat(ping(Duration.ofSeconds(5)).statusLine()).isEqualTo("HTTP/1.1 200 OK");
        assertThat(ping(Duration.ofSeconds(5)).text()).endsWith("OK");
        assertThat(proxy.acceptedConnections()).isEqualTo(2);
        assertThat(proxy.pingsForwarded()).isEqualTo(2);
        assertThat(proxy.lastPingForwardedNanos()).isNotZero();
    }

    @Test
    void keepAliveConnectionCarriesSeveralRequests() throws Exception {
        try (var channel = connect()) {
            for (int i = 0; i < 3; i++) {
                send(channel, PING);
                assertThat(readAnswer(channel, Duration.ofSeconds(5)).statusLine()).isEqualTo("HTTP/1.1 200 OK");
            }
            assertThat(proxy.openConnections()).isEqualTo(1);
        }
        waitFor(() -> proxy.openConnections() == 0, Duration.ofSeconds(5));
        assertThat(proxy.acceptedConnections()).isEqualTo(1);
    }

    @Test
    void hangAcceptsButNeverAnswersAndFreezesOpenConnections() throws Exception {
        try (var open = connect()) {
            send(open, PING);
            assertThat(readAnswer(open, Duration.ofSeconds(5)).statusLine()).isEqualTo("HTTP/1.1 200 OK");

            proxy.setMode(Mode.HANG);
            // A new connection is accepted, its request read, and nothing comes back.
            var fresh = ping(Duration.ofMillis(500));
            assertThat(fresh.timedOut()).as("answer during HANG: %s", fresh).isTrue();
            assertThat(fresh.bytes()).isZero();
            // The connection opened before the switch is frozen too.
            send(open, PING);
            var frozen = readAnswer(open, Duration.ofMillis(500));
            assertThat(frozen.timedOut()).as("answer on a frozen connection: %s", frozen).isTrue();

            proxy.setMode(Mode.PASS);
            assertThat(ping(Duration.ofSeconds(5)).statusLine()).isEqualTo("HTTP/1.1 200 OK");
            // A frozen connection stays frozen: its request was lost inside the "hung daemon".
            send(open, PING);
            assertThat(readAnswer(open, Duration.ofMillis(500)).timedOut()).isTrue();
            waitFor(() -> proxy.frozenConnections() == 1 && proxy.openConnections() == 1, Duration.ofSeconds(2));
        }
        // Closing from the client's side ends a frozen connection.
        waitFor(() -> proxy.openConnections() == 0, Duration.ofSeconds(5));
    }

    @Test
    void refuseFailsToConnectQuicklyAndClosesOpenConnections() throws Exception {
        try (var open = connect()) {
            send(open, PING);
            assertThat(readAnswer(open, Duration.ofSeconds(5)).statusLine()).isEqualTo("HTTP/1.1 200 OK");

            proxy.setMode(Mode.REFUSE);
            long start = System.nanoTime();
            assertThatThrownBy(this::connect).isInstanceOf(IOException.class)
                    .satisfies(e -> assertThat(e.getMessage()).containsAnyOf("Connection refused", "No such file"));
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(200));
            // The open connection was closed: EOF (or a reset) instead of an answer.
            var closed = readAnswer(open, Duration.ofSeconds(2));
            assertThat(closed.timedOut()).isFalse();
            assertThat(closed.eof() || closed.error() != null).as("%s", closed).isTrue();
            assertThat(proxy.openConnections()).isZero();
        }
        int before = proxy.acceptedConnections();
        proxy.setMode(Mode.PASS);
        assertThat(ping(Duration.ofSeconds(5)).statusLine()).isEqualTo("HTTP/1.1 200 OK");
        assertThat(proxy.acceptedConnections()).isEqualTo(before + 1);
    }

    @Test
    void resetAcceptsThenClosesAndClosesOpenConnections() throws Exception {
        try (var open = connect()) {
            send(open, PING);
            assertThat(readAnswer(open, Duration.ofSeconds(5)).statusLine()).isEqualTo("HTTP/1.1 200 OK");
            proxy.setMode(Mode.RESET);
            var closed = readAnswer(open, Duration.ofSeconds(2));
            assertThat(closed.eof() || closed.error() != null).as("%s", closed).isTrue();
        }
        int before = proxy.acceptedConnections();
        var answer = ping(Duration.ofSeconds(2));
        assertThat(answer.timedOut()).as("%s", answer).isFalse();
        assertThat(answer.bytes()).isZero();
        assertThat(answer.eof() || answer.error() != null).as("%s", answer).isTrue();
        assertThat(proxy.acceptedConnections()).isEqualTo(before + 1);
        waitFor(() -> proxy.openConnections() == 0, Duration.ofSeconds(2));

        proxy.setMode(Mode.PASS);
        assertThat(ping(Duration.ofSeconds(5)).statusLine()).isEqualTo("HTTP/1.1 200 OK");
    }

    @Test
    void delayHoldsEachClientChunk() throws Exception {
        var baseline = ping(Duration.ofSeconds(5));
        assertThat(baseline.statusLine()).isEqualTo("HTTP/1.1 200 OK");

        proxy.setMode(Mode.delay(400));
        assertThat(proxy.mode().toString()).isEqualTo("DELAY(400ms)");
        var delayed = ping(Duration.ofSeconds(5));
        assertThat(delayed.statusLine()).isEqualTo("HTTP/1.1 200 OK");
        assertThat(delayed.elapsed()).isGreaterThanOrEqualTo(Duration.ofMillis(400));

        proxy.setMode(Mode.PASS);
        var again = ping(Duration.ofSeconds(5));
        assertThat(again.statusLine()).isEqualTo("HTTP/1.1 200 OK");
        assertThat(again.elapsed()).isLessThan(Duration.ofMillis(400));
        System.out.printf("[fault-proxy-test] /_ping baseline %d ms, DELAY(400) %d ms, PASS again %d ms%n",
                baseline.elapsed().toMillis(), delayed.elapsed().toMillis(), again.elapsed().toMillis());
    }

    @Test
    void everyModeThenPassWorksAgain() throws Exception {
        for (var mode : new Mode[] {Mode.HANG, Mode.REFUSE, Mode.RESET, Mode.delay(50), Mode.REFUSE, Mode.HANG}) {
            proxy.setMode(mode);
            proxy.setMode(Mode.PASS);
            assertThat(ping(Duration.ofSeconds(5)).statusLine()).as("after %s", mode).isEqualTo("HTTP/1.1 200 OK");
        }
    }

    @Test
    void closeRemovesTheSocket() throws Exception {
        var path = proxy.socketPath();
        assertThat(Files.exists(path)).isTrue();
        proxy.close();
        assertThat(Files.exists(path)).isFalse();
        assertThatThrownBy(this::connect).isInstanceOf(IOException.class);
    }

    // ---- a tiny HTTP client over the unix socket, with a real read timeout ----

    /** What came back: the bytes read, whether the peer closed, whether the timeout passed first, or the error. */
    record Answer(String text, int bytes, boolean eof, boolean timedOut, IOException error, Duration elapsed) {
        String statusLine() {
            return text.lines().findFirst().orElse("");
        }
    }

    private SocketChannel connect() throws IOException {
        var channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.connect(UnixDomainSocketAddress.of(Path.of(proxy.socketPath().toString())));
            return channel;
        } catch (IOException e) {
            channel.close();
            throw e;
        }
    }

    /** One {@code GET /_ping} on a fresh connection. A connection that fails while sending counts as an error. */
    private Answer ping(Duration timeout) throws IOException {
        long start = System.nanoTime();
        try (var channel = connect()) {
            try {
                send(channel, PING);
            } catch (IOException e) {
                return new Answer("", 0, false, false, e, Duration.ofNanos(System.nanoTime() - start));
            }
            var answer = readAnswer(channel, timeout);
            return new Answer(answer.text(), answer.bytes(), answer.eof(), answer.timedOut(), answer.error(),
                    Duration.ofNanos(System.nanoTime() - start));
        }
    }

    private static void send(SocketChannel channel, String request) throws IOException {
        var buffer = ByteBuffer.wrap(request.getBytes(StandardCharsets.US_ASCII));
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    /**
     * Reads until a complete HTTP answer (headers plus Content-Length body), EOF, an error or the timeout. The channel
     * goes non-blocking for the read and back to blocking afterwards.
     */
    private static Answer readAnswer(SocketChannel channel, Duration timeout) {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        var received = new java.io.ByteArrayOutputStream();
        var buffer = ByteBuffer.allocate(4096);
        try {
            channel.configureBlocking(false);
            try (var selector = Selector.open()) {
                channel.register(selector, SelectionKey.OP_READ);
                while (true) {
                    if (complete(received.toString(StandardCharsets.US_ASCII))) {
                        return answer(received, false, false, null, start);
                    }
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return answer(received, false, true, null, start);
                    }
                    selector.select(Math.max(1, Duration.ofNanos(left).toMillis()));
                    selector.selectedKeys().clear();
                    buffer.clear();
                    int n = channel.read(buffer);
                    if (n < 0) {
                        return answer(received, true, false, null, start);
                    }
                    received.write(buffer.array(), 0, n);
                }
            }
        } catch (IOException e) {
            return answer(received, false, false, e, start);
        } finally {
            try {
                if (channel.isOpen()) {
                    // Closing the selector deregistered the channel, so it can block again for the next caller.
                    channel.configureBlocking(true);
                }
            } catch (IOException | java.nio.channels.IllegalBlockingModeException ignored) {
                // the channel is unusable afterwards anyway
            }
        }
    }

    private static Answer answer(java.io.ByteArrayOutputStream received, boolean eof, boolean timedOut, IOException error, long start) {
        return new Answer(received.toString(StandardCharsets.US_ASCII), received.size(), eof, timedOut, error,
                Duration.ofNanos(System.nanoTime() - start));
    }

    private static boolean complete(String text) {
        int end = text.indexOf("\r\n\r\n");
        if (end < 0) {
            return false;
        }
        var headers = text.substring(0, end).toLowerCase(java.util.Locale.ROOT);
        var m = java.util.regex.Pattern.compile("content-length:\\s*(\\d+)").matcher(headers);
        int length = m.find() ? Integer.parseInt(m.group(1)) : 0;
        return text.length() - end - 4 >= length;
    }

    private static void waitFor(java.util.function.BooleanSupplier condition, Duration within) {
        Eventually.within(within, () -> assertThat(condition.getAsBoolean()).as("condition within %s", within).isTrue());
    }
}
