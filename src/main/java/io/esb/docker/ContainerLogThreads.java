package io.esb.docker;

import akka.dispatch.DispatcherPrerequisites;
import akka.dispatch.ExecutorServiceFactory;
import akka.dispatch.ThreadPoolExecutorConfigurator;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The executor of {@value ContainerLogFollowers#DISPATCHER}: Akka's thread pool, sized from
 * {@code esb.containers.max-total} (each followed container holds a thread while it waits for output) plus spares for
 * containers still being removed while new ones start and for the events stream, its threads named
 * {@value ContainerLogFollowers#THREAD_PREFIX}N so a container's lines show who read them.
 */
public final class ContainerLogThreads extends ThreadPoolExecutorConfigurator {
    /** Threads beyond the container cap: containers still being removed while new ones start, and the events stream. */
    static final int SPARE = 10;

    public ContainerLogThreads(Config config, DispatcherPrerequisites prerequisites) {
        super(sized(config, prerequisites.settings().config()), prerequisites);
    }

    private static Config sized(Config dispatcher, Config root) {
        int threads = root.getInt("esb.containers.max-total") + SPARE;
        return dispatcher.getConfig("thread-pool-executor").withValue("fixed-pool-size", ConfigValueFactory.fromAnyRef(threads));
    }

    /** Akka's threads (daemon or not as it says, its error handler), renamed: Akka would add the system and the dispatcher id. */
    @Override
    public ExecutorServiceFactory createExecutorServiceFactory(String id, ThreadFactory akkaThreads) {
        var ids = new AtomicInteger();
        ThreadFactory named = runnable -> {
            var thread = akkaThreads.newThread(runnable);
            thread.setName(ContainerLogFollowers.THREAD_PREFIX + ids.incrementAndGet());
            return thread;
        };
        return super.createExecutorServiceFactory(id, named);
    }
}
