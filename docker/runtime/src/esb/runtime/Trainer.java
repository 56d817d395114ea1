package esb.runtime;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Build-time self-exercise ("--train"): runs both handlers behind the real HTTP
 * server on an ephemeral loopback port and drives the usual code paths over a
 * keep-alive connection, then runs them in pull mode against a loopback Runtime API,
 * so a CDS class list holds both modes' classes. Not used at run time.
 */
final class Trainer {
    private Trainer() {}

    static void run() throws Exception {
        String[] fixtureEvents = {
            "{\"hello\":\"world\",\"n\":[1,2.5,-3e2,true,false,null],\"s\":\"a\\u00e9\\n\\\"b\"}",
            "{\"action\":\"echo\"}",
            "{\"action\":\"sleep\",\"ms\":1}",
            "{\"action\":\"throw\",\"message\":\"boom\"}",
            "{\"action\":\"nonjson\"}",
            "{\"action\":\"bytes\",\"n\":10}",
            "{\"action\":\"env\"}",
            "{\"action\":\"nope\"}",
            "{\"httpMethod\":\"GET\",\"path\":\"/\",\"queryStringParameters\":{\"action\":\"echo\"},\"body\":null}",
            "{\"httpMethod\":\"POST\",\"requestContext\":{},\"body\":\"{\\\"action\\\":\\\"bytes\\\",\\\"n\\\":5}\"}",
            "not json",
            "",
            "{\"action\":\"sleep\",\"ms\":400}", // times out (timeout set to 0.2 s below)
        };
        String[] helloEvents = {
            "{\"httpMethod\":\"GET\",\"queryStringParameters\":{\"name\":\"Ada\"}}",
            "{\"httpMethod\":\"POST\",\"body\":\"{\\\"name\\\":\\\"Bob\\\"}\"}",
            "{}",
        };
        exercise(new Main(new FixtureHandler()), fixtureEvents);
        exercise(new Main(new HelloHandler()), helloEvents);
        Main.warmUpCommon();
        // pull mode enforces no timeout: the last fixture event (a long sleep) is left out
        String[] pullFixtureEvents = java.util.Arrays.copyOf(fixtureEvents, fixtureEvents.length - 1);
        exercisePull(new Main(new FixtureHandler()), pullFixtureEvents);
        exercisePull(new Main(new HelloHandler()), helloEvents);
    }

    /**
     * Runs the Runtime API loop against a loopback Runtime API that hands out {@code events} three times, waits
     * until every response or error has been posted, and posts an init error too.
     */
    private static void exercisePull(Main m, String[] events) throws Exception {
        final BlockingQueue<String> queue = new LinkedBlockingQueue<>();
        for (int round = 0; round < 3; round++) {
            for (String e : events) queue.add(e);
        }
        final CountDownLatch posted = new CountDownLatch(queue.size() + 1);
        final AtomicInteger ids = new AtomicInteger();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.createContext(RuntimeApiClient.PREFIX, new HttpHandler() {
            @Override
            public void handle(HttpExchange ex) throws IOException {
                try {
                    byte[] body = ex.getRequestBody().readAllBytes();
                    if (ex.getRequestURI().getPath().endsWith("/invocation/next")) {
                        String event = queue.take();
                        byte[] out = event.getBytes(StandardCharsets.UTF_8);
                        ex.getResponseHeaders().set("Content-Type", "application/json");
                        ex.getResponseHeaders().set("Lambda-Runtime-Aws-Request-Id", "train-" + ids.incrementAndGet());
                        ex.getResponseHeaders().set("Lambda-Runtime-Deadline-Ms", Long.toString(System.currentTimeMillis() + 3000));
                        ex.getResponseHeaders().set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:000000000000:function:train");
                        // answered with and without a length, so both body framings are read once
                        ex.sendResponseHeaders(200, (ids.get() & 1) == 0 ? 0 : out.length);
                        try (OutputStream os = ex.getResponseBody()) {
                            os.write(out);
                        }
                    } else {
                        byte[] out = ("{\"status\":\"OK\",\"got\":" + body.length + "}").getBytes(StandardCharsets.UTF_8);
                        ex.sendResponseHeaders(202, out.length);
                        try (OutputStream os = ex.getResponseBody()) {
                            os.write(out);
                        }
                        posted.countDown();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    ex.close();
                }
            }
        });
        server.setExecutor(Executors.newCachedThreadPool(Main.daemonThreads("train-api")));
        server.start();
        final String api = "127.0.0.1:" + server.getAddress().getPort();
        final Main main = m;
        Thread loop = new Thread(new Runnable() {
            @Override
            public void run() {
                RuntimeApiClient client = new RuntimeApiClient(api);
                try {
                    while (true) RuntimeApiLoop.invokeNext(client, main);
                } catch (IOException e) {
                    System.err.println("train: pull loop ended: " + e);
                }
            }
        }, "train-pull");
        loop.setDaemon(true);
        loop.start();
        RuntimeApiLoop.initError(new RuntimeApiClient(api), "Runtime.InvalidEntrypoint", "training");
        if (!posted.await(60, TimeUnit.SECONDS)) throw new IllegalStateException("pull training did not finish");
        // server and loop are left running: the JVM exits right after training
    }

    private static void exercise(Main m, String[] events) throws Exception {
        m.setTimeoutSeconds(0.2);
        HttpServer server = m.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        int port = server.getAddress().getPort();
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setTcpNoDelay(true);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            for (int round = 0; round < 3; round++) {
                for (String e : events) {
                    byte[] body = e.getBytes(StandardCharsets.UTF_8);
                    String head = "POST /2015-03-31/functions/function/invocations HTTP/1.1\r\n"
                            + "Host: localhost\r\nContent-Type: application/json\r\n"
                            + (round == 0 ? "X-Amzn-RequestId: train-" + round + "\r\n" : "")
                            + "Content-Length: " + body.length + "\r\n\r\n";
                    out.write(head.getBytes(StandardCharsets.US_ASCII));
                    out.write(body);
                    out.flush();
                    readResponse(in);
                }
            }
        }
        // The server is left running: the JVM exits right after training
        // (HttpServer.stop would cost about a second per server).
    }

    private static void readResponse(InputStream in) throws IOException {
        ByteArrayOutputStream hdr = new ByteArrayOutputStream();
        int state = 0;
        while (state < 4) {
            int b = in.read();
            if (b < 0) throw new IOException("connection closed");
            hdr.write(b);
            state = (b == '\r' && (state == 0 || state == 2)) ? state + 1
                    : (b == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
        }
        int len = 0;
        for (String line : hdr.toString(StandardCharsets.US_ASCII).split("\r\n")) {
            int c = line.indexOf(':');
            if (c > 0 && line.substring(0, c).trim().equalsIgnoreCase("Content-Length")) {
                len = Integer.parseInt(line.substring(c + 1).trim());
            }
        }
        in.readNBytes(len);
    }
}
