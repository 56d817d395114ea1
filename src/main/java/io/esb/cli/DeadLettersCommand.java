package io.esb.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** {@code esb dead-letters}: the gateway's {@code /admin/dead-letters}, to list, replay and delete failed Event invocations. */
@Command(name = "dead-letters",
        description = {"Lists, replays or deletes Event invocations that ran out of retries or age.",
                "  esb dead-letters [list] [--function NAME] [--limit N]",
                "  esb dead-letters replay REQUEST_ID    queues it again, with its request id",
                "  esb dead-letters delete REQUEST_ID",
                "Exits 1 when no gateway answers or there is no such dead letter."})
final class DeadLettersCommand extends Subcommand {
    @Parameters(index = "0", arity = "0..1", paramLabel = "ACTION", description = "list (default), replay or delete.")
    String action = "list";

    @Parameters(index = "1", arity = "0..1", paramLabel = "REQUEST_ID", description = "The dead letter to replay or delete.")
    String requestId;

    @Option(names = "--function", paramLabel = "NAME", description = "Only this function's dead letters (list).")
    String function;

    @Option(names = "--limit", paramLabel = "N", description = "At most N, oldest first (list; default 100).")
    Integer limit;

    @Option(names = "--url", paramLabel = "URL", description = "The gateway (default: its address in the configuration, http://127.0.0.1:9000).")
    String url;

    @Override
    public Integer call() {
        var gateway = new GatewayClient(url != null ? url : config.gatewayUrl());
        var out = spec.commandLine().getOut();
        switch (action) {
            case "list" -> {
                if (requestId != null) {
                    throw new CliFailure("list takes no request id (replay or delete do)", EsbCommand.USAGE);
                }
                var query = new ArrayList<String>();
                if (function != null) {
                    query.add("function=" + URLEncoder.encode(function, StandardCharsets.UTF_8));
                }
                if (limit != null) {
                    query.add("limit=" + limit);
                }
                var path = "/admin/dead-letters" + (query.isEmpty() ? "" : "?" + String.join("&", query));
                var response = gateway.get(path, Duration.ofSeconds(30));
                var body = GatewayClient.jsonOrNull(response.body());
                if (response.statusCode() != 200 || body == null) {
                    throw new CliFailure("GET " + gateway.baseUrl() + path + " answered " + GatewayClient.errorMessage(response));
                }
                var letters = body.path("deadLetters");
                if (letters.isEmpty()) {
                    out.println("No dead letters.");
                } else {
                    var rows = new ArrayList<List<String>>();
                    rows.add(List.of("REQUEST ID", "FUNCTION", "REASON", "ATTEMPTS", "DEAD-LETTERED AT", "LAST ERROR"));
                    for (var letter : letters) {
                        rows.add(List.of(letter.path("requestId").asText(), letter.path("functionName").asText(), letter.path("reason").asText(),
                                letter.path("attempts").asText(), letter.path("deadLetteredAt").asText(), letter.path("lastError").asText("")));
                    }
                    out.print(TextTable.render(rows));
                }
            }
            case "replay", "delete" -> {
                if (requestId == null) {
                    throw new CliFailure(action + " needs the dead letter's request id (esb dead-letters lists them)", EsbCommand.USAGE);
                }
                var path = "/admin/dead-letters/" + URLEncoder.encode(requestId, StandardCharsets.UTF_8).replace("+", "%20");
                var response = action.equals("replay") ? gateway.post(path + "/replay", new byte[0], Map.of(), Duration.ofSeconds(30))
                        : gateway.delete(path, Duration.ofSeconds(30));
                if (response.statusCode() / 100 != 2) {
                    throw new CliFailure(action + " " + requestId + ": " + GatewayClient.errorMessage(response));
                }
                out.println(action.equals("replay") ? "Replayed " + requestId + ": queued again with its request id" : "Deleted " + requestId);
            }
            default -> throw new CliFailure("unknown action '" + action + "': list, replay or delete", EsbCommand.USAGE);
        }
        out.flush();
        return EsbCommand.OK;
    }
}
