package io.esb.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

/** {@code esb invoke}: one call through the Lambda Invoke API, as an AWS SDK would make it. */
@Command(name = "invoke",
        description = {"Invokes a function through the Lambda Invoke API; prints its response.",
                "Exits 1 when the function fails (X-Amz-Function-Error) or the gateway answers an error."})
final class InvokeCommand extends Subcommand {
    /** Longer than any function's timeout (at most 15 minutes): the gateway answers 504 first. */
    private static final Duration INVOKE_BOUND = Duration.ofMinutes(16);

    @Parameters(index = "0", paramLabel = "NAME", description = "The function.")
    String name;
    @Parameters(index = "1", arity = "0..1", paramLabel = "PAYLOAD", description = "The event as JSON, or - to read it from standard input (default: {}).")
    String payload;
    @Option(names = "--url", paramLabel = "URL", description = "The gateway (default: its address in the configuration, http://127.0.0.1:9000).")
    String url;
    @Option(names = "--event", description = "Asynchronous invocation (X-Amz-Invocation-Type: Event): queued, answered 202 at once.")
    boolean event;

    @Override
    public Integer call() throws IOException {
        var gateway = new GatewayClient(url != null ? url : config.gatewayUrl());
        byte[] body = payload == null ? "{}".getBytes(StandardCharsets.UTF_8)
                : payload.equals("-") ? EsbCommand.context(spec).stdin().readAllBytes()
                : payload.getBytes(StandardCharsets.UTF_8);
        var path = "/2015-03-31/functions/" + URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20") + "/invocations";
        var response = gateway.post(path, body, Map.of("X-Amz-Invocation-Type", event ? "Event" : "RequestResponse"), INVOKE_BOUND);
        var out = spec.commandLine().getOut();
        if (response.statusCode() / 100 != 2) {
            throw new CliFailure(GatewayClient.errorMessage(response));
        }
        var functionError = response.headers().firstValue("X-Amz-Function-Error");
        if (functionError.isPresent()) {
            throw new CliFailure(name + " failed (" + functionError.get() + "): " + response.body().strip());
        }
        if (event) {
            out.println("Queued (RequestId: " + response.headers().firstValue("X-Amzn-RequestId").orElse("?") + ")");
        } else {
            out.print(response.body());
            if (!response.body().endsWith("\n")) {
                out.println();
            }
        }
        out.flush();
        return EsbCommand.OK;
    }
}
