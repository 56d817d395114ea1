package esb.runtime;

import com.sun.net.httpserver.HttpServer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * Build-time self-exercise ("--train"): runs both handlers behind the real HTTP
 * server on an ephemeral loopback port and drives the usual code paths over a
 * keep-alive connection, so a CDS class list can be recorded. Not used at run time.
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
