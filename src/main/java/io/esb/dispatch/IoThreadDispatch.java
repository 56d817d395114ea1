package io.esb.dispatch;

import akka.dispatch.DispatcherPrerequisites;
import akka.dispatch.ExecutorServiceConfigurator;
import akka.dispatch.ExecutorServiceFactory;
import akka.dispatch.ForkJoinExecutorConfigurator;
import akka.dispatch.ThreadPoolExecutorConfigurator;
import com.typesafe.config.Config;

import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * Lets a thread that has just woken for I/O carry on with the work that I/O sets off, instead of handing it to a
 * parked dispatcher thread. On this project's 2-core machine each thread woken costs a call about 40 us, and a warm
 * call through the gateway woke two threads for nothing: the dispatcher after Akka IO's selector saw the request, and
 * again after a container connection's reader got the answer (BENCHMARKS.md, issue 17).
 *
 * <p>Two executors, named in {@code esb-akka.conf}:
 * <ul>
 *   <li>{@link DefaultDispatcher}, Akka's default dispatcher: a fork-join pool as Akka's own, except that a task
 *       submitted inside {@link #runHere} runs at once on the submitting thread (nested up to {@link #MAX_DEPTH}).</li>
 *   <li>{@link SelectorThread}, for Akka IO's select loop: runs each of its tasks inside {@link #runHere}, so the
 *       connection actor that reads a request, the HTTP stream that parses it and the route that hands it to a
 *       function run on the selector's thread.</li>
 * </ul>
 * A container connection's reader also runs the completion of its answer inside {@link #runHere}: the asker, the
 * HTTP stream that renders the response and the connection actor that writes it run on the reader.
 *
 * <p>Sound because what runs is the default dispatcher's work, which never blocks by the project's rule, and an
 * actor's mailbox still runs one message at a time whatever thread runs it. Operators can go back to Akka's own
 * executors in {@code application.conf} (README, "How it works").
 */
public final class IoThreadDispatch {
    /** Deep enough for selector → connection actor → HTTP stream → function actor; past it a task goes to the pool. */
    static final int MAX_DEPTH = 8;
    /** Per thread: how deep inline runs are nested, or -1 outside {@link #runHere}. */
    private static final ThreadLocal<int[]> DEPTH = ThreadLocal.withInitial(() -> new int[] {-1});

    private IoThreadDispatch() {}

    /** Runs {@code work}; the default dispatcher's tasks it submits run on this thread too. */
    public static void runHere(Runnable work) {
        var depth = DEPTH.get();
        int outer = depth[0];
        depth[0] = Math.max(0, outer);
        try {
            work.run();
        } finally {
            depth[0] = outer;
        }
    }

    /** Akka's default dispatcher: its fork-join pool, but a task submitted inside {@link #runHere} runs there. */
    public static final class DefaultDispatcher extends Wrapping {
        public DefaultDispatcher(Config config, DispatcherPrerequisites prerequisites) {
            super(config, prerequisites, new ForkJoinExecutorConfigurator(config.getConfig("fork-join-executor"), prerequisites),
                    IoThreadDispatch::runHereOrSubmit);
        }
    }

    /** Akka IO's select loop (a one-thread pool): each of its tasks runs inside {@link #runHere}. */
    public static final class SelectorThread extends Wrapping {
        public SelectorThread(Config config, DispatcherPrerequisites prerequisites) {
            super(config, prerequisites, new ThreadPoolExecutorConfigurator(config.getConfig("thread-pool-executor"), prerequisites),
                    (selectLoop, task) -> selectLoop.execute(() -> runHere(task)));
        }
    }

    /** Akka's own executor of a kind, each task submitted through {@code execute}. */
    private abstract static class Wrapping extends ExecutorServiceConfigurator {
        private final ExecutorServiceConfigurator pool;
        private final BiConsumer<ExecutorService, Runnable> execute;

        Wrapping(Config config, DispatcherPrerequisites prerequisites, ExecutorServiceConfigurator pool,
                BiConsumer<ExecutorService, Runnable> execute) {
            super(config, prerequisites);
            this.pool = pool;
            this.execute = execute;
        }

        @Override
        public ExecutorServiceFactory createExecutorServiceFactory(String id, ThreadFactory threadFactory) {
            var factory = pool.createExecutorServiceFactory(id, threadFactory);
            return () -> new Delegating(factory.createExecutorService(), execute);
        }
    }

    /**
     * Runs {@code task} here, one level deeper, inside {@link #runHere} and under {@link #MAX_DEPTH}; otherwise submits
     * it to {@code pool}. Every message sent on the default dispatcher passes here, so the thread's depth is read once.
     */
    private static void runHereOrSubmit(ExecutorService pool, Runnable task) {
        var depth = DEPTH.get();
        if (depth[0] < 0 || depth[0] >= MAX_DEPTH) {
            pool.execute(task);
            return;
        }
        depth[0]++;
        try {
            task.run();
        } finally {
            depth[0]--;
        }
    }

    /** An executor that submits through {@code execute} and leaves its life cycle to the pool it submits to. */
    private static final class Delegating extends AbstractExecutorService {
        private final ExecutorService pool;
        private final BiConsumer<ExecutorService, Runnable> execute;

        Delegating(ExecutorService pool, BiConsumer<ExecutorService, Runnable> execute) {
            this.pool = pool;
            this.execute = execute;
        }

        @Override
        public void execute(Runnable task) {
            execute.accept(pool, task);
        }

        @Override
        public void shutdown() {
            pool.shutdown();
        }

        @Override
        public List<Runnable> shutdownNow() {
            return pool.shutdownNow();
        }

        @Override
        public boolean isShutdown() {
            return pool.isShutdown();
        }

        @Override
        public boolean isTerminated() {
            return pool.isTerminated();
        }

        @Override
        public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
            return pool.awaitTermination(timeout, unit);
        }
    }
}
