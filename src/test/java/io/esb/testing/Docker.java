package io.esb.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The docker CLI, so tests check containers through a path independent of the gateway's own client. */
public final class Docker {
    private Docker() {}

    /** Ids of containers (running or not) carrying {@code esb.instance=<instanceId>}. */
    public static List<String> containers(String instanceId) {
        return lines(run("ps", "-aq", "--no-trunc", "--filter", "label=esb.instance=" + instanceId));
    }

    /** One function's containers of the instance, running or not, in one listing (no inspect that could race a removal). */
    public static List<String> containers(String instanceId, String function) {
        return lines(run("ps", "-aq", "--no-trunc", "--filter", "label=esb.instance=" + instanceId, "--filter", "label=esb.function=" + function));
    }

    public static List<String> runningContainers(String instanceId, String function) {
        return lines(run("ps", "-q", "--no-trunc", "--filter", "label=esb.instance=" + instanceId, "--filter", "label=esb.function=" + function));
    }

    public static List<String> runningContainers(String instanceId) {
        return lines(run("ps", "-q", "--no-trunc", "--filter", "label=esb.instance=" + instanceId));
    }

    /** Removes the instance's containers; one the gateway is removing at the same moment is left to finish. */
    private static final java.util.regex.Pattern END = java.util.regex.Pattern.compile("END RequestId: (\\S+)");

    /** The request id of every "END RequestId" line the instance's containers printed: one per invocation they ran. */
    public static List<String> requestIdsRun(String instanceId) {
        var ids = new java.util.ArrayList<String>();
        for (var container : containers(instanceId)) {
            var m = END.matcher(run("logs", container));
            while (m.find()) {
                ids.add(m.group(1));
            }
        }
        return ids;
    }

    public static void removeAll(String instanceId) {
        for (var id : containers(instanceId)) {
            try {
                run("rm", "-f", id);
            } catch (IllegalStateException e) {
                if (!e.getMessage().contains("already in progress") && !e.getMessage().contains("No such container")) {
                    throw e;
                }
            }
        }
    }

    public static String run(String... args) {
        var command = new ArrayList<String>();
        command.add("docker");
        command.addAll(Arrays.asList(args));
        try {
            var process = new ProcessBuilder(command).redirectErrorStream(true).start();
            var output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + output);
            }
            return output;
        } catch (IOException e) {
            throw new IllegalStateException("could not run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static List<String> lines(String output) {
        return output.lines().map(String::strip).filter(s -> !s.isEmpty()).toList();
    }
}
