package io.esb.container;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One HTTP/1.1 connection to one function container. The RIE protocol is a plain request/response exchange on a local
 * socket, and a container serves one invocation at a time, so a blocking exchange on a kept-alive connection is all it
 * takes. One thread at a time reads it; a request may be written by another thread meanwhile (a kept connection's
 * reader waits in a read while the caller writes), which the channel's separate read and write locks allow.
 */
final class ContainerConnection implements Closeable {
    /** Bodies up to this size are written in one go; larger ones get a watchdog, since a stuck reader could block the write. */
    static final int SMALL_WRITE = 64 * 1024;
    /** Requests up to this size are written by the caller's thread ({@link #writeFully}): well under any send buffer. */
    static final int IMMEDIATE_WRITE = 8 * 1024;
    private static final int MAX_HEAD = 64 * 1024;
    private static final byte[] CRLF = {'\r', '\n'};

    /** The parsed answer. {@code keepAlive} says whether the connection may carry the next exchange. */
    record Response(int status, String contentType, byte[] body, boolean keepAlive) {}

    /** The container answered with more than the gateway accepts. */
    static final class ResponseTooLarge extends IOException {
        ResponseTooLarge(long limit) {
            super("response exceeds " + limit + " bytes");
        }
    }

    /** The container answered with something that is not HTTP/1.x. */
    static final class MalformedResponse extends IOException {
        MalformedResponse(String detail) {
            super(detail);
        }
    }

    private final SocketChannel channel;
    private final InputStream in;
    private final String hostHeader;
    private byte[] buffer = new byte[8192];
    /** Set by {@link #waitWithoutTimeout()}: reads block without SO_TIMEOUT, which costs four fcntl calls and a poll per read. */
    private boolean untimed;
    private int position;
    private int limit;

    /** Compiled once: String.split compiles a two-character separator on every call. */
    private static final java.util.regex.Pattern HEAD_LINES = java.util.regex.Pattern.compile("\r\n");

    private ContainerConnection(SocketChannel channel, String hostHeader) throws IOException {
        this.channel = channel;
        this.in = channel.socket().getInputStream();
        this.hostHeader = hostHeader;
    }

