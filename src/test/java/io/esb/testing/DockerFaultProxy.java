package io.esb.testing;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fault-injecting proxy in front of the real Docker unix socket, unix to unix. It listens on a socket of its own
 * (in a fresh temporary directory) and forwards bytes both ways to the daemon's socket. The {@link Mode} can be
 * switched at any time:
 * <ul>
 *   <li>{@link Mode#PASS}: bytes are forwarded as they are.</li>
 *   <li>{@link Mode#HANG}: connections are accepted and read, but nothing is forwarded and nothing is answered.
 *       Switching to HANG also freezes every connection already open. A frozen connection stays frozen for good,
 *       even after the mode changes back (like a request lost inside a hung daemon): only closing it from the
 *       client's side ends it.</li>
 *   <li>{@link Mode#REFUSE}: the listening socket is closed, so new connections fail with "Connection refused", and
 *       open connections are closed. Leaving REFUSE listens again on the same path.</li>
 *   <li>{@link Mode#RESET}: connections are accepted then closed at once; open connections are closed too.</li>
 *   <li>{@link Mode#delay(long)}: bytes are forwarded, but each chunk from the client is held for the given time.</li>
 * </ul>
 * Independently of the mode, {@link #delayPings} holds every {@code /_ping} request for a while: a daemon too busy to
 * answer its pings quickly while it still serves other calls.
 * Every connection uses two daemon threads. The proxy counts accepted connections and knows how many are open.
 */
public final class DockerFaultProxy implements AutoCloseable {
    /** What the proxy does with connections. */
    public static final class Mode {
        public enum Kind { PASS, HANG, REFUSE, RESET, DELAY }

        public static final Mode PASS = new Mode(Kind.PASS, 0);
        public static final Mode HANG = new Mode(Kind.HANG, 0);
        public static final Mode REFUSE = new Mode(Kind.REFUSE, 0);
        public static final Mode RESET = new Mode(Kind.RESET, 0);

        private final Kind kind;
        private final long delayMillis;

        private Mode(Kind kind, long delayMillis) {
            this.kind = kind;
            this.delayMillis = delayMillis;
        }

        /** Forward, holding each chunk from the client for {@code millis} first. */
        public static Mode delay(long millis) {
            if (millis < 0) {
                throw new IllegalArgumentException("delay must not be negative: " + millis);
            }
            return new Mode(Kind.DELAY, millis);
        }

        public static Mode delay(Duration delay) {
            return delay(delay.toMillis());
        }

        public Kind kind() {
            return kind;
        }

        public long delayMillis() {
            return delayMillis;
        }

        @Override
        public String toString() {
            return kind == Kind.DELAY ? "DELAY(" + delayMillis + "ms)" : kind.name();
        }
    }

    private static final int CHUNK = 16 * 1024;

    private final Path upstream;
    private final Path directory;
    private final Path socketPath;
    private final Object lock = new Object();
    private final Set<Connection> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger accepted = new AtomicInteger();
    private final AtomicInteger threadIds = new AtomicInteger();
    private final AtomicInteger pings = new AtomicInteger();
    private volatile long lastPingNanos;
    private volatile long pingDelayMillis;
    private volatile java.util.function.Predicate<String> hungRequests = line -> false;
    private final java.util.List<ResponseHook> responseHooks = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** A one-shot action run once the daemon's answer to a matching request has started to pass. */
    private record ResponseHook(java.util.function.Predicate<String> requestLine, Runnable action,
                                java.util.concurrent.atomic.AtomicBoolean fired) {}
    private volatile Mode mode = Mode.PASS;
    private ServerSocketChannel server; // guarded by lock; null while REFUSE or closed
    private Thread acceptor; // guarded by lock; the thread accepting on server
    private boolean closed; // guarded by lock

    /** A proxy in front of the daemon socket the tests use ({@link RequiresDocker#SOCKET}), in PASS mode. */
    public DockerFaultProxy() throws IOException {
        this(Path.of(RequiresDocker.SOCKET));
    }

    public DockerFaultProxy(Path upstreamSocket) throws IOException {
        this.upstream = upstreamSocket;
        this.directory = Files.createTempDirectory("esb-fault-proxy");
        this.socketPath = directory.resolve("docker.sock");
        synchronized (lock) {
            listen();
        }
    }

    /** The proxy's endpoint for {@code esb.docker.host} / {@code DOCKER_HOST}. */
    public String dockerHost() {
        return "unix://" + socketPath;
    }

    public Path socketPath() {
        return socketPath;
    }

    public Mode mode() {
        return mode;
    }

    /** Connections accepted since the proxy started, including those RESET closed at once. */
    public int acceptedConnections() {
        return accepted.get();
    }

    /** Connections accepted and not closed yet (frozen ones included). */
    public int openConnections() {
        return open.size();
    }

    /** {@code /_ping} requests forwarded to the daemon: how a test sees the gateway's probe. */
    public int pingsForwarded() {
        return pings.get();
    }

    /** Holds each {@code /_ping} request this long before forwarding it (0: not at all); other requests pass as the mode says. */
    public void delayPings(Duration delay) {
        pingDelayMillis = delay.toMillis();
    }

    /**
     * Requests whose request line matches (e.g. {@code GET /v1.41/version HTTP/1.1}) are swallowed and their
     * connection frozen, as a daemon would leave one call unanswered while it answers the others.
     */
    public void hangRequests(java.util.function.Predicate<String> requestLine) {
        hungRequests = requestLine;
    }

    /** {@link System#nanoTime()} when the last {@code /_ping} was forwarded; 0 before the first. */
    public long lastPingForwardedNanos() {
        return lastPingNanos;
    }

    /**
     * Runs {@code action} once, on a thread of its own, right after the first chunk of the daemon's answer to a request
     * whose request line (e.g. {@code GET /v1.41/containers/<id>/json HTTP/1.1}) matches has been forwarded. Lets a
     * test switch modes at a precise point of a multi-request Docker call.
     */
    public void afterResponseTo(java.util.function.Predicate<String> requestLine, Runnable action) {
        responseHooks.add(new ResponseHook(requestLine, action, new java.util.concurrent.atomic.AtomicBoolean()));
    }

    /** Open connections frozen by HANG: requests stuck in the "hung daemon" that only the client can end. */
    public int frozenConnections() {
        return (int) open.stream().filter(c -> c.frozen).count();
    }

    /** Switches the mode; effects on the listening socket and on open connections are done when this returns. */
    public void setMode(Mode next) {
        Thread stoppedAcceptor;
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("proxy closed");
            }
            var previous = mode;
            mode = next;
            switch (next.kind()) {
                case REFUSE -> {
                    stopListening();
                    closeAll();
                }
                case RESET -> {
                    closeAll();
                    ensureListening();
                }
                case HANG -> {
                    open.forEach(Connection::freeze);
                    ensureListening();
                }
                case PASS, DELAY -> ensureListening();
            }
            stoppedAcceptor = next.kind() == Mode.Kind.REFUSE ? takeStoppedAcceptor() : null;
            if (previous.kind() != next.kind()) {
                log("mode " + previous + " -> " + next);
            }
        }
        awaitExit(stoppedAcceptor);
    }

    @Override
    public void close() {
        Thread stoppedAcceptor;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            stopListening();
            closeAll();
            stoppedAcceptor = takeStoppedAcceptor();
        }
        awaitExit(stoppedAcceptor);
        try {
            Files.deleteIfExists(socketPath);
            Files.deleteIfExists(directory);
        } catch (IOException ignored) {
            // a temp directory left behind is harmless
        }
    }

    // ---- listening ----

    private void ensureListening() {
        if (server == null) {
            try {
                listen();
            } catch (IOException e) {
                throw new IllegalStateException("could not listen again on " + socketPath, e);
            }
        }
    }

    private void listen() throws IOException {
        Files.deleteIfExists(socketPath); // a socket file left by a closed listener would make bind fail
        var channel = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        channel.bind(UnixDomainSocketAddress.of(socketPath));
        server = channel;
        acceptor = daemon("esb-fault-proxy-accept-" + threadIds.incrementAndGet(), () -> acceptLoop(channel));
        acceptor.start();
    }

    /** Closes the listener but leaves its socket file, so clients get "Connection refused" like a crashed daemon's. */
    private void stopListening() {
        if (server != null) {
            closeQuietly(server);
            server = null;
        }
    }

    /** The acceptor of a listener just closed, to be awaited once the lock is released (it may need the lock to exit). */
    private Thread takeStoppedAcceptor() {
        var thread = server == null ? acceptor : null;
        if (thread != null) {
            acceptor = null;
        }
        return thread;
    }

    /**
     * While a thread is blocked in accept(), the kernel keeps the closed listener alive and a connect() can still
     * succeed into its backlog. Only once that thread has left accept() does every connect fail with "Connection
     * refused", so REFUSE waits for it.
     */
    private static void awaitExit(Thread thread) {
        if (thread == null || thread == Thread.currentThread()) {
            return;
        }
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void acceptLoop(ServerSocketChannel channel) {
        while (channel.isOpen()) {
            SocketChannel client;
            try {
                client = channel.accept();
            } catch (IOException e) {
                return; // closed for REFUSE or close()
            }
            accepted.incrementAndGet();
            handle(client);
        }
    }

    private void handle(SocketChannel client) {
        var current = mode;
        switch (current.kind()) {
            case REFUSE, RESET -> closeQuietly(client);
            case HANG -> start(new Connection(client, null, true));
            case PASS, DELAY -> {
                SocketChannel daemonSide;
                try {
                    daemonSide = SocketChannel.open(StandardProtocolFamily.UNIX);
                    daemonSide.connect(UnixDomainSocketAddress.of(upstream));
                } catch (IOException e) {
                    log("cannot reach the daemon at " + upstream + ": " + e);
                    closeQuietly(client);
                    return;
                }
                start(new Connection(client, daemonSide, false));
            }
        }
    }

    private void start(Connection connection) {
        synchronized (lock) {
            // The mode may have changed between accept and here; apply it so no connection escapes a switch.
            var now = mode.kind();
            if (closed || now == Mode.Kind.REFUSE || now == Mode.Kind.RESET) {
                connection.close();
                return;
            }
            if (now == Mode.Kind.HANG) {
                connection.freeze();
            }
            open.add(connection);
        }
        int n = threadIds.incrementAndGet();
        daemon("esb-fault-proxy-c2d-" + n, connection::clientToDaemon).start();
        if (connection.daemonSide != null) {
            daemon("esb-fault-proxy-d2c-" + n, connection::daemonToClient).start();
        }
    }

    private void closeAll() {
        for (var connection : open) {
            connection.close();
        }
    }

    // ---- one proxied connection ----

    private final class Connection {
        final SocketChannel client;
        final SocketChannel daemonSide; // null when accepted during HANG: it never reaches the daemon
        volatile boolean frozen;
        volatile boolean clientDone; // the client half-closed; only the daemon's side is still read
        volatile String lastRequestLine = "";
        private final java.util.concurrent.atomic.AtomicBoolean closedOnce = new java.util.concurrent.atomic.AtomicBoolean();

        Connection(SocketChannel client, SocketChannel daemonSide, boolean frozen) {
            this.client = client;
            this.daemonSide = daemonSide;
            this.frozen = frozen;
        }

        void freeze() {
            frozen = true;
        }

        /** Reads the client until it closes; forwards only while not frozen, after the DELAY if one is set. */
        void clientToDaemon() {
            var buffer = ByteBuffer.allocate(CHUNK);
            try {
                while (true) {
                    buffer.clear();
                    if (client.read(buffer) < 0) {
                        if (!frozen && daemonSide != null) {
                            // Half-close: the daemon may still be answering; the other pump closes when it is done.
                            clientDone = true;
                            daemonSide.shutdownOutput();
                            return;
                        }
                        break;
                    }
                    if (frozen) {
                        continue; // swallowed: a hung daemon reads nothing back either
                    }
                    var current = mode;
                    if (current.kind() == Mode.Kind.DELAY && current.delayMillis() > 0) {
                        Thread.sleep(current.delayMillis());
                    }
                    buffer.flip();
                    long pingDelay = pingDelayMillis;
                    if (pingDelay > 0 && PING_LINE.matcher(requestLine(buffer)).matches()) {
                        Thread.sleep(pingDelay);
                    }
                    if (frozen) {
                        continue;
                    }
                    if (hungRequests.test(requestLine(buffer))) {
                        frozen = true;
                        continue;
                    }
                    noteRequest(this, buffer);
                    while (buffer.hasRemaining()) {
                        daemonSide.write(buffer);
                    }
                }
            } catch (IOException e) {
                // closed by the other pump, a mode switch or the peer
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            close();
        }

        /** Forwards the daemon's answers unless frozen; a frozen connection drops them. */
        void daemonToClient() {
            var buffer = ByteBuffer.allocate(CHUNK);
            try {
                while (true) {
                    buffer.clear();
                    if (daemonSide.read(buffer) < 0) {
                        break;
                    }
                    if (frozen) {
                        continue;
                    }
                    buffer.flip();
                    while (buffer.hasRemaining()) {
                        client.write(buffer);
                    }
                    runHooks(lastRequestLine);
                }
            } catch (IOException e) {
                // closed by the other pump, a mode switch or the peer
            }
            if (frozen && !clientDone) {
                // The daemon finished (or dropped) the request; the client must still see nothing, so its side stays
                // open until it closes it (the other pump is still reading it).
                closeQuietly(daemonSide);
                return;
            }
            close();
        }

        void close() {
            if (closedOnce.compareAndSet(false, true)) {
                closeQuietly(client);
                if (daemonSide != null) {
                    closeQuietly(daemonSide);
                }
                open.remove(this);
            }
        }
    }

    private static final java.util.regex.Pattern REQUEST_LINE =
            java.util.regex.Pattern.compile("^(GET|HEAD|POST|PUT|DELETE|PATCH|OPTIONS) \\S+ HTTP/1\\.[01]");

    private static final java.util.regex.Pattern PING_LINE = java.util.regex.Pattern.compile("^(GET|HEAD) (/v[0-9.]+)?/_ping .*");

    /** The chunk's first line, which is a request line when the chunk starts a request. */
    private static String requestLine(ByteBuffer chunk) {
        var start = new byte[Math.min(chunk.remaining(), 512)];
        chunk.duplicate().get(start);
        var head = new String(start, java.nio.charset.StandardCharsets.US_ASCII);
        int end = head.indexOf("\r\n");
        return end < 0 ? head : head.substring(0, end);
    }

    /** Remembers the request line of a chunk that starts a request, and counts pings. */
    private void noteRequest(Connection connection, ByteBuffer chunk) {
        var line = requestLine(chunk);
        if (!REQUEST_LINE.matcher(line).find()) {
            return; // the rest of a body, not a new request
        }
        connection.lastRequestLine = line;
        if (PING_LINE.matcher(line).matches()) {
            lastPingNanos = System.nanoTime();
            pings.incrementAndGet();
        }
    }

    private void runHooks(String requestLine) {
        for (var hook : responseHooks) {
            if (hook.requestLine().test(requestLine) && hook.fired().compareAndSet(false, true)) {
                responseHooks.remove(hook);
                daemon("esb-fault-proxy-hook-" + threadIds.incrementAndGet(), hook.action()).start();
            }
        }
    }

    // ---- plumbing ----

    private static Thread daemon(String name, Runnable body) {
        var thread = new Thread(body, name);
        thread.setDaemon(true);
        return thread;
    }

    private static void closeQuietly(java.io.Closeable closeable) {
        try {
            closeable.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }

    private void log(String message) {
        System.out.println("[fault-proxy " + socketPath.getFileName() + "@" + Integer.toHexString(hashCode()) + "] " + message);
    }
}
