package io.esb.reload;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static net.logstash.logback.argument.StructuredArguments.kv;

/**
 * Watches the configuration files' directories (a file replaced by rename, as editors and config managers do, is seen
 * as well as one written in place) on its own daemon thread, and calls {@code onChange} once changes have settled for
 * {@code debounce}: an editor's save that touches the file several times becomes one reload.
 */
public final class ConfigWatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ConfigWatcher.class);

    private final WatchService watchService;
    private final Map<WatchKey, Path> directories = new java.util.concurrent.ConcurrentHashMap<>();
    private final Set<Path> files = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final Duration debounce;
    private final Runnable onChange;
    private final Thread thread;

    private ConfigWatcher(List<Path> watched, Duration debounce, Runnable onChange) throws IOException {
        this.debounce = debounce;
        this.onChange = onChange;
        this.watchService = FileSystems.getDefault().newWatchService();
        try {
            register(watched);
        } catch (IOException | RuntimeException e) {
            watchService.close();
            throw e;
        }
        this.thread = new Thread(this::run, "esb-config-watch");
        thread.setDaemon(true);
        thread.setContextClassLoader(ConfigWatcher.class.getClassLoader());
    }

    public static ConfigWatcher start(List<Path> files, Duration debounce, Runnable onChange) throws IOException {
        var watcher = new ConfigWatcher(files, debounce, onChange);
        watcher.thread.start();
        log.info("Watching the configuration for changes", kv("files", watcher.files.stream().map(Path::toString).toList()),
                kv("debounce_ms", debounce.toMillis()));
        return watcher;
    }

    /**
     * Watches these files too, for example a SAM template a reloaded configuration names. Files already watched stay
     * watched; at worst a file no longer used triggers a reload that changes nothing.
     */
    public void watch(List<Path> more) {
        try {
            var added = register(more);
            if (!added.isEmpty()) {
                log.info("Watching more files for configuration changes", kv("files", added.stream().map(Path::toString).toList()));
            }
        } catch (IOException | RuntimeException e) {
            log.warn("Cannot watch a configuration file; SIGHUP still reloads", kv("files", more.toString()), kv("error_detail", String.valueOf(e)));
        }
    }

    private synchronized List<Path> register(List<Path> watched) throws IOException {
        var added = new java.util.ArrayList<Path>();
        for (var file : watched) {
            var absolute = file.toAbsolutePath().normalize();
            if (!files.add(absolute)) {
                continue;
            }
            added.add(absolute);
            var directory = absolute.getParent();
            if (!directories.containsValue(directory)) {
                directories.put(directory.register(watchService, StandardWatchEventKinds.ENTRY_CREATE,
                        StandardWatchEventKinds.ENTRY_MODIFY, StandardWatchEventKinds.ENTRY_DELETE), directory);
            }
        }
        return added;
    }

    private void run() {
        long dueNanos = 0;
        boolean pending = false;
        try {
            while (true) {
                WatchKey key;
                if (!pending) {
                    key = watchService.take();
                } else {
                    long wait = dueNanos - System.nanoTime();
                    key = wait > 0 ? watchService.poll(wait, TimeUnit.NANOSECONDS) : null;
                }
                if (key != null) {
                    if (relevant(key)) {
                        pending = true;
                        dueNanos = System.nanoTime() + debounce.toNanos();
                    }
                    continue;
                }
                pending = false;
                try {
                    onChange.run();
                } catch (RuntimeException e) {
                    log.error("Configuration reload could not be started", kv("error_detail", String.valueOf(e)));
                }
            }
        } catch (ClosedWatchServiceException | InterruptedException stopped) {
            // closed: the gateway is stopping
        }
    }

    /**
     * An event for a watched file, or one the watcher could not keep up with. Names starting with ".." are the
     * swapped data directory of a Kubernetes ConfigMap volume, whose files are symlinks into it.
     */
    private boolean relevant(WatchKey key) {
        var directory = directories.get(key);
        boolean relevant = false;
        for (var event : key.pollEvents()) {
            if (event.kind() == StandardWatchEventKinds.OVERFLOW) {
                relevant = true;
            } else if (event.context() instanceof Path name && (directory == null // registered a moment ago, on another thread
                    || files.contains(directory.resolve(name)) || name.toString().startsWith(".."))) {
                relevant = true;
            }
        }
        if (!key.reset()) {
            log.warn("Stopped watching a configuration directory (it is gone); SIGHUP still reloads", kv("directory", String.valueOf(directory)));
            directories.remove(key);
        }
        return relevant;
    }

    @Override
    public void close() {
        try {
            watchService.close();
        } catch (IOException e) {
            log.debug("Closing the configuration watcher failed", kv("error_detail", e.getMessage()));
        }
    }
}
