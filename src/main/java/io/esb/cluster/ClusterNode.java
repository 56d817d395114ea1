package io.esb.cluster;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.AskPattern;
import akka.cluster.MemberStatus;
import akka.cluster.sharding.typed.ClusterShardingQuery;
import akka.cluster.sharding.typed.GetClusterShardingStats;
import akka.cluster.sharding.typed.ShardingEnvelope;
import akka.cluster.sharding.typed.ShardingMessageExtractor;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.sharding.typed.javadsl.Entity;
import akka.cluster.typed.Cluster;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.esb.config.ClusterSettings;
import io.esb.config.EsbSettings;
import io.esb.config.ScheduleSettings;
import io.esb.function.FunctionCalls;
import io.esb.function.FunctionTable;
import io.esb.function.Stages;
import io.esb.observability.GatewayMetrics;
import io.micrometer.core.instrument.Gauge;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import java.util.stream.StreamSupport;

/**
 * This gateway as a member of a cluster ({@code esb.cluster.enabled}): the Akka settings that make it one, the
 * function sharding, the "cluster-invoker" that every invocation goes through, and what the status page shows.
 */
public final class ClusterNode {
    /** Events and answers may be as large as the Invoke API allows (6 MB); Artery's default frame is 256 KiB. */
    private static final String LARGE_FRAME = "8MiB";
    /** The first of the stand-in serializers' identifiers (Akka reserves 0 to 40; ClusterSerializer is 1,720,001). */
    private static final int LONE_NODE_SERIALIZER_IDS = 1_720_100;

    private final FunctionCalls calls;
    private final ClusterView view;
    private final Cluster cluster;

    private ClusterNode(FunctionCalls calls, ClusterView view, Cluster cluster) {
        this.calls = calls;
        this.view = view;
        this.cluster = cluster;
    }

    /**
     * The Akka settings that turn this actor system into a cluster node, derived from {@code esb.cluster} only. Layered
     * above the operator's file, so the rest of {@code akka.cluster} stays theirs to tune.
     */
    public static Config akkaConfig(ClusterSettings cluster, String instanceId) {
        var seeds = cluster.seedNodes().stream().map(ClusterSettings::akkaAddress).toList();
        var values = new HashMap<String, Object>();
        values.put("akka.actor.provider", "cluster");
        values.put("akka.remote.artery.transport", "tcp");
        values.put("akka.remote.artery.canonical.hostname", cluster.host());
        values.put("akka.remote.artery.canonical.port", cluster.port());
        values.put("akka.cluster.seed-nodes", seeds);
        values.put("akka.cluster.roles", List.of(LostNodeEvents.INSTANCE_ROLE + instanceId));
        values.put("akka.cluster.downing-provider-class", "akka.cluster.sbr.SplitBrainResolverProvider");
        values.put("akka.cluster.split-brain-resolver.active-strategy", cluster.downingStrategy());
        values.put("akka.cluster.split-brain-resolver.stable-after", cluster.stableAfter().toMillis() + "ms");
        // Invocations and their answers travel on Artery's large-message channel, so a 6 MB event neither hits the
        // ordinary frame limit nor holds up the cluster's heartbeats behind it.
        values.put("akka.remote.artery.large-message-destinations", List.of("/system/sharding/" + FunctionHost.KEY.name(),
                "/system/sharding/" + FunctionHost.KEY.name() + "/*", "/system/sharding/" + FunctionHost.KEY.name() + "/*/*",
                "/user/cluster-invoker"));
        values.put("akka.remote.artery.advanced.maximum-large-frame-size", LARGE_FRAME);
        return ConfigFactory.parseMap(values);
    }

    /**
     * {@code config} for a lone gateway: the serializers of Akka's remoting and cluster modules replaced by a stand-in
     * ({@link LoneNodeSerializer}), and their bindings off ("none"). Akka makes every configured serializer, and loads every bound class,
     * when the actor system starts; theirs loaded some 500 classes (protobuf formats of the replicator, sharding,
     * singleton, pub-sub) that a lone gateway never uses: +0.3 s to healthy on a 2-core host
     * (bench/run.sh --only startup). Nothing is serialized without remoting. (Removing the keys would not do: Akka
     * falls back to reference.conf again.)
     */
    public static Config loneNodeConfig(Config config) {
        var overrides = new HashMap<String, Object>();
        var replaced = new java.util.HashSet<String>();
        int identifier = LONE_NODE_SERIALIZER_IDS;
        for (var entry : new java.util.TreeMap<>(config.getConfig("akka.actor.serializers").root()).entrySet()) {
            var className = String.valueOf(entry.getValue().unwrapped());
            if (className.startsWith("akka.cluster.") || className.startsWith("akka.remote.")) {
                replaced.add(entry.getKey());
                overrides.put(com.typesafe.config.ConfigUtil.joinPath("akka", "actor", "serializers", entry.getKey()), LoneNodeSerializer.class.getName());
                overrides.put(LoneNodeSerializer.IDS + "." + com.typesafe.config.ConfigUtil.quoteString(entry.getKey()), identifier++);
            }
        }
        for (var entry : config.getConfig("akka.actor.serialization-bindings").root().entrySet()) {
            if (replaced.contains(String.valueOf(entry.getValue().unwrapped()))) {
                overrides.put(com.typesafe.config.ConfigUtil.joinPath("akka", "actor", "serialization-bindings", entry.getKey()), "none");
            }
        }
        return ConfigFactory.parseMap(overrides).withFallback(config);
    }

