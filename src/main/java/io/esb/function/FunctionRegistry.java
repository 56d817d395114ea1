package io.esb.function;


import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import io.esb.config.EsbSettings;
import io.esb.config.FunctionSettings;
import io.esb.docker.DockerSupervisor;
import io.esb.observability.GatewayMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

import static net.logstash.logback.argument.StructuredArguments.kv;

/**
 * Owns the FunctionActors and publishes the {@link FunctionTable} the HTTP layer reads. On {@link Apply} (a live
 * reload) it diffs the functions: new ones get an actor, removed ones drain, ones whose containers change get a new
 * actor while the old one drains, and the rest take their new settings in place. The new table is published before
 * any actor is told to drain, so from then on new calls never reach a draining actor.
 *
 * <p>Actors are named {@code function-<name>-<generation>}: a replaced function's old and new actors live side by
 * side until the old one has drained.
 */
public final class FunctionRegistry {
    private static final Logger log = LoggerFactory.getLogger(FunctionRegistry.class);

    public sealed interface Command {}

    /**
     * Applies new settings. Only their functions may differ from the running ones: the reloader keeps everything
     * else as the gateway started (those keys need a restart), and new actors are created with these settings.
     */
    public record Apply(EsbSettings settings, ActorRef<Result> replyTo) implements Command {}

    public sealed interface Result {}

    /** {@code generation} is the table now published (unchanged when the diff is empty). */
    public record Applied(long generation, FunctionDiff diff) implements Result {}

    private record Stopped(String name, ActorRef<FunctionActor.Command> ref) implements Command {}

    /**
     * @param metrics    each function's meters; a removed function's are dropped once its last actor has stopped
     * @param builds     builds the images of functions that come with a Dockerfile (SAM); null when none can
     * @param published  where the current table is published; set before {@code started} completes
     * @param started    completes once the startup functions have actors and the first table is published
     * @param drainGrace how long a drained actor lingers for calls from requests that looked the function up just
     *                   before a reload (their body was still arriving)
     */
    public static Behavior<Command> create(EsbSettings settings, ActorRef<DockerSupervisor.Command> docker, ContainerChannels channels,
                                           ActorRef<ContainerBudget.Command> budget, GatewayMetrics metrics,
                                           ActorRef<ImageBuilds.Command> builds, DockerSupervisor.Shared dockerState,
                                           AtomicReference<FunctionTable> published, CompletableFuture<FunctionTable> started,
                                           Duration drainGrace) {
        return Behaviors.setup(ctx -> {
            var registry = new FunctionRegistry(ctx, settings, docker, channels, budget, metrics, builds, dockerState, published, drainGrace);
            started.complete(published.get());
            return registry.behavior();
        });
    }

    private final ActorContext<Command> ctx;
    private final ActorRef<DockerSupervisor.Command> docker;
    private final ContainerChannels channels;
    private final ActorRef<ContainerBudget.Command> budget;
    private final GatewayMetrics metrics;
    private final ActorRef<ImageBuilds.Command> builds;
    private final DockerSupervisor.Shared dockerState;
    private final AtomicReference<FunctionTable> published;
    private final Duration drainGrace;
    private EsbSettings settings;
    private long generation = 1;
    private Map<String, ActorRef<FunctionActor.Command>> live = new LinkedHashMap<>();
    /** Actors told to drain, with the settings they run under, until they stop. */
    private final Map<ActorRef<FunctionActor.Command>, FunctionSettings> draining = new HashMap<>();

    private FunctionRegistry(ActorContext<Command> ctx, EsbSettings settings, ActorRef<DockerSupervisor.Command> docker,
                             ContainerChannels channels, ActorRef<ContainerBudget.Command> budget, GatewayMetrics metrics,
                             ActorRef<ImageBuilds.Command> builds, DockerSupervisor.Shared dockerState,
                             AtomicReference<FunctionTable> published, Duration drainGrace) {
        this.ctx = ctx;
        this.settings = settings;
        this.docker = docker;
        this.channels = channels;
        this.budget = budget;
        this.metrics = metrics;
        this.builds = builds;
        this.dockerState = dockerState;
        this.published = published;
        this.drainGrace = drainGrace;
        for (var function : settings.functions().values()) {
            live.put(function.name(), spawn(function, true));
        }
        published.set(FunctionTable.of(generation, settings.functions(), live));
        publishSpecs();
    }

    private Behavior<Command> behavior() {
        return Behaviors.receive(Command.class)
                .onMessage(Apply.class, this::onApply)
                .onMessage(Stopped.class, this::onStopped)
                .build();
    }

