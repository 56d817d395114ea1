package io.esb.container;

import akka.actor.typed.ActorSystem;
import io.esb.config.ContainerSettings;

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
 * Talks the RIE protocol to function containers: one kept-alive HTTP/1.1 connection per container, and each exchange
 * blocking on a thread of its own pool ({@code esb-container-io-N}), never on an Akka dispatcher. The caller's stage
 * completes on that thread.
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
    /** The idle connection of each container, by its address; taken out while an exchange uses it. */
    private final ConcurrentHashMap<InetSocketAddress, ContainerConnection> idleConnections = new ConcurrentHashMap<>();

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
        system.getWhenTerminated().thenRun(this::close);
    }

    /** The RIE's invocation URL of a container reached at {@code host:port}. */
    public static String invokeUrl(String host, int port) {
        return "http://" + host + ":" + port + INVOKE_PATH;
    }

    /** Sends one event to the container at {@code host:port}. Never fails the stage: every failure becomes an {@link InvokeOutcome}. */
    public CompletionStage<InvokeOutcome> invoke(String host, int port, byte[] event, String requestId, Duration timeout) {
        var address = new InetSocketAddress(host, port);
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
            connection.close();
        }
    }

    @Override
    public void close() {
        io.shutdownNow();
        idleConnections.values().forEach(ContainerConnection::close);
        idleConnections.clear();
    }

    private <T> CompletionStage<T> onIoThread(java.util.function.Supplier<T> work, T whenRejected) {
        var result = new CompletableFuture<T>();
        try {
            io.execute(() -> {
                try {
                    result.complete(work.get());
                } catch (RuntimeException | Error e) {
                    // e.g. a malformed chunk size the parser did not foresee: the caller must still hear of it
                    result.completeExceptionally(e);
                }
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
            connection = connection(address);
        } catch (IOException e) {
            return new InvokeOutcome.NotDelivered(e.getClass().getSimpleName(), describe(e));
        }
        try {
            var response = connection.exchange("POST", INVOKE_PATH,
                    "Content-Type: application/json\r\nX-Amzn-RequestId: " + requestId + "\r\n", event, deadline, maxResponseBytes);
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

    /** The container's kept-alive connection if it is still good, else a new one. */
    private ContainerConnection connection(InetSocketAddress address) throws IOException {
        var kept = idleConnections.remove(address);
        if (kept != null) {
            if (kept.reusable()) {
                return kept;
            }
            kept.close();
        }
        return ContainerConnection.open(address, (int) Math.max(1, settings.connectTimeout().toMillis()));
    }

    private void keepOrClose(InetSocketAddress address, ContainerConnection connection, boolean keepAlive) {
        if (keepAlive) {
            var previous = idleConnections.put(address, connection);
            if (previous != null && previous != connection) {
                previous.close();
            }
        } else {
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
