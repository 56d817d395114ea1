package io.esb.it;

import io.esb.cli.CliRun;
import io.esb.testing.Docker;
import io.esb.testing.Eventually;
import io.esb.testing.GatewayUnderTest;
import io.esb.testing.RequiresDocker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The esb command against a real gateway (in this JVM) and the real daemon, called in-process through its picocli
 * entry; one test runs bin/esb as a process, one starts a gateway with {@code up --detach} and stops it with
 * {@code down}. The checkout's docker/ scripts are never run: {@code up} gets a home of its own with stand-ins.
 */
@ExtendWith(RequiresDocker.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EsbCommandIT {
    private static final Duration LOG_BOUND = Duration.ofSeconds(30);
    private static String instance;
    private static GatewayUnderTest gw;
    private static Path config;
    @TempDir
    static Path home;

    @BeforeAll
    static void start() throws Exception {
        instance = GatewayUnderTest.newInstanceId("it-cli");
        gw = GatewayUnderTest.start(instance, "esb.async.retry-delays = [100ms, 100ms]");
        // What logs and down read: the same instance id as the gateway's.
        config = Files.writeString(home.resolve("esb.conf"), "esb.docker.instance-id = \"" + instance + "\"\n"
                + "esb.functions.fx { image = \"esb-fixture:latest\" }\n");
    }

    @AfterAll
    static void stop() {
        GatewayUnderTest.stopAndClean(gw, null, instance);
    }

    private static CliRun esb(String... args) {
        return CliRun.run(home, args);
    }

    private static String url() {
        return gw.url("");
    }

    @Test
    @Order(1)
    void invokePrintsTheFunctionsResponse() throws Exception {
        var run = esb("invoke", "hello", "{\"queryStringParameters\":{\"name\":\"CLI\"}}", "--url", url());
        assertThat(run.exitCode()).as(run.toString()).isZero();
        var response = GatewayUnderTest.JSON.readTree(run.out());
        assertThat(response.get("statusCode").asInt()).isEqualTo(200);
        assertThat(GatewayUnderTest.JSON.readTree(response.get("body").asText()).get("message").asText()).isEqualTo("Hello, CLI!");
        assertThat(run.err()).isEmpty();

        // The payload from standard input; the fixture echoes the event it got.
        var fromStdin = CliRun.runWithInput(home, "{\"action\":\"echo\",\"n\":42}", "invoke", "fx", "-", "--url", url());
        assertThat(fromStdin.exitCode()).as(fromStdin.toString()).isZero();
        assertThat(GatewayUnderTest.JSON.readTree(fromStdin.out()).at("/echo/n").asInt()).isEqualTo(42);
    }

    @Test
    @Order(2)
    void aFailingFunctionOrAnUnknownOneExitsOneWithTheError() throws Exception {
        var failing = esb("invoke", "fx", "{\"action\":\"throw\",\"message\":\"boom from the fixture\"}", "--url", url());
        assertThat(failing.exitCode()).as(failing.toString()).isEqualTo(1);
        assertThat(failing.err()).startsWith("esb: fx failed (Unhandled): {").contains("boom from the fixture");
        assertThat(failing.out()).isEmpty();

        var unknown = esb("invoke", "nope", "--url", url());
        assertThat(unknown.exitCode()).as(unknown.toString()).isEqualTo(1);
        assertThat(unknown.err()).isEqualTo("esb: Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope"
                + " (HTTP 404 ResourceNotFoundException)\n");

        var notJson = esb("invoke", "fx", "{not json", "--url", url());
        assertThat(notJson.exitCode()).isEqualTo(1);
        assertThat(notJson.err()).contains("InvalidRequestContentException");

        var queued = esb("invoke", "fx", "--event", "--url", url());
        assertThat(queued.exitCode()).as(queued.toString()).isZero();
        assertThat(queued.out()).matches("Queued \\(RequestId: [0-9a-f-]{36}\\)\n");
    }

    @Test
    @Order(3)
    void statusShowsTheDaemonAndEachFunction() throws Exception {
        assertThat(gw.invoke("hello", "{}").statusCode()).isEqualTo(200);
        var run = esb("status", "--url", url());
        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(run.out()).startsWith("Gateway  " + url() + "\nDocker   up  unix://");
        assertThat(run.out()).containsPattern("(?m)^FUNCTION +IDLE +BUSY +STARTING +QUEUED +COLD STARTS$");
        var hello = row(run.out(), "hello");
        assertThat(hello[0] + hello[1]).as("idle + busy").isEqualTo(1); // one container, warm since the call above
        assertThat(hello[4]).as("cold starts").isEqualTo(1);
        assertThat(row(run.out(), "fx")[4]).as("fx cold starts").isGreaterThanOrEqualTo(1);
    }

    private static int[] row(String table, String function) {
        var matcher = Pattern.compile("(?m)^" + function + " +(\\d+) +(\\d+) +(\\d+) +(\\d+) +(\\d+)$").matcher(table);
        assertThat(matcher.find()).as(table).isTrue();
        var counts = new int[5];
        for (int i = 0; i < 5; i++) {
            counts[i] = Integer.parseInt(matcher.group(i + 1));
        }
        return counts;
    }

    @Test
    @Order(4)
    void logsShowAnInvocationsLinesPrefixedWithTheContainer() throws Exception {
        var marker = "cli-log-" + UUID.randomUUID().toString().substring(0, 8);
        var requestId = logAction(marker);
        var containers = Docker.containers(instance, "fx");
        assertThat(containers).hasSize(1);
        var prefix = containers.get(0).substring(0, 12) + " | ";
        Eventually.within(LOG_BOUND, () -> {
            var run = esb("logs", "fx", "--config", config.toString());
            assertThat(run.exitCode()).as(run.toString()).isZero();
            var lines = run.out().lines().toList();
            var start = indexOf(lines, prefix + "START RequestId: " + requestId);
            var printed = indexOf(lines, prefix + marker);
            var end = indexOf(lines, prefix + "END RequestId: " + requestId);
            var report = indexOf(lines, prefix + "REPORT RequestId: " + requestId);
            assertThat(List.of(start, printed, end, report)).as(run.out()).doesNotContain(-1).isSorted();
        });
        // --since leaves out what came before it.
        var recent = esb("logs", "fx", "--config", config.toString(), "--since", "2030-01-01T00:00:00Z");
        assertThat(recent.exitCode()).isZero();
        assertThat(recent.out()).isEmpty();
        // The other instance's containers are not this one's: --instance picks.
        var other = esb("logs", "fx", "--config", config.toString(), "--instance", instance + "-other");
        assertThat(other.exitCode()).isZero();
        assertThat(other.out()).isEmpty();
        assertThat(other.err()).isEqualTo("esb: fx has no containers (its first invocation starts one)\n");
        var unknown = esb("logs", "nope", "--config", config.toString());
        assertThat(unknown.exitCode()).isEqualTo(1);
        assertThat(unknown.err()).isEqualTo("esb: no function 'nope' in the configuration (fx) and no containers of it for instance '" + instance + "'\n");
    }

    @Test
    @Order(5)
    void logsFollowPrintsNewLinesUntilInterrupted() throws Exception {
        var out = new StringWriter();
        var err = new StringWriter();
        var context = new io.esb.cli.CliContext(home, java.io.InputStream.nullInputStream());
        var code = new java.util.concurrent.CompletableFuture<Integer>();
        var follower = new Thread(() -> code.complete(io.esb.cli.EsbCommand.commandLine(context, new PrintWriter(out, true), new PrintWriter(err, true))
                .execute("logs", "fx", "--follow", "--since", "1s", "--config", config.toString())));
        follower.start();
        try {
            var marker = "cli-follow-" + UUID.randomUUID().toString().substring(0, 8);
            var requestId = logAction(marker);
            Eventually.within(LOG_BOUND, () -> assertThat(out.toString()).contains(" | " + marker + "\n")
                    .contains(" | REPORT RequestId: " + requestId));
        } finally {
            follower.interrupt();
        }
        assertThat(code.get(30, TimeUnit.SECONDS)).as(err.toString()).isZero();
    }

    @Test
    @Order(5)
    void deadLettersAreListedReplayedAndDeleted() throws Exception {
        var answer = gw.http.send(HttpRequest.newBuilder(URI.create(gw.url("/2015-03-31/functions/fx/invocations")))
                .header("X-Amz-Invocation-Type", "Event").POST(HttpRequest.BodyPublishers.ofString("{\"action\":\"throw\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        var requestId = answer.headers().firstValue("X-Amzn-RequestId").orElseThrow();
        var listed = Eventually.await(LOG_BOUND, "the dead letter listed", () -> esb("dead-letters", "--function", "fx", "--url", url()),
                run -> run.out().contains(requestId));
        assertThat(listed.exitCode()).isZero();
        assertThat(listed.out()).containsPattern("(?m)^REQUEST ID +FUNCTION +REASON +ATTEMPTS +DEAD-LETTERED AT +LAST ERROR$")
                .containsPattern("(?m)^" + requestId + " +fx +RetriesExhausted +3 +\\S+ +IllegalStateException$");

        var replay = esb("dead-letters", "replay", requestId, "--url", url());
        assertThat(replay.exitCode()).as(replay.toString()).isZero();
        assertThat(replay.out()).isEqualTo("Replayed " + requestId + ": queued again with its request id\n");
        Eventually.await(LOG_BOUND, "dead again after its retries", () -> esb("dead-letters", "list", "--url", url()),
                run -> run.out().contains(requestId));

        var delete = esb("dead-letters", "delete", requestId, "--url", url());
        assertThat(delete.exitCode()).as(delete.toString()).isZero();
        assertThat(delete.out()).isEqualTo("Deleted " + requestId + "\n");
        var again = esb("dead-letters", "delete", requestId, "--url", url());
        assertThat(again.exitCode()).isEqualTo(1);
        assertThat(again.err()).isEqualTo("esb: delete " + requestId + ": No dead letter with request id '" + requestId + "' (HTTP 404)\n");
        assertThat(esb("dead-letters", "--url", url()).out()).isEqualTo("No dead letters.\n");
        var usage = esb("dead-letters", "replay", "--url", url());
        assertThat(usage.exitCode()).isEqualTo(2);
        assertThat(usage.err()).contains("replay needs the dead letter's request id");
    }

    @Test
    @Order(6)
    void downRemovesTheInstancesContainers() throws Exception {
        var before = Docker.containers(instance);
        assertThat(before).isNotEmpty();
        var run = esb("down", "--config", config.toString());
        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(run.out()).isEqualTo("Removed " + before.size() + (before.size() == 1 ? " container" : " containers")
                + " of instance '" + instance + "'.\n");
        assertThat(Docker.containers(instance)).isEmpty();
    }

    @Test
    @Order(7)
    void binEsbIsTheCommand() throws Exception {
        var repo = Path.of("").toAbsolutePath();
        assertThat(repo.resolve("target/esb.jar")).as("built by mvn package, before the integration tests").exists();
        var help = process(repo, "bin/esb", "--help");
        assertThat(help.exitCode()).as(help.toString()).isZero();
        assertThat(help.out()).startsWith("Usage: esb [-h] COMMAND").contains("  invoke  ").contains("  down  ");
        var typo = process(repo, "bin/esb", "-Dx=1", "stauts");
        assertThat(typo.exitCode()).as(typo.toString()).isEqualTo(2);
        assertThat(typo.err()).contains("Did you mean: esb status?");
    }

    private static CliRun process(Path dir, String... command) throws Exception {
        var process = new ProcessBuilder(command).directory(dir.toFile()).start();
        var out = new java.util.concurrent.CompletableFuture<String>();
        new Thread(() -> {
            try {
                out.complete(new String(process.getInputStream().readAllBytes()));
            } catch (java.io.IOException e) {
                out.completeExceptionally(e);
            }
        }).start();
        var err = new String(process.getErrorStream().readAllBytes());
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new CliRun(process.exitValue(), out.get(10, TimeUnit.SECONDS), err);
    }

    /**
     * {@code up --detach} in a home of its own, whose docker/ scripts are stand-ins that note they ran: the daemon
     * answers, so only build-images.sh runs; a gateway JVM starts, answers, and {@code down} stops it and removes the
     * container it started.
     */
    @Test
    @Order(8)
    void upDetachedStartsAGatewayThatDownStops(@TempDir Path upHome) throws Exception {
        var upInstance = GatewayUnderTest.newInstanceId("it-cli-up");
        try {
            Files.createDirectories(upHome.resolve("docker"));
            Files.writeString(upHome.resolve("docker/build-images.sh"), "echo images > \"" + upHome.resolve("images-built") + "\"\n");
            Files.writeString(upHome.resolve("docker/start-dockerd.sh"), "echo dockerd > \"" + upHome.resolve("dockerd-started") + "\"\n");
            int port;
            try (var socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                port = socket.getLocalPort();
            }
            var upConfig = Files.writeString(upHome.resolve("esb.conf"), """
                    esb.http.port = %d
                    esb.docker.instance-id = "%s"
                    esb.functions.hello { image = "esb-example-hello:latest" }
                    """.formatted(port, upInstance));
            var url = "http://127.0.0.1:" + port;

            var up = CliRun.run(upHome, "up", "--detach", "--config", upConfig.toString());
            assertThat(up.exitCode()).as(up.toString()).isZero();
            var pid = Long.parseLong(Files.readString(upHome.resolve("target/esb.pid")).strip());
            assertThat(up.out()).isEqualTo("Gateway running at " + url + " (PID " + pid + ", log " + upHome.resolve("target/esb.log")
                    + "); stop it with esb down\n");
            assertThat(upHome.resolve("images-built")).exists();
            assertThat(upHome.resolve("dockerd-started")).as("the daemon answers, so it is not started").doesNotExist();
            var health = gw.http.send(HttpRequest.newBuilder(URI.create(url + "/health")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(upHome.resolve("target/esb.log")).isRegularFile(); // its content: the test classpath's logback (WARN)

            var again = CliRun.run(upHome, "up", "--detach", "--config", upConfig.toString());
            assertThat(again.exitCode()).isEqualTo(1);
            assertThat(again.err()).endsWith("esb: a gateway is already running (PID " + pid + ", from " + upHome.resolve("target/esb.pid")
                    + "); stop it with esb down\n");

            var invoked = CliRun.run(upHome, "invoke", "hello", "--config", upConfig.toString());
            assertThat(invoked.exitCode()).as(invoked.toString()).isZero();
            assertThat(Docker.containers(upInstance)).hasSize(1);

            var down = CliRun.run(upHome, "down", "--config", upConfig.toString());
            assertThat(down.exitCode()).as(down.toString()).isZero();
            assertThat(down.out()).isEqualTo("Stopped the gateway (PID " + pid + ").\nRemoved 1 container of instance '" + upInstance + "'.\n");
            assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).isEmpty();
            assertThat(upHome.resolve("target/esb.pid")).doesNotExist();
            assertThat(Docker.containers(upInstance)).isEmpty();
            var afterDown = CliRun.run(upHome, "status", "--config", upConfig.toString());
            assertThat(afterDown.err()).isEqualTo("esb: no gateway answers at " + url + " (start it with esb up)\n");
        } finally {
            var pidFile = upHome.resolve("target/esb.pid");
            if (Files.exists(pidFile)) { // a failed assertion above: stop the gateway this test started, by its PID
                ProcessHandle.of(Long.parseLong(Files.readString(pidFile).strip())).ifPresent(ProcessHandle::destroy);
            }
            Docker.removeAll(upInstance);
        }
    }

    private static String logAction(String message) throws Exception {
        var response = gw.invoke("fx", GatewayUnderTest.JSON.createObjectNode().put("action", "log").put("message", message).toString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return response.headers().firstValue("x-amzn-RequestId").orElseThrow();
    }

    private static int indexOf(List<String> lines, String prefix) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith(prefix)) {
                return i;
            }
        }
        return -1;
    }
}
