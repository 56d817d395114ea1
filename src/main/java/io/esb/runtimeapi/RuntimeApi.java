package io.esb.runtimeapi;

import akka.actor.typed.ActorSystem;
import io.esb.container.ChannelUnavailable;
import io.esb.container.ContainerAddress;
import io.esb.container.ContainerChannel;
import io.esb.container.InvokeOutcome;
import io.esb.container.InvokeRequest;
import io.esb.container.Readiness;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import static net.logstash.logback.argument.StructuredArguments.kv;

/**
 * Pull mode: function containers fetch their invocations from the gateway's Lambda Runtime API, as on AWS, so AWS's
 * own runtime clients run unchanged. This is the channel a pull-mode FunctionActor uses, and the registry of the
 * containers the {@link RuntimeApiListener} serves: each container is known by its address on the Docker network,
 * which is where its calls come from, and reaches only its own invocations.
 */
public final class RuntimeApi implements ContainerChannel {
    private static final Logger log = LoggerFactory.getLogger(RuntimeApi.class);
    /** A runtime that dropped its connection mid-invocation has this long to come back before the invocation is lost. */
    private static final Duration RECONNECT_GRACE = Duration.ofMillis(200);

    private final ActorSystem<?> system;
    private final Duration bindWait;
    private final Function<String, CompletionStage<Boolean>> exited;
    /** Each container's session by its address; a placeholder while a call from an address waits for it to register. */
    private final ConcurrentHashMap<String, CompletableFuture<RuntimeSession>> sessions = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Integer> openConnections = new ConcurrentHashMap<>();
    private final CompletableFuture<InetSocketAddress> listening = new CompletableFuture<>();
    /** The listener's address, or why it is not bound once an attempt failed; pending until the first attempt ends. */
    private volatile CompletableFuture<InetSocketAddress> attempt = new CompletableFuture<>();

    /**
     * @param bindWait how long a cold start waits for the listener to be bound (esb.containers.readiness-timeout)
     * @param exited   whether a container (by id) has stopped, as Docker tells it; false when Docker cannot tell
     */
    public RuntimeApi(ActorSystem<?> system, Duration bindWait, Function<String, CompletionStage<Boolean>> exited) {
        this.system = system;
        this.bindWait = bindWait;
        this.exited = exited;
    }

    /** The listener is bound at {@code address}: containers started from now on are told it. */
    void listening(InetSocketAddress address) {
        listening.complete(address);
        if (!attempt.complete(address)) {
            attempt = CompletableFuture.completedFuture(address);
        }
    }

    void notListening(String reason, boolean dockerUnavailable) {
        var why = new ChannelUnavailable("the Runtime API is not listening: " + reason, dockerUnavailable);
        if (!attempt.completeExceptionally(why)) {
            attempt = CompletableFuture.failedFuture(why);
        }
    }

    /** Where the listener is bound, once it is; for tests and status. */
    public CompletionStage<InetSocketAddress> address() {
        return listening;
    }

    /**
     * The Runtime API's address, exactly host:port with no path (the Node runtime client accepts nothing else). While
     * the listener is not bound, a start fails with the reason of the last attempt (as when Docker is down), or waits
     * for the first attempt to end.
     */
    @Override
    public CompletionStage<Map<String, String>> containerEnvironment() {
        return attempt.copy().orTimeout(bindWait.toMillis(), TimeUnit.MILLISECONDS)
                .handle((address, error) -> {
                    if (error != null) {
                        var root = error instanceof java.util.concurrent.CompletionException && error.getCause() != null ? error.getCause() : error;
                        throw root instanceof ChannelUnavailable unavailable ? unavailable
                                : new ChannelUnavailable("the Runtime API is not listening yet", false);
                    }
                    return Map.of("AWS_LAMBDA_RUNTIME_API", address.getHostString() + ":" + address.getPort());
                });
    }

