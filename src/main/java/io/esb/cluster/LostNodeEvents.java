package io.esb.cluster;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import akka.cluster.ClusterEvent;
import akka.cluster.typed.Cluster;
import akka.cluster.typed.Subscribe;
import io.esb.async.AsyncInvoker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static net.logstash.logback.argument.StructuredArguments.kv;

/**
 * When a node is removed from the cluster (downed after its loss, or gone), the oldest node still up takes over the
 * Event invocations queued in the lost node's store ("lost-node-events"), found by the instance id the node carried as
 * its role. That store is reachable when the nodes share {@code esb.data-dir} (one host, or shared storage);
 * otherwise the events wait there for their node to come back.
 */
public final class LostNodeEvents {
    private static final Logger log = LoggerFactory.getLogger(LostNodeEvents.class);
    /** The role each node carries: its instance id, which names its store under esb.data-dir. */
    static final String INSTANCE_ROLE = "esb-instance:";

    private LostNodeEvents() {}

    public static Behavior<ClusterEvent.MemberRemoved> create(ClusterNode node, ActorRef<AsyncInvoker.Command> asyncInvoker) {
        return Behaviors.setup(ctx -> {
            Cluster.get(ctx.getSystem()).subscriptions().tell(Subscribe.create(ctx.getSelf(), ClusterEvent.MemberRemoved.class));
            return Behaviors.receiveMessage(removed -> {
                if (node.oldestUpIsSelf()) {
                    for (var role : removed.member().getRoles()) {
                        if (role.startsWith(INSTANCE_ROLE)) {
                            var instance = role.substring(INSTANCE_ROLE.length());
                            log.info("Cluster node removed; taking over its queued Event invocations", kv("node", removed.member().address().toString()),
                                    kv("instance", instance));
                            asyncInvoker.tell(new AsyncInvoker.Adopt(instance));
                        }
                    }
                }
                return Behaviors.same();
            });
        });
    }
}
