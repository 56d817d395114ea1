package io.esb;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.Done;
import akka.actor.CoordinatedShutdown;
import akka.actor.typed.javadsl.AskPattern;
import akka.actor.typed.javadsl.Behaviors;
import io.esb.docker.ContainerLogs;
import io.esb.docker.DockerMetrics;
import io.esb.docker.DockerOps;
import io.esb.docker.DockerReply;
import akka.http.javadsl.Http;
import akka.http.javadsl.ServerBinding;
import io.esb.config.EsbSettings;
import io.esb.docker.DockerSupervisor;
import io.esb.async.AsyncInvoker;
import io.esb.async.AsyncMetrics;
import io.esb.async.EventJournal;
import io.esb.schedule.Scheduler;
import io.esb.function.ContainerBudget;
import io.esb.container.ContainerClient;
import io.esb.function.ContainerChannels;
import io.esb.runtimeapi.RuntimeApi;
import io.esb.runtimeapi.RuntimeApiBinder;
import io.esb.cluster.ClusterNode;
import io.esb.cluster.ClusterView;
import io.esb.function.FunctionCalls;
import io.esb.function.FunctionRegistry;
import io.esb.function.FunctionTable;
import io.esb.function.ImageBuilds;
import io.esb.http.GatewayHttp;
import io.esb.observability.GatewayMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

import static net.logstash.logback.argument.StructuredArguments.kv;

/**
 * The root of the actor tree. From here: the DockerSupervisor ("docker"), the FunctionRegistry ("functions") with one
 * FunctionActor per function ("function-&lt;name&gt;-&lt;generation&gt;"), the Runtime API's binder ("runtime-api") that
 * pull-mode containers fetch their invocations from, the AsyncInvoker ("async-invoker") that delivers Event invocations
 * from the durable journal, the Scheduler ("scheduler") that fires the functions' schedules into it, and the HTTP
 * binding that routes requests to them. In a cluster ({@code esb.cluster}), also the "cluster-invoker" that sends each
 * invocation to its function's node, and the sharded FunctionHost entities under Akka's "/system/sharding/esb-function".
 */
public final class Guardian {
    private static final Logger log = LoggerFactory.getLogger(Guardian.class);

    private Guardian() {}

