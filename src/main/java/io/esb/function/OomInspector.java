package io.esb.function;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import io.esb.docker.DockerOperation;
import io.esb.docker.DockerOps;
import io.esb.docker.DockerReply;
import io.esb.docker.DockerSupervisor;

import java.time.Duration;
import java.util.function.Function;

/**
 * A child of {@link FunctionActor} for one container that dropped its connection mid-invocation: inspects it until
 * Docker has recorded how it died, tells its parent whether the kernel killed it for memory, and stops. The connection
 * drops the moment the process dies and Docker records the exit a moment later, so a container still running is
 * inspected again on a timer, up to {@link FailureClassifier#OOM_CHECKS} times ({@link FailureClassifier#oomCheck}).
 */
final class OomInspector {
    /** A container that dropped its connection is inspected this often until Docker has recorded its exit. */
    static final Duration INSPECT_EVERY = Duration.ofMillis(100);

    sealed interface Command {}

    private record Inspected(int attempt, DockerReply<Boolean> reply) implements Command {}

    private record InspectAgain(int attempt) implements Command {}

    private OomInspector() {}

    /** {@code verdict}: the parent's message for whether the container was killed for memory. */
    static <T> Behavior<Command> create(ActorRef<DockerSupervisor.Command> docker, Duration askTimeout, String containerId,
                                        String requestId, ActorRef<T> parent, Function<Boolean, T> verdict) {
        var inspect = DockerOps.wasOomKilled(containerId);
        return Behaviors.setup(ctx -> {
            ask(ctx, docker, askTimeout, requestId, inspect, 1);
            return Behaviors.receive(Command.class)
                    .onMessage(InspectAgain.class, again -> {
                        ask(ctx, docker, askTimeout, requestId, inspect, again.attempt());
                        return Behaviors.same();
                    })
                    .onMessage(Inspected.class, inspected -> {
                        var oom = FailureClassifier.oomCheck(inspected.reply(), inspected.attempt());
                        if (oom == FailureClassifier.OomCheck.ASK_AGAIN) {
                            // Asked again on a timer, never by sleeping on the Docker dispatcher.
                            ctx.scheduleOnce(INSPECT_EVERY, ctx.getSelf(), new InspectAgain(inspected.attempt() + 1));
                            return Behaviors.same();
                        }
                        parent.tell(verdict.apply(oom == FailureClassifier.OomCheck.KILLED));
                        return Behaviors.stopped();
                    })
                    .build();
        });
    }

    private static void ask(ActorContext<Command> ctx, ActorRef<DockerSupervisor.Command> docker, Duration askTimeout, String requestId,
                            DockerOperation<Boolean> inspect, int attempt) {
        DockerSupervisor.ask(ctx, docker, askTimeout, "inspect", requestId, inspect, null, reply -> new Inspected(attempt, reply));
    }
}
