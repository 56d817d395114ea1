package io.esb.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** {@code esb status}: the gateway's {@code GET /status} as a table. */
@Command(name = "status",
        description = {"Shows the Docker daemon's state and each function's containers.",
                "The gateway's GET /status as a table.",
                "Exits 1 when no gateway answers or Docker is down."})
final class StatusCommand extends Subcommand {
    @Option(names = "--url", paramLabel = "URL", description = "The gateway (default: its address in the configuration, http://127.0.0.1:9000).")
    String url;

    static final List<String> COLUMNS = List.of("IDLE", "BUSY", "STARTING", "QUEUED", "COLD STARTS");

    @Override
    public Integer call() {
        var gateway = new GatewayClient(url != null ? url : config.gatewayUrl());
        var response = gateway.get("/status", Duration.ofSeconds(10));
        var body = GatewayClient.jsonOrNull(response.body());
        if (body == null || !body.has("docker") || (response.statusCode() != 200 && response.statusCode() != 503)) {
            throw new CliFailure("GET " + gateway.baseUrl() + "/status answered " + GatewayClient.errorMessage(response));
        }
        var out = spec.commandLine().getOut();
        var docker = body.get("docker");
        out.println("Gateway  " + gateway.baseUrl());
        out.println("Docker   " + docker.path("status").asText("?") + "  " + docker.path("host").asText("")
                + (docker.hasNonNull("lastError") ? "  (" + docker.get("lastError").asText() + ")" : ""));
        out.println();
        out.print(table(body.path("functions")));
        out.flush();
        if (!"up".equals(docker.path("status").asText())) {
            throw new CliFailure("the Docker daemon is " + docker.path("status").asText("?") + " at " + docker.path("host").asText("?")
                    + (docker.hasNonNull("lastError") ? ": " + docker.get("lastError").asText() : ""));
        }
        return EsbCommand.OK;
    }

    /** One line per function: its pool's counts, and its image's state while that is not ready. */
    static String table(JsonNode functions) {
        if (functions.isEmpty()) {
            return "No functions configured.\n";
        }
        var rows = new ArrayList<List<String>>();
        var header = new ArrayList<String>();
        header.add("FUNCTION");
        header.addAll(COLUMNS);
        header.add("");
        rows.add(header);
        functions.fields().forEachRemaining(entry -> {
            var f = entry.getValue();
            var row = new ArrayList<String>();
            row.add(entry.getKey());
            for (var key : List.of("idle", "busy", "starting", "queued", "coldStarts")) {
                row.add(f.path(key).asText("?"));
            }
            row.add(f.hasNonNull("image") ? "image " + f.get("image").asText() + (f.hasNonNull("imageDetail") ? ": " + f.get("imageDetail").asText() : "") : "");
            rows.add(row);
        });
        return TextTable.render(rows);
    }
}
