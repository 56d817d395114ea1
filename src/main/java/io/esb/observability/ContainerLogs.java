package io.esb.observability;

import akka.Done;
import akka.actor.CoordinatedShutdown;
import akka.actor.typed.Behavior;
import akka.actor.typed.PostStop;
import akka.actor.typed.eventstream.EventStream;
import akka.actor.typed.javadsl.Behaviors;
import io.esb.config.EsbSettings;
import io.esb.docker.ContainerLogFollowers;
import io.esb.docker.DaemonState;

import java.util.concurrent.CompletableFuture;

/**
 * Owns the {@link ContainerLogFollowers} of this gateway (spawned by the Guardian when
 * {@code esb.logging.container-logs = on}). It only connects them to the actor system: a daemon that comes back
 * (DaemonState UP on the event stream) wakes them at once, and CoordinatedShutdown ends them, on a thread of their own
 * since closing waits for their threads. All reading happens on their threads, never on an Akka dispatcher.
 */
public final class ContainerLogs {
    public sealed interface Command {}

    private record DaemonChanged(DaemonState state) implements Command {}

    private ContainerLogs() {}

    public static Behavior<Command> create(EsbSettings settings) {
        return Behaviors.setup(ctx -> {
            var followers = ContainerLogFollowers.start(settings.docker(), settings.containers().maxTotal());
            ctx.getSystem().eventStream().tell(new EventStream.Subscribe<>(DaemonState.class,
                    ctx.messageAdapter(DaemonState.class, DaemonChanged::new)));
            // After service-stop, so the last lines of containers removed at shutdown are still read.
            CoordinatedShutdown.get(ctx.getSystem()).addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(),
                    "esb-container-logs-stop", () -> closeOffThread(followers));
            var sawDown = new boolean[1];
            return Behaviors.receive(Command.class)
                    .onMessage(DaemonChanged.class, changed -> {
                        if (changed.state().down()) {
                            sawDown[0] = true;
                        } else if (changed.state().up()) {
                            if (sawDown[0]) {
                                followers.reconnect(); // streams from before the outage may be dead without knowing it
                            } else {
                                followers.daemonUp();
                            }
                            sawDown[0] = false;
                        }
                        return Behaviors.same();
                    })
                    .onSignal(PostStop.class, stopped -> {
                        closeOffThread(followers);
                        return Behaviors.same();
                    })
                    .build();
        });
    }

    private static CompletableFuture<Done> closeOffThread(ContainerLogFollowers followers) {
        var done = new CompletableFuture<Done>();
        var closer = new Thread(() -> {
            try {
                followers.close();
            } finally {
                done.complete(Done.getInstance());
            }
        }, "esb-container-logs-stop");
        closer.setDaemon(true);
        closer.start();
        return done;
    }
}
