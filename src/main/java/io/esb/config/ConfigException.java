package io.esb.config;

/** A bad configuration value. The message is one line that names the key, so startup can print it as is. */
public final class ConfigException extends RuntimeException {
    private final String key;
    private final String problem;

    public ConfigException(String key, String problem) {
        this(key, problem, "Invalid configuration at '" + key + "': " + problem);
    }

    private ConfigException(String key, String problem, String message) {
        super(message);
        this.key = key;
        this.problem = problem;
    }

    /**
     * A problem inside a file that a key points to, such as a SAM template: the message names the file and the
     * place in it ({@code Invalid SAM template /x/template.yaml at 'Resources.Orders.Properties.ImageUri': ...}),
     * {@link #key()} stays the configuration key that named the file.
     */
    public static ConfigException inFile(String key, String kind, String file, String where, String problem) {
        return new ConfigException(key, problem, "Invalid " + kind + " " + file + " at '" + where + "': " + problem);
    }

    public String key() {
        return key;
    }

    /** The message without the key: what is wrong with the value. */
    public String problem() {
        return problem;
    }
}
