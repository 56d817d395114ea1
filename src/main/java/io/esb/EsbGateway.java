package io.esb;

import akka.actor.typed.ActorSystem;
import akka.http.javadsl.ServerBinding;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.esb.config.EsbSettings;
import io.esb.config.SettingsLoader;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** A running gateway: settings validated first, then the actor system, then the HTTP binding. */
public final class EsbGateway implements AutoCloseable {
    private final ActorSystem<Void> system;
    private final ServerBinding binding;
    private final EsbSettings settings;

    private EsbGateway(ActorSystem<Void> system, ServerBinding binding, EsbSettings settings) {
        this.system = system;
        this.binding = binding;
        this.settings = settings;
    }

    /** Loads {@code ./application.conf} when present (or {@code -Dconfig.file}), then reference.conf. */
    public static Config loadConfig() {
        ConfigFactory.invalidateCaches();
        if (System.getProperty("config.file") == null && System.getProperty("config.resource") == null
                && new java.io.File("application.conf").isFile()) {
            return ConfigFactory.load(ConfigFactory.parseFile(new java.io.File("application.conf")));
        }
        return ConfigFactory.load();
    }

    /** Throws {@link io.esb.config.ConfigException} before anything starts when the configuration is bad. */
    public static EsbGateway start(Config config) throws Exception {
        var settings = SettingsLoader.load(config);
        io.esb.observability.LogOutput.apply(settings.logging()); // esb.logging.format, now that the config is read
        // The Docker dispatcher's size comes from esb.docker.max-workers (and so from ESB_DOCKER_MAX_WORKERS).
        // Values derived from the settings: the Docker dispatcher's size, and shutdown phases long enough for the drain.
        var withDispatcher = ConfigFactory.parseMap(java.util.Map.of(
                "esb.docker-dispatcher.thread-pool-executor.fixed-pool-size", settings.docker().maxWorkers(),
                "akka.coordinated-shutdown.phases.service-requests-done.timeout", (settings.shutdown().drainTimeout().toMillis() + 2000) + "ms",
                "akka.coordinated-shutdown.phases.service-stop.timeout", (settings.docker().clientTimeout().toMillis() + 5000) + "ms"))
                .withFallback(config);
        var bound = new CompletableFuture<ServerBinding>();
        var system = ActorSystem.create(Guardian.create(settings, bound), "esb", withDispatcher);
        try {
            return new EsbGateway(system, bound.get(30, TimeUnit.SECONDS), settings);
        } catch (Exception e) {
            system.terminate();
            throw e;
        }
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
        system.terminate();
        try {
            system.getWhenTerminated().toCompletableFuture().get(Duration.ofSeconds(30).toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("gateway did not stop within 30 s", e);
        }
    }
}