    /** Starts the sharding of functions and the node's invoker under the guardian. */
    public static ClusterNode start(ActorContext<?> guardian, EsbSettings settings, Supplier<FunctionTable> functions, GatewayMetrics metrics) {
        var system = guardian.getSystem();
        var cluster = Cluster.get(system);
        var self = cluster.selfMember().address().toString();
        var sharding = ClusterSharding.get(system);
        sharding.init(Entity.of(FunctionHost.KEY, entity -> FunctionHost.create(entity.getEntityId(), self, functions, settings, system))
                .withMessageExtractor(new OneShardPerFunction()));
        var acceptTimeout = settings.cluster().acceptTimeout();
        var invoker = guardian.spawn(ClusterInvoker.create(sharding, acceptTimeout), "cluster-invoker");
        registerMetrics(metrics, cluster);
        return new ClusterNode(ClusterInvoker.calls(invoker, system.scheduler(), acceptTimeout),
                () -> snapshot(system, cluster, sharding), cluster);
    }

    public FunctionCalls calls() {
        return calls;
    }

    public ClusterView view() {
        return view;
    }

    /** Schedules fire on one node only: the oldest member that is up (it stays so until it leaves). */
    public boolean firesSchedules(String function, ScheduleSettings schedule) {
        return oldestUpIsSelf();
    }

    /** Whether this node is the oldest member that is up: the one that does what only one node should. */
    boolean oldestUpIsSelf() {
        var oldest = upMembers(cluster).stream().reduce((a, b) -> a.isOlderThan(b) ? a : b);
        return oldest.isPresent() && oldest.get().address().equals(cluster.selfMember().address());
    }

    /** Starts taking over the queued events of nodes that are lost ({@link LostNodeEvents}). */
    public void adoptLostNodesEvents(ActorContext<?> guardian, akka.actor.typed.ActorRef<io.esb.async.AsyncInvoker.Command> asyncInvoker) {
        guardian.spawn(LostNodeEvents.create(this, asyncInvoker), "lost-node-events");
    }

    private static List<akka.cluster.Member> upMembers(Cluster cluster) {
        return StreamSupport.stream(cluster.state().getMembers().spliterator(), false)
                .filter(m -> m.status() == MemberStatus.up()).toList();
    }

    private static void registerMetrics(GatewayMetrics metrics, Cluster cluster) {
        if (!metrics.enabled()) {
            return;
        }
        Gauge.builder("esb_cluster_members", () -> upMembers(cluster).size()).tag("status", "up")
                .description("Cluster members that are up, as this node sees them").register(metrics.registry());
        Gauge.builder("esb_cluster_members", () -> cluster.state().getUnreachable().size()).tag("status", "unreachable")
                .description("Cluster members this node cannot reach").register(metrics.registry());
    }

    private static CompletionStage<ClusterView.Snapshot> snapshot(ActorSystem<?> system, Cluster cluster, ClusterSharding sharding) {
        var state = cluster.state();
        var members = new ArrayList<ClusterView.Member>();
        for (var member : state.getMembers()) {
            members.add(new ClusterView.Member(member.address().toString(), member.status().toString().toLowerCase(),
                    !state.getUnreachable().contains(member)));
        }
        var leader = state.getLeader() == null ? null : state.getLeader().toString();
        var self = cluster.selfMember().address().toString();
        return Stages.plain(AskPattern.<ClusterShardingQuery, akka.cluster.sharding.ShardRegion.ClusterShardingStats>ask(sharding.shardState(),
                        replyTo -> new GetClusterShardingStats(FunctionHost.KEY, Duration.ofSeconds(2), replyTo), Duration.ofSeconds(3),
                        system.scheduler()))
                .handle((stats, error) -> {
                    var placed = new TreeMap<String, String>();
                    if (stats != null) {
                        stats.getRegions().forEach((address, region) -> region.getStats().keySet()
                                .forEach(function -> placed.put(function, address.toString())));
                    }
                    return new ClusterView.Snapshot(self, leader, members, new LinkedHashMap<>(placed));
                });
    }

    /** A function is its own shard, so the status page can say which node runs which function. */
    private static final class OneShardPerFunction extends ShardingMessageExtractor<ShardingEnvelope<FunctionHost.Command>, FunctionHost.Command> {
        @Override
        public String entityId(ShardingEnvelope<FunctionHost.Command> envelope) {
            return envelope.entityId();
        }

        @Override
        public String shardId(String entityId) {
            return entityId;
        }

        @Override
        public FunctionHost.Command unwrapMessage(ShardingEnvelope<FunctionHost.Command> envelope) {
            return envelope.message();
        }
    }
}
