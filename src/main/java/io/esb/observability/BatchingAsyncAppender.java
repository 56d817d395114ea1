package io.esb.observability;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import ch.qos.logback.core.spi.AppenderAttachable;
import ch.qos.logback.core.spi.AppenderAttachableImpl;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Hands log events to the attached appenders on a thread of its own, as logback's AsyncAppender does, but wakes that
 * thread once per burst instead of once per event. logback's worker takes events one at a time and parks whenever
 * the queue is empty, so each line (an access line and each line a function prints) woke it: profiled, several
 * context switches per request on the gateway's 2-core host. Here a logging thread wakes the worker only when it
 * sleeps; the worker then waits {@code lingerMillis} for the rest of the burst and writes it all in one go.
 * <p>
 * Nothing is dropped: when the queue is full a logging thread waits for room. Thread name and MDC are captured when
 * the event is logged. {@link #stop()} writes out everything queued before it returns.
 */
public final class BatchingAsyncAppender extends UnsynchronizedAppenderBase<ILoggingEvent> implements AppenderAttachable<ILoggingEvent> {
    private static final int MAX_BATCH = 1024;
    private static final long STOP_WAIT_MILLIS = 10_000;

    private final AppenderAttachableImpl<ILoggingEvent> appenders = new AppenderAttachableImpl<>();
    private int queueSize = 8192;
    private long lingerMillis = 5;
    private ArrayBlockingQueue<ILoggingEvent> queue;
    private Thread worker;
    /** Set by the worker just before it parks on an empty queue; a logging thread that sees it unparks the worker. */
    private volatile boolean workerIdle;

    public void setQueueSize(int queueSize) {
        this.queueSize = queueSize;
    }

    /** How long the worker, once woken, lets a burst gather before writing it (0: at once). */
    public void setLingerMillis(long lingerMillis) {
        this.lingerMillis = lingerMillis;
    }

    @Override
    public void start() {
        if (isStarted()) {
            return;
        }
        if (queueSize < 1) {
            addError("queueSize must be at least 1");
            return;
        }
        queue = new ArrayBlockingQueue<>(queueSize);
        worker = new Thread(this::drain, "esb-log-writer-" + getName());
        worker.setDaemon(true);
        super.start();
        worker.start();
    }

    @Override
    protected void append(ILoggingEvent event) {
        event.prepareForDeferredProcessing();
        try {
            queue.put(event);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            appenders.appendLoopOnAppenders(event); // rather than lose it: written by the caller
            return;
        }
        if (workerIdle) {
            LockSupport.unpark(worker);
        }
    }

    private void drain() {
        var batch = new ArrayList<ILoggingEvent>(MAX_BATCH);
        while (true) {
            queue.drainTo(batch, MAX_BATCH);
            if (!batch.isEmpty()) {
                for (var event : batch) {
                    appenders.appendLoopOnAppenders(event);
                }
                batch.clear();
                continue;
            }
            if (!isStarted()) {
                return; // stopped, and everything queued is written
            }
            workerIdle = true;
            if (queue.isEmpty() && isStarted()) {
                LockSupport.parkNanos(this, TimeUnit.SECONDS.toNanos(1));
            }
            workerIdle = false;
            if (lingerMillis > 0 && isStarted()) {
                LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(lingerMillis));
            }
        }
    }

    @Override
    public void stop() {
        if (!isStarted()) {
            return;
        }
        super.stop();
        LockSupport.unpark(worker);
        try {
            worker.join(STOP_WAIT_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (worker.isAlive()) {
            addWarn("the log writer did not finish within " + STOP_WAIT_MILLIS + " ms; " + queue.size() + " events not written");
        }
        appenders.detachAndStopAllAppenders();
    }

    // AppenderAttachable: the appenders that write what this one queues.

    @Override
    public void addAppender(Appender<ILoggingEvent> appender) {
        appenders.addAppender(appender);
    }

    @Override
    public Iterator<Appender<ILoggingEvent>> iteratorForAppenders() {
        return appenders.iteratorForAppenders();
    }

    @Override
    public Appender<ILoggingEvent> getAppender(String name) {
        return appenders.getAppender(name);
    }

    @Override
    public boolean isAttached(Appender<ILoggingEvent> appender) {
        return appenders.isAttached(appender);
    }

    @Override
    public void detachAndStopAllAppenders() {
        appenders.detachAndStopAllAppenders();
    }

    @Override
    public boolean detachAppender(Appender<ILoggingEvent> appender) {
        return appenders.detachAppender(appender);
    }

    @Override
    public boolean detachAppender(String name) {
        return appenders.detachAppender(name);
    }
}
