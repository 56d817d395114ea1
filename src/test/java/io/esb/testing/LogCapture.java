package io.esb.testing;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import net.logstash.logback.argument.StructuredArgument;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** Captures the log events of the gateway's loggers, with their threads, MDC and structured fields. */
public final class LogCapture implements AutoCloseable {
    private static final Pattern KEY_VALUE = Pattern.compile("^([^=]+)=(.*)$", Pattern.DOTALL);
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>() {
        @Override
        protected void append(ILoggingEvent event) {
            // Logback names an event's thread lazily; fix it (and the MDC) now, on the thread that logged.
            event.prepareForDeferredProcessing();
            super.append(event);
        }
    };
    private final Logger root = (Logger) LoggerFactory.getLogger("io.esb");

    public LogCapture() {
        appender.start();
        root.addAppender(appender);
    }

    public List<ILoggingEvent> events() {
        synchronized (appender) { // the lock AppenderBase.doAppend holds while it adds
            return List.copyOf(appender.list);
        }
    }

    public List<ILoggingEvent> withMessage(String formattedMessage) {
        return events().stream().filter(e -> e.getFormattedMessage().equals(formattedMessage)).toList();
    }

    /** The event's structured arguments as key → rendered value. */
    public static Map<String, String> fields(ILoggingEvent event) {
        var fields = new LinkedHashMap<String, String>();
        if (event.getArgumentArray() != null) {
            for (var arg : event.getArgumentArray()) {
                if (arg instanceof StructuredArgument structured) {
                    var m = KEY_VALUE.matcher(structured.toString());
                    if (m.matches()) {
                        fields.put(m.group(1), m.group(2));
                    }
                }
            }
        }
        return fields;
    }

    @Override
    public void close() {
        root.detachAppender(appender);
    }
}
