import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A minimal AWS Lambda Runtime API for checking runtimes by hand or from a script (single-file program, JDK 17):
 *
 *   java docker/lib/RuntimeApiProbe.java HOST PORT_FILE EVENT_JSON...
 *
 * Listens on HOST at an ephemeral port (written to PORT_FILE), hands out the events one per
 * GET /2018-06-01/runtime/invocation/next (request ids req-1, req-2, ...; a deadline 10 s ahead), answers every POST
 * with 202, and prints each request it gets: "REQ <epoch ms> <method> <path> <client ip:port>", one "H <name>: <value>" per header,
 * "B <body>". Exits 0 once every event has been answered and the runtime has asked for the next one again, or once
 * an init/error arrived; exits 3 after 60 s.
 */
public final class RuntimeApiProbe {
    public static void main(String[] args) throws Exception {
        System.setProperty("sun.net.httpserver.nodelay", "true");   // else each answer stalls ~40 ms (Nagle)
        String host = args[0];
        Path portFile = Path.of(args[1]);
        List<String> events = List.of(args).subList(2, args.length);
        AtomicInteger handedOut = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(1);
        HttpServer server = HttpServer.create(new InetSocketAddress(host, 0), 16);
        server.createContext("/", ex -> {
            try {
                serve(ex, events, handedOut, done);
            } finally {
                ex.close();
            }
        });
        server.setExecutor(Executors.newCachedThreadPool());
        server.start();
        Files.writeString(portFile.resolveSibling(portFile.getFileName() + ".tmp"), Integer.toString(server.getAddress().getPort()));
        Files.move(portFile.resolveSibling(portFile.getFileName() + ".tmp"), portFile);
        boolean finished = done.await(60, TimeUnit.SECONDS);
        Thread.sleep(100);   // lets the last answer go out
        System.out.flush();
        System.exit(finished ? 0 : 3);
    }

    private static void serve(HttpExchange ex, List<String> events, AtomicInteger handedOut, CountDownLatch done) throws IOException {
        byte[] body = ex.getRequestBody().readAllBytes();
        String path = ex.getRequestURI().getPath();
        StringBuilder log = new StringBuilder();
        log.append("REQ ").append(System.currentTimeMillis()).append(' ').append(ex.getRequestMethod()).append(' ').append(path)
                .append(' ').append(ex.getRemoteAddress().getAddress().getHostAddress()).append(':').append(ex.getRemoteAddress().getPort()).append('\n');
        for (Map.Entry<String, List<String>> h : ex.getRequestHeaders().entrySet()) {
            for (String v : h.getValue()) log.append("H ").append(h.getKey()).append(": ").append(v).append('\n');
        }
        log.append("B ").append(new String(body, StandardCharsets.UTF_8)).append('\n');
        synchronized (System.out) {
            System.out.print(log);
            System.out.flush();
        }
        if (path.endsWith("/invocation/next")) {
            int i = handedOut.getAndIncrement();
            if (i >= events.size()) {
                done.countDown();
                return;   // never answered: the probe exits
            }
            byte[] out = events.get(i).getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.getResponseHeaders().set("Lambda-Runtime-Aws-Request-Id", "req-" + (i + 1));
            ex.getResponseHeaders().set("Lambda-Runtime-Deadline-Ms", Long.toString(System.currentTimeMillis() + 10_000));
            ex.getResponseHeaders().set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:000000000000:function:probe");
            ex.getResponseHeaders().set("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0");
            ex.sendResponseHeaders(200, out.length);
            try (OutputStream os = ex.getResponseBody()) {
                os.write(out);
            }
            return;
        }
        byte[] out = "{\"status\":\"OK\"}".getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(202, out.length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(out);
        }
        if (path.endsWith("/init/error")) done.countDown();
    }
}
