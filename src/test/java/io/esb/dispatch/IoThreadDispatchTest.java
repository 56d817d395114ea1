package io.esb.dispatch;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Behaviors;
import akka.http.javadsl.Http;
import akka.http.javadsl.ServerBinding;
import akka.http.javadsl.model.HttpRequest;
import akka.http.javadsl.model.HttpResponse;
import io.esb.config.EsbConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse.BodyHandlers;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The gateway's own executors (esb-akka.conf), in a real actor system and a real Akka HTTP server over loopback. */
class IoThreadDispatchTest {
    private static final ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "dispatch-test",
            EsbConfig.load(com.typesafe.config.ConfigFactory.empty()));

    @AfterAll
    static void stop() {
        system.terminate();
    }

    @Test
    void insideRunHereAnActorsMessageIsHandledOnTheCallingThreadAndOutsideOnTheDispatcher() throws Exception {
        var handledOn = new java.util.concurrent.LinkedBlockingQueue<Thread>();
        var actor = system.systemActorOf(Behaviors.<String>receiveMessage(message -> {
            handledOn.add(Thread.currentThread());
            return Behaviors.same();
        }), "recorder", akka.actor.typed.Props.empty());
        actor.tell("first"); // handled once the actor has started, on the pool
        assertThat(handledOn.poll(5, TimeUnit.SECONDS)).isNotNull();

        var reader = new Thread(() -> IoThreadDispatch.runHere(() -> actor.tell("an answer")), "esb-container-io-test");
        reader.start();
        reader.join();
        assertThat(handledOn.poll(5, TimeUnit.SECONDS)).isSameAs(reader);

        var plain = new Thread(() -> actor.tell("from elsewhere"), "plain");
        plain.start();
        plain.join();
        assertThat(handledOn.poll(5, TimeUnit.SECONDS).getName()).contains("default-dispatcher");
    }

    @Test
    void nestedWorkRunsInlineOnlyUpToTheDepthLimitThenOnThePool() throws Exception {
        var threads = Collections.synchronizedList(new ArrayList<Thread>());
        var done = new CountDownLatch(1);
        var executor = system.executionContext();
        Runnable[] level = new Runnable[1];
        level[0] = () -> {
            threads.add(Thread.currentThread());
            if (threads.size() < IoThreadDispatch.MAX_DEPTH + 4) {
                executor.execute(level[0]);
            } else {
                done.countDown();
            }
        };
        var caller = new Thread(() -> IoThreadDispatch.runHere(() -> executor.execute(level[0])), "caller");
        caller.start();
        caller.join();
        assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
        List<Thread> seen = List.copyOf(threads);
        assertThat(seen.subList(0, IoThreadDispatch.MAX_DEPTH)).allMatch(t -> t == caller);
        assertThat(seen.get(IoThreadDispatch.MAX_DEPTH)).isNotSameAs(caller);
        assertThat(seen.get(IoThreadDispatch.MAX_DEPTH).getName()).contains("default-dispatcher");
    }

    @Test
    void anHttpRequestIsParsedAndHandledOnTheSelectLoopsThread() throws Exception {
        var handledOn = new CompletableFuture<String>();
        ServerBinding binding = Http.get(system).newServerAt("127.0.0.1", 0).bind((HttpRequest request) -> {
            handledOn.complete(Thread.currentThread().getName());
            return CompletableFuture.completedFuture(HttpResponse.create().withEntity("ok"));
        }).toCompletableFuture().get(10, TimeUnit.SECONDS);
        try {
            var response = HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + binding.localAddress().getPort() + "/")).build(), BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("ok");
            assertThat(handledOn.get(5, TimeUnit.SECONDS)).contains("esb-selector-dispatcher");
        } finally {
            binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }
}
