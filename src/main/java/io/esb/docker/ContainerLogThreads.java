package io.esb.docker;

import akka.dispatch.DispatcherPrerequisites;
import akka.dispatch.ExecutorServiceFactory;
import akka.dispatch.MonitorableThreadFactory;
import akka.dispatch.ThreadPoolExecutorConfigurator;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;

import java.util.concurrent.ThreadFactory;

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

    @Override
    public ExecutorServiceFactory createExecutorServiceFactory(String id, ThreadFactory threadFactory) {
        var named = threadFactory instanceof MonitorableThreadFactory akkaThreads
                ? akkaThreads.withName(ContainerLogFollowers.THREAD_PREFIX.substring(0, ContainerLogFollowers.THREAD_PREFIX.length() - 1))
                : threadFactory;
        return super.createExecutorServiceFactory(id, named);
    }
}
