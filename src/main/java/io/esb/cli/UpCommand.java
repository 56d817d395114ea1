package io.esb.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * {@code esb up}: what the everyday loop needs before the gateway, then the gateway. bin/esb builds the jar first when
 * it is missing (this class runs from it); the rest is here: a Docker daemon (docker/start-dockerd.sh, only when
 * none answers) and the function images (docker/build-images.sh, which skips what is built).
 */
@Command(name = "up",
        description = {"Starts the gateway, after Docker, the function images and the jar if they are missing.",
                "First a Docker daemon if none answers (docker/start-dockerd.sh), the function images",
                "(docker/build-images.sh skips what is built), and target/esb.jar if it is missing (bin/esb",
                "builds it). Then the gateway, in the foreground until Ctrl-C or SIGTERM, or with --detach in",
                "the background (PID in target/esb.pid, log in target/esb.log) once it answers /health."})
final class UpCommand extends Subcommand {
    @Option(names = {"-d", "--detach"}, description = "Run the gateway in the background; esb down stops it.")
    boolean detach;

    @Override
    public Integer call() throws IOException, InterruptedException {
        var context = EsbCommand.context(spec);
        var settings = config.settings(); // a bad configuration stops here, before anything starts
        var err = spec.commandLine().getErr();
        ensureDocker(context, settings.docker(), err);
        var images = context.script("build-images.sh");
        if (Files.isRegularFile(images)) {
            runScript(images, Map.of(), err);
        } else {
            err.println("esb: no " + images + "; building no function images");
        }
        if (!detach) {
            return Foreground.run(config.source(), err);
        }
        if (settings.http().port() == 0) {
            throw new CliFailure("esb up --detach needs a fixed esb.http.port (it is 0)", EsbCommand.USAGE);
        }
        var url = config.gatewayUrl();
        long pid = DetachedGateway.start(context, config.file, url, spec.commandLine().getOut());
        var out = spec.commandLine().getOut();
        out.println("Gateway running at " + url + " (PID " + pid + ", log " + context.logFile() + "); stop it with esb down");
        out.flush();
        return EsbCommand.OK;
    }

    /** Starts a local daemon when none answers at the configured host (a unix socket: the script serves one). */
    private static void ensureDocker(CliContext context, io.esb.config.DockerSettings docker, PrintWriter err)
            throws IOException, InterruptedException {
        var problem = DockerAccess.pingProblem(docker);
        if (problem == null) {
            return;
        }
        var script = context.script("start-dockerd.sh");
        if (!docker.host().startsWith("unix://") || !Files.isRegularFile(script)) {
            err.println("esb: the Docker daemon does not answer at " + docker.host() + " (" + problem
                    + "); the gateway starts without it and reports it down");
            return;
        }
        err.println("esb: no Docker daemon answers at " + docker.host() + "; starting one (" + script + ")");
        runScript(script, Map.of("DOCKER_SOCK", docker.host().substring("unix://".length())), err);
    }

    /** Runs one of the checkout's scripts, its output on our stderr; a failure stops {@code up}. */
    static void runScript(Path script, Map<String, String> environment, PrintWriter err) throws IOException, InterruptedException {
        var builder = new ProcessBuilder(List.of("bash", script.toString())).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        builder.environment().putAll(environment);
        var process = builder.start();
        try (InputStream output = process.getInputStream()) {
            var buffer = new byte[8192];
            for (int n; (n = output.read(buffer)) > 0; ) {
                err.print(new String(buffer, 0, n, StandardCharsets.UTF_8));
                err.flush();
            }
        }
        int code = process.waitFor();
        if (code != 0) {
            throw new CliFailure(script.getFileName() + " failed (exit code " + code + ")");
        }
    }
}
