package io.esb.config;

import java.time.ZoneId;

/**
 * One schedule of a function ({@code esb.functions.NAME.schedules}, or a SAM {@code Schedule} / {@code ScheduleV2}
 * event): when it fires, the event it sends ({@code input}, raw JSON; null for EventBridge's "Scheduled Event"),
 * whether it is enabled, and the zone its cron fields are read in. {@code name} names its rule in the event's
 * {@code resources}.
 */
public record ScheduleSettings(String name, ScheduleExpression expression, String input, boolean enabled, ZoneId zone) {}
