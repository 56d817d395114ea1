package io.esb.config;

import com.typesafe.config.Config;

import java.util.Locale;

/**
 * {@code esb.logging.*}: the format of the gateway's own log lines, and whether function containers' output is
 * streamed into them.
 *
 * @param format        text (one human-readable line per event) or json (one logstash JSON object per line)
 * @param containerLogs whether each function container's stdout and stderr are followed and logged on {@code io.esb.container}
 */
public record LoggingSettings(Format format, boolean containerLogs) {
    public enum Format {
        TEXT, JSON;

        /** {@code text} or {@code json}, any case; null when it is neither. */
        public static Format parse(String value) {
            if (value == null) {
                return null;
            }
            return switch (value.trim().toLowerCase(Locale.ROOT)) {
                case "text" -> TEXT;
                case "json" -> JSON;
                default -> null;
            };
        }
    }

    static final String FORMAT_KEY = "esb.logging.format";
    static final String CONTAINER_LOGS_KEY = "esb.logging.container-logs";

    /** Reads {@code logging.*} from the {@code esb} sub-config; a bad value is a {@link ConfigException} naming its key. */
    public static LoggingSettings fromConfig(Config esb) {
        var raw = esb.getValue("logging.format").unwrapped();
        var format = raw instanceof String s ? Format.parse(s) : null;
        if (format == null) {
            throw new ConfigException(FORMAT_KEY, "must be text or json (got '" + raw + "')");
        }
        boolean containerLogs;
        try {
            containerLogs = esb.getBoolean("logging.container-logs");
        } catch (com.typesafe.config.ConfigException.WrongType e) {
            throw new ConfigException(CONTAINER_LOGS_KEY, "must be on or off (got '" + esb.getValue("logging.container-logs").unwrapped() + "')");
        }
        return new LoggingSettings(format, containerLogs);
    }
}
