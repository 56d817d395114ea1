package io.esb.function;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One function's containers and waiting invocations, without actors: idle (most recently used first), busy, cold starts
 * under way, running containers being adopted, and the FIFO queue. Each method changes the pool and answers what its
 * owner ({@link FunctionActor}) must carry out: which container serves which waiter, how many starts to begin, which
 * waiters expired, which containers to remove. Times are {@code System.nanoTime()} values passed in by the caller.
 *
 * @param <W> a waiting invocation
 */
final class FunctionPool<W extends FunctionPool.Waiter> {

    /** A waiting invocation; it keeps its place in time when it is put back at the head of the queue. */
    interface Waiter {
        long enqueuedNanos();
    }

    /** A live container of the function. {@code served} turns true at its first invocation, which is the cold one. */
    static final class Container {
        final String id;
        final String host;
        final int port;
        long lastUsedNanos;
        boolean served;

        Container(String id, String host, int port, boolean served, long nowNanos) {
            this.id = id;
            this.host = host;
            this.port = port;
            this.served = served;
            this.lastUsedNanos = nowNanos;
        }

        io.esb.container.ContainerAddress address() {
            return new io.esb.container.ContainerAddress(id, host, port);
        }

        @Override
        public String toString() {
            return id;
        }
    }

    /** What becomes of an invocation that arrives. */
    sealed interface Admission<W> {}

    /** What becomes of a container that is free again (or new). */
    sealed interface Placement<W> {}

    /** Send {@code waiter} to {@code container}, now busy; {@code coldStart}: its first invocation. */
    record Dispatch<W>(Container container, W waiter, boolean coldStart) implements Admission<W>, Placement<W> {}

    /** The queue is at {@code max-queue-depth}: turn the invocation away. */
    record QueueFull<W>() implements Admission<W> {}

    /** The invocation waits in the queue for a container. */
    record Queued<W>() implements Admission<W> {}

    /** The container waits, idle, at the head of the idle list. */
    record Idle<W>() implements Placement<W> {}

    /** Nobody needs the container and the pool is draining: remove it. */
    record Discard<W>() implements Placement<W> {}

    private final int maxQueueDepth;
    private final long queueTimeoutNanos;
    private final long idleTimeoutNanos;
    /** Whether each start first waits for a permit of the gateway-wide container budget. */
    private final boolean budgeted;
    private int minWarm;
    private int maxConcurrency;
    private boolean draining;

    private final ArrayDeque<Container> idle = new ArrayDeque<>();
    private final Map<String, Container> busy = new HashMap<>();
    private final ArrayDeque<W> queue = new ArrayDeque<>();
    /** Containers created by this pool's cold starts whose readiness is still being checked; never adopted twice. */
    private final Set<String> readying = new HashSet<>();
    /** Cold starts under way, including those still waiting for a permit from the budget. */
    private int starting;
    private int awaitingPermit;
    /** Running containers found at startup whose readiness is being checked before adoption. */
    private int adopting;
    private long coldStarts;

    FunctionPool(int maxQueueDepth, java.time.Duration queueTimeout, java.time.Duration idleTimeout, boolean budgeted,
                 int minWarm, int maxConcurrency) {
        this.maxQueueDepth = maxQueueDepth;
        this.queueTimeoutNanos = queueTimeout.toNanos();
        this.idleTimeoutNanos = idleTimeout.toNanos();
        this.budgeted = budgeted;
        this.minWarm = minWarm;
        this.maxConcurrency = maxConcurrency;
    }

    // ---- invocations -----------------------------------------------------------------------------------------------

    /** The most recently used idle container serves it at once; else it queues, unless the queue is full. */
    Admission<W> admit(W waiter) {
        if (!idle.isEmpty()) {
            return occupy(idle.pop(), waiter);
        }
        if (queue.size() >= maxQueueDepth) {
            return new QueueFull<>();
        }
        queue.add(waiter);
        return new Queued<>();
    }

    /** An invocation that never reached its container goes back to the head of the queue, for a fresh one. */
    void requeueFirst(W waiter) {
        queue.addFirst(waiter);
    }

    /**
     * Removes and answers the waiters older than {@code queue-timeout}. The first waiters that cold starts under way
     * (with their permit) will serve are skipped: a slow start is bounded by the readiness timeout instead.
     */
    List<W> expireWaiters(long nowNanos) {
        long cutoff = nowNanos - queueTimeoutNanos;
        var expired = new ArrayList<W>();
        var waiters = queue.iterator();
        for (int i = 0; i < starting - awaitingPermit && waiters.hasNext(); i++) {
            waiters.next();
        }
        while (waiters.hasNext()) {
            var waiter = waiters.next();
            if (waiter.enqueuedNanos() >= cutoff) {
                break; // FIFO: everyone behind is younger
            }
            waiters.remove();
            expired.add(waiter);
        }
        return expired;
    }

    /** The waiter that joined the queue last, or null; a cold start carries its request id into the Docker logs. */
    W newestWaiter() {
        return queue.peekLast();
    }

    // ---- cold starts -----------------------------------------------------------------------------------------------

    /**
     * How many cold starts to begin now: as many as there is demand no starting container will meet (queued
     * invocations, plus what {@code min-warm} asks for), within {@code max-concurrency}. They count as starting from
     * here; with a budget, each first waits for its permit.
     */
    int startsToBegin() {
        int begun = 0;
        while (starting < demand() && idle.size() + busy.size() + starting + adopting < maxConcurrency) {
            starting++;
            if (budgeted) {
                awaitingPermit++;
            }
            begun++;
        }
        return begun;
    }

