package esb.runtime;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Pull mode: the Runtime API client loop of AWS runtimes. Fetches an invocation (GET invocation/next), runs the
 * handler on it, and posts the result to invocation/{id}/response, or a function error to invocation/{id}/error.
 * The handler runs until it returns: in this mode the Runtime API's owner enforces the function's timeout.
 */
final class RuntimeApiLoop {
    private RuntimeApiLoop() {}

    /** Runs until the Runtime API fails; returns the exit code. {@code main} is null when the handler is unknown. */
    static int run(String runtimeApi, String handlerName, Main main) {
        RuntimeApiClient client;
        try {
            client = new RuntimeApiClient(runtimeApi);
        } catch (IllegalArgumentException e) {
            System.err.println("FATAL: " + e.getMessage());
            return 1;
        }
        if (main == null) {
            String message = "unknown handler '" + handlerName + "' (set ESB_HANDLER to hello or fixture)";
            System.err.println("FATAL: " + message);
            try {
                initError(client, "Runtime.InvalidEntrypoint", message);
            } catch (IOException e) {
                System.err.println("FATAL: could not report the init error to the Runtime API at " + runtimeApi + ": " + e);
            }
            return 1;
        }
        System.err.println("esb-runtime: handler=" + handlerName + " pulling invocations from the Runtime API at " + runtimeApi);
        try {
            while (true) {
                invokeNext(client, main);
            }
        } catch (IOException | RuntimeException e) {
            System.err.println("FATAL: Runtime API at " + runtimeApi + " failed: " + e);
            return 1;
        }
    }

    /** POSTs init/error with a body {"errorMessage":..,"errorType":..}. */
    static void initError(RuntimeApiClient client, String errorType, String message) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("errorMessage", message);
        m.put("errorType", errorType);
        RuntimeApiClient.Response r = client.initError(errorType, Json.write(m).getBytes(StandardCharsets.UTF_8));
        if (r.status != 202) unexpected(r, "init error");
    }

    /** One invocation: next, the handler, response or error. */
    static void invokeNext(RuntimeApiClient client, Main main) throws IOException {
        RuntimeApiClient.Response next = client.next();
        if (next.status != 200) {
            throw new IOException("invocation/next answered " + next.status + ": " + text(next.body));
        }
        String requestId = next.header("lambda-runtime-aws-request-id");
        if (requestId == null || requestId.isEmpty()) {
            throw new IOException("invocation/next answered without Lambda-Runtime-Aws-Request-Id");
        }
        Main.Result result = main.invoke(requestId, next.body, false, deadlineNanos(next.header("lambda-runtime-deadline-ms"), main));
        RuntimeApiClient.Response posted = result.errorType == null
                ? client.respond(requestId, result.contentType, result.body)
                : client.error(requestId, result.errorType, result.body);
        if (posted.status != 202) unexpected(posted, (result.errorType == null ? "response" : "error") + " of " + requestId);
    }

    /** The deadline (epoch ms) as a System.nanoTime value; the function's timeout from now without one. */
    private static long deadlineNanos(String deadlineMs, Main main) {
        long now = System.nanoTime();
        if (deadlineMs != null) {
            try {
                return now + (Long.parseLong(deadlineMs.trim()) - System.currentTimeMillis()) * 1_000_000L;
            } catch (NumberFormatException ignored) {
                // fall through
            }
        }
        return now + (long) (main.timeoutSeconds() * 1e9);
    }

    // The Runtime API refused a post (e.g. 413 for a response over 6 MB): it has answered the caller already, so
    // the loop goes on.
    private static void unexpected(RuntimeApiClient.Response r, String what) {
        System.err.println("esb-runtime: the Runtime API answered " + r.status + " to the " + what + ": " + text(r.body));
    }

    private static String text(byte[] body) {
        String s = new String(body, StandardCharsets.UTF_8);
        return s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }
}
