package io.esb.runtimeapi;

import akka.actor.Cancellable;
import io.esb.container.InvokeOutcome;
import io.esb.container.InvokeRequest;
import io.esb.container.Readiness;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * One container's side of the Runtime API: the invocation it may fetch next, the one it is running, and its runtime's
 * long poll. A container runs one invocation at a time (the function's pool sees to it), so each slot holds at most
 * one. Called from the listener's threads and the function's, hence the lock; completions run outside it.
 */
final class RuntimeSession {

    /** An invocation handed to this container: its answer completes {@code outcome}. */
    static final class Delivery {
        final InvokeRequest request;
        final String traceId;
        final CompletableFuture<InvokeOutcome> outcome = new CompletableFuture<>();
        volatile long deadlineEpochMillis;
        volatile Cancellable timer;

        Delivery(InvokeRequest request, String traceId) {
            this.request = request;
            this.traceId = traceId;
        }

        String requestId() {
            return request.requestId();
        }
    }

    /** What the runtime's poll for its next invocation gets: now, or once one is offered. */
    sealed interface Next {}

    record Now(Delivery delivery) implements Next {}

    record Later(CompletableFuture<Delivery> delivery) implements Next {}

    final String containerId;
    private final CompletableFuture<Readiness> ready = new CompletableFuture<>();
    private CompletableFuture<Delivery> waitingPoll;
    private Delivery queued;
    private Delivery running;
    private boolean closed;

    RuntimeSession(String containerId) {
        this.containerId = containerId;
    }

    CompletionStage<Readiness> ready() {
        return ready;
    }

    /** Hands {@code delivery} to the runtime: to its waiting poll, or keeps it for the next one. */
    boolean offer(Delivery delivery) {
        CompletableFuture<Delivery> poll;
        synchronized (this) {
            if (closed || queued != null || running != null) {
                return false;
            }
            poll = waitingPoll;
            waitingPoll = null;
            if (poll == null) {
                queued = delivery;
                return true;
            }
            running = delivery;
        }
        poll.complete(delivery);
        return true;
    }

    /**
     * The runtime asks for its next invocation: the first poll also says it finished its init. A poll that arrives
     * while another waits replaces it (a runtime retrying after a dropped connection).
     */
    Next poll() {
        ready.complete(Readiness.READY);
        CompletableFuture<Delivery> replaced;
        CompletableFuture<Delivery> later;
        synchronized (this) {
            if (queued != null && !closed) {
                running = queued;
                queued = null;
                return new Now(running);
            }
            replaced = waitingPoll;
            later = new CompletableFuture<>();
            waitingPoll = later;
        }
        if (replaced != null) {
            replaced.cancel(false);
        }
        return new Later(later);
    }

    /** A waiting poll's connection closed: it no longer waits (an invocation offered later stays queued for the next). */
    void dropPoll(CompletableFuture<Delivery> poll) {
        synchronized (this) {
            if (waitingPoll == poll) {
                waitingPoll = null;
            }
        }
    }

    /** The runtime's answer for {@code requestId}; null when that is not the invocation it is running. */
    Delivery finish(String requestId) {
        synchronized (this) {
            if (running == null || !running.requestId().equals(requestId)) {
                return null;
            }
            var finished = running;
            running = null;
            return finished;
        }
    }

    /** The runtime reported that its init failed (the Runtime API's init/error). */
    void initFailed(byte[] errorPayload) {
        ready.complete(Readiness.initFailed(errorPayload, "its runtime reported an init error"));
    }

    /** The invocation's deadline passed: it leaves its slot (a late answer is refused). */
    boolean expire(Delivery delivery) {
        synchronized (this) {
            if (running == delivery) {
                running = null;
                return true;
            }
            if (queued == delivery) {
                queued = null;
                return true;
            }
            return false;
        }
    }

    boolean running() {
        synchronized (this) {
            return running != null;
        }
    }

    /**
     * Its runtime is gone (the last connection from the container closed and none came back): the invocation it was
     * running is lost now, not at its deadline. Null when nothing was running.
     */
    Delivery runtimeGone() {
        synchronized (this) {
            var lost = running;
            running = null;
            return lost;
        }
    }

    /** The container is discarded: nothing more is handed out, and what it held is answered by the caller. */
    Delivery[] close() {
        synchronized (this) {
            closed = true;
            var held = new Delivery[] {queued, running};
            queued = null;
            running = null;
            return held;
        }
    }
}
