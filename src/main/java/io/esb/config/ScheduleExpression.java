package io.esb.config;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * An EventBridge schedule expression: {@code rate(5 minutes)} or AWS's six-field {@code cron(0 12 * * ? *)}
 * (minutes, hours, day of month, month, day of week, year; one of the two days must be {@code ?}). Parsed once, at
 * configuration time, so a bad one stops startup or a reload with the key that holds it.
 */
public sealed interface ScheduleExpression {
    /** The next time this schedule fires after {@code after}, in {@code zone} (cron only); empty when it never fires again. */
    Optional<Instant> nextAfter(Instant after, Instant since, ZoneId zone);

    /** The expression as written. */
    String text();

    /** Fires every {@code period}, counted from when the schedule started ({@code since}). */
    record Rate(String text, Duration period) implements ScheduleExpression {
        @Override
        public Optional<Instant> nextAfter(Instant after, Instant since, ZoneId zone) {
            long periods = Duration.between(since, after).toMillis() / period.toMillis() + 1;
            return Optional.of(since.plus(period.multipliedBy(Math.max(1, periods))));
        }
    }

    /** Fires at the times an AWS cron expression names; equal when written alike (a live reload compares them). */
    record Cron(String text, ExecutionTime times) implements ScheduleExpression {
        @Override
        public Optional<Instant> nextAfter(Instant after, Instant since, ZoneId zone) {
            return times.nextExecution(after.atZone(zone)).map(java.time.ZonedDateTime::toInstant);
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Cron cron && cron.text.equals(text);
        }

        @Override
        public int hashCode() {
            return text.hashCode();
        }
    }

    Pattern RATE = Pattern.compile("rate\\(\\s*(\\d+)\\s+([a-zA-Z]+)\\s*\\)");
    Pattern CRON = Pattern.compile("cron\\((.*)\\)");

    /** Parses {@code text}; throws IllegalArgumentException saying what is wrong, in AWS's terms. */
    static ScheduleExpression parse(String text) {
        var trimmed = text == null ? "" : text.trim();
        var rate = RATE.matcher(trimmed);
        if (rate.matches()) {
            long value;
            try {
                value = Long.parseLong(rate.group(1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("rate value is too large: " + rate.group(1));
            }
            var unit = rate.group(2).toLowerCase(Locale.ROOT);
            if (value < 1) {
                throw new IllegalArgumentException("a rate must be a positive whole number (got " + value + ")");
            }
            var singular = unit.endsWith("s") ? unit.substring(0, unit.length() - 1) : unit;
            if (value == 1 ? unit.endsWith("s") : !unit.endsWith("s")) {
                throw new IllegalArgumentException("use '" + singular + (value == 1 ? "" : "s") + "' with " + value
                        + ", as AWS does: rate(1 minute), rate(5 minutes)");
            }
            var period = switch (singular) {
                case "minute" -> Duration.ofMinutes(value);
                case "hour" -> Duration.ofHours(value);
                case "day" -> Duration.ofDays(value);
                default -> throw new IllegalArgumentException("a rate's unit is minute(s), hour(s) or day(s) (got '" + unit + "')");
            };
            return new Rate(trimmed, period);
        }
        var cron = CRON.matcher(trimmed);
        if (cron.matches()) {
            var fields = cron.group(1).trim().split("\\s+");
            if (fields.length != 6) {
                throw new IllegalArgumentException("AWS cron has six fields (minutes hours day-of-month month day-of-week year), got "
                        + fields.length);
            }
            if (!fields[2].equals("?") && !fields[4].equals("?")) {
                throw new IllegalArgumentException("one of day-of-month and day-of-week must be '?', as AWS requires");
            }
            try {
                // AWS's cron is Quartz's without the seconds field.
                var parsed = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.QUARTZ)).parse("0 " + String.join(" ", fields));
                parsed.validate();
                return new Cron(trimmed, ExecutionTime.forCron(parsed));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("not a valid cron expression: " + e.getMessage());
            }
        }
        throw new IllegalArgumentException("must be rate(value unit) or cron(minutes hours day-of-month month day-of-week year) (got '"
                + trimmed + "')");
    }
}
