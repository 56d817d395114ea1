package io.esb.observability;

import io.esb.config.LoggingSettings;

/**
 * Which format the gateway's log lines go out in. logback starts before the configuration is read, so logback.xml
 * attaches both outputs (text and JSON), each behind a {@link LogFormatFilter} that lets an event through only when
 * its format is the selected one. Until {@link #apply} runs, the selection comes from {@code ESB_LOG_FORMAT}; after,
 * from {@code esb.logging.format} (whose default is that same variable). The switch is one volatile write: no
 * appender is stopped or reattached, so no line is lost or written twice around it.
 */
public final class LogOutput {
    private static volatile LoggingSettings.Format selected = initial();

    private LogOutput() {}

    /** Called once the settings are loaded, before the actor system starts. */
    public static void apply(LoggingSettings settings) {
        selected = settings.format();
    }

    public static LoggingSettings.Format selected() {
        return selected;
    }

    private static LoggingSettings.Format initial() {
        var fromEnvironment = LoggingSettings.Format.parse(System.getenv("ESB_LOG_FORMAT"));
        return fromEnvironment == null ? LoggingSettings.Format.TEXT : fromEnvironment;
    }
}
