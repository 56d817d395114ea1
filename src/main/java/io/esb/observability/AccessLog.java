package io.esb.observability;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;

import static net.logstash.logback.argument.StructuredArguments.kv;

/** One line per HTTP request, the first thing operators read. */
public final class AccessLog {
    private static final Logger log = LoggerFactory.getLogger("io.esb.access");

    private AccessLog() {}

    /** What is known about a request before its answer; the function and cold-start flag are filled in on the way. */
    public static final class Entry {
        final String method;
        final String path;
        final String clientIp;
        final String userAgent;
        final String requestId;
        private volatile String functionName;
        private volatile Boolean coldStart;

        public Entry(String method, String path, String clientIp, String userAgent, String requestId) {
            this.method = method;
            this.path = path;
            this.clientIp = clientIp;
            this.userAgent = userAgent;
            this.requestId = requestId;
        }

        public void functionName(String name) {
            this.functionName = name;
        }

        public void coldStart(boolean cold) {
            this.coldStart = cold;
        }
    }

    public static void write(Entry e, int status, long elapsedNanos) {
        double latencyMs = TimeUnit.NANOSECONDS.toMicros(elapsedNanos) / 1000.0;
        // request_id is a field of its own here, not MDC as well: JSON output would carry the key twice.
        if (e.functionName == null) {
            log.info("{} {} {}", e.method, e.path, status, kv("method", e.method), kv("path", e.path), kv("status", status),
                    kv("latency_ms", latencyMs), kv("client_ip", e.clientIp), kv("user_agent", e.userAgent), kv("request_id", e.requestId));
        } else {
            log.info("{} {} {}", e.method, e.path, status, kv("method", e.method), kv("path", e.path), kv("status", status),
                    kv("latency_ms", latencyMs), kv("client_ip", e.clientIp), kv("user_agent", e.userAgent), kv("request_id", e.requestId),
                    kv("function_name", e.functionName), kv("cold_start", e.coldStart != null && e.coldStart));
        }
    }
}
