package io.esb.cli;

import io.esb.docker.DockerOps;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;


/**
 * {@code esb down}: stops the gateway {@code esb up --detach} started, then removes this instance's function
 * containers (a gateway still running would start new ones). Containers of other instances, and anything without the
 * gateway's labels, are left alone.
 */
@Command(name = "down",
        description = {"Stops the gateway started with up --detach; removes this instance's containers.",
                "SIGTERM to the PID in target/esb.pid (the gateway drains first), then removes the containers",
                "labelled esb.managed=true and esb.instance=ID, and nothing else."})
final class DownCommand extends Subcommand {
    @Option(names = "--instance", paramLabel = "ID", description = "The gateway instance whose containers go (default: esb.docker.instance-id).")
    String instance;

    @Override
    public Integer call() throws Exception {
        var settings = config.settings();
        var instanceId = instance != null ? instance : settings.docker().instanceId();
        var out = spec.commandLine().getOut();
        var stopped = DetachedGateway.stop(EsbCommand.context(spec), settings.shutdown().drainTimeout());
        if (stopped != null) {
            out.println(stopped);
            out.flush();
        }
        int removed;
        try (var docker = DockerAccess.open(settings.docker(), 8)) {
            removed = DockerOps.removeWhere(instanceId, container -> true, "esb down").run(docker.client());
        }
        out.println("Removed " + removed + (removed == 1 ? " container" : " containers") + " of instance '" + instanceId + "'.");
        out.flush();
        return EsbCommand.OK;
    }
}
