package io.esb;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.Done;
import akka.actor.CoordinatedShutdown;
import akka.actor.typed.javadsl.AskPattern;
import akka.actor.typed.javadsl.Behaviors;
import io.esb.docker.DockerOps;
import io.esb.docker.DockerReply;
import akka.http.javadsl.Http;
import akka.http.javadsl.ServerBinding;
import io.esb.config.EsbSettings;
import io.esb.docker.DockerSupervisor;
import io.esb.function.AsyncInvoker;
import io.esb.function.ContainerBudget;
import io.esb.function.ContainerClient;
import io.esb.function.FunctionActor;
import io.esb.function.ImageBuilds;
import io.esb.http.ConfiguredRoutes;
import io.esb.http.GatewayHttp;
import io.esb.observability.GatewayMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static net.logstash.logback.argument.StructuredArguments.kv;

/**
 * The root of the actor tree. From here: the DockerSupervisor ("docker"), one FunctionActor per function
 * ("function-&lt;name&gt;"), and the HTTP binding that routes requests to them.
 */
public final class Guardian {
    private static final Logger log = LoggerFactory.getLogger(Guardian.class);

    private Guardian() {}

    /** Completes with the HTTP binding once the gateway listens, or with the bind failure. */
    public static Behavior<Void> create(EsbSettings settings, CompletableFuture<ServerBinding> bound) {
        return Behaviors.setup(ctx -> {
            var dockerState = DockerSupervisor.sharedState(settings);
            var metrics = GatewayMetrics.create(settings.metrics());
            metrics.watchDaemon(dockerState);
            ctx.getSystem().getWhenTerminated().thenRun(metrics::close);
            var docker = ctx.spawn(DockerSupervisor.create(settings, dockerState, metrics.docker()), "docker");
            var client = new ContainerClient(ctx.getSystem(), settings.containers(), settings.http().maxInvokePayloadBytes());
            var budget = ctx.spawn(ContainerBudget.create(settings.containers().maxTotal()), "container-budget");
            Map<String, ActorRef<FunctionActor.Command>> functions = new LinkedHashMap<>();
            settings.sam().logSummary();
            var builds = settings.sam().builds().isEmpty() ? null : ctx.spawn(ImageBuilds.create(settings, docker), "image-builds");
            for (var function : settings.functions().values()) {
                var behavior = FunctionActor.create(function, settings, docker, client, budget, metrics.function(function.name()));
                var build = settings.sam().builds().get(function.name());
                // A function built from a Dockerfile answers 503 behind a gate until its image exists.
                functions.put(function.name(), build == null ? ctx.spawn(behavior, "function-" + function.name())
                        : ctx.spawn(ImageBuilds.gate(function, build, builds, behavior), "function-" + function.name()).narrow());
            }
            var asyncInvoker = ctx.spawn(AsyncInvoker.create(settings, metrics), "async-invoker");
            if (settings.logging().containerLogs()) {
                ctx.spawn(io.esb.observability.ContainerLogs.create(settings), "container-logs"); // containers' stdout/stderr
            }
            var http = new GatewayHttp(ctx.getSystem(), settings, Map.copyOf(functions), asyncInvoker, ConfiguredRoutes.build(settings.functions().values()), dockerState,
                    metrics);
            Http.get(ctx.getSystem()).newServerAt(settings.http().iface(), settings.http().port())
                    .bind(http::handle)
                    .whenComplete((binding, error) -> {
                        if (error != null) {
                            log.error("Could not bind the HTTP port", kv("interface", settings.http().iface()),
                                    kv("port", settings.http().port()), kv("error_detail", error.getMessage()));
                            bound.completeExceptionally(error);
                            ctx.getSystem().terminate();
                        } else {
                            // SIGTERM: unbind, then let in-flight requests finish within the drain timeout.
                            binding.addToCoordinatedShutdown(settings.shutdown().drainTimeout(), ctx.getSystem());
                            log.info("Gateway listening", kv("address", "http://" + binding.localAddress().getHostString() + ":"
                                    + binding.localAddress().getPort()), kv("functions", functions.keySet()),
                                    kv("docker_host", settings.docker().host()));
                            bound.complete(binding);
                        }
                    });
            if (settings.shutdown().removeContainers()) {
                removeContainersOnShutdown(ctx.getSystem(), settings, docker);
            }
            return Behaviors.empty();
        });
    }

    /** Runs after the HTTP drain, so no invocation is cut short by its container disappearing. */
    private static void removeContainersOnShutdown(akka.actor.typed.ActorSystem<?> system, EsbSettings settings,
                                                   ActorRef<DockerSupervisor.Command> docker) {
        var instance = settings.docker().instanceId();
        CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseServiceStop(), "esb-remove-containers", () ->
                AskPattern.<DockerSupervisor.Command, DockerReply<Integer>>ask(docker,
                        replyTo -> new DockerSupervisor.Run<>("remove-all", null, DockerOps.removeAll(instance), replyTo),
                        settings.docker().clientTimeout().plusSeconds(2), system.scheduler())
                        .handle((reply, error) -> {
                            if (reply instanceof DockerReply.Ok<Integer> ok) {
                                log.info("Removed containers on shutdown", kv("removed", ok.value()), kv("instance", instance));
                            } else {
                                log.warn("Could not remove containers on shutdown; reconcile removes them on the next start",
                                        kv("error_detail", error != null ? error.getMessage() : ((DockerReply.Failed<Integer>) reply).failure().message()));
                            }
                            return Done.getInstance();
                        }));
    }
}
