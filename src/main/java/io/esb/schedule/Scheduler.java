package io.esb.schedule;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.TimerScheduler;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.esb.async.AsyncInvoker;
import io.esb.config.EsbSettings;
import io.esb.config.ScheduleSettings;
import io.esb.function.FunctionTable;
import io.esb.function.Invocation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;

import static net.logstash.logback.argument.StructuredArguments.kv;

/**
 * Fires the functions' schedules ({@code esb.functions.NAME.schedules}, SAM {@code Schedule} and {@code ScheduleV2}
 * events). Each run is an Event invocation through the {@link AsyncInvoker}, so it is durable, retried and
 * dead-lettered like any other, with EventBridge's "Scheduled Event" as its payload unless the schedule has an
 * {@code input}. Runs missed while the gateway was down are not made up, as on AWS. It follows live reloads: the
 * function table is checked every second, and new, changed or removed schedules are planned again.
 */
public final class Scheduler {
    private static final Logger log = LoggerFactory.getLogger(Scheduler.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration REPLAN_EVERY = Duration.ofSeconds(1);

    public sealed interface Command {}

    private record Replan() implements Command {}

    private record Fire(String key) implements Command {}

    private record Answered(String function, String schedule, String requestId, AsyncInvoker.Accepting answer, Throwable error)
            implements Command {}

    /**
     * Whether this gateway fires a schedule. One gateway fires them all; where gateways form a cluster, exactly one
     * node must own each schedule (for example the cluster's oldest member, or a sharded entity per schedule), and
     * that decision plugs in here.
     */
    @FunctionalInterface
    public interface Ownership {
        boolean firesHere(String function, ScheduleSettings schedule);

        Ownership SINGLE_NODE = (function, schedule) -> true;
    }

    /** A schedule being followed: since when (its rate counts from there), and its next run, in schedule time. */
    private record Planned(String function, ScheduleSettings schedule, Instant since, Instant next) {}

    public static Behavior<Command> create(EsbSettings settings, Supplier<FunctionTable> functions, ActorRef<AsyncInvoker.Command> asyncInvoker,
                                           Ownership ownership, Clock clock) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
            var scheduler = new Scheduler(ctx, timers, settings, functions, asyncInvoker, ownership, clock);
            timers.startTimerWithFixedDelay(new Replan(), REPLAN_EVERY);
            scheduler.replan();
            return scheduler.behavior();
        }));
    }

    private final ActorContext<Command> ctx;
    private final TimerScheduler<Command> timers;
    private final EsbSettings settings;
    private final Supplier<FunctionTable> functions;
    private final ActorRef<AsyncInvoker.Command> asyncInvoker;
    private final Ownership ownership;
    private final Clock clock;
    /** {@code esb.async.schedule-time-scale}: schedule time runs this many times faster than the clock (tests). */
    private final double scale;
    private final long startedAt;
    private final Map<String, Planned> planned = new HashMap<>();
    private long generation = -1;

    private Scheduler(ActorContext<Command> ctx, TimerScheduler<Command> timers, EsbSettings settings, Supplier<FunctionTable> functions,
                      ActorRef<AsyncInvoker.Command> asyncInvoker, Ownership ownership, Clock clock) {
        this.ctx = ctx;
        this.timers = timers;
        this.settings = settings;
        this.functions = functions;
        this.asyncInvoker = asyncInvoker;
        this.ownership = ownership;
        this.clock = clock;
        this.scale = settings.async().scheduleTimeScale();
        this.startedAt = clock.millis();
    }

    private Behavior<Command> behavior() {
        return Behaviors.receive(Command.class)
                .onMessage(Replan.class, replan -> {
                    replan();
                    return Behaviors.same();
                })
                .onMessage(Fire.class, this::onFire)
                .onMessage(Answered.class, this::onAnswered)
                .build();
    }

    /** Schedule time now: the clock, sped up by the scale from when the scheduler started. */
    private Instant scheduleNow() {
        long real = clock.millis();
        return Instant.ofEpochMilli(startedAt + (long) ((real - startedAt) * scale));
    }

    private void replan() {
        var table = functions.get();
        if (table == null || table.generation() == generation) {
            return;
        }
        generation = table.generation();
        var wanted = new HashSet<String>();
        for (var function : table.functions().values()) {
            for (var schedule : function.schedules()) {
                if (!schedule.enabled() || !ownership.firesHere(function.name(), schedule)) {
                    continue;
                }
                var key = function.name() + "/" + schedule.name() + "/" + schedule.expression().text() + "/" + schedule.zone() + "/"
                        + schedule.input();
                wanted.add(key);
                if (!planned.containsKey(key)) {
                    var now = scheduleNow();
                    plan(key, new Planned(function.name(), schedule, now, now));
                    log.info("Schedule active", kv("function_name", function.name()), kv("schedule", schedule.name()),
                            kv("expression", schedule.expression().text()), kv("timezone", schedule.zone().getId()));
                }
            }
        }
        for (var key : new HashSet<>(planned.keySet())) {
            if (!wanted.contains(key)) {
                var gone = planned.remove(key);
                timers.cancel(key);
                log.info("Schedule removed", kv("function_name", gone.function()), kv("schedule", gone.schedule().name()));
            }
        }
    }

    /** Arms the timer for the run after {@code from.next()}; a schedule that never fires again is dropped, logged. */
    private void plan(String key, Planned from) {
        var schedule = from.schedule();
        var next = schedule.expression().nextAfter(from.next(), from.since(), schedule.zone());
        if (next.isEmpty()) {
            planned.remove(key);
            log.warn("Schedule will not fire again", kv("function_name", from.function()), kv("schedule", schedule.name()),
                    kv("expression", schedule.expression().text()));
            return;
        }
        planned.put(key, new Planned(from.function(), schedule, from.since(), next.get()));
        long delayMillis = (long) Math.ceil(Duration.between(scheduleNow(), next.get()).toMillis() / scale);
        timers.startSingleTimer(key, new Fire(key), Duration.ofMillis(Math.max(0, delayMillis)));
    }

    private Behavior<Command> onFire(Fire fire) {
        var run = planned.get(fire.key());
        if (run == null) {
            return Behaviors.same();
        }
        var schedule = run.schedule();
        var requestId = UUID.randomUUID().toString();
        var payload = schedule.input() != null ? schedule.input().getBytes(StandardCharsets.UTF_8) : scheduledEvent(schedule, run.next());
        log.info("Schedule fired", kv("function_name", run.function()), kv("schedule", schedule.name()), kv("request_id", requestId),
                kv("scheduled_time", run.next().truncatedTo(ChronoUnit.SECONDS).toString()));
        ctx.ask(AsyncInvoker.Accepting.class, asyncInvoker, Duration.ofSeconds(10),
                replyTo -> new AsyncInvoker.Enqueue(run.function(), new Invocation(payload, requestId, false, null), replyTo),
                (answer, error) -> new Answered(run.function(), schedule.name(), requestId, answer, error));
        plan(fire.key(), run);
        return Behaviors.same();
    }

    private Behavior<Command> onAnswered(Answered answered) {
        if (!(answered.answer() instanceof AsyncInvoker.Accepted)) {
            var reason = answered.error() != null ? String.valueOf(answered.error().getMessage())
                    : answered.answer() instanceof AsyncInvoker.QueueFull full ? "the async queue is full (esb.async.max-queued = " + full.limit() + ")"
                    : "the event store cannot write: " + ((AsyncInvoker.StoreUnavailable) answered.answer()).reason();
            log.warn("Scheduled run not accepted; the next run comes at its time", kv("function_name", answered.function()),
                    kv("schedule", answered.schedule()), kv("request_id", answered.requestId()), kv("error_detail", reason));
        }
        return Behaviors.same();
    }

    /** EventBridge's "Scheduled Event", as a Lambda function on AWS receives it from a schedule rule. */
    private byte[] scheduledEvent(ScheduleSettings schedule, Instant time) {
        var event = JSON.createObjectNode()
                .put("version", "0")
                .put("id", UUID.randomUUID().toString())
                .put("detail-type", "Scheduled Event")
                .put("source", "aws.events")
                .put("account", settings.accountId())
                .put("time", time.truncatedTo(ChronoUnit.SECONDS).toString())
                .put("region", settings.region());
        event.putArray("resources").add("arn:aws:events:" + settings.region() + ":" + settings.accountId() + ":rule/" + schedule.name());
        event.putObject("detail");
        try {
            return JSON.writeValueAsBytes(event);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