    @Override
    public CompletionStage<Readiness> awaitReady(ContainerAddress container, Duration within) {
        var session = new RuntimeSession(container.id());
        var slot = sessions.compute(container.host(), (address, old) -> old != null && !old.isDone() ? old : new CompletableFuture<>());
        slot.complete(session);
        if (slot.join() != session) {
            sessions.put(container.host(), CompletableFuture.completedFuture(session));
        }
        return session.ready().toCompletableFuture().copy().completeOnTimeout(Readiness.notReady("its runtime did not call the Runtime API within "
                + within.toMillis() + " ms (esb.containers.readiness-timeout)"), within.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public CompletionStage<InvokeOutcome> invoke(ContainerAddress container, InvokeRequest request) {
        var slot = sessions.get(container.host());
        var session = slot == null ? null : slot.getNow(null);
        if (session == null || !session.containerId.equals(container.id())) {
            return CompletableFuture.completedFuture(new InvokeOutcome.NotDelivered("ContainerGone", "container " + container.id()
                    + " is not connected to the Runtime API"));
        }
        var delivery = new RuntimeSession.Delivery(request, traceId());
        delivery.deadlineEpochMillis = System.currentTimeMillis() + request.functionTimeout().toMillis();
        // Armed before the offer: a runtime that answers at once must find the timer to cancel, or it would keep the
        // delivery (and its event) until the function's timeout.
        delivery.timer = system.classicSystem().scheduler().scheduleOnce(scala(request.functionTimeout()), () -> {
            if (session.expire(delivery)) {
                delivery.outcome.complete(new InvokeOutcome.Lost("Timeout", "no answer within " + request.functionTimeout().toMillis()
                        + " ms", true));
            }
        }, system.executionContext());
        if (!session.offer(delivery)) {
            delivery.timer.cancel();
            return CompletableFuture.completedFuture(new InvokeOutcome.NotDelivered("ContainerBusy", "container " + container.id()
                    + " is closed or already running an invocation"));
        }
        return delivery.outcome;
    }

    @Override
    public void release(ContainerAddress container) {
        var slot = sessions.get(container.host());
        var session = slot == null ? null : slot.getNow(null);
        if (session == null || !session.containerId.equals(container.id())) {
            return;
        }
        sessions.remove(container.host(), slot);
        var held = session.close();
        if (held[0] != null) {
            answer(held[0], new InvokeOutcome.NotDelivered("ContainerGone", "container " + container.id() + " was removed"));
        }
        if (held[1] != null) {
            answer(held[1], new InvokeOutcome.Lost("ContainerGone", "container " + container.id() + " was removed", false));
        }
    }

    // ---- for the listener ------------------------------------------------------------------------------------------

    /**
     * The session of the container calling from {@code address}. A call can come before its container registered
     * (the runtime started before Docker's answer reached the function); it waits up to {@code wait}. After that the
     * caller is a stranger: null.
     */
    CompletionStage<RuntimeSession> session(String address, Duration wait) {
        var slot = sessions.computeIfAbsent(address, a -> new CompletableFuture<>());
        if (slot.isDone()) {
            return slot;
        }
        return slot.copy().completeOnTimeout(null, wait.toMillis(), TimeUnit.MILLISECONDS).thenApply(session -> {
            if (session == null) {
                sessions.remove(address, slot);
                log.warn("Runtime API call from an unknown address refused", kv("remote_address", address));
            }
            return session;
        });
    }

    /** The answer for a delivery, once: its deadline timer is cancelled. */
    static void answer(RuntimeSession.Delivery delivery, InvokeOutcome outcome) {
        var timer = delivery.timer;
        if (timer != null) {
            timer.cancel();
        }
        delivery.outcome.complete(outcome);
    }

    void connectionOpened(String address) {
        openConnections.merge(address, 1, Integer::sum);
    }

    /**
     * No connection from a container is left. Runtimes differ (the Node client opens one per poll, the Java one posts
     * errors on a second), so that alone proves nothing; but a runtime that died mid-invocation closes them all. Then
     * Docker is asked: a container that stopped has lost its invocation now, not at its deadline.
     */
    void connectionClosed(String address) {
        var left = openConnections.computeIfPresent(address, (a, open) -> open <= 1 ? null : open - 1);
        if (left != null) {
            return;
        }
        system.classicSystem().scheduler().scheduleOnce(scala(RECONNECT_GRACE), () -> {
            var slot = sessions.get(address);
            var session = slot == null ? null : slot.getNow(null);
            if (openConnections.containsKey(address) || session == null || !session.running()) {
                return;
            }
            exited.apply(session.containerId).thenAccept(stopped -> {
                var lost = Boolean.TRUE.equals(stopped) ? session.runtimeGone() : null;
                if (lost != null) {
                    answer(lost, new InvokeOutcome.Lost("RuntimeExited", "the runtime exited during the invocation", false));
                }
            });
        }, system.executionContext());
    }

    /** An X-Ray trace header of AWS's shape, for runtimes that read it. */
    private static String traceId() {
        var random = ThreadLocalRandom.current();
        // Built by hand: String.format on every invocation costs more than the rest of the delivery.
        return "Root=1-" + hex(System.currentTimeMillis() / 1000, 8) + "-" + hex(random.nextLong() & 0xffffffffffffL, 24)
                + ";Parent=" + hex(random.nextLong(), 16) + ";Sampled=0";
    }

    /** {@code value} in lower-case hex, left-padded with zeros to {@code digits}. */
    private static String hex(long value, int digits) {
        var text = Long.toHexString(value);
        return "0".repeat(Math.max(0, digits - text.length())) + text;
    }

    private static scala.concurrent.duration.FiniteDuration scala(Duration duration) {
        return scala.concurrent.duration.Duration.fromNanos(duration.toNanos());
    }
}
