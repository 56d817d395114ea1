package io.esb.schedule;

import akka.actor.testkit.typed.javadsl.TestProbe;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import io.esb.async.AsyncInvoker;
import io.esb.config.EsbSettings;
import io.esb.config.SettingsLoader;
import io.esb.function.FunctionActor;
import io.esb.function.FunctionTable;
import io.esb.testing.ActorTestKitSupport;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/** Schedules fire Event invocations into the async invoker (a probe here), on time in a sped-up schedule clock. */
class SchedulerTest extends ActorTestKitSupport {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static EsbSettings settings(String schedules) {
        return SettingsLoader.load(ConfigFactory.parseString("""
                esb.aws { region = "eu-west-1", account-id = "123456789012" }
                esb.async.schedule-time-scale = 600
                esb.functions.job { image = "esb-fixture:latest", schedules = %s }
                esb.functions.other { image = "esb-fixture:latest" }
                """.formatted(schedules)).withFallback(ConfigFactory.defaultReference()).resolve());
    }

    private static FunctionTable table(EsbSettings settings, long generation) {
        var refs = new java.util.HashMap<String, akka.actor.typed.ActorRef<FunctionActor.Command>>();
        for (var name : settings.functions().keySet()) {
            refs.put(name, testKit.<FunctionActor.Command>createTestProbe().ref());
        }
        return FunctionTable.of(generation, settings.functions(), refs);
    }

    @Test
    void aRateScheduleSendsEventBridgesScheduledEventOnTime() throws Exception {
        // rate(1 minute) at 600x: every 100 ms of the clock.
        var settings = settings("[ { expression = \"rate(1 minute)\", name = \"every-minute\" } ]");
        var async = testKit.createTestProbe(AsyncInvoker.Command.class);
        var started = System.nanoTime();
        testKit.spawn(Scheduler.create(settings, () -> table(settings, 1), async.ref(), Scheduler.Ownership.SINGLE_NODE, Clock.systemUTC()));

        var first = async.expectMessageClass(AsyncInvoker.Enqueue.class, Duration.ofSeconds(5));
        long firstMs = (System.nanoTime() - started) / 1_000_000;
        var second = async.expectMessageClass(AsyncInvoker.Enqueue.class, Duration.ofSeconds(5));
        first.replyTo().tell(new AsyncInvoker.Accepted());
        second.replyTo().tell(new AsyncInvoker.Accepted());

        assertThat(firstMs).isBetween(50L, 2000L);
        assertThat(first.functionName()).isEqualTo("job");
        assertThat(first.invocation().requestId()).isNotEqualTo(second.invocation().requestId());
        var event = JSON.readTree(first.invocation().event());
        assertThat(event.path("version").asText()).isEqualTo("0");
        assertThat(event.path("detail-type").asText()).isEqualTo("Scheduled Event");
        assertThat(event.path("source").asText()).isEqualTo("aws.events");
        assertThat(event.path("account").asText()).isEqualTo("123456789012");
        assertThat(event.path("region").asText()).isEqualTo("eu-west-1");
        assertThat(event.path("resources").get(0).asText()).isEqualTo("arn:aws:events:eu-west-1:123456789012:rule/every-minute");
        assertThat(event.path("detail").isObject() && event.path("detail").isEmpty()).isTrue();
        assertThat(event.path("id").asText()).hasSize(36);
        var time1 = Instant.parse(event.path("time").asText());
        var time2 = Instant.parse(JSON.readTree(second.invocation().event()).path("time").asText());
        // One minute apart in schedule time, whole seconds as EventBridge writes them.
        assertThat(Duration.between(time1, time2)).isEqualTo(Duration.ofMinutes(1));
    }

    @Test
    void theConfiguredInputIsSentAsIsAndDisabledSchedulesDoNotFire() {
        var settings = settings("""
                [ { expression = "rate(1 minute)", input = "{\\"job\\":\\"nightly\\"}" },
                  { expression = "rate(1 minute)", enabled = false, input = "{\\"job\\":\\"off\\"}" } ]""");
        var async = testKit.createTestProbe(AsyncInvoker.Command.class);
        testKit.spawn(Scheduler.create(settings, () -> table(settings, 1), async.ref(), Scheduler.Ownership.SINGLE_NODE, Clock.systemUTC()));
        for (int i = 0; i < 3; i++) {
            var enqueue = async.expectMessageClass(AsyncInvoker.Enqueue.class, Duration.ofSeconds(5));
            assertThat(new String(enqueue.invocation().event(), StandardCharsets.UTF_8)).isEqualTo("{\"job\":\"nightly\"}");
            enqueue.replyTo().tell(new AsyncInvoker.Accepted());
        }
    }

    @Test
    void aScheduleRemovedByAReloadStopsAndAnotherNodesScheduleNeverFiresHere() {
        var withSchedule = settings("[ { expression = \"rate(1 minute)\" } ]");
        var without = settings("[]");
        var current = new AtomicReference<>(table(withSchedule, 1));
        var async = testKit.createTestProbe(AsyncInvoker.Command.class);
        testKit.spawn(Scheduler.create(withSchedule, current::get, async.ref(), Scheduler.Ownership.SINGLE_NODE, Clock.systemUTC()));
        async.expectMessageClass(AsyncInvoker.Enqueue.class, Duration.ofSeconds(5));

        current.set(table(without, 2));
        // The table is checked every second: runs go on until the reload is seen, then stop.
        long giveUpAt = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (true) {
            try {
                async.receiveMessage(Duration.ofMillis(400));
            } catch (AssertionError quiet) {
                break;
            }
            assertThat(System.nanoTime()).as("runs stopped after the reload").isLessThan(giveUpAt);
        }
        async.expectNoMessage(Duration.ofMillis(500));

        var elsewhere = testKit.createTestProbe(AsyncInvoker.Command.class);
        testKit.spawn(Scheduler.create(withSchedule, () -> table(withSchedule, 1), elsewhere.ref(), (function, schedule) -> false, Clock.systemUTC()));
        elsewhere.expectNoMessage(Duration.ofMillis(500));
    }
}
