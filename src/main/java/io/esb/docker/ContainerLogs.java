package io.esb.docker;

import akka.actor.CoordinatedShutdown;
import akka.actor.typed.Behavior;
import akka.actor.typed.PostStop;
import akka.actor.typed.eventstream.EventStream;
import akka.actor.typed.javadsl.Behaviors;
import io.esb.config.EsbSettings;

/**
 * Owns the {@link ContainerLogFollowers} of this gateway (spawned by the Guardian when
 * {@code esb.logging.container-logs = on}). It only connects them to the actor system: a daemon that comes back after
 * an outage (DaemonState UP after DOWN on the event stream) makes them drop the reads opened before it, and
 * CoordinatedShutdown ends their streams. All reading happens in their streams on their own dispatcher, never here.
 */
public final class ContainerLogs {
    public sealed interface Command {}

    private record DaemonChanged(DaemonState state) implements Command {}

    private ContainerLogs() {}

    public static Behavior<Command> create(EsbSettings settings) {
        return Behaviors.setup(ctx -> {
            var followers = ContainerLogFollowers.start(ctx.getSystem(), settings.docker(), settings.containers().maxTotal());
            ctx.getSystem().eventStream().tell(new EventStream.Subscribe<>(DaemonState.class,
                    ctx.messageAdapter(DaemonState.class, DaemonChanged::new)));
            // After service-stop, so the last lines of containers removed at shutdown are still read.
            CoordinatedShutdown.get(ctx.getSystem()).addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(),
                    "esb-container-logs-stop", followers::close);
            var sawDown = new boolean[1];
            return Behaviors.receive(Command.class)
                    .onMessage(DaemonChanged.class, changed -> {
                        if (changed.state().down()) {
                            sawDown[0] = true;
                        } else if (changed.state().up()) {
                            if (sawDown[0]) {
                                followers.reconnect(); // reads from before the outage may be dead without knowing it
                            }
                            sawDown[0] = false;
                        }
                        return Behaviors.same();
                    })
                    .onSignal(PostStop.class, stopped -> {
                        followers.close();
                        return Behaviors.same();
                    })
                    .build();
        });
    }
}
