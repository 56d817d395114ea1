package io.esb;

import akka.actor.typed.ActorSystem;
import akka.http.javadsl.ServerBinding;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.esb.config.ConfigSource;
import io.esb.config.EsbSettings;
import io.esb.config.SettingsLoader;
import io.esb.function.FunctionRegistry;
import io.esb.reload.ConfigReloader;
import io.esb.reload.ConfigWatcher;
import io.esb.reload.ReloadSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static net.logstash.logback.argument.StructuredArguments.kv;

/** A running gateway: settings validated first, then the actor system, then the HTTP binding. */
public final class EsbGateway implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EsbGateway.class);
    private final ActorSystem<Void> system;
    private final ServerBinding binding;
    private final EsbSettings settings;
    private final io.esb.async.EventJournal journal;
    /** Live reload; null when started from a bare Config. */
    private volatile ConfigReloader reloader;
    private volatile ConfigWatcher watcher;

    private EsbGateway(ActorSystem<Void> system, ServerBinding binding, EsbSettings settings, io.esb.async.EventJournal journal) {
        this.journal = journal;
        this.system = system;
        this.binding = binding;
        this.settings = settings;
    }

    /**
     * Throws {@link io.esb.config.ConfigException} before anything starts when the configuration is bad. No live reload.
     * {@code config} is layered as {@link io.esb.config.EsbConfig#load} does, or Akka's defaults replace the gateway's.
     */
    public static EsbGateway start(Config config) throws Exception {
        return start(config, null);
    }

    /**
     * Like {@link #start(Config)}, with live reload: {@link #reload} reads {@code source} again, and its files are
     * watched when {@code esb.reload.watch} is on.
     */
    public static EsbGateway start(ConfigSource source) throws Exception {
        return start(source.load(), source);
    }

    private static EsbGateway start(Config config, ConfigSource source) throws Exception {
        var settings = SettingsLoader.load(config);
        io.esb.observability.LogOutput.apply(settings.logging()); // esb.logging.format, now that the config is read
        var reloadSettings = ReloadSettings.fromConfig(config);
        // The Docker dispatcher's size comes from esb.docker.max-workers (and so from ESB_DOCKER_MAX_WORKERS).
        // Values derived from the settings: the Docker dispatcher's size, and shutdown phases long enough for the drain.
        var withDispatcher = ConfigFactory.parseMap(java.util.Map.of(
                "esb.docker-dispatcher.thread-pool-executor.fixed-pool-size", settings.docker().maxWorkers(),
                "akka.coordinated-shutdown.phases.service-requests-done.timeout", settings.timeouts().shutdownRequestsDone().toMillis() + "ms",
                "akka.coordinated-shutdown.phases.service-stop.timeout", settings.timeouts().shutdownServiceStop().toMillis() + "ms"))
                .withFallback(settings.cluster().enabled() ? io.esb.cluster.ClusterNode.akkaConfig(settings.cluster(), settings.docker().instanceId()).withFallback(config)
                        : io.esb.cluster.ClusterNode.loneNodeConfig(config));
        // Opened before anything starts: an unusable data directory or store stops startup, naming esb.data-dir and the file.
        var journal = io.esb.async.EventJournal.open(settings.async(), settings.docker().instanceId());
        var bound = new CompletableFuture<ServerBinding>();
        var registry = new CompletableFuture<akka.actor.typed.ActorRef<FunctionRegistry.Command>>();
        ActorSystem<Void> system;
        try {
            system = ActorSystem.create(Guardian.create(settings, journal, bound, registry), "esb", withDispatcher);
        } catch (RuntimeException e) {
            journal.close();
            throw e;
        }
        system.getWhenTerminated().thenRun(journal::close);
        EsbGateway gateway;
        try {
            gateway = new EsbGateway(system, bound.get(30, TimeUnit.SECONDS), settings, journal);
        } catch (Exception e) {
            system.terminate();
            throw e;
        }
        if (source != null) {
            gateway.startReload(source, config, reloadSettings, registry.get(5, TimeUnit.SECONDS));
        }
        return gateway;
    }

    private void startReload(ConfigSource source, Config config, ReloadSettings reloadSettings,
                             akka.actor.typed.ActorRef<FunctionRegistry.Command> registry) {
        reloader = new ConfigReloader(source, config, settings, registry, system, files -> {
            var w = watcher;
            if (w != null) {
                w.watch(files);
            }
        });
        var files = source.watchedFiles(settings);
        if (reloadSettings.watch() && !files.isEmpty()) {
            try {
                watcher = ConfigWatcher.start(files, reloadSettings.debounce(), () -> reload("file-change"));
            } catch (java.io.IOException | RuntimeException e) {
                log.warn("Cannot watch the configuration file; SIGHUP still reloads", kv("files", files.toString()),
                        kv("error_detail", String.valueOf(e)));
            }
        }
        system.getWhenTerminated().thenRun(this::stopReload);
    }

    private void stopReload() {
        var w = watcher;
        if (w != null) {
            w.close();
        }
        var r = reloader;
        if (r != null) {
            r.close();
        }
    }

    /**
     * Reads the configuration again and applies its functions and routes (see README, "Live reload"). Only for a
     * gateway started from a {@link ConfigSource}.
     */
    public CompletableFuture<ConfigReloader.Outcome> reload(String trigger) {
        var r = reloader;
        if (r == null) {
            throw new IllegalStateException("this gateway was started without a ConfigSource, so it cannot reload");
        }
        return r.reload(trigger);
    }

    /**
     * SIGHUP reloads the configuration (instead of the JVM's default, which is to exit). The signal handler is
     * process-wide; closing the returned handle puts the previous one back.
     */
    @SuppressWarnings("removal")
    public AutoCloseable installSighupHandler() {
        var hup = new sun.misc.Signal("HUP");
        var previous = sun.misc.Signal.handle(hup, signal -> {
            log.info("SIGHUP received; reloading the configuration");
            reload("SIGHUP");
        });
        return () -> sun.misc.Signal.handle(hup, previous);
    }

    public int port() {
        return binding.localAddress().getPort();
    }

    public EsbSettings settings() {
        return settings;
    }

    public ActorSystem<Void> system() {
        return system;
    }

    @Override
    public void close() {
        stopReload();
        system.terminate();
        try {
            system.getWhenTerminated().toCompletableFuture().get(Duration.ofSeconds(30).toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("gateway did not stop within 30 s", e);
        }
        // Also closed when the system terminates (SIGTERM), but on a callback that may run after this returns; once
        // close() returns, the store's files are settled (CdsTraining deletes them next).
        journal.close();
    }
}
