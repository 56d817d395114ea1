package io.esb.cli;

import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.StreamType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The command's parsing, help and exit codes, and its parts that need neither a gateway nor Docker. */
class EsbCommandTest {
    @TempDir
    Path home;

    @Test
    void helpListsEveryCommandAndExitsZero() {
        for (var help : new String[] {"--help", "-h", "help"}) {
            var run = CliRun.run(home, help);
            assertThat(run.exitCode()).as(run.toString()).isZero();
            assertThat(run.out()).startsWith("Usage: esb [-h] COMMAND")
                    .containsPattern("(?m)^  up  ").containsPattern("(?m)^  status  ").containsPattern("(?m)^  invoke  ")
                    .containsPattern("(?m)^  logs  ").containsPattern("(?m)^  down  ")
                    .contains("Without a command, bin/esb runs the gateway in the foreground.");
            assertThat(run.err()).isEmpty();
        }
    }

    @Test
    void eachCommandHasHelpWithItsOptions() {
        assertThat(help("up")).startsWith("Usage: esb up [-dh] [--config=FILE]").contains("--detach").contains("target/esb.pid");
        assertThat(help("status")).startsWith("Usage: esb status [-h] [--config=FILE] [--url=URL]");
        assertThat(help("invoke")).startsWith("Usage: esb invoke [-h] [--event] [--config=FILE] [--url=URL] NAME [PAYLOAD]")
                .contains("or - to read it from standard input");
        assertThat(help("logs")).startsWith("Usage: esb logs [-fh] [--config=FILE] [--instance=ID] [--since=WHEN] NAME");
        assertThat(help("down")).startsWith("Usage: esb down [-h] [--config=FILE] [--instance=ID]");
        var viaHelpCommand = CliRun.run(home, "help", "invoke");
        assertThat(viaHelpCommand.exitCode()).isZero();
        assertThat(viaHelpCommand.out()).isEqualTo(help("invoke"));
    }

    private String help(String command) {
        var run = CliRun.run(home, command, "--help");
        assertThat(run.exitCode()).as(run.toString()).isZero();
        return run.out();
    }

    @Test
    void usageErrorsExitTwoAndSayWhat() {
        var unknown = CliRun.run(home, "stauts");
        assertThat(unknown.exitCode()).isEqualTo(2);
        assertThat(unknown.err()).contains("Unmatched argument at index 0: 'stauts'").contains("Did you mean: esb status?");

        var noName = CliRun.run(home, "invoke");
        assertThat(noName.exitCode()).isEqualTo(2);
        assertThat(noName.err()).startsWith("Missing required parameter: 'NAME'").contains("Usage: esb invoke");

        var badSince = CliRun.run(home, "logs", "fx", "--since", "10x");
        assertThat(badSince.exitCode()).isEqualTo(2);
        assertThat(badSince.err()).contains("'10x' is neither a span such as 10m, 2h, 1d nor an instant");

        var unknownOption = CliRun.run(home, "status", "--follow");
        assertThat(unknownOption.exitCode()).isEqualTo(2);
        assertThat(unknownOption.err()).contains("Unknown option: '--follow'");

        var noCommand = CliRun.run(home, "--verbose");
        assertThat(noCommand.exitCode()).isEqualTo(2);

        var notAUrl = CliRun.run(home, "status", "--url", "ftp://127.0.0.1:9000");
        assertThat(notAUrl.exitCode()).isEqualTo(2);
        assertThat(notAUrl.err()).isEqualTo("esb: not an http:// URL: ftp://127.0.0.1:9000\n");
    }

    @Test
    void noGatewayAnsweringIsOneClearLineAndExitOne() throws IOException {
        int port = closedPort();
        var url = "http://127.0.0.1:" + port;
        for (var args : new String[][] {{"status", "--url", url}, {"invoke", "hello", "--url", url}}) {
            var run = CliRun.run(home, args);
            assertThat(run.exitCode()).as(run.toString()).isEqualTo(1);
            assertThat(run.err()).isEqualTo("esb: no gateway answers at " + url + " (start it with esb up)\n");
            assertThat(run.out()).isEmpty();
        }
    }

