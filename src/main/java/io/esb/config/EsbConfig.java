package io.esb.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

/**
 * How the gateway's configuration is layered, highest first: system properties, the operator's configuration, the
 * gateway's values for Akka's own keys ({@value #AKKA_DEFAULTS}), then every module's reference.conf.
 * <p>
 * Akka's keys cannot be set in our reference.conf: the jar merges all modules' reference.conf into one file, ours
 * first, and there Akka's later defaults won (HTTP idle-timeout 60 s, request-timeout 20 s, no raw request URI...).
 */
public final class EsbConfig {
    public static final String AKKA_DEFAULTS = "esb-akka.conf";

    private EsbConfig() {}

    /** {@code application} (the operator's file, or anything parsed) over the gateway's defaults, resolved. */
    public static Config load(Config application) {
        var loader = EsbConfig.class.getClassLoader();
        ConfigFactory.invalidateCaches();
        return ConfigFactory.defaultOverrides(loader).withFallback(application).withFallback(defaults(loader)).resolve();
    }

    private static Config defaults(ClassLoader loader) {
        return ConfigFactory.parseResources(loader, AKKA_DEFAULTS).withFallback(ConfigFactory.defaultReference(loader));
    }
}
