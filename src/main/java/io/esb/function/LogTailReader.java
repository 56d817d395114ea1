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
import java.time.Instant;

/**
 * A child of {@link FunctionActor} for one answer whose caller asked for the log tail ({@code LogType: Tail}): reads
 * the invocation's log lines from Docker, answers the caller with them, and stops. The runtime prints REPORT before it
 * answers, but Docker may not have read it yet: a read without it is repeated on a timer, a few times at most; past
 * them the caller gets what there is, and on a failed read the answer without a tail.
 */
final class LogTailReader {
    /** An invocation's log tail is read this often, this many times at most, until it reaches its REPORT line. */
    static final Duration READ_EVERY = Duration.ofMillis(50);
    static final int READS = 3;

    sealed interface Command {}

    private record Read(int attempt, DockerReply<String> reply) implements Command {}

    private record ReadAgain(int attempt) implements Command {}

    private LogTailReader() {}

    /** {@code functionTimeout}: how far back the invocation may have begun; older lines are cut away by its request id. */
    static Behavior<Command> create(ActorRef<DockerSupervisor.Command> docker, Duration askTimeout, InvocationResult.Completed completed,
                                    InvocationReply replyTo, String requestId, Duration functionTimeout) {
        long since = Instant.now().minus(functionTimeout).minusSeconds(2).getEpochSecond();
        var read = DockerOps.invocationLogs(completed.containerId(), since, requestId);
        return Behaviors.setup(ctx -> {
            ask(ctx, docker, askTimeout, requestId, read, 1);
            return Behaviors.receive(Command.class)
                    .onMessage(ReadAgain.class, again -> {
                        ask(ctx, docker, askTimeout, requestId, read, again.attempt());
                        return Behaviors.same();
                    })
                    .onMessage(Read.class, result -> {
                        if (result.reply() instanceof DockerReply.Ok<String> ok) {
                            if (!DockerOps.hasReport(ok.value(), requestId) && result.attempt() < READS) {
                                // Asked again on a timer, never by sleeping on the Docker dispatcher.
                                ctx.scheduleOnce(READ_EVERY, ctx.getSelf(), new ReadAgain(result.attempt() + 1));
                                return Behaviors.same();
                            }
                            replyTo.send(new InvocationResult.Completed(completed.status(), completed.body(), completed.contentType(),
                                    completed.coldStart(), completed.containerId(), ok.value()));
                        } else {
                            replyTo.send(completed);
                        }
                        return Behaviors.stopped();
                    })
                    .build();
        });
    }

    private static void ask(ActorContext<Command> ctx, ActorRef<DockerSupervisor.Command> docker, Duration askTimeout, String requestId,
                            DockerOperation<String> read, int attempt) {
        DockerSupervisor.ask(ctx, docker, askTimeout, "invocation-logs", requestId, read, null, reply -> new Read(attempt, reply));
    }
}
