package io.esb.function;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.TimerScheduler;
import io.esb.docker.DockerTimeouts;
import io.esb.config.EsbSettings;
import io.esb.config.FunctionSettings;
import io.esb.config.ImageBuild;
import io.esb.docker.DockerFailure;
import io.esb.docker.DockerOps;
import io.esb.docker.DockerReply;
import io.esb.docker.DockerSupervisor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayDeque;

import static net.logstash.logback.argument.StructuredArguments.kv;

/**
 * Builds the images of functions that come with a Dockerfile (SAM {@code Metadata}), one build at a time, through the
 * DockerSupervisor with the {@code esb.docker.build-timeout} deadline. While the daemon is unavailable a build waits
 * and is retried every probe interval; any other failure is final until the next start. After a build, the function's
 * containers that run an earlier image (same tag, same settings, so they would be adopted) are removed.
 *
 * <p>Such a function's actor is a {@link #gate}: until its image is built it answers every invocation 503 with the
 * reason (being built, waiting for Docker, or the build's error); once built, it starts the function's ordinary
 * {@link FunctionActor} as its child and hands every message on to it.
 */
public final class ImageBuilds {
    private static final Logger log = LoggerFactory.getLogger(ImageBuilds.class);

    public sealed interface Command {}

    /**
     * From a gate: build this function's image and report to {@code replyTo}. {@code removeStale = false} keeps the
     * function's containers of earlier images: they belong to a predecessor that is draining (live reload), which
     * removes them once their calls finish, and the new function actor does not adopt them.
     */
    public record Build(FunctionSettings function, ImageBuild build, ActorRef<Outcome> replyTo, boolean removeStale) implements Command {
        public Build(FunctionSettings function, ImageBuild build, ActorRef<Outcome> replyTo) {
            this(function, build, replyTo, true);
        }
    }

    private record Finished(Build build, DockerReply<String> reply, long startNanos) implements Command {}

    private record StaleRemoved(Build build, String imageId, DockerReply<Integer> reply) implements Command {}

    private enum Retry implements Command { INSTANCE }

    /** What a gate hears about its build. */
    public sealed interface Outcome {}

    public record Built(String imageId) implements Outcome {}

    /** The daemon is unavailable; the build is retried. */
    public record Waiting(String reason) implements Outcome {}

    public record BuildFailed(String reason) implements Outcome {}

    private ImageBuilds() {}

