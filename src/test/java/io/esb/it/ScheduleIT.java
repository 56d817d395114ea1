package io.esb.it;

import io.esb.testing.Docker;
import io.esb.testing.Eventually;
import io.esb.testing.GatewayUnderTest;
import io.esb.testing.LogCapture;
import io.esb.testing.RequiresDocker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.time.Instant;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** A schedule on the real daemon: it fires on time, through the durable queue, and its input reaches the function. */
@ExtendWith(RequiresDocker.class)
@Timeout(120)
class ScheduleIT {
    @Test
    void aRateScheduleRunsTheFunctionOnTimeWithItsInput() throws Exception {
        var instance = GatewayUnderTest.newInstanceId("it-schedule");
        try (var logs = new LogCapture(); var gw = GatewayUnderTest.start(instance, """
                esb.async.schedule-time-scale = 60
                esb.functions.fx.schedules = [
                  { expression = "rate(1 minute)", name = "tick", input = "{\\"action\\":\\"log\\",\\"message\\":\\"scheduled-tick\\"}" }
                ]
                """)) {
            // rate(1 minute) at 60x: a run every second of the clock.
            var fired = Eventually.await(Duration.ofSeconds(30), "three runs fired", () -> logs.withMessage("Schedule fired"), l -> l.size() >= 3);
            var first = LogCapture.fields(fired.get(0));
            var second = LogCapture.fields(fired.get(1));
            assertThat(first).containsEntry("function_name", "fx").containsEntry("schedule", "tick");
            var gap = Duration.between(Instant.parse(first.get("scheduled_time")), Instant.parse(second.get("scheduled_time")));
            assertThat(gap).isEqualTo(Duration.ofMinutes(1));
            long realGapMs = fired.get(1).getTimeStamp() - fired.get(0).getTimeStamp();
            assertThat(realGapMs).as("a minute of schedule time is a second of the clock").isBetween(700L, 1500L);

            var requestId = first.get("request_id");
            var ran = Eventually.await(Duration.ofSeconds(60), "the first run in the container's log", () -> containerLog(instance),
                    log -> log.contains("END RequestId: " + requestId));
            assertThat(Pattern.compile("scheduled-tick").matcher(ran).results().count()).isGreaterThanOrEqualTo(1);
            assertThat(gw.get("/metrics").body()).doesNotContain("esb_async_dead_lettered_total{");
        } finally {
            Docker.removeAll(instance);
        }
    }

    private static String containerLog(String instance) {
        var text = new StringBuilder();
        for (var container : Docker.containers(instance, "fx")) {
            text.append(Docker.run("logs", container));
        }
        return text.toString();
    }
}
