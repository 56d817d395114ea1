package io.esb.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The gateway as operators run it, the shaded jar in a process of its own (so a test can SIGTERM or SIGKILL it), with
 * a configuration file of the test's, its output in {@code target/<name>.log}.
 */
public final class GatewayJar implements AutoCloseable {
    public final Process process;
    public final int port;
    public final Path log;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private GatewayJar(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /** Starts {@code target/esb.jar} with {@code config} (HOCON; it must set esb.http.port = {@code port}). */
    public static GatewayJar start(String name, int port, String config) throws IOException {
        var conf = Files.createTempFile("esb-" + name, ".conf");
        Files.writeString(conf, config);
        var jar = Path.of("target", "esb.jar").toAbsolutePath();
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("no " + jar + ": the integration tests run after `mvn package`");
        }
        var log = Path.of("target", name + ".log");
        var process = new ProcessBuilder("java", "-Dconfig.file=" + conf, "-jar", jar.toString())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        return new GatewayJar(process, port, log);
    }

    /**
     * The base functions with {@code fx} in push mode (its containers outlive a killed gateway and keep their whole
     * log), kept for 10 minutes, and this process's store, port and instance.
     */
    public static String pushFixtureConfig(String instance, int port, Path dataDir, int fxMaxConcurrency) {
        return GatewayUnderTest.BASE_FUNCTIONS + """
                esb.functions.fx { mode = push, max-concurrency = %d }
                esb.containers.idle-timeout = 10m
                esb.data-dir = "%s"
                esb.http.port = %d
                esb.docker.instance-id = "%s"
                """.formatted(fxMaxConcurrency, dataDir.toString().replace("\\", "/"), port, instance);
    }

    public static int freePort() throws IOException {
        try (var socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    public GatewayJar awaitHealthy() {
        Eventually.await(Duration.ofSeconds(60), "healthy on port " + port, this::healthAnswers, Boolean::booleanValue);
        return this;
    }

    public boolean healthAnswers() {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(url("/health"))).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode() == 200;
        } catch (Exception e) {
            return false;
        }
    }

    public String url(String path) {
        return "http://127.0.0.1:" + port + path;
    }

    /** SIGKILL, as a crash or {@code kill -9}: nothing of the gateway's runs after it. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the gateway did not die of SIGKILL within 30 s");
        }
    }

    public String output() throws IOException {
        return Files.readString(log);
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
