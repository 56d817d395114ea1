package io.esb.reload;

import com.typesafe.config.Config;
import io.esb.config.ConfigException;

import java.time.Duration;

/**
 * {@code esb.reload.*}: whether the configuration file is watched, and how long changes settle before a reload.
 * Read at startup; like everything outside {@code esb.functions}, a change needs a restart.
 */
public record ReloadSettings(boolean watch, Duration debounce) {

    public static ReloadSettings fromConfig(Config root) {
        boolean watch;
        try {
            watch = root.getBoolean("esb.reload.watch");
        } catch (com.typesafe.config.ConfigException.WrongType | com.typesafe.config.ConfigException.Missing e) {
            throw new ConfigException("esb.reload.watch", "must be on or off");
        }
        Duration debounce;
        try {
            debounce = root.getDuration("esb.reload.debounce");
        } catch (com.typesafe.config.ConfigException.BadValue | com.typesafe.config.ConfigException.WrongType
                 | com.typesafe.config.ConfigException.Missing e) {
            throw new ConfigException("esb.reload.debounce", "is not a duration such as 500ms");
        }
        if (debounce.isNegative() || debounce.compareTo(Duration.ofMinutes(1)) > 0) {
            throw new ConfigException("esb.reload.debounce", "must be between 0 and 1m (got " + debounce.toMillis() + " ms)");
        }
        return new ReloadSettings(watch, debounce);
    }
}
