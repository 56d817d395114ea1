package io.esb.config;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ScheduleExpressionTest {
    private static final Instant SINCE = Instant.parse("2026-12-06T10:00:00Z");

    @Test
    void aRateFiresEveryPeriodCountedFromItsStart() {
        var rate = ScheduleExpression.parse("rate(5 minutes)");
        assertThat(rate.nextAfter(SINCE, SINCE, ZoneOffset.UTC)).hasValue(Instant.parse("2026-12-06T10:05:00Z"));
        assertThat(rate.nextAfter(Instant.parse("2026-12-06T10:05:00Z"), SINCE, ZoneOffset.UTC)).hasValue(Instant.parse("2026-12-06T10:10:00Z"));
        assertThat(rate.nextAfter(Instant.parse("2026-12-06T10:07:30Z"), SINCE, ZoneOffset.UTC)).hasValue(Instant.parse("2026-12-06T10:10:00Z"));
        assertThat(ScheduleExpression.parse("rate(1 hour)").nextAfter(SINCE, SINCE, ZoneOffset.UTC)).hasValue(Instant.parse("2026-12-06T11:00:00Z"));
        assertThat(ScheduleExpression.parse("rate(2 days)").nextAfter(SINCE, SINCE, ZoneOffset.UTC)).hasValue(Instant.parse("2026-12-08T10:00:00Z"));
    }

    @Test
    void anAwsCronHasSixFieldsAndHonoursItsZone() {
        var noon = ScheduleExpression.parse("cron(0 12 * * ? *)");
        assertThat(noon.nextAfter(SINCE, SINCE, ZoneOffset.UTC)).hasValue(Instant.parse("2026-12-06T12:00:00Z"));
        assertThat(noon.nextAfter(SINCE, SINCE, ZoneId.of("Europe/Berlin"))).hasValue(Instant.parse("2026-12-06T11:00:00Z"));
        // Weekdays at 08:15 (MON-FRI); 2026-12-06 is a Sunday.
        assertThat(ScheduleExpression.parse("cron(15 8 ? * MON-FRI *)").nextAfter(SINCE, SINCE, ZoneOffset.UTC))
                .hasValue(Instant.parse("2026-12-07T08:15:00Z"));
        // Every 10 minutes.
        assertThat(ScheduleExpression.parse("cron(0/10 * * * ? *)").nextAfter(Instant.parse("2026-12-06T10:01:00Z"), SINCE, ZoneOffset.UTC))
                .hasValue(Instant.parse("2026-12-06T10:10:00Z"));
        // Last day of the month.
        assertThat(ScheduleExpression.parse("cron(0 0 L * ? *)").nextAfter(SINCE, SINCE, ZoneOffset.UTC))
                .hasValue(Instant.parse("2026-12-31T00:00:00Z"));
        assertThat(ScheduleExpression.parse("cron(0 12 * * ? *)")).isEqualTo(ScheduleExpression.parse("cron(0 12 * * ? *)"));
    }

    @Test
    void badExpressionsSayWhatIsWrongInAwsTerms() {
        assertThatThrownBy(() -> ScheduleExpression.parse("rate(1 minutes)")).hasMessageContaining("use 'minute' with 1");
        assertThatThrownBy(() -> ScheduleExpression.parse("rate(5 minute)")).hasMessageContaining("use 'minutes' with 5");
        assertThatThrownBy(() -> ScheduleExpression.parse("rate(0 minutes)")).hasMessageContaining("positive");
        assertThatThrownBy(() -> ScheduleExpression.parse("rate(5 weeks)")).hasMessageContaining("minute(s), hour(s) or day(s)");
        assertThatThrownBy(() -> ScheduleExpression.parse("cron(0 12 * * *)")).hasMessageContaining("six fields");
        assertThatThrownBy(() -> ScheduleExpression.parse("cron(0 12 * * MON *)")).hasMessageContaining("must be '?'");
        assertThatThrownBy(() -> ScheduleExpression.parse("cron(61 12 * * ? *)")).hasMessageContaining("not a valid cron expression");
        assertThatThrownBy(() -> ScheduleExpression.parse("every 5 minutes")).hasMessageContaining("rate(value unit) or cron(");
    }
}
