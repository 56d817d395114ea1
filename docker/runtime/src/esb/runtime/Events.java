package esb.runtime;

import java.util.LinkedHashMap;
import java.util.Map;

/** Helpers for API-Gateway-style events. */
final class Events {
    private Events() {}

    @SuppressWarnings("unchecked")
    static Map<String, Object> asMap(Object o) {
        return o instanceof Map ? (Map<String, Object>) o : null;
    }

    /** True if the event looks like an API Gateway proxy event. */
    static boolean isApiGateway(Map<String, Object> event) {
        return event != null && (event.containsKey("httpMethod") || event.containsKey("requestContext"));
    }

    /** The event's query string parameters (may be null). */
    static Map<String, Object> query(Map<String, Object> event) {
        return event == null ? null : asMap(event.get("queryStringParameters"));
    }

    /** The event's {@code body} string parsed as a JSON object, or null. */
    static Map<String, Object> jsonBody(Map<String, Object> event) {
        if (event == null) return null;
        Object body = event.get("body");
        if (!(body instanceof String)) return null;
        String s = (String) body;
        if (Boolean.TRUE.equals(event.get("isBase64Encoded"))) {
            try {
                s = new String(java.util.Base64.getDecoder().decode(s), java.nio.charset.StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
        try {
            return asMap(Json.parse(s));
        } catch (RuntimeException e) {
            return null;
        }
    }

    static String str(Map<String, Object> m, String key) {
        if (m == null) return null;
        Object v = m.get(key);
        return v == null ? null : v instanceof String ? (String) v : Json.write(v);
    }

    static long num(Map<String, Object> m, String key, long dflt) {
        if (m == null) return dflt;
        Object v = m.get(key);
        if (v instanceof Number) return ((Number) v).longValue();
        if (v instanceof String) {
            try {
                return (long) Double.parseDouble(((String) v).trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + key + "' is not a number: " + v);
            }
        }
        return dflt;
    }

    /** API Gateway proxy response whose body is {@code body} serialised as JSON. */
    static Map<String, Object> proxyJson(Object body) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("statusCode", 200);
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("Content-Type", "application/json");
        r.put("headers", h);
        r.put("body", Json.write(body));
        return r;
    }

    static String hostname() {
        String h = System.getenv("HOSTNAME");
        return h != null ? h : "unknown";
    }
}
