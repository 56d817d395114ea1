package io.esb.async;

import io.esb.config.AsyncSettings;
import io.esb.config.ConfigException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * The one thread ({@code esb-event-journal}) that touches the {@link EventStore}, so no store call ever blocks an Akka
 * dispatcher. Changes that arrive while a commit is under way are committed together in the next transaction (a group
 * commit): each waits for one fsync, however many callers there are, and each caller's stage completes only after
 * its change is on disk.
 */
public final class EventJournal implements AutoCloseable {
    /** Changes committed in one transaction at most; a bound on how long one commit holds the others. */
    private static final int MAX_BATCH = 1000;
    static final String FILE_NAME = "events.db";

    private sealed interface Task {}

    private record Write(EventStore.Change change, CompletableFuture<Void> done) implements Task {}

    private record Read<T>(StoreCall<T> call, CompletableFuture<T> done) implements Task {}

    private record Stop() implements Task {}

    /** Work on the store, run on the journal's thread. */
    @FunctionalInterface
    interface StoreCall<T> {
        T run(EventStore store) throws SQLException;
    }

    private final EventStore store;
    private final BlockingQueue<Task> tasks = new LinkedBlockingQueue<>();
    private final Thread thread;
    private volatile boolean closed;

    private EventJournal(EventStore store) {
        this.store = store;
        this.thread = new Thread(this::run, "esb-event-journal");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /**
     * Opens the store under {@code esb.data-dir} (the directory is made on first start), one per gateway instance:
     * {@code <data-dir>/<instance-id>/events.db}. Fails with the key and the file named when the directory cannot be
     * made or the file is not an intact store.
     */
    public static EventJournal open(AsyncSettings settings, String instanceId) {
        var dir = settings.dataDir().resolve(instanceId);
        try {
            Files.createDirectories(dir);
        } catch (IOException | SecurityException e) {
            throw new ConfigException("esb.data-dir", "cannot create the data directory " + dir.toAbsolutePath() + ": " + e);
        }
        var file = dir.resolve(FILE_NAME);
        try {
            return new EventJournal(EventStore.open(file));
        } catch (SQLException e) {
            throw new ConfigException("esb.data-dir", "the event store " + file.toAbsolutePath() + " cannot be used (" + e.getMessage()
                    + "); it may hold accepted events, so it is not reset: restore it, or move it aside to start with an empty store");
        }
    }

    public Path file() {
        return store.file();
    }

    /** Commits {@code change}; the stage completes once it is durable, or fails with the store's error. */
    CompletionStage<Void> write(EventStore.Change change) {
        var done = new CompletableFuture<Void>();
        submit(new Write(change, done), done);
        return done;
    }

    /** Runs {@code call} on the journal's thread, after every change submitted before it is committed. */
    <T> CompletionStage<T> read(StoreCall<T> call) {
        var done = new CompletableFuture<T>();
        submit(new Read<>(call, done), done);
        return done;
    }

    private void submit(Task task, CompletableFuture<?> done) {
        if (closed) {
            done.completeExceptionally(new IllegalStateException("the event journal is closed"));
            return;
        }
        tasks.add(task);
    }

    private void run() {
        var batch = new ArrayList<Task>();
        var writes = new ArrayList<Write>();
        while (true) {
            try {
                batch.add(tasks.take());
            } catch (InterruptedException e) {
                return;
            }
            tasks.drainTo(batch, MAX_BATCH - 1);
            for (var task : batch) {
                if (task instanceof Write write) {
                    writes.add(write);
                    continue;
                }
                commit(writes);
                if (task instanceof Read<?> read) {
                    runRead(read);
                } else {
                    failRemaining();
                    store.close();
                    return;
                }
            }
            commit(writes);
            batch.clear();
        }
    }

    private void commit(List<Write> writes) {
        if (writes.isEmpty()) {
            return;
        }
        try {
            store.apply(writes.stream().map(Write::change).toList());
            writes.forEach(w -> w.done().complete(null));
        } catch (SQLException | RuntimeException e) {
            writes.forEach(w -> w.done().completeExceptionally(e));
        }
        writes.clear();
    }

    private <T> void runRead(Read<T> read) {
        try {
            read.done().complete(read.call().run(store));
        } catch (SQLException | RuntimeException e) {
            read.done().completeExceptionally(e);
        }
    }

    private void failRemaining() {
        Task task;
        while ((task = tasks.poll()) != null) {
            var error = new IllegalStateException("the event journal is closed");
            if (task instanceof Write write) {
                write.done().completeExceptionally(error);
            } else if (task instanceof Read<?> read) {
                read.done().completeExceptionally(error);
            }
        }
    }

    /** Commits what was submitted before, then closes the store; later calls fail at once. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        tasks.add(new Stop());
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
