package io.esb.config;

/** A bad configuration value. The message is one line that names the key, so startup can print it as is. */
public final class ConfigException extends RuntimeException {
    private final String key;

    public ConfigException(String key, String problem) {
        super("Invalid configuration at '" + key + "': " + problem);
        this.key = key;
    }

    public String key() {
        return key;
    }
}
