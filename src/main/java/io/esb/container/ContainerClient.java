package io.esb.container;

import akka.actor.typed.ActorSystem;
import io.esb.config.ContainerSettings;
import io.esb.dispatch.IoThreadDispatch;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Talks the RIE protocol to function containers: one kept-alive HTTP/1.1 connection per container. Whatever blocks
 * (a connect, a large write, the wait for an answer) runs on a thread of its own pool ({@code esb-container-io-N}),
 * never on an Akka dispatcher, and the caller's stage completes on that thread.
 *
 * <p>A kept connection has a reader: a thread of that pool that waits in a read between exchanges. A call on it only
 * writes its request (on the caller's thread: a few kilobytes into an empty send buffer never block) and the reader,
 * already waiting, takes the answer. So a warm call wakes no thread to send, and no thread checks the connection
 * first: a container that closes an idle connection wakes its reader, which drops it (BENCHMARKS.md, issue 17: each
 * thread woken costs this 2-core machine about 40 us of a call's latency). An exchange's deadline closes the connection.
 *
 * <p>Why not Akka HTTP's client: profiled under load, its host pool took about 40% of the gateway's CPU and a dozen
 * thread hand-offs per call (see BENCHMARKS.md). A container serves one invocation at a time, so one connection and one
 * thread per busy container is all a call needs.
 */
public final class ContainerClient implements ContainerChannel, AutoCloseable {
    static final String INVOKE_PATH = "/2015-03-31/functions/function/invocations";
    /** Extra time past the function timeout, so the RIE's own timeout answer arrives before the gateway gives up. */
    private static final Duration TIMEOUT_GRACE = Duration.ofSeconds(1);
    /** A refused connect costs microseconds, so polling often shortens every cold start at no real cost. */
    private static final long PROBE_PAUSE_MILLIS = 2;

    private static final CompletionStage<Map<String, String>> NOTHING_TO_ADD = CompletableFuture.completedFuture(Map.of());

    private final ContainerSettings settings;
    private final long maxResponseBytes;
    private final ThreadPoolExecutor io;
    private final akka.actor.typed.Scheduler scheduler;
    private final scala.concurrent.ExecutionContextExecutor timerContext;
    /** The idle connection of each container, by its address; taken out while an exchange uses it. */
    private final ConcurrentHashMap<InetSocketAddress, KeptConnection> idleConnections = new ConcurrentHashMap<>();

    public ContainerClient(ActorSystem<?> system, ContainerSettings settings, long maxResponseBytes) {
        this.settings = settings;
        this.maxResponseBytes = maxResponseBytes;
        var threads = new AtomicInteger();
        // One thread per busy or starting container at most; idle threads linger a minute so warm calls reuse them.
        this.io = new ThreadPoolExecutor(0, settings.maxTotal() * 2 + 16, 60, TimeUnit.SECONDS, new SynchronousQueue<>(), runnable -> {
            var thread = new Thread(runnable, "esb-container-io-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        this.scheduler = system.scheduler();
        this.timerContext = system.executionContext();
        system.getWhenTerminated().thenRun(this::close);
    }

    /** The RIE's invocation URL of a container reached at {@code host:port}. */
    public static String invokeUrl(String host, int port) {
        return "http://" + host + ":" + port + INVOKE_PATH;
    }

    /** Sends one event to the container at {@code host:port}. Never fails the stage: every failure becomes an {@link InvokeOutcome}. */
    public CompletionStage<InvokeOutcome> invoke(String host, int port, byte[] event, String requestId, Duration timeout) {
        var address = new InetSocketAddress(host, port);
        var kept = idleConnections.remove(address);
        if (kept != null) {
            var sent = kept.send(event, requestId, timeout);
            if (sent != null) {
                return sent;
            }
        }
        return onIoThread(() -> exchange(address, event, requestId, timeout),
                new InvokeOutcome.NotDelivered("Overloaded", "no container I/O thread free"));
    }

    /**
     * Waits until the container's server answers HTTP at all. The RIE has no health endpoint, so any HTTP answer to a
     * GET (which it does not treat as an invocation) proves it is listening. The probe's connection is kept for the
     * first invocation.
     */
    public CompletionStage<Boolean> awaitReady(String host, int port, Duration within) {
        var address = new InetSocketAddress(host, port);
        return onIoThread(() -> probeUntilReady(address, System.nanoTime() + within.toNanos()), false);
    }

    @Override
    public CompletionStage<Map<String, String>> containerEnvironment() {
        return NOTHING_TO_ADD;
    }

    @Override
    public CompletionStage<InvokeOutcome> invoke(ContainerAddress container, InvokeRequest request) {
        return invoke(container.host(), container.port(), request.event(), request.requestId(), request.functionTimeout().plus(TIMEOUT_GRACE));
    }

    @Override
    public CompletionStage<Readiness> awaitReady(ContainerAddress container, Duration within) {
        return awaitReady(container.host(), container.port(), within).thenApply(ready -> ready ? Readiness.READY
                : Readiness.notReady("its RIE did not answer on " + container.host() + ":" + container.port()));
    }

    @Override
    public void release(ContainerAddress container) {
        release(container.host(), container.port());
    }

    /** Closes the idle connection of the container at {@code host:port}; call it when the container is discarded. */
    public void release(String host, int port) {
        var connection = idleConnections.remove(new InetSocketAddress(host, port));
        if (connection != null) {
            connection.discard();
        }
    }

    @Override
    public void close() {
        io.shutdownNow();
        idleConnections.values().forEach(KeptConnection::discard);
        idleConnections.clear();
    }

    private <T> CompletionStage<T> onIoThread(java.util.function.Supplier<T> work, T whenRejected) {
        var result = new CompletableFuture<T>();
        try {
            io.execute(() -> {
                T value;
                try {
                    value = work.get();
                } catch (RuntimeException | Error e) {
                    // e.g. a malformed chunk size the parser did not foresee: the caller must still hear of it
                    result.completeExceptionally(e);
                    return;
                }
                IoThreadDispatch.runHere(() -> result.complete(value)); // as a kept connection's reader does
            });
        } catch (RejectedExecutionException e) {
            result.complete(whenRejected);
        }
        return result;
    }

    private InvokeOutcome exchange(InetSocketAddress address, byte[] event, String requestId, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        ContainerConnection connection;
        try {
            connection = ContainerConnection.open(address, (int) Math.max(1, settings.connectTimeout().toMillis()));
        } catch (IOException e) {
            return new InvokeOutcome.NotDelivered(e.getClass().getSimpleName(), describe(e));
        }
        try {
            var response = connection.exchange("POST", INVOKE_PATH, invocationHeaders(requestId), event, deadline, maxResponseBytes);
            keepOrClose(address, connection, response.keepAlive());
            return new InvokeOutcome.Answered(response.status(), response.body(), response.contentType());
        } catch (SocketTimeoutException e) {
            connection.close();
            return new InvokeOutcome.Lost("Timeout", "no answer within " + timeout.toMillis() + " ms", true);
        } catch (IOException e) {
            connection.close();
            return new InvokeOutcome.Lost(e.getClass().getSimpleName(), describe(e), false);
        }
    }

    private boolean probeUntilReady(InetSocketAddress address, long giveUpAt) {
        while (true) {
            long probeDeadline = Math.min(giveUpAt, System.nanoTime() + settings.pingTimeout().toNanos());
            ContainerConnection connection = null;
            try {
                connection = ContainerConnection.open(address, (int) Math.max(1, settings.pingTimeout().toMillis()));
                var response = connection.exchange("GET", "/", "", null, probeDeadline, 64 * 1024);
                keepOrClose(address, connection, response.keepAlive());
                return true;
            } catch (IOException e) {
                if (connection != null) {
                    connection.close();
                }
            }
            if (System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(PROBE_PAUSE_MILLIS) >= giveUpAt) {
                return false;
            }
            try {
                Thread.sleep(PROBE_PAUSE_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }

    private static String invocationHeaders(String requestId) {
        return "Content-Type: application/json\r\nX-Amzn-RequestId: " + requestId + "\r\n";
    }

    /** Keeps a connection the container keeps alive, with its reader; closes it when no I/O thread is free to read it. */
    private void keepOrClose(InetSocketAddress address, ContainerConnection connection, boolean keepAlive) {
        if (!keepAlive) {
            connection.close();
            return;
        }
        var kept = new KeptConnection(address, connection);
        try {
            io.execute(kept::readLoop);
        } catch (RejectedExecutionException e) {
            connection.close();
            return;
        }
        keepIdle(kept);
    }

    private void keepIdle(KeptConnection kept) {
        var previous = idleConnections.put(kept.address, kept);
        if (previous != null && previous != kept) {
            previous.discard();
        }
    }

    private static InvokeOutcome.Lost timedOut(Duration timeout) {
        return new InvokeOutcome.Lost("Timeout", "no answer within " + timeout.toMillis() + " ms", true);
    }

    /** One invocation on a kept connection: the caller's stage, and the deadline that closes the connection. */
    private static final class Exchange {
        final CompletableFuture<InvokeOutcome> outcome = new CompletableFuture<>();
        final Duration timeout;
        volatile boolean timedOut;
        volatile akka.actor.Cancellable deadline;

        Exchange(Duration timeout) {
            this.timeout = timeout;
        }
    }

    /**
     * A kept-alive connection and its reader, which waits in a read for as long as the connection lives. States:
     * IDLE (in {@link #idleConnections}), BUSY (an exchange is under way), CLOSED.
     */
    private final class KeptConnection {
        private static final int IDLE = 0;
        private static final int BUSY = 1;
        private static final int CLOSED = 2;

        final InetSocketAddress address;
        final ContainerConnection connection;
        private final AtomicInteger state = new AtomicInteger(IDLE);
        /** Set before the state turns BUSY, so a reader that sees BUSY finds its exchange. */
        private volatile Exchange pending;

        KeptConnection(InetSocketAddress address, ContainerConnection connection) {
            this.address = address;
            this.connection = connection;
        }

        /** Sends an invocation; null when the connection turned out closed (the caller then opens a new one). */
        CompletionStage<InvokeOutcome> send(byte[] event, String requestId, Duration timeout) {
            var exchange = new Exchange(timeout);
            pending = exchange;
            if (!state.compareAndSet(IDLE, BUSY)) {
                pending = null;
                return null;
            }
            exchange.deadline = scheduler.scheduleOnce(timeout, () -> {
                exchange.timedOut = true;
                connection.close(); // ends the reader's wait, and a large write's
            }, timerContext);
            var head = connection.head("POST", INVOKE_PATH, invocationHeaders(requestId), event);
            if (head.length + event.length <= ContainerConnection.IMMEDIATE_WRITE) {
                try {
                    connection.writeFully(head, event);
                } catch (IOException e) {
                    writeFailed(exchange, e);
                }
                return exchange.outcome;
            }
            // A large event may not fit the send buffer, and a container that stops reading would block the write
            // until the deadline closes the connection: an I/O thread's work.
            try {
                io.execute(() -> {
                    try {
                        connection.writeFully(head, event);
                    } catch (IOException e) {
                        writeFailed(exchange, e);
                    }
                });
            } catch (RejectedExecutionException e) {
                writeFailed(exchange, new IOException("no container I/O thread free to send the event"));
            }
            return exchange.outcome;
        }

        /** The event may be partly sent, so the function may run: its answer is lost. The reader then stops. */
        private void writeFailed(Exchange exchange, IOException e) {
            exchange.outcome.complete(exchange.timedOut ? timedOut(exchange.timeout)
                    : new InvokeOutcome.Lost(e.getClass().getSimpleName(), describe(e), false));
            exchange.deadline.cancel();
            connection.close();
        }

        /** The reader: waits for each answer, hands it to its caller, and ends when the connection does. */
        void readLoop() {
            try {
                connection.waitWithoutTimeout();
                while (true) {
                    boolean data;
                    try {
                        data = connection.awaitData();
                    } catch (IOException e) {
                        data = false;
                    }
                    // Closed, or bytes nobody asked for, while idle: dropped, and the next call opens a new connection.
                    if (state.compareAndSet(IDLE, CLOSED)) {
                        discard();
                        return;
                    }
                    var exchange = pending;
                    if (exchange == null || !answer(exchange, data)) {
                        return;
                    }
                }
            } catch (IOException | RuntimeException e) {
                // e.g. an answer the parser did not foresee: a call under way must still hear of it, as it did when
                // each exchange ran as its own task. BUSY means its exchange was set first.
                boolean busy = state.getAndSet(CLOSED) == BUSY;
                var exchange = busy ? pending : null;
                discard();
                if (exchange != null) {
                    var deadline = exchange.deadline;
                    if (deadline != null) {
                        deadline.cancel();
                    }
                    exchange.outcome.completeExceptionally(e);
                }
            }
        }

        /** Reads the answer to {@code exchange}; true when the connection stays for the next one. */
        private boolean answer(Exchange exchange, boolean data) {
            InvokeOutcome outcome;
            boolean keep = false;
            try {
                if (!data) {
                    throw new java.io.EOFException("connection closed before any answer");
                }
                var response = connection.readResponse(Long.MAX_VALUE, maxResponseBytes);
                keep = response.keepAlive();
                outcome = new InvokeOutcome.Answered(response.status(), response.body(), response.contentType());
            } catch (IOException e) {
                outcome = new InvokeOutcome.Lost(e.getClass().getSimpleName(), describe(e), false);
            }
            exchange.deadline.cancel();
            if (exchange.timedOut) {
                outcome = timedOut(exchange.timeout);
                keep = false;
            }
            pending = null;
            if (keep && !exchange.outcome.isDone() && state.compareAndSet(BUSY, IDLE)) {
                keepIdle(this); // before the caller hears: its next call finds the connection
            } else {
                keep = false;
                discard();
            }
            var answered = outcome;
            IoThreadDispatch.runHere(() -> exchange.outcome.complete(answered));
            return keep;
        }

        void discard() {
            state.set(CLOSED);
            idleConnections.remove(address, this);
            connection.close();
        }
    }

    private static String describe(IOException e) {
        var message = e.getMessage();
        if (e instanceof ConnectException && (message == null || message.isBlank())) {
            return "Connection refused";
        }
        return message == null ? e.getClass().getSimpleName() : message;
    }
}
