package esb.runtime;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * A minimal HTTP/1.1 client of the Lambda Runtime API ("host:port", no path) over one persistent connection,
 * with TCP_NODELAY and no read timeout (a {@code next} is held open until an invocation exists). Plain sockets keep
 * start-up cheap: HttpURLConnection would load far more classes, and it may re-send a POST on its own.
 */
final class RuntimeApiClient {
    static final String PREFIX = "/2018-06-01/runtime/";

    /** A response: status, headers by lower-case name, body. */
    static final class Response {
        final int status;
        final Map<String, String> headers;
        final byte[] body;

        Response(int status, Map<String, String> headers, byte[] body) {
            this.status = status;
            this.headers = headers;
            this.body = body;
        }

        String header(String lowerCaseName) {
            return headers.get(lowerCaseName);
        }
    }

    /** The request failed before any byte of a response came back (e.g. the server had closed the connection). */
    static final class NoResponse extends IOException {
        private static final long serialVersionUID = 1L;

        NoResponse(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final String host;
    private final int port;
    private final String hostHeader;
    private Socket socket;
    private InputStream in;
    private OutputStream out;

    RuntimeApiClient(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        if (colon <= 0 || colon == hostPort.length() - 1) {
            throw new IllegalArgumentException("AWS_LAMBDA_RUNTIME_API must be host:port, was '" + hostPort + "'");
        }
        String h = hostPort.substring(0, colon);
        if (h.startsWith("[") && h.endsWith("]")) h = h.substring(1, h.length() - 1);
        this.host = h;
        this.port = Integer.parseInt(hostPort.substring(colon + 1));
        this.hostHeader = hostPort;
    }

    /**
     * GET invocation/next; blocks until the Runtime API has an invocation. A connection the server closed while the
     * request was held (an idle timeout, say) is replaced and the request sent again, a few times; a failure to
     * connect at all is thrown.
     */
    Response next() throws IOException {
        byte[] request = request("GET", PREFIX + "invocation/next", null, null);
        int quickFailures = 0;
        while (true) {
            long t0 = System.nanoTime();
            try {
                return exchange(request, true);
            } catch (NoResponse e) {
                if (System.nanoTime() - t0 < 1_000_000_000L && ++quickFailures >= 3) throw e;
            }
        }
    }

    /** POST invocation/{id}/response. */
    Response respond(String requestId, String contentType, byte[] body) throws IOException {
        return exchange(request("POST", PREFIX + "invocation/" + requestId + "/response", contentType, body, null), false);
    }

    /** POST invocation/{id}/error with the Lambda-Runtime-Function-Error-Type header. */
    Response error(String requestId, String errorType, byte[] body) throws IOException {
        return exchange(request("POST", PREFIX + "invocation/" + requestId + "/error", "application/json", body, errorType), false);
    }

    /** POST init/error with the Lambda-Runtime-Function-Error-Type header. */
    Response initError(String errorType, byte[] body) throws IOException {
        return exchange(request("POST", PREFIX + "init/error", "application/json", body, errorType), false);
    }

    void close() {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        socket = null;
        in = null;
        out = null;
    }

    // ------------------------------------------------------------------------------------------------- HTTP/1.1

    private byte[] request(String method, String path, String contentType, byte[] body) {
        return request(method, path, contentType, body, null);
    }

    private byte[] request(String method, String path, String contentType, byte[] body, String errorType) {
        StringBuilder head = new StringBuilder(256);
        head.append(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: ").append(hostHeader)
                .append("\r\nUser-Agent: esb-runtime\r\n");
        if (errorType != null) head.append("Lambda-Runtime-Function-Error-Type: ").append(errorType).append("\r\n");
        if (body != null) {
            head.append("Content-Type: ").append(contentType).append("\r\nContent-Length: ").append(body.length).append("\r\n");
        }
        head.append("\r\n");
        byte[] h = head.toString().getBytes(StandardCharsets.UTF_8);
        if (body == null || body.length == 0) return h;
        byte[] all = new byte[h.length + body.length];
        System.arraycopy(h, 0, all, 0, h.length);
        System.arraycopy(body, 0, all, h.length, body.length);
        return all;
    }

    /**
     * Sends one request and reads its response. A request that got no response on a reused connection (the server
     * closed it while idle) is sent once more on a new one; {@code alwaysNoResponse} reports that case to the
     * caller as {@link NoResponse} instead, on any connection.
     */
    private Response exchange(byte[] request, boolean alwaysNoResponse) throws IOException {
        boolean reused = socket != null;
        try {
            return send(request);
        } catch (NoResponse e) {
            if (alwaysNoResponse || !reused) throw e;
            return send(request);
        }
    }

    private Response send(byte[] request) throws IOException {
        if (socket == null) connect();
        boolean started = false;
        try {
            out.write(request);
            out.flush();
            int first = in.read();
            if (first < 0) throw new EOFException("connection closed by the Runtime API");
            started = true;
            Response r = readResponse(first);
            String connection = r.header("connection");
            if (connection != null && connection.equalsIgnoreCase("close")) close();
            return r;
        } catch (IOException e) {
            close();
            if (!started) throw new NoResponse(e.getMessage() == null ? e.toString() : e.getMessage(), e);
            throw e;
        }
    }

    private void connect() throws IOException {
        Socket s = new Socket();
        s.setTcpNoDelay(true);
        s.setKeepAlive(true);
        s.connect(new InetSocketAddress(host, port), 10_000);
        socket = s;
        in = new BufferedInputStream(s.getInputStream(), 16384);
        out = s.getOutputStream();
    }

    private Response readResponse(int first) throws IOException {
        String statusLine = readLine(first);
        int sp = statusLine.indexOf(' ');
        if (!statusLine.startsWith("HTTP/1.") || sp < 0 || statusLine.length() < sp + 4) {
            throw new IOException("bad status line from the Runtime API: " + statusLine);
        }
        int status = Integer.parseInt(statusLine.substring(sp + 1, sp + 4));
        Map<String, String> headers = new HashMap<>();
        String line;
        while (!(line = readLine(in.read())).isEmpty()) {
            int c = line.indexOf(':');
            if (c > 0) headers.put(line.substring(0, c).trim().toLowerCase(java.util.Locale.ROOT), line.substring(c + 1).trim());
        }
        byte[] body;
        String te = headers.get("transfer-encoding");
        String cl = headers.get("content-length");
        if (te != null && te.toLowerCase(java.util.Locale.ROOT).contains("chunked")) {
            body = readChunked();
        } else if (cl != null) {
            int n = Integer.parseInt(cl);
            body = in.readNBytes(n);
            if (body.length != n) throw new EOFException("Runtime API response body cut short");
        } else if (status == 204 || status == 304 || status / 100 == 1) {
            body = new byte[0];
        } else {
            body = in.readAllBytes();   // delimited by the end of the connection
            headers.put("connection", "close");
        }
        return new Response(status, headers, body);
    }

    private byte[] readChunked() throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        while (true) {
            String sizeLine = readLine(in.read());
            int semi = sizeLine.indexOf(';');
            int size = Integer.parseInt((semi >= 0 ? sizeLine.substring(0, semi) : sizeLine).trim(), 16);
            if (size == 0) {
                while (!readLine(in.read()).isEmpty()) {
                    // trailers: ignored
                }
                return buf.toByteArray();
            }
            byte[] chunk = in.readNBytes(size);
            if (chunk.length != size) throw new EOFException("Runtime API response chunk cut short");
            buf.write(chunk);
            readLine(in.read());
        }
    }

    /** One line (without CR LF) whose first byte is {@code b}. */
    private String readLine(int b) throws IOException {
        StringBuilder sb = new StringBuilder(64);
        while (true) {
            if (b < 0) throw new EOFException("connection closed by the Runtime API");
            if (b == '\n') break;
            if (b != '\r') sb.append((char) b);
            b = in.read();
        }
        return sb.toString();
    }
}