    public static Behavior<Command> create(EsbSettings settings, ActorRef<DockerSupervisor.Command> docker) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new Builder(ctx, timers, settings, docker).behavior()));
    }

    private static final class Builder {
        private final ActorContext<Command> ctx;
        private final TimerScheduler<Command> timers;
        private final EsbSettings settings;
        private final ActorRef<DockerSupervisor.Command> docker;
        private final ArrayDeque<Build> queue = new ArrayDeque<>();
        private Build current;
        private boolean waitLogged;

        Builder(ActorContext<Command> ctx, TimerScheduler<Command> timers, EsbSettings settings, ActorRef<DockerSupervisor.Command> docker) {
            this.ctx = ctx;
            this.timers = timers;
            this.settings = settings;
            this.docker = docker;
        }

        Behavior<Command> behavior() {
            return Behaviors.receive(Command.class)
                    .onMessage(Build.class, build -> {
                        queue.add(build);
                        startNext();
                        return Behaviors.same();
                    })
                    .onMessage(Finished.class, this::onFinished)
                    .onMessage(StaleRemoved.class, this::onStaleRemoved)
                    .onMessageEquals(Retry.INSTANCE, () -> {
                        attempt();
                        return Behaviors.same();
                    })
                    .build();
        }

        private void startNext() {
            if (current != null || queue.isEmpty()) {
                return;
            }
            current = queue.poll();
            waitLogged = false;
            var build = current.build();
            log.info("Image build started", kv("function_name", current.function().name()), kv("image", build.tag()),
                    kv("dockerfile", build.dockerfile().toString()), kv("context", build.context().toString()),
                    kv("build_args", build.buildArgs().keySet()));
            attempt();
        }

        private void attempt() {
            var request = current;
            var buildTimeout = settings.docker().buildTimeout();
            // The build aborts itself at build-timeout; the supervisor's deadline, a little later, is the backstop for a
            // call that hangs anyway (it then aborts that call alone, as for any stuck call).
            var deadline = DockerTimeouts.of(settings.docker()).build();
            long start = System.nanoTime();
            DockerSupervisor.ask(ctx, docker, io.esb.config.Timeouts.dockerAsk(settings.docker(), deadline.after()), "build-image", null,
                    DockerOps.buildImage(request.function().name(), request.build(), buildTimeout), deadline,
                    reply -> new Finished(request, reply, start));
        }

        private Behavior<Command> onFinished(Finished finished) {
            var request = finished.build();
            var name = request.function().name();
            var tag = request.build().tag();
            if (finished.reply() instanceof DockerReply.Ok<String> ok) {
                log.info("Image build finished", kv("function_name", name), kv("image", tag), kv("image_id", ok.value()),
                        kv("duration_ms", Duration.ofNanos(System.nanoTime() - finished.startNanos()).toMillis()));
                if (request.removeStale()) {
                    removeStaleContainers(request, ok.value());
                } else {
                    request.replyTo().tell(new Built(ok.value()));
                    next();
                }
                return Behaviors.same();
            }
            var failure = ((DockerReply.Failed<String>) finished.reply()).failure();
            if (failure.kind() == DockerFailure.Kind.UNAVAILABLE || failure.kind() == DockerFailure.Kind.OVERLOADED) {
                if (!waitLogged) {
                    waitLogged = true;
                    log.warn("Image build waits for the Docker daemon", kv("function_name", name), kv("image", tag),
                            kv("error_detail", failure.message()));
                }
                request.replyTo().tell(new Waiting(failure.message()));
                timers.startSingleTimer(Retry.INSTANCE, settings.docker().probeInterval());
                return Behaviors.same();
            }
            log.error("Image build failed for function '{}'", name, kv("function_name", name), kv("image", tag),
                    kv("error_detail", failure.message()));
            request.replyTo().tell(new BuildFailed(failure.message()));
            next();
            return Behaviors.same();
        }

        /**
         * Containers of an earlier build carry the same tag and settings, so the function would adopt them; they are
         * removed before the function starts, so every invocation runs the image just built.
         */
        private void removeStaleContainers(Build request, String imageId) {
            DockerSupervisor.ask(ctx, docker, settings.timeouts().dockerAsk(), "remove-stale-containers", null,
                    DockerOps.removeOtherImages(settings.docker().instanceId(), request.function().name(), imageId), null,
                    reply -> new StaleRemoved(request, imageId, reply));
        }

        private Behavior<Command> onStaleRemoved(StaleRemoved removed) {
            if (removed.reply() instanceof DockerReply.Failed<Integer> failed) {
                log.warn("Could not remove containers of the function's earlier image; they may be adopted",
                        kv("function_name", removed.build().function().name()), kv("error_detail", failed.failure().message()));
            }
            removed.build().replyTo().tell(new Built(removed.imageId()));
            next();
            return Behaviors.same();
        }

        private void next() {
            current = null;
            startNext();
        }
    }

    // ---- the gate in front of a function whose image is built ----

    /**
     * The actor of a function built from a Dockerfile: asks {@code builds} for its image, answers 503 until it is
     * built, then runs {@code function} (the ordinary FunctionActor behavior) as its child and forwards to it.
     * Typed {@code Object} so that it takes both FunctionActor commands and build outcomes; callers narrow its ref.
     */
    public static Behavior<Object> gate(FunctionSettings settings, ImageBuild build, ActorRef<Command> builds,
                                        Behavior<FunctionActor.Command> function) {
        return gate(settings, build, builds, function, true);
    }

    /** {@code removeStale}: see {@link Build}. */
    public static Behavior<Object> gate(FunctionSettings settings, ImageBuild build, ActorRef<Command> builds,
                                        Behavior<FunctionActor.Command> function, boolean removeStale) {
        return Behaviors.setup(ctx -> {
            builds.tell(new Build(settings, build, ctx.getSelf().narrow(), removeStale));
            return new Gate(ctx, settings, build, function).building(System.nanoTime(), null);
        });
    }

    private record Gate(ActorContext<Object> ctx, FunctionSettings settings, ImageBuild build, Behavior<FunctionActor.Command> function) {
        Behavior<Object> building(long sinceNanos, String waitingFor) {
            return notReady("building", () -> {
                var seconds = Duration.ofNanos(System.nanoTime() - sinceNanos).toSeconds();
                return waitingFor != null
                        ? "Image '" + build.tag() + "' of function '" + settings.name() + "' waits for the Docker daemon to build it: " + waitingFor
                        : "Image '" + build.tag() + "' of function '" + settings.name() + "' is being built (" + seconds
                                + " s so far); the function can be invoked once the build has finished";
            }).onMessage(Waiting.class, waiting -> building(sinceNanos, waiting.reason()))
                    .onMessage(Built.class, built -> ready())
                    .onMessage(BuildFailed.class, outcome -> failed("Image build of '" + build.tag() + "' for function '"
                            + settings.name() + "' failed: " + outcome.reason()))
                    .build();
        }

        Behavior<Object> failed(String reason) {
            return notReady("failed", () -> reason).build();
        }

        Behavior<Object> ready() {
            var child = ctx.spawn(function, "function");
            ctx.watch(child); // a drained function stops, and its gate with it (live reload)
            return Behaviors.receive(Object.class)
                    .onMessage(FunctionActor.Command.class, command -> {
                        child.tell(command);
                        return Behaviors.same();
                    })
                    .onSignal(akka.actor.typed.Terminated.class, stopped -> Behaviors.stopped())
                    .build();
        }

        private akka.actor.typed.javadsl.BehaviorBuilder<Object> notReady(String image, java.util.function.Supplier<String> reason) {
            return Behaviors.receive(Object.class)
                    .onMessage(FunctionActor.Invoke.class, invoke -> {
                        invoke.replyTo().send(new InvocationResult.Failed(InvocationResult.Reason.IMAGE_NOT_READY, reason.get(), false));
                        return Behaviors.same();
                    })
                    .onMessage(FunctionActor.GetStatus.class, get -> {
                        get.replyTo().tell(FunctionStatus.imageNotReady(settings.name(), image, reason.get()));
                        return Behaviors.same();
                    })
                    // Live reload removed or replaced the function before its image was built: no container to drain.
                    .onMessage(FunctionActor.Drain.class, drain -> Behaviors.stopped());
        }
    }
}
