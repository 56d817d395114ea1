package io.esb.testing;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.opentest4j.TestAbortedException;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Guards tests that need a real Docker daemon. With no daemon they skip with a clear message, except under
 * {@code CI=true}, where they fail: CI must never pass by skipping them.
 */
public final class RequiresDocker implements BeforeAllCallback {
    public static final String SOCKET = dockerSocket();

    @Override
    public void beforeAll(ExtensionContext context) {
        var problem = pingProblem();
        if (problem == null) {
            return;
        }
        var message = "No Docker daemon answers at unix://" + SOCKET + " (" + problem + "). Start one with docker/start-dockerd.sh.";
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            throw new AssertionError("CI=true: Docker-dependent tests must run. " + message);
        }
        throw new TestAbortedException(message);
    }

    /** Null when {@code GET /_ping} answers OK. */
    static String pingProblem() {
        try (var channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(Path.of(SOCKET)));
            channel.write(ByteBuffer.wrap("GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
            var buffer = ByteBuffer.allocate(256);
            channel.read(buffer);
            var answer = new String(buffer.array(), 0, buffer.position(), StandardCharsets.US_ASCII);
            return answer.startsWith("HTTP/1.0 200") || answer.startsWith("HTTP/1.1 200") ? null : "unexpected answer: " + answer.lines().findFirst().orElse("");
        } catch (IOException e) {
            return e.getClass().getSimpleName() + ": " + e.getMessage();
        }
    }

    private static String dockerSocket() {
        var host = System.getenv("DOCKER_HOST");
        return host != null && host.startsWith("unix://") ? host.substring("unix://".length()) : "/var/run/docker.sock";
    }
}
