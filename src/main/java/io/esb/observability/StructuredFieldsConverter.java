package io.esb.observability;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import net.logstash.logback.argument.StructuredArgument;

/**
 * Renders an event's {@link StructuredArgument}s as {@code key=value} in the plain text pattern ({@code %fields}),
 * so the fields operators grep for show in text logs as well as in JSON ones.
 */
public final class StructuredFieldsConverter extends ClassicConverter {
    @Override
    public String convert(ILoggingEvent event) {
        var args = event.getArgumentArray();
        if (args == null) {
            return "";
        }
        var out = new StringBuilder();
        for (var arg : args) {
            if (arg instanceof StructuredArgument structured) {
                out.append(out.length() == 0 ? " {" : ", ").append(structured);
            }
        }
        return out.length() == 0 ? "" : out.append('}').toString();
    }
}
