package io.esb.cluster;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.typed.javadsl.Adapter;
import akka.serialization.SerializationExtension;
import io.esb.function.Invocation;
import io.esb.function.InvocationResult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/** Every message nodes exchange survives the wire whole, through the serializer Akka picks for it (esb-akka.conf). */
class ClusterSerializerTest {
    private static final ActorTestKit testKit = ActorTestKit.create(io.esb.config.EsbConfig.load(com.typesafe.config.ConfigFactory.empty()));

    @AfterAll
    static void stop() {
        testKit.shutdownTestKit();
    }

    private static Object roundTrip(Object message) {
        var serialization = SerializationExtension.get(Adapter.toClassic(testKit.system()));
        var serializer = serialization.findSerializerFor(message);
        assertThat(serializer).isInstanceOf(ClusterSerializer.class);
        var bytes = serializer.toBinary(message);
        return serialization.deserialize(bytes, serializer.identifier(), ((ClusterSerializer) serializer).manifest(message)).get();
    }

    @Test
    void anInvocationKeepsItsEventRequestIdContextAndCaller() {
        var caller = testKit.<ClusterInvoker.Reply>createTestProbe();
        var event = new byte[6 * 1024 * 1024 + 1]; // larger than the Invoke API allows, and than writeUTF could carry
        Arrays.fill(event, (byte) 'x');
        var sent = new FunctionHost.Invoke(42, new Invocation(event, "req-1", true, "{\"custom\":{\"k\":\"é\"}}"), caller.getRef());
        var received = (FunctionHost.Invoke) roundTrip(sent);
        assertThat(received.callId()).isEqualTo(42);
        assertThat(received.invocation().event()).isEqualTo(event);
        assertThat(received.invocation().requestId()).isEqualTo("req-1");
        assertThat(received.invocation().tailLogs()).isTrue();
        assertThat(received.invocation().clientContext()).isEqualTo("{\"custom\":{\"k\":\"é\"}}");
        assertThat(received.caller()).isEqualTo(caller.getRef());
        var noContext = (FunctionHost.Invoke) roundTrip(new FunctionHost.Invoke(1, new Invocation(new byte[0], "r"), caller.getRef()));
        assertThat(noContext.invocation().clientContext()).isNull();
        assertThat(noContext.invocation().event()).isEmpty();
    }

    @Test
    void repliesKeepEveryField() {
        assertThat(roundTrip(new ClusterInvoker.Accepted(7, "akka://esb@127.0.0.1:25521"))).isEqualTo(new ClusterInvoker.Accepted(7, "akka://esb@127.0.0.1:25521"));
        var answered = (ClusterInvoker.Answered) roundTrip(new ClusterInvoker.Answered(8, new InvocationResult.Completed(200,
                "{\"ok\":true}".getBytes(StandardCharsets.UTF_8), "application/json", true, "c0ffee", null)));
        assertThat(answered.callId()).isEqualTo(8);
        assertThat(new String(answered.result().body(), StandardCharsets.UTF_8)).isEqualTo("{\"ok\":true}");
        assertThat(answered.result()).extracting("status", "contentType", "coldStart", "containerId", "logTail")
                .containsExactly(200, "application/json", true, "c0ffee", null);
        var refused = new ClusterInvoker.Refused(9, new InvocationResult.Failed(InvocationResult.Reason.NODE_LOST, "gone", false));
        assertThat(roundTrip(refused)).isEqualTo(refused);
    }
}
