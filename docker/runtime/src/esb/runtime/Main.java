package esb.runtime;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runtime stub in two modes, like AWS base images:
 * <ul>
 * <li>push (RIE-compatible, the default): serves POST /2015-03-31/functions/function/invocations
 * on 0.0.0.0:8080, one invocation at a time, under AWS_LAMBDA_FUNCTION_TIMEOUT;</li>
 * <li>pull: when env AWS_LAMBDA_RUNTIME_API (host:port) is set, listens on nothing and fetches
 * its invocations from that Runtime API instead ({@link RuntimeApiLoop}); the caller enforces the
 * timeout there.</li>
 * </ul>
 *
 * Handler: first program argument if given, else env ESB_HANDLER ("hello" or "fixture").
 * "--train" runs a short self-exercise on an ephemeral loopback port and exits
 * (used at image build time to record a CDS class list).
 *
 * Start-up matters (a cold start is on the caller's critical path), so this code avoids
 * lambdas, String.format and SecureRandom, and is compiled with -XDstringConcat=inline:
 * each of those spins method-handle classes at run time that no CDS archive holds.
 */
public final class Main {
    static final int PORT = 8080;
    static final String INVOKE_PREFIX = "/2015-03-31/functions/";
    static final String INVOKE_SUFFIX = "/invocations";

    private final Handler handler;
    private final AtomicBoolean busy = new AtomicBoolean();
    private final ExecutorService handlerPool = Executors.newCachedThreadPool(daemonThreads("handler"));
    private volatile double timeoutSeconds;
    private final String memorySize;

    Main(Handler handler) {
        this.handler = handler;
        this.timeoutSeconds = parseTimeout(System.getenv("AWS_LAMBDA_FUNCTION_TIMEOUT"));
        String mem = System.getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE");
        this.memorySize = mem == null || mem.isBlank() ? "3008" : mem.trim();
    }

    public static void main(String[] args) throws Exception {
        // The image's entrypoint passes -Dsun.net.httpserver.nodelay=true; default it here
        // too (before the HttpServer classes read it) so keep-alive calls never stall
        // ~40 ms on Nagle + delayed ACK when the stub is started some other way.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
        // Like the RIE (Go net/http without an idle timeout), keep idle keep-alive
        // connections open instead of the JDK server's 30 s: a pooled connection closed
        // by the container just as the gateway reuses it would fail a POST.
        if (System.getProperty("sun.net.httpserver.idleInterval") == null) {
            System.setProperty("sun.net.httpserver.idleInterval", "3600");
        }
        if (args.length > 0 && args[0].equals("--train")) {
            Trainer.run();
            System.exit(0);
        }
        String name = args.length > 0 ? args[0] : System.getenv("ESB_HANDLER");
        Handler h = createHandler(name);
        String runtimeApi = System.getenv("AWS_LAMBDA_RUNTIME_API");
        if (runtimeApi != null && !runtimeApi.isBlank()) {
            if (h != null) warmUpCommon();
            System.exit(RuntimeApiLoop.run(runtimeApi.trim(), name, h == null ? null : new Main(h)));
        }
        java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
        if (h != null) warmUp(started);
        if (h == null) {
            System.err.println("FATAL: unknown handler '" + name + "' (set ESB_HANDLER to hello or fixture)");
            System.exit(2);
        }
        Main m = new Main(h);
        m.start(new InetSocketAddress(PORT));
        started.countDown();
        System.err.println("esb-runtime: handler=" + name + " listening on 0.0.0.0:" + PORT
                + " timeout=" + fmt2(m.timeoutSeconds) + "s");
    }

    /**
     * Initialises, on a background thread and while the server starts, what the first
     * invocation would otherwise pay for: above all the HTTP Date header formatter of
     * the JDK server (java.time + locale data, tens of ms), then JSON, /proc reading and
     * request ids; once the server listens, one GET of a non-invocation path over
     * loopback (answered 404, never reaches the handler or the busy flag) runs the
     * server's own request path once.
     */
    static void warmUp(final java.util.concurrent.CountDownLatch started) {
        Thread t = new Thread(new Runnable() {
            @Override
            public void run() {
                try {
                    java.time.format.DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss zzz", java.util.Locale.US)
                            .withZone(java.time.ZoneId.of("GMT")).format(java.time.Instant.now());
                    warmUpShared();
                    if (started.await(10, TimeUnit.SECONDS)) {
                        try (java.net.Socket s = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), PORT)) {
                            s.setTcpNoDelay(true);
                            s.setSoTimeout(5000);
                            s.getOutputStream().write("GET /esb-runtime-warmup HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                                    .getBytes(StandardCharsets.US_ASCII));
                            s.getInputStream().readAllBytes();
                        }
                    }
                } catch (Throwable ignored) {
                    // best effort only
                }
            }
        }, "warmup");
        t.setDaemon(true);
        t.start();
    }

    /** Pull mode's share of {@link #warmUp}: what every invocation needs, on a background thread. */
    static void warmUpCommon() {
        Thread t = new Thread(new Runnable() {
            @Override
            public void run() {
                try {
                    warmUpShared();
                } catch (Throwable ignored) {
                    // best effort only
                }
            }
        }, "warmup");
        t.setDaemon(true);
        t.start();
    }

    private static void warmUpShared() {
        Json.write(Json.parse("{\"a\":[1,2.5,\"x\\u00e9\",true,null],\"b\":{}}"));
        maxMemoryUsedMb();
        randomUuid();
        fmt2(1.5);
    }

    static Handler createHandler(String name) {
        if (name == null) return null;
        switch (name.trim()) {
            case "hello": return new HelloHandler();
            case "fixture": return new FixtureHandler();
            default: return null;
        }
    }

    HttpServer start(InetSocketAddress addr) throws IOException {
        HttpServer server = HttpServer.create(addr, 128);
        server.createContext("/", new HttpHandler() {
            @Override
            public void handle(HttpExchange ex) throws IOException {
                serve(ex);
            }
        });
        // Multi-threaded on purpose: a concurrent request must be observed (and be fatal).
        server.setExecutor(Executors.newCachedThreadPool(daemonThreads("http")));
        server.start();
        return server;
    }

    static double parseTimeout(String s) {
        if (s == null || s.isBlank()) return 3;
        try {
            double d = Double.parseDouble(s.trim());
            return d > 0 ? d : 3;
        } catch (NumberFormatException e) {
            return 3;
        }
    }

    void setTimeoutSeconds(double s) { timeoutSeconds = s; }

    double timeoutSeconds() { return timeoutSeconds; }

    // ------------------------------------------------------------ invocation

    private void serve(HttpExchange ex) throws IOException {
        try {
            String path = ex.getRequestURI().getPath();
            boolean invokePath = path.startsWith(INVOKE_PREFIX) && path.endsWith(INVOKE_SUFFIX)
                    && path.length() > INVOKE_PREFIX.length() + INVOKE_SUFFIX.length()
                    && path.indexOf('/', INVOKE_PREFIX.length()) == path.length() - INVOKE_SUFFIX.length();
            if (!invokePath) {
                drain(ex.getRequestBody());
                send(ex, 404, "text/plain; charset=utf-8", "404 page not found\n".getBytes(StandardCharsets.UTF_8));
                return;
            }
            if (!"POST".equals(ex.getRequestMethod())) {
                drain(ex.getRequestBody());
                send(ex, 405, "text/plain; charset=utf-8", "method not allowed\n".getBytes(StandardCharsets.UTF_8));
                return;
            }
            if (!busy.compareAndSet(false, true)) {
                System.out.flush();
                System.err.println("FATAL: concurrent invocation received while another is in flight");
                System.err.flush();
                Runtime.getRuntime().halt(2);
            }
            byte[] out;
            String contentType;
            try {
                byte[] body = ex.getRequestBody().readAllBytes();
                String requestId = ex.getRequestHeaders().getFirst("X-Amzn-RequestId");
                if (requestId == null || requestId.isBlank()) requestId = randomUuid();
                Result r = invoke(requestId, body, true, 0);
                out = r.body;
                contentType = r.contentType;
            } finally {
                // Released before the response is written: once the caller has the
                // response it may send the next request at once.
                busy.set(false);
            }
            send(ex, 200, contentType, out);
        } finally {
            ex.close();
        }
    }

    /** An invocation's outcome: the response body, and for a function error its errorType. */
    static final class Result {
        final String contentType;
        final byte[] body;
        /** null when the handler returned a result (or, in push mode, timed out). */
        final String errorType;

        Result(String contentType, byte[] body, String errorType) {
            this.contentType = contentType;
            this.body = body;
            this.errorType = errorType;
        }
    }

    /**
     * Runs one invocation and logs START/END/REPORT around it. Push mode ({@code enforceTimeout}) runs the handler
     * on the pool under AWS_LAMBDA_FUNCTION_TIMEOUT; pull mode runs it on the calling thread until it returns,
     * with {@code deadlineNanos} (System.nanoTime based) as the Context's deadline.
     */
    Result invoke(String requestId, byte[] body, boolean enforceTimeout, long deadlineNanos) {
        log("START RequestId: " + requestId + " Version: $LATEST");
        long t0 = System.nanoTime();
        double timeout = timeoutSeconds;
        long timeoutNanos = (long) (timeout * 1e9);
        Result result;
        Object event = null;
        Throwable unmarshal = null;
        String text = new String(body, StandardCharsets.UTF_8);
        if (!text.isBlank()) {
            try {
                event = Json.parse(text);
            } catch (Json.JsonException e) {
                unmarshal = e;
            }
        }
        if (unmarshal != null) {
            result = error("Runtime.UnmarshalError", "could not parse event JSON: " + unmarshal.getMessage(), unmarshal);
        } else if (!enforceTimeout) {
            try {
                Object value = handler.handle(event, new Handler.Context(requestId, deadlineNanos));
                result = new Result("application/json", Json.write(value).getBytes(StandardCharsets.UTF_8), null);
            } catch (Throwable t) {
                result = error(t.getClass().getSimpleName(), t.getMessage(), t);
            }
        } else {
            final Object ev = event;
            Handler.Context ctx = new Handler.Context(requestId, t0 + timeoutNanos);
            Future<Object> f = handlerPool.submit(new Callable<Object>() {
                @Override
                public Object call() throws Exception {
                    return handler.handle(ev, ctx);
                }
            });
            try {
                Object value = f.get(timeoutNanos, TimeUnit.NANOSECONDS);
                result = new Result("application/json", Json.write(value).getBytes(StandardCharsets.UTF_8), null);
            } catch (TimeoutException e) {
                f.cancel(true); // interrupt and abandon the handler thread
                String msg = "Task timed out after " + fmt2(timeout) + " seconds";
                log(java.time.Instant.now() + " " + requestId + " " + msg);
                result = new Result("text/plain; charset=utf-8", msg.getBytes(StandardCharsets.UTF_8), null);
            } catch (ExecutionException e) {
                Throwable c = e.getCause() != null ? e.getCause() : e;
                result = error(c.getClass().getSimpleName(), c.getMessage(), c);
            } catch (InterruptedException e) {
                f.cancel(true);
                Thread.currentThread().interrupt();
                result = error("InterruptedException", "invocation interrupted", e);
            } catch (Throwable t) {
                result = error(t.getClass().getSimpleName(), t.getMessage(), t);
            }
        }
        double ms = (System.nanoTime() - t0) / 1e6;
        log("END RequestId: " + requestId);
        log("REPORT RequestId: " + requestId
                + "\tDuration: " + fmt2(ms) + " ms"
                + "\tBilled Duration: " + (long) Math.ceil(ms) + " ms"
                + "\tMemory Size: " + memorySize + " MB"
                + "\tMax Memory Used: " + maxMemoryUsedMb() + " MB");
        return result;
    }

    static Result error(String type, String message, Throwable t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("errorMessage", message != null ? message : type);
        m.put("errorType", type);
        List<Object> trace = new ArrayList<>();
        StackTraceElement[] st = t.getStackTrace();
        for (int i = 0; i < st.length && i < 50; i++) trace.add(st[i].toString());
        m.put("stackTrace", trace);
        String json = Json.write(m);
        log(json);
        return new Result("application/json", json.getBytes(StandardCharsets.UTF_8), type);
    }

    // ---------------------------------------------------------------- helpers

    private static void send(HttpExchange ex, int status, String contentType, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", contentType);
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            try (OutputStream os = ex.getResponseBody()) {
                os.write(body);
            }
        }
    }

    private static void drain(InputStream in) throws IOException {
        in.transferTo(OutputStream.nullOutputStream());
    }

    static synchronized void log(String line) {
        System.out.println(line);
        System.out.flush();
    }

    static String fmt2(double d) {
        long c = Math.round(d * 100);
        String sign = c < 0 ? "-" : "";
        c = Math.abs(c);
        long frac = c % 100;
        return sign + (c / 100) + (frac < 10 ? ".0" : ".") + frac;
    }

    private static long maxMemoryUsedMb() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (l.startsWith("VmHWM:")) {
                    String v = l.substring(6).trim();
                    int sp = v.indexOf(' ');
                    long kb = Long.parseLong(sp > 0 ? v.substring(0, sp) : v);
                    return (kb + 1023) / 1024;
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // fall through
        }
        Runtime rt = Runtime.getRuntime();
        return (rt.totalMemory() - rt.freeMemory()) / (1024 * 1024);
    }

    /** A random (version 4) UUID; request ids need no SecureRandom (slow to initialise). */
    static String randomUuid() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        long hi = (r.nextLong() & ~0xF000L) | 0x4000L;
        long lo = (r.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new java.util.UUID(hi, lo).toString();
    }

    static ThreadFactory daemonThreads(final String prefix) {
        final AtomicInteger n = new AtomicInteger();
        return new ThreadFactory() {
            @Override
            public Thread newThread(Runnable r) {
                Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            }
        };
    }
}
