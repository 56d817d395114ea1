package io.esb.reload;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.AskPattern;
import com.typesafe.config.Config;
import io.esb.config.ConfigException;
import io.esb.config.ConfigSource;
import io.esb.config.EsbSettings;
import io.esb.config.FunctionSettings;
import io.esb.config.SettingsLoader;
import io.esb.function.FunctionDiff;
import io.esb.function.FunctionRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static net.logstash.logback.argument.StructuredArguments.kv;

/**
 * Reads the configuration again and applies what can change live: the functions and their routes, from
 * {@code esb.functions} and the SAM template ({@code esb.sam.*}). A configuration that fails validation is rejected as a whole and the running one stays. Other changed keys
 * are reported as needing a restart and otherwise ignored. Reloads run one at a time on their own thread (reading
 * files blocks), never on an Akka dispatcher.
 */
public final class ConfigReloader implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ConfigReloader.class);
    private static final Duration APPLY_TIMEOUT = Duration.ofSeconds(30);

    public sealed interface Outcome {}

    /** {@code needsRestart}: changed keys outside esb.functions, which were ignored. */
    public record Applied(long generation, FunctionDiff diff, List<String> needsRestart) implements Outcome {}

    /** {@code key} is the offending key when one is known, else null. */
    public record Rejected(String key, String message) implements Outcome {}

    private final ConfigSource source;
    private final Config running;
    private final EsbSettings settings;
    private final ActorRef<FunctionRegistry.Command> registry;
    private final ActorSystem<?> system;
    private final java.util.function.Consumer<List<java.nio.file.Path>> filesRead;
    /** The SAM template as last applied; its summary is logged again when it changes. */
    private io.esb.config.sam.SamTemplate sam;
    private final ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
        var thread = new Thread(r, "esb-config-reload");
        thread.setDaemon(true);
        // Created by whichever thread asks first, maybe the JVM's signal thread, which has no context class loader;
        // Typesafe Config needs one to find reference.conf.
        thread.setContextClassLoader(ConfigReloader.class.getClassLoader());
        return thread;
    });

    /**
     * @param running  the configuration the gateway started with: changes to anything but the functions are
     *                 compared against it
     * @param settings  the settings the gateway started with
     * @param filesRead told, after each applied reload, which files the configuration now reads (to watch them)
     */
    public ConfigReloader(ConfigSource source, Config running, EsbSettings settings, ActorRef<FunctionRegistry.Command> registry,
                          ActorSystem<?> system, java.util.function.Consumer<List<java.nio.file.Path>> filesRead) {
        this.source = source;
        this.running = running;
        this.settings = settings;
        this.registry = registry;
        this.system = system;
        this.filesRead = filesRead;
        this.sam = settings.sam();
    }

    /** Queues a reload; {@code trigger} (e.g. "file-change", "SIGHUP") goes into its log lines. */
    public CompletableFuture<Outcome> reload(String trigger) {
        return CompletableFuture.supplyAsync(() -> reloadNow(trigger), executor);
    }

    private Outcome reloadNow(String trigger) {
        Config config;
        EsbSettings next;
        try {
            config = source.load();
            next = SettingsLoader.load(config);
            ReloadSettings.fromConfig(config);
            requireRunningAuth(next.functions());
        } catch (ConfigException e) {
            return rejected(trigger, e.key(), e.getMessage());
        } catch (com.typesafe.config.ConfigException e) {
            // Syntax errors, a missing file, unresolved substitutions: Typesafe's message names the file and line.
            return rejected(trigger, null, "Invalid configuration: " + String.valueOf(e.getMessage()).replace('\n', ' '));
        } catch (RuntimeException e) {
            return rejected(trigger, null, "Could not read the configuration: " + e);
        }
        var needsRestart = changedOutsideFunctions(running, config);
        var effective = settings.withFunctions(next.functions(), next.sam());
        FunctionRegistry.Result result;
        try {
            result = AskPattern.<FunctionRegistry.Command, FunctionRegistry.Result>ask(registry,
                            replyTo -> new FunctionRegistry.Apply(effective, replyTo), APPLY_TIMEOUT, system.scheduler())
                    .toCompletableFuture().get(APPLY_TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS);
        } catch (Exception e) {
            return rejected(trigger, null, "The function registry did not answer: " + e);
        }
        var applied = (FunctionRegistry.Applied) result;
        if (!next.sam().equals(sam)) {
            sam = next.sam();
            sam.logSummary();
        }
        filesRead.accept(source.watchedFiles(next));
        if (!needsRestart.isEmpty()) {
            log.warn("Configuration change needs a restart; ignored until then", kv("keys", needsRestart), kv("trigger", trigger));
        }
        var diff = applied.diff();
        log.info("Configuration reloaded", kv("added", diff.added()), kv("removed", diff.removed()), kv("changed", diff.changed()),
                kv("new_containers", diff.replaced()), kv("generation", applied.generation()), kv("trigger", trigger),
                kv("source", source.description()));
        return new Applied(applied.generation(), diff, needsRestart);
    }

    private Rejected rejected(String trigger, String key, String message) {
        if (key != null) {
            log.warn("Configuration reload rejected; the running configuration stays", kv("config_key", key), kv("error_detail", message),
                    kv("trigger", trigger), kv("source", source.description()));
        } else {
            log.warn("Configuration reload rejected; the running configuration stays", kv("error_detail", message),
                    kv("trigger", trigger), kv("source", source.description()));
        }
        return new Rejected(key, message);
    }

    /** esb.auth cannot change live, so a route with auth = jwt needs the running gateway to have auth on. */
    private void requireRunningAuth(Map<String, FunctionSettings> functions) {
        if (settings.auth().enabled()) {
            return;
        }
        for (var function : functions.values()) {
            for (int i = 0; i < function.routes().size(); i++) {
                if (function.routes().get(i).jwtAuth()) {
                    throw new ConfigException("esb.functions." + function.name() + ".routes[" + i + "].auth",
                            "is jwt, but the running gateway has no esb.auth.jwt-secret (esb.auth changes need a restart)");
                }
            }
        }
    }

    /**
     * Keys under {@code esb} whose value differs from the running configuration, sorted; the functions and the SAM
     * template they may come from are left out, as they change live.
     * Names of users and API keys are not secrets' values, but stay out of logs all the same.
     */
    static List<String> changedOutsideFunctions(Config before, Config after) {
        var a = leaves(before);
        var b = leaves(after);
        var keys = new TreeSet<String>();
        var all = new TreeSet<>(a.keySet());
        all.addAll(b.keySet());
        for (var key : all) {
            if (!Objects.equals(a.get(key), b.get(key))) {
                keys.add(key.startsWith("auth.users.") ? "esb.auth.users" : "esb." + key);
            }
        }
        return List.copyOf(keys);
    }

    private static Map<String, Object> leaves(Config root) {
        var result = new HashMap<String, Object>();
        if (root.hasPath("esb")) {
            var esb = root.getConfig("esb").withoutPath("functions").withoutPath("sam").withoutPath("docker-dispatcher");
            esb.entrySet().forEach(e -> result.put(e.getKey(), e.getValue().unwrapped()));
        }
        return result;
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
