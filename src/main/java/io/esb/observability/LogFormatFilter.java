package io.esb.observability;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;
import io.esb.config.LoggingSettings;

/**
 * In logback.xml, on each output's appender: {@code <filter class="io.esb.observability.LogFormatFilter"><format>json</format></filter>}.
 * Denies every event unless {@code format} is the one {@link LogOutput} has selected. It runs on the logging thread,
 * before the async appender queues the event, so each event goes to exactly one output.
 */
public final class LogFormatFilter extends Filter<ILoggingEvent> {
    private LoggingSettings.Format format;

    public void setFormat(String value) {
        this.format = LoggingSettings.Format.parse(value);
    }

    @Override
    public void start() {
        if (format == null) {
            addError("LogFormatFilter needs <format>text</format> or <format>json</format>");
            return;
        }
        super.start();
    }

    @Override
    public FilterReply decide(ILoggingEvent event) {
        return format == null || LogOutput.selected() == format ? FilterReply.NEUTRAL : FilterReply.DENY;
    }
}
