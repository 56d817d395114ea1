package io.esb.http;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Behaviors;
import akka.http.javadsl.Http;
import akka.http.javadsl.ServerBinding;
import akka.http.javadsl.model.ContentTypes;
import akka.http.javadsl.model.HttpRequest;
import akka.http.javadsl.model.HttpResponse;
import io.esb.config.EsbConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Clients that close their connection after one request ({@code Connection: close}, as curl and many devices do, or a
 * half-close) get whole responses from the gateway's HTTP server settings (esb-akka.conf): a connection's closing never
 * overtakes its response. A real Akka HTTP server over loopback; answers come from another thread a little later, as a
 * container's do. (Akka's {@code stream-cancellation-delay} is what keeps a failed request body's 400 from being reset
 * away, MalformedRequestTest; turning it off to save its timers per connection failed that test.)
 */
class ConnectionCloseTest {
    private static final int LARGE = 3 * 1024 * 1024;
    private static final ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "connection-close-test",
            EsbConfig.load(com.typesafe.config.ConfigFactory.empty()));
    private static final ScheduledExecutorService answerer = Executors.newSingleThreadScheduledExecutor();
    private static ServerBinding binding;

    @BeforeAll
    static void bind() throws Exception {
        binding = Http.get(system).newServerAt("127.0.0.1", 0).bind(ConnectionCloseTest::answerLater)
                .toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stop() throws Exception {
        binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
        answerer.shutdownNow();
        system.terminate();
    }

    /** {@code /large}: LARGE bytes of a repeating pattern; anything else: the request's path back. After 1 ms. */
    private static CompletionStage<HttpResponse> answerLater(HttpRequest request) {
        request.discardEntityBytes(system);
        var path = request.getUri().path();
        var body = path.equals("/large") ? pattern(LARGE) : path.getBytes(StandardCharsets.UTF_8);
        var answer = new CompletableFuture<HttpResponse>();
        answerer.schedule(() -> answer.complete(HttpResponse.create().withEntity(ContentTypes.APPLICATION_OCTET_STREAM, body)),
                1, TimeUnit.MILLISECONDS);
        return answer;
    }

    private static byte[] pattern(int length) {
        var bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) ('a' + i % 26);
        }
        return bytes;
    }

    @Test
    void manyConnectionCloseRequestsEachGetTheirWholeAnswerAndThenTheEndOfTheConnection() throws Exception {
        for (int i = 0; i < 200; i++) {
            var response = exchange("/call-" + i, false, 0);
            assertThat(response.status()).isEqualTo("HTTP/1.1 200 OK");
            assertThat(response.header("connection")).isEqualTo("close");
            assertThat(new String(response.body(), StandardCharsets.UTF_8)).isEqualTo("/call-" + i);
        }
    }

    @Test
    void aLargeAnswerReachesASlowReaderWhole() throws Exception {
        for (int i = 0; i < 5; i++) {
            var response = exchange("/large", false, 1);
            assertThat(response.status()).isEqualTo("HTTP/1.1 200 OK");
            assertThat(response.body()).hasSize(LARGE);
            assertThat(Arrays.equals(response.body(), pattern(LARGE))).as("the body, byte for byte").isTrue();
        }
    }

    @Test
    void aClientThatHalfClosesAfterItsRequestStillGetsTheWholeAnswer() throws Exception {
        for (int i = 0; i < 20; i++) {
            var small = exchange("/half-" + i, true, 0);
            assertThat(small.status()).isEqualTo("HTTP/1.1 200 OK");
            assertThat(new String(small.body(), StandardCharsets.UTF_8)).isEqualTo("/half-" + i);
        }
        var large = exchange("/large", true, 1);
        assertThat(large.body()).hasSize(LARGE);
        assertThat(Arrays.equals(large.body(), pattern(LARGE))).isTrue();
    }

    private record Response(String status, String head, byte[] body) {
        String header(String name) {
            for (var line : head.split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
                    return line.substring(colon + 1).trim();
                }
            }
            return null;
        }
    }

    /**
     * One request with {@code Connection: close} on a new connection, read to the server's end of the connection (so a
     * connection closed early shows as a short body, and one never closed fails on the read timeout). With
     * {@code halfClose}, the client shuts its sending side after the request. With {@code pauseMillis}, it pauses after
     * each read of at most 16 KiB into a small receive buffer, so the server's writes back up.
     */
    private static Response exchange(String path, boolean halfClose, int pauseMillis) throws IOException, InterruptedException {
        try (var socket = new Socket()) {
            socket.setReceiveBufferSize(16 * 1024);
            socket.connect(new InetSocketAddress("127.0.0.1", binding.localAddress().getPort()));
            socket.setSoTimeout(20_000);
            var out = socket.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            if (halfClose) {
                socket.shutdownOutput();
            }
            var in = socket.getInputStream();
            var all = new ByteArrayOutputStream();
            var buffer = new byte[16 * 1024];
            for (int n; (n = in.read(buffer)) >= 0; ) {
                all.write(buffer, 0, n);
                if (pauseMillis > 0) {
                    Thread.sleep(pauseMillis);
                }
            }
            var bytes = all.toByteArray();
            var text = new String(bytes, StandardCharsets.ISO_8859_1);
            int end = text.indexOf("\r\n\r\n");
            assertThat(end).as("a response head in %s", text.length() > 200 ? text.substring(0, 200) : text).isPositive();
            var head = text.substring(0, end);
            var response = new Response(head.substring(0, head.indexOf("\r\n")), head, Arrays.copyOfRange(bytes, end + 4, bytes.length));
            assertThat(response.header("content-length")).as("the body read to the end of the connection is the announced length")
                    .isEqualTo(String.valueOf(response.body().length));
            return response;
        }
    }
}