    static ContainerConnection open(InetSocketAddress address, int connectTimeoutMillis) throws IOException {
        var channel = SocketChannel.open();
        try {
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            channel.socket().connect(address, connectTimeoutMillis);
            return new ContainerConnection(channel, address.getHostString() + ":" + address.getPort());
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** Sends a request and reads its answer, all within {@code deadlineNanos} ({@link System#nanoTime()}). */
    Response exchange(String method, String path, String extraHeaders, byte[] body, long deadlineNanos, long maxBodyBytes)
            throws IOException {
        write(head(method, path, extraHeaders, body), body, deadlineNanos);
        return readResponse(deadlineNanos, maxBodyBytes);
    }

    /** A request's head, for {@link #write} or {@link #writeFully}. */
    byte[] head(String method, String path, String extraHeaders, byte[] body) {
        var head = new StringBuilder(160 + extraHeaders.length()).append(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: ")
                .append(hostHeader).append("\r\n").append(extraHeaders);
        if (body != null) {
            head.append("Content-Length: ").append(body.length).append("\r\n");
        }
        head.append("\r\n");
        return head.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /**
     * Writes a request, blocking until the socket has taken all of it; whoever may block here bounds it by closing the
     * connection. A request of at most {@link #IMMEDIATE_WRITE} bytes on a connection whose last exchange is over never
     * blocks: the send buffer is empty and takes that much at once, so any thread may write it.
     */
    void writeFully(byte[] head, byte[] body) throws IOException {
        var buffers = body == null || body.length == 0 ? new ByteBuffer[] {ByteBuffer.wrap(head)}
                : new ByteBuffer[] {ByteBuffer.wrap(head), ByteBuffer.wrap(body)};
        writeAll(buffers, head.length + (body == null ? 0 : body.length));
    }

    /**
     * From now on reads wait without a timeout: a reader thread waits here between exchanges, and an exchange's
     * deadline is kept by closing the connection ({@link #close()}), which ends the wait.
     */
    void waitWithoutTimeout() throws IOException {
        untimed = true;
        channel.socket().setSoTimeout(0);
    }

    /** Waits until the container sends something or closes; false when it closed. Unsolicited bytes stay buffered. */
    boolean awaitData() throws IOException {
        return position < limit || fill(Long.MAX_VALUE) > 0;
    }

    private void write(byte[] head, byte[] body, long deadlineNanos) throws IOException {
        var buffers = body == null || body.length == 0 ? new ByteBuffer[] {ByteBuffer.wrap(head)}
                : new ByteBuffer[] {ByteBuffer.wrap(head), ByteBuffer.wrap(body)};
        long total = head.length + (body == null ? 0 : body.length);
        if (total <= SMALL_WRITE) {
            // A loopback socket's send buffer takes this much at once, so the write cannot block.
            writeAll(buffers, total);
            return;
        }
        var watchdog = Watchdog.closeAt(deadlineNanos, channel);
        try {
            writeAll(buffers, total);
        } catch (IOException e) {
            if (watchdog.fired()) {
                // The watchdog closed the channel: whatever the write reports, the cause is the deadline.
                throw new SocketTimeoutException("request not accepted by the container within its deadline");
            }
            throw e;
        } finally {
            watchdog.cancel();
        }
    }

    private void writeAll(ByteBuffer[] buffers, long total) throws IOException {
        long written = 0;
        while (written < total) {
            written += channel.write(buffers);
        }
    }

    Response readResponse(long deadlineNanos, long maxBodyBytes) throws IOException {
        int headEnd = readHead(deadlineNanos);
        var head = new String(buffer, position, headEnd - position, StandardCharsets.ISO_8859_1);
        position = headEnd + 4;
        var lines = HEAD_LINES.split(head);
        var statusLine = lines[0];
        if (!statusLine.startsWith("HTTP/1.") || statusLine.length() < 12) {
            throw new MalformedResponse("not an HTTP/1.x status line: " + abbreviate(statusLine));
        }
        boolean http11 = statusLine.charAt(7) == '1';
        int status;
        try {
            status = Integer.parseInt(statusLine.substring(9, 12));
        } catch (NumberFormatException e) {
            throw new MalformedResponse("bad status line: " + abbreviate(statusLine));
        }
        long contentLength = -1;
        boolean chunked = false;
        String connection = null;
        String contentType = null;
        for (int i = 1; i < lines.length; i++) {
            var line = lines[i];
            int colon = line.indexOf(':');
            if (colon <= 0) {
                continue;
            }
            var name = line.substring(0, colon).trim();
            var value = line.substring(colon + 1).trim();
            if (name.equalsIgnoreCase("Content-Length")) {
                try {
                    contentLength = Long.parseLong(value);
                } catch (NumberFormatException e) {
                    throw new MalformedResponse("bad Content-Length: " + abbreviate(value));
                }
            } else if (name.equalsIgnoreCase("Transfer-Encoding")) {
                chunked = value.toLowerCase(java.util.Locale.ROOT).contains("chunked");
            } else if (name.equalsIgnoreCase("Connection")) {
                connection = value.toLowerCase(java.util.Locale.ROOT);
            } else if (name.equalsIgnoreCase("Content-Type")) {
                contentType = value;
            }
        }
        boolean keepAlive = http11 ? !"close".equals(connection) : "keep-alive".equals(connection);
        byte[] body;
        if (status == 204 || status == 304 || (status >= 100 && status < 200)) {
            body = new byte[0];
        } else if (chunked) {
            body = readChunked(deadlineNanos, maxBodyBytes);
        } else if (contentLength >= 0) {
            if (contentLength > maxBodyBytes) {
                throw new ResponseTooLarge(maxBodyBytes);
            }
            body = readExactly((int) contentLength, deadlineNanos);
        } else {
            body = readToEnd(deadlineNanos, maxBodyBytes);
            keepAlive = false;
        }
        return new Response(status, contentType == null ? "application/octet-stream" : contentType, body, keepAlive);
    }

    /** Reads until the blank line that ends the head; returns the index of its {@code \r\n\r\n}. */
    private int readHead(long deadlineNanos) throws IOException {
        while (true) {
            for (int i = position; i + 3 < limit; i++) {
                if (buffer[i] == '\r' && buffer[i + 1] == '\n' && buffer[i + 2] == '\r' && buffer[i + 3] == '\n') {
                    return i;
                }
            }
            if (limit - position > MAX_HEAD) {
                throw new MalformedResponse("response head exceeds " + MAX_HEAD + " bytes");
            }
            if (fill(deadlineNanos) < 0) {
                throw new EOFException(limit == position ? "connection closed before any answer" : "connection closed in the response head");
            }
        }
    }

    private byte[] readExactly(int length, long deadlineNanos) throws IOException {
        var body = new byte[length];
        int copied = Math.min(length, limit - position);
        System.arraycopy(buffer, position, body, 0, copied);
        position += copied;
        while (copied < length) {
            timed(deadlineNanos);
            int n = in.read(body, copied, length - copied);
            if (n < 0) {
                throw new EOFException("connection closed after " + copied + " of " + length + " body bytes");
            }
            copied += n;
        }
        return body;
    }

    private byte[] readChunked(long deadlineNanos, long maxBodyBytes) throws IOException {
        var body = new java.io.ByteArrayOutputStream();
        while (true) {
            var sizeLine = readLine(deadlineNanos);
            int extension = sizeLine.indexOf(';');
            long size;
            try {
                size = Long.parseLong((extension >= 0 ? sizeLine.substring(0, extension) : sizeLine).trim(), 16);
            } catch (NumberFormatException e) {
                throw new MalformedResponse("bad chunk size: " + abbreviate(sizeLine));
            }
            if (size == 0) {
                while (!readLine(deadlineNanos).isEmpty()) {
                    // trailers are not used
                }
                return body.toByteArray();
            }
            if (body.size() + size > maxBodyBytes) {
                throw new ResponseTooLarge(maxBodyBytes);
            }
            body.write(readExactly((int) size, deadlineNanos));
            if (!readLine(deadlineNanos).isEmpty()) {
                throw new MalformedResponse("chunk not followed by CRLF");
            }
        }
    }

    private byte[] readToEnd(long deadlineNanos, long maxBodyBytes) throws IOException {
        var body = new java.io.ByteArrayOutputStream();
        body.write(buffer, position, limit - position);
        position = limit;
        var chunk = new byte[8192];
        while (true) {
            timed(deadlineNanos);
            int n = in.read(chunk);
            if (n < 0) {
                return body.toByteArray();
            }
            if (body.size() + n > maxBodyBytes) {
                throw new ResponseTooLarge(maxBodyBytes);
            }
            body.write(chunk, 0, n);
        }
    }

    private String readLine(long deadlineNanos) throws IOException {
        while (true) {
            for (int i = position; i + 1 < limit; i++) {
                if (buffer[i] == CRLF[0] && buffer[i + 1] == CRLF[1]) {
                    var line = new String(buffer, position, i - position, StandardCharsets.ISO_8859_1);
                    position = i + 2;
                    return line;
                }
            }
            if (limit - position > MAX_HEAD) {
                throw new MalformedResponse("line exceeds " + MAX_HEAD + " bytes");
            }
            if (fill(deadlineNanos) < 0) {
                throw new EOFException("connection closed in a chunked body");
            }
        }
    }

    /** Reads more into the buffer, keeping unread bytes; -1 at end of stream. */
    private int fill(long deadlineNanos) throws IOException {
        if (position > 0 && position == limit) {
            position = limit = 0;
        }
        if (limit == buffer.length) {
            if (position > 0) {
                System.arraycopy(buffer, position, buffer, 0, limit - position);
                limit -= position;
                position = 0;
            } else {
                buffer = Arrays.copyOf(buffer, buffer.length * 2);
            }
        }
        timed(deadlineNanos);
        int n = in.read(buffer, limit, buffer.length - limit);
        if (n > 0) {
            limit += n;
        }
        return n;
    }

    /** Bounds the next blocking read by what is left of the deadline (unless a closing deadline keeps it). */
    private void timed(long deadlineNanos) throws IOException {
        if (untimed) {
            return;
        }
        long leftMillis = (deadlineNanos - System.nanoTime()) / 1_000_000;
        if (leftMillis <= 0) {
            throw new SocketTimeoutException("deadline passed");
        }
        channel.socket().setSoTimeout((int) Math.min(Integer.MAX_VALUE, leftMillis));
    }

    private static String abbreviate(String text) {
        return text.length() <= 80 ? text : text.substring(0, 80) + "...";
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing a socket we no longer use; nothing to do about a failure
        }
    }

    /** Closes a channel at a deadline, which unblocks a write stuck on a container that stopped reading. */
    private static final class Watchdog {
        private static final java.util.concurrent.ScheduledThreadPoolExecutor TIMER = timer();

        private static java.util.concurrent.ScheduledThreadPoolExecutor timer() {
            var timer = new java.util.concurrent.ScheduledThreadPoolExecutor(1, runnable -> {
                var thread = new Thread(runnable, "esb-container-write-watchdog");
                thread.setDaemon(true);
                return thread;
            });
            timer.setRemoveOnCancelPolicy(true);
            return timer;
        }

        private final java.util.concurrent.atomic.AtomicBoolean fired = new java.util.concurrent.atomic.AtomicBoolean();
        private java.util.concurrent.ScheduledFuture<?> task;

        static Watchdog closeAt(long deadlineNanos, SocketChannel channel) {
            var watchdog = new Watchdog();
            watchdog.task = TIMER.schedule(() -> {
                // Set before the close: the blocked write fails as soon as the close begins, and must see why.
                watchdog.fired.set(true);
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // the write fails either way
                }
            }, Math.max(0, deadlineNanos - System.nanoTime()), java.util.concurrent.TimeUnit.NANOSECONDS);
            return watchdog;
        }

        boolean fired() {
            return fired.get();
        }

        void cancel() {
            task.cancel(false);
        }
    }
}
