package io.esb;

import com.typesafe.config.ConfigFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A training run for class-data sharing: {@code bin/esb} runs it once per jar with {@code -XX:ArchiveClassesAtExit}.
 * It starts the gateway from reference.conf alone (no functions) on an ephemeral loopback port, sends the requests every start and first
 * call meet, and exits, so the archive holds the classes a real start loads. That halves the time to healthy.
 */
public final class CdsTraining {
    private CdsTraining() {}

    public static void main(String[] args) throws Exception {
        // Its own throwaway data directory: a training run must not leave an Event store where bin/esb was started.
        var dataDir = java.nio.file.Files.createTempDirectory("esb-cds-training");
        var config = io.esb.config.EsbConfig.load(ConfigFactory.parseString("""
                esb.http.interface = "127.0.0.1"
                esb.http.port = 0
                esb.data-dir = "%s"
                """.formatted(dataDir.toString().replace("\\", "/"))));
        var gateway = EsbGateway.start(config);
        try {
            for (var request : new String[] {
                    "GET /health HTTP/1.1\r\nHost: esb\r\n\r\n",
                    "GET /status HTTP/1.1\r\nHost: esb\r\n\r\n",
                    "GET /no/such/route?x=1 HTTP/1.1\r\nHost: esb\r\n\r\n",
                    "POST /2015-03-31/functions/none/invocations HTTP/1.1\r\nHost: esb\r\nContent-Length: 2\r\n\r\n{}"}) {
                send(gateway.port(), request);
            }
        } finally {
            gateway.close();
            try (var files = java.nio.file.Files.walk(dataDir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
        System.exit(0);
    }

    private static void send(int port, String request) throws IOException {
        try (var socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            in.read(new byte[4096]); // the answer's first bytes are enough: the server has done its work by then
        }
    }
}