    private int demand() {
        return queue.size() + (draining ? 0 : Math.max(0, minWarm - idle.size() - busy.size() - adopting));
    }

    /**
     * The budget granted a permit: true to go ahead with the start, false to give the permit back (its wait was
     * withdrawn after the budget had granted it, or the demand went away while it waited).
     */
    boolean permitGranted() {
        if (awaitingPermit == 0) {
            return false;
        }
        awaitingPermit--;
        if (starting - 1 < demand()) {
            return true;
        }
        starting--;
        return false;
    }

    /** How many waits for a permit no one needs any more (the queue was served); they no longer count as starting. */
    int permitWaitsToCancel() {
        int cancelled = 0;
        while (awaitingPermit > 0 && starting > demand()) {
            awaitingPermit--;
            starting--;
            cancelled++;
        }
        return cancelled;
    }

    /** A start (its permit in hand) is sent to Docker. */
    void startLaunched() {
        coldStarts++;
    }

    /** Docker created and started container {@code id}; its readiness is checked next. */
    void startCreated(String id) {
        readying.add(id);
    }

    /** A start failed before Docker created anything. */
    void startAborted() {
        starting--;
    }

    /** A started container's readiness check ended, ready or not. */
    void startSettled(String id) {
        starting--;
        readying.remove(id);
    }

    /** When a start failed: the queued waiters, removed, if no container exists or is starting that could serve them. */
    List<W> waitersNoneCanServe() {
        if (idle.size() + busy.size() + starting > 0) {
            return List.of();
        }
        var orphaned = new ArrayList<>(queue);
        queue.clear();
        return orphaned;
    }

    // ---- adoption --------------------------------------------------------------------------------------------------

    void adoptionBegan() {
        adopting++;
    }

    void adoptionSettled() {
        adopting--;
    }

    /** Removes and answers the idle containers the daemon no longer runs. */
    List<Container> forgetIdleNotIn(Set<String> running) {
        var gone = idle.stream().filter(c -> !running.contains(c.id)).toList();
        idle.removeAll(gone);
        return gone;
    }

    boolean known(String containerId) {
        return busy.containsKey(containerId) || idle.stream().anyMatch(c -> c.id.equals(containerId));
    }

    boolean knownOrReadying(String containerId) {
        return readying.contains(containerId) || known(containerId);
    }

    // ---- containers ------------------------------------------------------------------------------------------------

    /** The invocation on {@code container} is over; whether the container goes on is for {@link #place} or {@link #forget}. */
    void finished(Container container) {
        busy.remove(container.id);
    }

    /**
     * A container free again, or new: it serves the head of the queue, or waits idle (most recently used first), or,
     * while draining, goes.
     */
    Placement<W> place(Container container, long nowNanos) {
        container.lastUsedNanos = nowNanos;
        var next = queue.poll();
        if (next != null) {
            return occupy(container, next);
        }
        if (draining) {
            return new Discard<>();
        }
        idle.push(container);
        return new Idle<>();
    }

    /** The container is gone from the pool, wherever it was. */
    void forget(Container container) {
        idle.remove(container);
        busy.remove(container.id);
    }

    private Dispatch<W> occupy(Container container, W waiter) {
        busy.put(container.id, container);
        boolean coldStart = !container.served;
        container.served = true;
        return new Dispatch<>(container, waiter, coldStart);
    }

    /**
     * Removes and answers the idle containers unused for {@code idle-timeout}, least recently used last, sparing as
     * many of the most recently used as {@code min-warm} still asks for beside the busy ones.
     */
    List<Container> reap(long nowNanos) {
        long cutoff = nowNanos - idleTimeoutNanos;
        int keep = Math.max(0, minWarm - busy.size());
        var reaped = idle.stream().skip(keep).filter(c -> c.lastUsedNanos < cutoff).toList();
        idle.removeAll(reaped);
        return reaped;
    }

    /** Removes and answers the least recently used idle container, or null when none may go below {@code min-warm}. */
    Container evict() {
        var lru = idle.peekLast();
        if (lru != null && idle.size() + busy.size() > minWarm) {
            idle.removeLast();
            return lru;
        }
        return null;
    }

    /** Since when the least recently used evictable idle container has waited; {@code Long.MAX_VALUE} when none. */
    long oldestEvictableIdleNanos() {
        var lru = idle.peekLast();
        return lru == null || idle.size() + busy.size() <= minWarm ? Long.MAX_VALUE : lru.lastUsedNanos;
    }

    // ---- lifecycle -------------------------------------------------------------------------------------------------

    /** Settings live reload applies in place. */
    void reconfigure(int minWarm, int maxConcurrency) {
        this.minWarm = minWarm;
        this.maxConcurrency = maxConcurrency;
    }

    /**
     * From now on nothing is kept: min-warm asks for nothing and a free container with no waiter goes. Removes and
     * answers the idle containers.
     */
    List<Container> drain() {
        draining = true;
        var drained = List.copyOf(idle);
        idle.clear();
        return drained;
    }

    boolean draining() {
        return draining;
    }

    /** Nothing left: no container, waiter, start or adoption. */
    boolean empty() {
        return idle.isEmpty() && busy.isEmpty() && queue.isEmpty() && starting == 0 && adopting == 0;
    }

    int idle() {
        return idle.size();
    }

    int busy() {
        return busy.size();
    }

    int starting() {
        return starting;
    }

    int queued() {
        return queue.size();
    }

    long coldStarts() {
        return coldStarts;
    }
}
