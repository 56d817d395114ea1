package io.esb.cli;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.LogContainerCmd;
import com.github.dockerjava.api.exception.NotFoundException;
import io.esb.docker.DockerOps;
import io.esb.docker.ManagedContainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code esb logs}: a function's containers' output, read from Docker directly (the gateway need not run), each line
 * prefixed with its container's short id. The containers are this instance's, by the labels the gateway gives them.
 */
@Command(name = "logs",
        description = {"Prints a function's container output from Docker, after each short container id.",
                "The containers are this gateway instance's (esb.docker.instance-id), running or stopped;",
                "the gateway need not run."})
final class LogsCommand extends Subcommand {
    /** How often --follow looks for containers started since. */
    private static final long NEW_CONTAINER_POLL_MS = 1000;

    @Parameters(index = "0", paramLabel = "NAME", description = "The function.")
    String name;
    @Option(names = {"-f", "--follow"}, description = "Keep printing new lines, of new containers too, until interrupted.")
    boolean follow;
    @Option(names = "--since", paramLabel = "WHEN", converter = SinceConverter.class,
            description = "Only lines since then: a span back from now (90s, 10m, 2h, 1d) or an instant (2025-01-31T12:00:00Z).")
    Instant since;
    @Option(names = "--instance", paramLabel = "ID", description = "The gateway instance (default: esb.docker.instance-id).")
    String instance;

    @Override
    public Integer call() throws InterruptedException {
        var settings = config.settings();
        var instanceId = instance != null ? instance : settings.docker().instanceId();
        try (var docker = DockerAccess.open(settings.docker(), follow ? 64 : 4)) {
            var containers = containers(docker.client(), instanceId);
            if (containers.isEmpty() && !settings.functions().containsKey(name)) {
                throw new CliFailure("no function '" + name + "' in the configuration (" + String.join(", ", settings.functions().keySet())
                        + ") and no containers of it for instance '" + instanceId + "'");
            }
            if (follow) {
                follow(docker.client(), instanceId, containers);
            } else if (containers.isEmpty()) {
                spec.commandLine().getErr().println("esb: " + name + " has no containers (its first invocation starts one)");
            } else {
                printAll(docker.client(), containers);
            }
        }
        return EsbCommand.OK;
    }

    private List<ManagedContainer> containers(DockerClient client, String instanceId) {
        try {
            var list = new ArrayList<>(DockerOps.listManaged(instanceId, name).run(client));
            list.sort(Comparator.comparingLong(ManagedContainer::createdEpochSeconds).thenComparing(ManagedContainer::id));
            return list;
        } catch (Exception e) {
            throw new CliFailure("cannot list the containers of " + name + ": " + e.getMessage());
        }
    }

    private LogContainerCmd logsOf(DockerClient client, String containerId, Instant from) {
        var command = client.logContainerCmd(containerId).withStdOut(true).withStdErr(true).withTimestamps(true);
        return from == null ? command : command.withSince((int) from.getEpochSecond());
    }

    /** Every container's lines, in the order Docker timestamped them (a container's own order where equal). */
    private void printAll(DockerClient client, List<ManagedContainer> containers) throws InterruptedException {
        var lines = new ArrayList<ContainerLines.Line>();
        for (var container : containers) {
            var reader = new ContainerLines(container.id(), lines::add);
            try {
                logsOf(client, container.id(), since).exec(reader).awaitCompletion(60, TimeUnit.SECONDS);
            } catch (NotFoundException removedMeanwhile) {
                continue;
            }
            reader.flush();
        }
        lines.sort(Comparator.comparing(ContainerLines.Line::timestamp, Comparator.nullsLast(Comparator.naturalOrder())));
        var out = spec.commandLine().getOut();
        for (var line : lines) {
            if (since == null || line.timestamp() == null || !line.timestamp().isBefore(since)) {
                out.println(line.printed());
            }
        }
        out.flush();
    }

    /** Follows the containers there are, and each one started later from its first line, until interrupted. */
    private void follow(DockerClient client, String instanceId, List<ManagedContainer> initial) {
        var out = spec.commandLine().getOut();
        var followed = new LinkedHashMap<String, ContainerLines>();
        java.util.function.Consumer<ContainerLines.Line> print = line -> {
            synchronized (out) {
                out.println(line.printed());
                out.flush();
            }
        };
        try {
            var containers = initial;
            boolean first = true;
            while (!Thread.currentThread().isInterrupted()) {
                for (var container : containers) {
                    if (!followed.containsKey(container.id())) {
                        var reader = new ContainerLines(container.id(), print);
                        followed.put(container.id(), reader);
                        try {
                            logsOf(client, container.id(), first ? since : null).withFollowStream(true).exec(reader);
                        } catch (NotFoundException removedMeanwhile) {
                            // nothing to follow
                        }
                    }
                }
                first = false;
                Thread.sleep(NEW_CONTAINER_POLL_MS);
                containers = containers(client, instanceId);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            for (var reader : followed.values()) {
                try {
                    reader.close();
                } catch (java.io.IOException ignored) {
                    // the stream is abandoned either way
                }
            }
        }
    }
}
