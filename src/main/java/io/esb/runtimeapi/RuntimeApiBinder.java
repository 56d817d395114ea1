package io.esb.runtimeapi;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.TimerScheduler;
import akka.http.javadsl.ServerBinding;
import io.esb.config.RuntimeApiSettings;
import io.esb.docker.DockerFailure;
import io.esb.docker.DockerOps;
import io.esb.docker.DockerReply;
import io.esb.docker.DockerSupervisor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;

import static net.logstash.logback.argument.StructuredArguments.kv;

/**
 * Puts the Runtime API on the air: learns the address where containers reach this host (the Docker network's gateway,
 * unless {@code esb.runtime-api.host} names one), binds the {@link RuntimeApiListener} there, and tries again while
 * Docker cannot tell or the port is taken. Never on all interfaces: the listener is for this host's containers only.
 */
public final class RuntimeApiBinder {
    private static final Logger log = LoggerFactory.getLogger(RuntimeApiBinder.class);
    private static final Duration RETRY_EVERY = Duration.ofSeconds(2);

    /**
     * @param host         an IPv4 address, or {@code auto}: the gateway address of {@code network} (empty: the bridge)
     * @param port         0: an ephemeral port
     * @param strangerWait how long a call from an address not (yet) registered waits for its container
     */
    public record Listen(String host, int port, String network, long maxResponseBytes, Duration strangerWait, Duration dockerAskTimeout) {}

    public sealed interface Command {}

    private record AddressLearned(DockerReply<DockerOps.NetworkAddresses> reply) implements Command {}

    private record BindDone(String host, ServerBinding binding, Throwable error) implements Command {}

    private enum Retry implements Command { INSTANCE }

    public static Behavior<Command> create(RuntimeApi api, Listen listen, ActorRef<DockerSupervisor.Command> docker) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new RuntimeApiBinder(ctx, timers, api, listen, docker).start()));
    }

    private final ActorContext<Command> ctx;
    private final TimerScheduler<Command> timers;
    private final RuntimeApi api;
    private final Listen listen;
    private final ActorRef<DockerSupervisor.Command> docker;
    private final RuntimeApiListener listener;
    private boolean warned;

    private RuntimeApiBinder(ActorContext<Command> ctx, TimerScheduler<Command> timers, RuntimeApi api, Listen listen,
                             ActorRef<DockerSupervisor.Command> docker) {
        this.ctx = ctx;
        this.timers = timers;
        this.api = api;
        this.listen = listen;
        this.docker = docker;
        this.listener = new RuntimeApiListener(api, ctx.getSystem(), listen.maxResponseBytes(), listen.strangerWait());
    }

    private Behavior<Command> start() {
        attempt();
        return Behaviors.receive(Command.class)
                .onMessage(AddressLearned.class, this::onAddressLearned)
                .onMessage(BindDone.class, this::onBindDone)
                .onMessageEquals(Retry.INSTANCE, () -> {
                    attempt();
                    return Behaviors.same();
                })
                .build();
    }

    private void attempt() {
        if (RuntimeApiSettings.AUTO.equals(listen.host())) {
            DockerSupervisor.ask(ctx, docker, listen.dockerAskTimeout(), "network-addresses", null,
                    DockerOps.networkAddresses(listen.network()), null, AddressLearned::new);
        } else {
            bind(listen.host());
        }
    }

    private Behavior<Command> onAddressLearned(AddressLearned learned) {
        if (learned.reply() instanceof DockerReply.Ok<DockerOps.NetworkAddresses> ok) {
            var host = LocalAddresses.onNetwork(ok.value());
            if (host != null) {
                bind(host);
            } else {
                retryLater("this host has no address on Docker network " + (listen.network().isEmpty() ? "bridge" : listen.network())
                        + " (gateway " + (ok.value().gateway() == null ? "not named" : ok.value().gateway()) + ", subnet " + ok.value().subnet() + "); set esb.runtime-api.host", false,
                        "Runtime API finds no address of this host on the containers' network", null);
            }
        } else {
            var failure = ((DockerReply.Failed<DockerOps.NetworkAddresses>) learned.reply()).failure();
            var reason = "Docker did not tell the bridge address: " + failure.message();
            retryLater(reason, failure.kind() != DockerFailure.Kind.REJECTED,
                    "Runtime API waits for Docker to learn where containers reach this host", null);
        }
        return Behaviors.same();
    }

    private void bind(String host) {
        ctx.pipeToSelf(listener.bind(ctx.getSystem(), host, listen.port()), (binding, error) -> new BindDone(host, binding, error));
    }

    private Behavior<Command> onBindDone(BindDone done) {
        if (done.error() != null) {
            retryLater("could not bind " + done.host() + ":" + listen.port() + ": " + done.error().getMessage(), false,
                    "Could not bind the Runtime API (esb.runtime-api.host, esb.runtime-api.port)", done.host());
            return Behaviors.same();
        }
        var address = done.binding().localAddress();
        log.info("Runtime API listening", kv("address", address.getHostString() + ":" + address.getPort()));
        api.listening(address);
        return Behaviors.same();
    }

    private void retryLater(String reason, boolean dockerUnavailable, String message, String host) {
        api.notListening(reason, dockerUnavailable);
        if (!warned) {
            warned = true;
            log.warn(message, kv("host", host == null ? listen.host() : host), kv("port", listen.port()), kv("error_detail", reason));
        }
        timers.startSingleTimer(Retry.INSTANCE, RETRY_EVERY);
    }
}