    /**
     * {@code bound} completes with the HTTP binding once the gateway listens, or with the bind failure; {@code registry}
     * with the actor that applies live reloads.
     */
    public static Behavior<Void> create(EsbSettings settings, EventJournal journal, CompletableFuture<ServerBinding> bound,
                                        CompletableFuture<ActorRef<FunctionRegistry.Command>> registry) {
        return Behaviors.setup(ctx -> {
            var dockerState = DockerSupervisor.sharedState(settings);
            var metrics = GatewayMetrics.create(settings.metrics());
            DockerMetrics.watchDaemon(metrics, dockerState);
            ctx.getSystem().getWhenTerminated().thenRun(metrics::close);
            var docker = ctx.spawn(DockerSupervisor.create(settings, dockerState, DockerMetrics.of(metrics)), "docker");
            var client = new ContainerClient(ctx.getSystem(), settings.containers(), settings.http().maxInvokePayloadBytes());
            // Pull mode: the Runtime API that containers' own runtime clients call, bound where they reach this host.
            var runtimeApi = new RuntimeApi(ctx.getSystem(), settings.containers().readinessTimeout(),
                    containerId -> containerStopped(ctx.getSystem(), settings, docker, containerId));
            var runtimeApiSettings = settings.runtimeApi();
            ctx.spawn(RuntimeApiBinder.create(runtimeApi, new RuntimeApiBinder.Listen(runtimeApiSettings.host(), runtimeApiSettings.port(),
                    settings.docker().network(), runtimeApiSettings.maxResponseBytes(), settings.containers().readinessTimeout(),
                    settings.timeouts().dockerAsk()), docker), "runtime-api");
            var channels = new ContainerChannels(client, runtimeApi);
            var budget = ctx.spawn(ContainerBudget.create(settings.containers().maxTotal()), "container-budget");
            settings.sam().logSummary();
            // Builds the images of functions that come with a Dockerfile (SAM); idle unless one is configured.
            var builds = ctx.spawn(ImageBuilds.create(settings, docker), "image-builds");
            var table = new AtomicReference<FunctionTable>();
            var tablePublished = new CompletableFuture<FunctionTable>();
            // A request reads the table once; a call arriving at a drained actor has this long to come (its body read).
            var drainGrace = settings.timeouts().drainGrace();
            registry.complete(ctx.spawn(FunctionRegistry.create(settings, docker, channels, budget, metrics, builds, dockerState, table,
                    tablePublished, drainGrace), "functions"));
            // In a cluster, every invocation goes to the node running its function (ClusterNode: sharding and the
            // "cluster-invoker"); alone, straight to the function's actor here.
            var clusterNode = settings.cluster().enabled() ? ClusterNode.start(ctx, settings, table::get, metrics) : null;
            var calls = clusterNode != null ? clusterNode.calls() : FunctionCalls.local(ctx.getSystem());
            // Event invocations: durable in the journal, delivered at least once, retried, dead-lettered when they give up.
            var asyncInvoker = ctx.spawn(AsyncInvoker.create(settings, journal, AsyncMetrics.of(metrics), metrics, table::get, calls,
                    java.time.Clock.systemUTC()), "async-invoker");
            if (clusterNode != null) {
                clusterNode.adoptLostNodesEvents(ctx, asyncInvoker);
            }
            // Schedules fire Event invocations through the async invoker: on one node of a cluster, the oldest.
            ctx.spawn(Scheduler.create(settings, table::get, asyncInvoker,
                    clusterNode != null ? clusterNode::firesSchedules : Scheduler.Ownership.SINGLE_NODE, java.time.Clock.systemUTC()), "scheduler");
            if (settings.logging().containerLogs()) {
                ctx.spawn(ContainerLogs.create(settings), "container-logs"); // containers' stdout/stderr
            }
            var http = new GatewayHttp(ctx.getSystem(), settings, table::get, calls, asyncInvoker, dockerState, metrics,
                    clusterNode != null ? clusterNode.view() : ClusterView.SINGLE_NODE);
            var system = ctx.getSystem();
            var functions = settings.functions().keySet();
            tablePublished.thenCompose(first -> Http.get(system).newServerAt(settings.http().iface(), settings.http().port())
                    .bind(http.handler(system))
                    .whenComplete((binding, error) -> {
                        if (error != null) {
                            log.error("Could not bind the HTTP port", kv("interface", settings.http().iface()),
                                    kv("port", settings.http().port()), kv("error_detail", error.getMessage()));
                            bound.completeExceptionally(error);
                            system.terminate();
                        } else {
                            // SIGTERM: unbind, then let in-flight requests finish within the drain timeout.
                            binding.addToCoordinatedShutdown(settings.shutdown().drainTimeout(), system);
                            log.info("Gateway listening", kv("address", "http://" + binding.localAddress().getHostString() + ":"
                                    + binding.localAddress().getPort()), kv("functions", functions),
                                    kv("docker_host", settings.docker().host()));
                            bound.complete(binding);
                        }
                    }));
            if (settings.shutdown().removeContainers() || clusterNode != null) {
                // A cluster node's functions move to other nodes as it leaves, so its containers would serve no one: it
                // always removes them, after handing its functions over (sharding's shutdown phases), so calls from
                // other nodes still find them until then.
                removeContainersOnShutdown(ctx.getSystem(), settings, docker, clusterNode != null
                        ? CoordinatedShutdown.PhaseBeforeActorSystemTerminate() : CoordinatedShutdown.PhaseServiceStop());
            }
            return Behaviors.empty();
        });
    }

    /** Whether Docker says the container stopped (or is gone); false when it cannot tell, as while the daemon is down. */
    private static java.util.concurrent.CompletionStage<Boolean> containerStopped(akka.actor.typed.ActorSystem<?> system, EsbSettings settings,
                                                                                   ActorRef<DockerSupervisor.Command> docker, String containerId) {
        return AskPattern.<DockerSupervisor.Command, DockerReply<Boolean>>ask(docker,
                        replyTo -> new DockerSupervisor.Run<>("inspect", null, DockerOps.wasOomKilled(containerId), replyTo),
                        settings.timeouts().dockerAsk(), system.scheduler())
                .handle((reply, error) -> reply instanceof DockerReply.Ok<Boolean> ok ? ok.value() != null
                        : reply instanceof DockerReply.Failed<Boolean> failed && failed.failure().kind() == io.esb.docker.DockerFailure.Kind.REJECTED);
    }

    /** Runs after the HTTP drain, so no invocation is cut short by its container disappearing. */
    private static void removeContainersOnShutdown(akka.actor.typed.ActorSystem<?> system, EsbSettings settings,
                                                   ActorRef<DockerSupervisor.Command> docker, String phase) {
        var instance = settings.docker().instanceId();
        CoordinatedShutdown.get(system).addTask(phase, "esb-remove-containers", () ->
                AskPattern.<DockerSupervisor.Command, DockerReply<Integer>>ask(docker,
                        replyTo -> new DockerSupervisor.Run<>("remove-all", null, DockerOps.removeAll(instance), replyTo),
                        settings.timeouts().dockerAsk(), system.scheduler())
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