    private Behavior<Command> onApply(Apply apply) {
        var next = apply.settings();
        var diff = FunctionDiff.between(settings.functions(), next.functions(), settings.sam().builds(), next.sam().builds());
        if (diff.isEmpty()) {
            apply.replyTo().tell(new Applied(generation, diff));
            return Behaviors.same();
        }
        // SettingsLoader validated the routes: FunctionTable.of below cannot fail on them.
        var previous = settings.functions();
        var refs = new LinkedHashMap<String, ActorRef<FunctionActor.Command>>();
        var toDrain = new LinkedHashMap<ActorRef<FunctionActor.Command>, FunctionSettings>();
        generation++;
        settings = next;
        for (var function : next.functions().values()) {
            var name = function.name();
            if (diff.added().contains(name) || diff.replaced().contains(name)) {
                // Running containers of this name and spec belong to a predecessor that drains (already, or from now on).
                var predecessor = previous.get(name);
                boolean predecessorsContainers = drainingWithSpec(name, function.containerSpecHash())
                        || (predecessor != null && predecessor.containerSpecHash().equals(function.containerSpecHash()));
                refs.put(name, spawn(function, !predecessorsContainers));
                if (predecessor != null) {
                    toDrain.put(live.get(name), predecessor);
                }
            } else {
                refs.put(name, live.get(name));
                if (diff.updated().contains(name)) {
                    live.get(name).tell(new FunctionActor.Reconfigure(function));
                }
            }
        }
        for (var name : diff.removed()) {
            toDrain.put(live.get(name), previous.get(name));
        }
        // Published first: from here on no new call reaches an actor that is about to drain.
        published.set(FunctionTable.of(generation, next.functions(), refs));
        live = refs;
        toDrain.forEach((ref, function) -> {
            draining.put(ref, function);
            ref.tell(new FunctionActor.Drain(drainGrace, refs.containsKey(function.name())));
        });
        publishSpecs();
        apply.replyTo().tell(new Applied(generation, diff));
        return Behaviors.same();
    }

    private Behavior<Command> onStopped(Stopped stopped) {
        if (draining.remove(stopped.ref()) != null) {
            log.debug("Drained function actor stopped", kv("function_name", stopped.name()), kv("actor", stopped.ref().path().name()));
            publishSpecs();
            if (!live.containsKey(stopped.name()) && draining.values().stream().noneMatch(f -> f.name().equals(stopped.name()))) {
                FunctionMetrics.remove(metrics, stopped.name()); // removed, and its last actor is gone: its series go too
            }
        } else if (stopped.ref().equals(live.get(stopped.name()))) {
            log.error("Function actor stopped unexpectedly; calls to the function fail until the gateway restarts",
                    kv("function_name", stopped.name()), kv("actor", stopped.ref().path().name()));
        }
        return Behaviors.same();
    }

    private ActorRef<FunctionActor.Command> spawn(FunctionSettings function, boolean adoptRunning) {
        var name = "function-" + function.name() + "-" + generation;
        var behavior = FunctionActor.create(function, settings, docker, channels.forMode(function.mode()), budget, FunctionMetrics.of(metrics, function.name()), adoptRunning);
        var build = settings.sam().builds().get(function.name());
        // A function built from a Dockerfile answers 503 behind a gate until its image exists.
        ActorRef<FunctionActor.Command> ref = build == null || builds == null ? ctx.spawn(behavior, name)
                : ctx.spawn(ImageBuilds.gate(function, build, builds, behavior, adoptRunning), name).narrow();
        ctx.watchWith(ref, new Stopped(function.name(), ref));
        return ref;
    }

    /** A predecessor of this name with these containers is still draining: its running containers are its own. */
    private boolean drainingWithSpec(String name, String specHash) {
        return draining.values().stream().anyMatch(f -> f.name().equals(name) && f.containerSpecHash().equals(specHash));
    }

    /** Tells reconcile which containers are live: the configured functions' and those still draining. */
    private void publishSpecs() {
        if (dockerState == null) {
            return;
        }
        var specs = new HashMap<String, Set<String>>();
        for (var function : settings.functions().values()) {
            specs.computeIfAbsent(function.name(), n -> new HashSet<>()).add(function.containerSpecHash());
        }
        for (var function : draining.values()) {
            specs.computeIfAbsent(function.name(), n -> new HashSet<>()).add(function.containerSpecHash());
        }
        dockerState.liveSpecs(specs);
    }
}
