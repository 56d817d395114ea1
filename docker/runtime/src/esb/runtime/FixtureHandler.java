package esb.runtime;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Test fixture. The command is the event itself when it has a top-level "action";
 * for API Gateway events (httpMethod or requestContext present) it is
 * queryStringParameters (if it has "action"), else the JSON object in "body" (if that
 * has "action"). No action means "echo". "respond" returns the command's "response" value as the result.
 */
public final class FixtureHandler implements Handler {
    /** errorType for unknown actions. */
    public static final class UnknownAction extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UnknownAction(String msg) { super(msg); }
    }

    private final AtomicLong invocations = new AtomicLong();

    @Override
    public Object handle(Object eventObj, Context context) throws Exception {
        long invocation = invocations.incrementAndGet();
        Map<String, Object> event = Events.asMap(eventObj);
        boolean apiGw = false;
        Map<String, Object> cmd = null;
        if (event != null && event.containsKey("action")) {
            cmd = event;
        } else if (Events.isApiGateway(event)) {
            apiGw = true;
            Map<String, Object> q = Events.query(event);
            if (q != null && q.containsKey("action")) {
                cmd = q;
            } else {
                Map<String, Object> b = Events.jsonBody(event);
                if (b != null && b.containsKey("action")) cmd = b;
            }
        }
        String action = Events.str(cmd, "action");
        if (action == null || action.isEmpty()) action = "echo";

        switch (action) {
            case "echo":
                return echo(eventObj, apiGw, invocation);
            case "sleep": {
                long ms = Events.num(cmd, "ms", 0);
                if (ms > 0) Thread.sleep(ms);
                return echo(eventObj, apiGw, invocation);
            }
            case "throw": {
                String msg = Events.str(cmd, "message");
                throw new IllegalStateException(msg != null ? msg : "fixture error requested");
            }
            case "exit":
                System.err.println("exiting on request");
                System.err.flush();
                System.out.flush();
                Runtime.getRuntime().halt(1);
                return null; // not reached
            case "nonjson": {
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("statusCode", 200);
                Map<String, Object> h = new LinkedHashMap<>();
                h.put("Content-Type", "text/plain");
                r.put("headers", h);
                r.put("body", "plain text, not json");
                return r;
            }
            case "bytes": {
                long n = Events.num(cmd, "n", 0);
                if (n < 0 || n > 256L * 1024 * 1024) throw new IllegalArgumentException("n out of range: " + n);
                String data = "x".repeat((int) n);
                Map<String, Object> r = new LinkedHashMap<>();
                if (apiGw) {
                    r.put("statusCode", 200);
                    r.put("body", data);
                } else {
                    r.put("data", data);
                }
                return r;
            }
            case "env": {
                Map<String, Object> r = new LinkedHashMap<>();
                for (Map.Entry<String, String> e : new TreeMap<>(System.getenv()).entrySet()) {
                    if (e.getKey().startsWith("AWS_LAMBDA_")) r.put(e.getKey(), e.getValue());
                }
                String g = System.getenv("GREETING");
                if (g != null) r.put("GREETING", g);
                r.put("container", Events.hostname());
                return apiGw ? Events.proxyJson(r) : r;
            }
            case "log": {
                String msg = Events.str(cmd, "message");
                System.out.println(msg == null ? "" : msg);
                System.out.flush();
                return echo(eventObj, apiGw, invocation);
            }
            case "respond":
                // Returns the given "response" object exactly, for tests of response mapping.
                return cmd.get("response");
            default:
                throw new UnknownAction("unknown action: " + action);
        }
    }

    private static Object echo(Object event, boolean apiGw, long invocation) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("echo", event);
        r.put("container", Events.hostname());
        r.put("invocation", invocation);
        return apiGw ? Events.proxyJson(r) : r;
    }
}
