package io.esb.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.esb.testing.Docker;
import io.esb.testing.Eventually;
import io.esb.testing.GatewayUnderTest;
import io.esb.testing.PrometheusText;
import io.esb.testing.RequiresDocker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The gateway as a container, run as the README's "Run the gateway as a container" says: the image built by
 * docker/build-gateway-image.sh, the Docker socket mounted, application.conf mounted, on a network of its own with
 * {@code esb.docker.network} naming it, its port published on 127.0.0.1 only. Function containers join that network
 * with no published port and the gateway calls them at their address there. Real daemon, real HTTP over 127.0.0.1.
 */
@ExtendWith(RequiresDocker.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(300)
class GatewayImageIT {
    static final String INSTANCE = GatewayUnderTest.newInstanceId("it-img");
    /**
     * This run's own tag: checkouts sharing the daemon may build esb-gateway:latest from other jars at the same time.
     * When an image of the same jar exists (esb-gateway:latest, say), the script only tags it.
     */
    static final String IMAGE = "esb-gateway:" + INSTANCE;
    static final String NETWORK = "esb-" + INSTANCE;
    static final Path WORK = Path.of("target", "gateway-image-it", INSTANCE);
    static final List<String> gateways = new ArrayList<>();
    static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    static String gateway;
    static int port;
    /** False when RequiresDocker stopped the class before anything was made. */
    static boolean began;

    @BeforeAll
    static void start() throws Exception {
        began = true;
        buildImage();
        Files.createDirectories(WORK);
        var conf = WORK.resolve("application.conf");
        Files.writeString(conf, """
                esb {
                  docker.network = "%s"
                  functions.fx {
                    image = "esb-fixture:latest"
                    timeout = 5s
                    memory-mb = 128
                    max-concurrency = 1
                    environment { GREETING = "Hi from the network" }
                    routes = [ { method = "GET", path = "/fx/{proxy+}" } ]
                  }
                  # the same image called on its RIE (push mode): its containers outlive a gateway and are adopted
                  functions.rie { image = "esb-fixture:latest", mode = push, timeout = 5s, memory-mb = 128, max-concurrency = 1 }
                }
                """.formatted(NETWORK));
        Docker.run("network", "create", "--label", "esb.instance=" + INSTANCE, NETWORK);
        gateway = startGateway("a");
        port = publishedPort(gateway);
    }

    @AfterAll
    static void stop() {
        if (!began) {
            return;
        }
        try {
            for (var name : gateways) {
                quietly("stop", "-t", "30", name);
                quietly("rm", "-f", "-v", name); // -v: its anonymous data volume too
            }
            Docker.removeAll(INSTANCE);
        } finally {
            quietly("network", "rm", NETWORK);
            quietly("rmi", IMAGE);
        }
    }

    @Test
    @Order(1)
    void routeAndInvokeApiReachTheFunctionAtItsAddressOnTheNetwork() throws Exception {
        // The gateway container: published on loopback only, unprivileged, on the test's network.
        assertThat(Docker.run("port", gateway, "9000/tcp").strip()).isEqualTo("127.0.0.1:" + port);
        assertThat(Docker.run("inspect", "-f", "{{.Config.User}}", gateway).strip()).isEqualTo("65534:65534");
        assertThat(Docker.run("inspect", "-f", "{{range $name, $n := .NetworkSettings.Networks}}{{$name}} {{end}}", gateway).strip())
                .isEqualTo(NETWORK);

        var routed = get("/fx/orders/7?action=echo");
        assertThat(routed.statusCode()).as(routed.body()).isEqualTo(200);
        var event = json(routed.body()).get("echo");
        assertThat(event.get("path").asText()).isEqualTo("/fx/orders/7");
        assertThat(event.get("pathParameters").get("proxy").asText()).isEqualTo("orders/7");
        assertThat(event.get("httpMethod").asText()).isEqualTo("GET");

        var invoked = post("/2015-03-31/functions/fx/invocations", "{\"action\":\"env\"}");
        assertThat(invoked.statusCode()).as(invoked.body()).isEqualTo(200);
        assertThat(invoked.headers().firstValue("X-Amz-Executed-Version")).hasValue("$LATEST");
        assertThat(invoked.body()).contains("\"GREETING\":\"Hi from the network\"", "\"AWS_LAMBDA_FUNCTION_NAME\":\"fx\"");

        // One function container served both (max-concurrency 1): on the network, with nothing published.
        var functions = Docker.runningContainers(INSTANCE, "fx");
        assertThat(functions).hasSize(1);
        var function = functions.get(0);
        assertThat(function).startsWith(json(routed.body()).get("container").asText());
        assertThat(Docker.run("inspect", "-f", "{{json .HostConfig.PortBindings}}", function).strip()).isEqualTo("{}");
        assertThat(Docker.run("port", function).strip()).isEmpty();
        assertThat(Docker.run("inspect", "-f", "{{.HostConfig.NetworkMode}}", function).strip()).isEqualTo(NETWORK);
        var address = Docker.run("inspect", "-f", "{{(index .NetworkSettings.Networks \"" + NETWORK + "\").IPAddress}}", function).strip();
        assertThat(address).matches("\\d+\\.\\d+\\.\\d+\\.\\d+");

        // Pull mode: the container called the gateway's Runtime API, which listens on the gateway container's own address
        // on that network, and knew the container by its address there.
        var gatewayAddress = Docker.run("inspect", "-f", "{{(index .NetworkSettings.Networks \"" + NETWORK + "\").IPAddress}}", gateway).strip();
        assertThat(logLines(gateway, "Runtime API listening")).singleElement()
                .satisfies(line -> assertThat(line.get("address").asText()).startsWith(gatewayAddress + ":"));
        var ready = logLines(gateway, "Container ready");
        assertThat(ready).hasSize(1);
        assertThat(ready.get(0).get("container_id").asText()).isEqualTo(function);
        assertThat(ready.get(0).get("host").asText()).isEqualTo(address);
        assertThat(ready.get(0).get("host_port").asInt()).isZero();
        assertThat(logLines(gateway, "GET /fx/orders/7 200")).singleElement()
                .satisfies(line -> assertThat(line.get("cold_start").asText()).isEqualTo("true"));

        // The image's JRE carries what the metrics read (JVM MXBeans included).
        var metrics = get("/metrics");
        assertThat(metrics.statusCode()).isEqualTo(200);
        var text = PrometheusText.parse(metrics.body());
        assertThat(text.value("esb_invocations_total", "function", "fx", "outcome", "success")).hasValue(2);
        assertThat(text.sum("jvm_memory_used_bytes", "area", "heap")).isPositive();
        assertThat(text.matching("jvm_gc_pause_seconds_count")).isNotEmpty();

        // An Event invocation: durable in the image's data volume (/var/lib/esb, writable by the gateway's user on a
        // read-only root), then run.
        var queued = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                        + "/2015-03-31/functions/fx/invocations")).header("X-Amz-Invocation-Type", "Event")
                .POST(HttpRequest.BodyPublishers.ofString("{\"action\":\"echo\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(queued.statusCode()).as(queued.body()).isEqualTo(202);
        Eventually.await(Duration.ofSeconds(30), "the event run", () -> PrometheusText.parse(get("/metrics").body()),
                m -> m.value("esb_invocations_total", "function", "fx", "outcome", "success").orElse(0.0) == 3.0
                        && m.value("esb_async_events_queued").orElse(-1.0) == 0.0);
        assertThat(Docker.run("inspect", "-f", "{{range .Mounts}}{{if eq .Destination \"/var/lib/esb\"}}{{.Type}}{{end}}{{end}}", gateway).strip())
                .isEqualTo("volume");
    }

    @Test
    @Order(2)
    void aGatewayContainerStartedAfterTheFirstAdoptsItsFunctionContainerByItsNetworkAddress() throws Exception {
        assertThat(post("/2015-03-31/functions/rie/invocations", "{\"action\":\"echo\"}").statusCode()).isEqualTo(200);
        var function = Docker.runningContainers(INSTANCE, "rie");
        assertThat(function).hasSize(1);
        var address = Docker.run("inspect", "-f", "{{(index .NetworkSettings.Networks \"" + NETWORK + "\").IPAddress}}", function.get(0)).strip();

        // SIGTERM: the gateway drains and leaves its containers for the next one (esb.shutdown.remove-containers = false).
        Docker.run("stop", "-t", "30", gateway);
        assertThat(Docker.run("inspect", "-f", "{{.State.Running}}", gateway).strip()).isEqualTo("false");
        assertThat(Docker.runningContainers(INSTANCE, "rie")).isEqualTo(function);

        gateway = startGateway("b");
        port = publishedPort(gateway);
        var adopted = awaitLogLines(gateway, "Adopted running container");
        assertThat(adopted).singleElement().satisfies(line -> {
            assertThat(line.get("container_id").asText()).isEqualTo(function.get(0));
            assertThat(line.get("host").asText()).isEqualTo(address);
            assertThat(line.get("host_port").asInt()).isEqualTo(8080);
        });
        var warm = post("/2015-03-31/functions/rie/invocations", "{\"action\":\"echo\"}");
        assertThat(warm.statusCode()).as(warm.body()).isEqualTo(200);
        assertThat(function.get(0)).startsWith(json(warm.body()).get("container").asText());
        assertThat(Docker.runningContainers(INSTANCE, "rie")).isEqualTo(function);
        assertThat(logLines(gateway, "Container ready")).isEmpty();
        assertThat(logLines(gateway, "POST /2015-03-31/functions/rie/invocations 200")).singleElement()
                .satisfies(line -> assertThat(line.get("cold_start").asText()).isEqualTo("false"));
    }

    /** The image of target/esb.jar, through the script. */
    private static void buildImage() throws Exception {
        var jar = Path.of("target", "esb.jar");
        assertThat(jar).as("failsafe runs after package").exists();
        var log = Path.of("target", "gateway-image-build.log");
        var builder = new ProcessBuilder("docker/build-gateway-image.sh", jar.toString()).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().put("ESB_GATEWAY_IMAGE", IMAGE);
        var process = builder.start();
        if (!process.waitFor(10, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new AssertionError("docker/build-gateway-image.sh took over 10 minutes; see " + log);
        }
        assertThat(process.exitValue()).as("docker/build-gateway-image.sh failed:\n" + Files.readString(log)).isZero();
    }

    /** As the README runs it, plus this test's instance id, an ephemeral loopback port, and JSON logs to read fields from. */
    private static String startGateway(String suffix) throws Exception {
        var name = "esb-gw-" + INSTANCE + "-" + suffix;
        gateways.add(name);
        var socket = RequiresDocker.SOCKET;
        var group = Files.getAttribute(Path.of(socket), "unix:gid").toString();
        Docker.run("run", "-d", "--name", name, "--network", NETWORK, "-p", "127.0.0.1::9000",
                "-v", socket + ":/var/run/docker.sock", "--group-add", group,
                "-v", WORK.toAbsolutePath().resolve("application.conf") + ":/etc/esb/application.conf:ro",
                "--read-only", "--tmpfs", "/tmp", "--cap-drop", "ALL", "--security-opt", "no-new-privileges", "--stop-timeout", "40",
                "-e", "ESB_INSTANCE_ID=" + INSTANCE, "-e", "ESB_LOG_FORMAT=json", IMAGE);
        var published = publishedPort(name);
        long giveUpAt = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < giveUpAt) {
            if (!"true".equals(Docker.run("inspect", "-f", "{{.State.Running}}", name).strip())) {
                throw new AssertionError("gateway container " + name + " exited:\n" + Docker.run("logs", name));
            }
            try {
                var health = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + published + "/health"))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                if (health.statusCode() == 200) {
                    return name;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(250);
        }
        throw new AssertionError("gateway container " + name + " not healthy within 120 s:\n" + Docker.run("logs", name));
    }

    private static int publishedPort(String container) {
        var mapping = Docker.run("port", container, "9000/tcp").strip();
        return Integer.parseInt(mapping.substring(mapping.lastIndexOf(':') + 1));
    }

    /** Waits (bounded) until the gateway has logged this message. */
    private static List<JsonNode> awaitLogLines(String container, String message) throws Exception {
        var lines = Eventually.await(Duration.ofSeconds(60), "logged", () -> logLines(container, message), found -> !found.isEmpty());
        assertThat(lines).as("'" + message + "' in the log of " + container + ":\n" + Docker.run("logs", container)).isNotEmpty();
        return lines;
    }

    /** The gateway's JSON log lines with this message. */
    private static List<JsonNode> logLines(String container, String message) throws IOException {
        var lines = new ArrayList<JsonNode>();
        for (var line : Docker.run("logs", container).lines().toList()) {
            if (line.startsWith("{")) {
                var node = json(line);
                if (message.equals(node.path("message").asText())) {
                    lines.add(node);
                }
            }
        }
        return lines;
    }

    private static HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(String path, String body) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(String text) throws IOException {
        return GatewayUnderTest.JSON.readTree(text);
    }

    private static void quietly(String... args) {
        try {
            Docker.run(args);
        } catch (IllegalStateException ignored) {
            // already gone
        }
    }
}
