package io.esb.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.esb.testing.GatewayUnderTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Requests malformed on the wire get 400 with a JSON message, never 5xx: the client's mistake, not the gateway's.
 * Real HTTP over loopback to the gateway; no Docker is needed (its host points nowhere), since none of these requests
 * reaches a function.
 */
class MalformedRequestTest {
    private static GatewayUnderTest gateway;

    @BeforeAll
    static void start() throws Exception {
        gateway = GatewayUnderTest.start(GatewayUnderTest.newInstanceId("unit-malformed"),
                "esb.docker.host = \"unix:///tmp/esb-no-daemon-" + System.nanoTime() + ".sock\"");
    }

    @AfterAll
    static void stop() {
        if (gateway != null) {
            gateway.close();
        }
    }

    @Test
    void aChunkedBodyWithAGarbageChunkSizeIs400OnARoute() throws Exception {
        var answer = send("POST /api/hello HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nabc\r\n0\r\n\r\n");
        assertThat(answer.status()).isEqualTo(400);
        assertThat(answer.json().path("message").asText()).isEqualTo("Malformed request body");
        assertThat(answer.json().path("reason").asText()).isEqualTo("Illegal character 'Z' in chunk start");
    }

    @Test
    void aChunkedBodyWithAGarbageChunkSizeIs400OnTheInvokeApi() throws Exception {
        var answer = send("POST /2015-03-31/functions/hello/invocations HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Transfer-Encoding: chunked\r\n\r\nZZ\r\nabc\r\n0\r\n\r\n");
        assertThat(answer.status()).isEqualTo(400);
        assertThat(answer.json().path("reason").asText()).isEqualTo("Illegal character 'Z' in chunk start");
    }

    @Test
    void aRawSpaceInTheRequestTargetIs400NotAnUnsupportedVersion() throws Exception {
        var answer = send("GET /fn name HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        assertThat(answer.status()).isEqualTo(400);
        assertThat(answer.json().path("message").asText()).isEqualTo("Malformed request");
        assertThat(answer.json().path("reason").asText()).contains("no raw space in the target");
    }

    @Test
    void otherParseErrorsKeepTheirStatusAndAreJson() {
        var tooLarge = ParseErrorResponses.respond(431, "HTTP header value exceeds the configured limit", "of 8192 characters");
        assertThat(tooLarge.status().intValue()).isEqualTo(431);
        assertThat(tooLarge.entity().getContentType().toString()).isEqualTo("application/json");
        var badRequest = ParseErrorResponses.respond(400, "Illegal request-target", "");
        assertThat(badRequest.status().intValue()).isEqualTo(400);
    }

    private record Answer(int status, JsonNode json) {}

    private static Answer send(String request) throws IOException {
        try (var socket = new Socket("127.0.0.1", gateway.gateway.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            socket.shutdownOutput();
            var text = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int status = Integer.parseInt(text.substring(9, 12));
            var body = text.substring(text.indexOf("\r\n\r\n") + 4);
            return new Answer(status, GatewayUnderTest.JSON.readTree(body));
        }
    }
}