    @Test
    void statusWithoutUrlUsesTheConfiguredAddress() throws IOException {
        int port = closedPort();
        var config = Files.writeString(home.resolve("esb.conf"), "esb.http.port = " + port + "\n");
        var run = CliRun.run(home, "status", "--config", config.toString());
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).isEqualTo("esb: no gateway answers at http://127.0.0.1:" + port + " (start it with esb up)\n");
    }

    @Test
    void aBadConfigurationIsTheGatewaysOwnLineAndExitTwo() throws IOException {
        var config = Files.writeString(home.resolve("bad.conf"), "esb.functions.orders { image = \"x\", memory-mb = 0 }\n");
        var run = CliRun.run(home, "down", "--config", config.toString());
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).isEqualTo("esb: Invalid configuration at 'esb.functions.orders.memory-mb': must be between 16 and 10240 (got 0)\n");

        var missing = CliRun.run(home, "logs", "fx", "--config", home.resolve("nope.conf").toString());
        assertThat(missing.exitCode()).isEqualTo(2);
        assertThat(missing.err()).isEqualTo("esb: no configuration file at " + home.resolve("nope.conf") + "\n");
    }

    @Test
    void upDetachedNeedsAFixedPort() throws IOException {
        // build-images.sh absent: up says so and goes on; the port check stops it before anything starts.
        var config = Files.writeString(home.resolve("esb.conf"), "esb.http.port = 0\n");
        var run = CliRun.run(home, "up", "--detach", "--config", config.toString());
        assertThat(run.exitCode()).as(run.toString()).isEqualTo(2);
        assertThat(run.err()).endsWith("esb: esb up --detach needs a fixed esb.http.port (it is 0)\n");
        assertThat(home.resolve("target/esb.pid")).doesNotExist();
    }

    @Test
    void sinceTakesSpansAndInstants() {
        var converter = new SinceConverter();
        assertThat(converter.convert("10m")).isCloseTo(Instant.now().minus(Duration.ofMinutes(10)), within(5, java.time.temporal.ChronoUnit.SECONDS));
        assertThat(converter.convert("2h")).isCloseTo(Instant.now().minus(Duration.ofHours(2)), within(5, java.time.temporal.ChronoUnit.SECONDS));
        assertThat(converter.convert("90s")).isCloseTo(Instant.now().minusSeconds(90), within(5, java.time.temporal.ChronoUnit.SECONDS));
        assertThat(converter.convert("1d")).isCloseTo(Instant.now().minus(Duration.ofDays(1)), within(5, java.time.temporal.ChronoUnit.SECONDS));
        assertThat(converter.convert("2025-01-31T12:00:00Z")).isEqualTo(Instant.parse("2025-01-31T12:00:00Z"));
    }

    @Test
    void containerLinesJoinFramesPerStreamAndKeepTheirTimestamps() {
        var lines = new ArrayList<ContainerLines.Line>();
        var reader = new ContainerLines("0123456789abcdef0123", lines::add);
        reader.onNext(frame(StreamType.STDOUT, "2025-01-31T12:00:00.000000001Z START RequestId: r1 Ver"));
        reader.onNext(frame(StreamType.STDERR, "2025-01-31T12:00:00.5Z warn\n"));
        reader.onNext(frame(StreamType.STDOUT, "sion: $LATEST\r\n2025-01-31T12:00:01Z END RequestId: r1\n2025-01-31T12:00:02Z partial"));
        assertThat(lines).extracting(ContainerLines.Line::printed)
                .containsExactly("0123456789ab | warn", "0123456789ab | START RequestId: r1 Version: $LATEST", "0123456789ab | END RequestId: r1");
        assertThat(lines.get(1).timestamp()).isEqualTo(Instant.parse("2025-01-31T12:00:00.000000001Z"));
        reader.flush();
        assertThat(lines).hasSize(4);
        assertThat(lines.get(3).printed()).isEqualTo("0123456789ab | partial");
        assertThat(ContainerLines.parse("abc", "no timestamp here")).isEqualTo(new ContainerLines.Line(null, "abc", "no timestamp here"));
    }

    private static Frame frame(StreamType stream, String text) {
        return new Frame(stream, text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void statusTableHasOneAlignedLinePerFunction() throws Exception {
        var functions = GatewayClient.JSON.readTree("""
                {"hello":{"idle":1,"busy":0,"starting":0,"queued":0,"coldStarts":12},
                 "orders-api":{"idle":0,"busy":2,"starting":1,"queued":3,"coldStarts":3,"image":"building","imageDetail":"step 2/5"}}""");
        assertThat(StatusCommand.table(functions)).isEqualTo("""
                FUNCTION    IDLE  BUSY  STARTING  QUEUED  COLD STARTS
                hello          1     0         0       0           12
                orders-api     0     2         1       3            3  image building: step 2/5
                """);
        assertThat(StatusCommand.table(GatewayClient.JSON.readTree("{}"))).isEqualTo("No functions configured.\n");
    }

    /** A PID file naming a process that is not a JVM (the PID reused, say) is stale: nothing is signalled. */
    @Test
    void downNeverSignalsAProcessThatIsNotAGateway() throws Exception {
        var sleeper = new ProcessBuilder("sleep", "60").start();
        try {
            var context = new CliContext(home, java.io.InputStream.nullInputStream());
            Files.createDirectories(context.pidFile().getParent());
            Files.writeString(context.pidFile(), sleeper.pid() + "\n");
            assertThat(DetachedGateway.running(context.pidFile())).isEmpty();
            assertThat(DetachedGateway.stop(context, Duration.ofSeconds(1))).isEqualTo("No gateway runs with the PID in " + context.pidFile() + "; removed the file.");
            assertThat(sleeper.isAlive()).isTrue();
            assertThat(context.pidFile()).doesNotExist();
            assertThat(DetachedGateway.stop(context, Duration.ofSeconds(1))).isNull();
        } finally {
            sleeper.destroy();
            sleeper.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static int closedPort() throws IOException {
        try (var socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
