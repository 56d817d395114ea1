package io.esb.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException.BadValue;
import com.typesafe.config.ConfigValueType;
import io.esb.http.PathTemplate;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Reads {@code esb.*} into typed settings. Every problem becomes a {@link ConfigException} naming the key, so a bad
 * value stops startup with one line and nothing half-starts.
 */
public final class SettingsLoader {
    private static final Pattern FUNCTION_NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    private static final Pattern LABEL_VALUE = Pattern.compile("[A-Za-z0-9_.-]{1,63}");
    private static final Set<String> METHODS = Set.of("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "ANY");

    private SettingsLoader() {}

    public static EsbSettings load(Config root) {
        try {
            return read(root.getConfig("esb"));
        } catch (ConfigException e) {
            throw e;
        } catch (com.typesafe.config.ConfigException e) {
            // Typesafe's own messages name the key and the origin; keep them on one line.
            throw new ConfigException(keyOf(e), e.getMessage().replace('\n', ' '));
        }
    }

    private static EsbSettings read(Config esb) {
        var http = new HttpSettings(
                nonBlank(esb, "http.interface"),
                intBetween(esb, "http.port", 0, 65535),
                nonBlank(esb, "http.stage"),
                positiveBytes(esb, "http.max-invoke-payload"),
                positiveBytes(esb, "http.max-route-body"));
        var docker = new DockerSettings(
                dockerHost(esb),
                intBetween(esb, "docker.max-workers", 1, 1024),
                positiveDuration(esb, "docker.client-timeout"),
                intBetween(esb, "docker.max-pending-operations", 1, 100_000),
                positiveDuration(esb, "docker.probe-interval"),
                positiveDuration(esb, "docker.restart-backoff.min"),
                positiveDuration(esb, "docker.restart-backoff.max"),
                labelValue(esb, "docker.instance-id"));
        if (docker.restartMaxBackoff().compareTo(docker.restartMinBackoff()) < 0) {
            throw new ConfigException("esb.docker.restart-backoff.max", "must not be smaller than esb.docker.restart-backoff.min");
        }
        var containers = new ContainerSettings(
                positiveDuration(esb, "containers.readiness-timeout"),
                positiveDuration(esb, "containers.ping-timeout"),
                positiveDuration(esb, "containers.connect-timeout"),
                positiveDuration(esb, "containers.idle-timeout"),
                intBetween(esb, "containers.max-queue-depth", 1, 1_000_000));
        var shutdown = new ShutdownSettings(positiveDuration(esb, "shutdown.drain-timeout"), esb.getBoolean("shutdown.remove-containers"));
        var functions = readFunctions(esb);
        validateRoutes(functions);
        return new EsbSettings(http, docker, containers, shutdown, nonBlank(esb, "aws.region"), nonBlank(esb, "aws.account-id"), functions);
    }

    private static Map<String, FunctionSettings> readFunctions(Config esb) {
        var result = new LinkedHashMap<String, FunctionSettings>();
        if (!esb.hasPath("functions")) {
            return result;
        }
        var functionsObject = esb.getObject("functions");
        for (var name : new TreeMap<>(functionsObject.unwrapped()).keySet()) {
            var key = "functions." + name;
            if (!FUNCTION_NAME.matcher(name).matches()) {
                throw new ConfigException("esb." + key, "function names may use letters, digits, '-' and '_' (1-64 characters)");
            }
            if (functionsObject.get(name).valueType() != ConfigValueType.OBJECT) {
                throw new ConfigException("esb." + key, "must be an object with at least 'image'");
            }
            var fn = esb.getConfig(quotedPath(name));
            var prefix = "esb." + key + ".";
            if (!fn.hasPath("image") || fn.getString("image").isBlank()) {
                throw new ConfigException(prefix + "image", "is required and must name a local image");
            }
            var timeout = fn.hasPath("timeout") ? duration(fn, "timeout", prefix) : Duration.ofSeconds(3);
            if (timeout.isZero() || timeout.isNegative() || timeout.compareTo(Duration.ofMinutes(15)) > 0) {
                throw new ConfigException(prefix + "timeout", "must be between 1s and 15m (got " + timeout + ")");
            }
            if (timeout.toMillis() % 1000 != 0) {
                throw new ConfigException(prefix + "timeout", "must be whole seconds, as Lambda's is (got " + timeout + ")");
            }
            int memory = fn.hasPath("memory-mb") ? integer(fn, "memory-mb", prefix) : 128;
            if (memory < 16 || memory > 10_240) {
                throw new ConfigException(prefix + "memory-mb", "must be between 16 and 10240 (got " + memory + ")");
            }
            int maxConcurrency = fn.hasPath("max-concurrency") ? integer(fn, "max-concurrency", prefix) : 1;
            if (maxConcurrency < 1 || maxConcurrency > 1000) {
                throw new ConfigException(prefix + "max-concurrency", "must be between 1 and 1000 (got " + maxConcurrency + ")");
            }
            var environment = new TreeMap<String, String>();
            if (fn.hasPath("environment")) {
                for (var entry : fn.getObject("environment").entrySet()) {
                    var value = entry.getValue().unwrapped();
                    if (value == null || value instanceof Map || value instanceof List) {
                        throw new ConfigException(prefix + "environment." + entry.getKey(), "must be a string, number or boolean");
                    }
                    environment.put(entry.getKey(), String.valueOf(value));
                }
            }
            result.put(name, new FunctionSettings(name, fn.getString("image"), timeout, memory, maxConcurrency,
                    Collections.unmodifiableMap(environment), readRoutes(fn, prefix)));
        }
        return Collections.unmodifiableMap(result);
    }

    private static List<RouteSettings> readRoutes(Config fn, String prefix) {
        if (!fn.hasPath("routes")) {
            return List.of();
        }
        var routes = new ArrayList<RouteSettings>();
        var list = fn.getConfigList("routes");
        for (int i = 0; i < list.size(); i++) {
            var route = list.get(i);
            var key = prefix + "routes[" + i + "]";
            if (!route.hasPath("path")) {
                throw new ConfigException(key + ".path", "is required");
            }
            var method = route.hasPath("method") ? route.getString("method").trim().toUpperCase(java.util.Locale.ROOT) : "ANY";
            if (!METHODS.contains(method)) {
                throw new ConfigException(key + ".method", "must be one of " + new java.util.TreeSet<>(METHODS) + " (got '" + method + "')");
            }
            var path = route.getString("path");
            try {
                PathTemplate.parse(path);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(key + ".path", "malformed path template '" + path + "': " + e.getMessage());
            }
            routes.add(new RouteSettings(method, path));
        }
        return List.copyOf(routes);
    }

    /** Two functions claiming the same method and path would make routing ambiguous. */
    private static void validateRoutes(Map<String, FunctionSettings> functions) {
        try {
            io.esb.http.ConfiguredRoutes.build(functions.values());
        } catch (IllegalArgumentException e) {
            throw new ConfigException("esb.functions.*.routes", e.getMessage());
        }
    }

    private static String dockerHost(Config esb) {
        var host = nonBlank(esb, "docker.host");
        if (!(host.startsWith("unix://") || host.startsWith("tcp://"))) {
            throw new ConfigException("esb.docker.host", "must start with unix:// or tcp:// (got '" + host + "')");
        }
        return host;
    }

    private static String labelValue(Config esb, String path) {
        var value = nonBlank(esb, path);
        if (!LABEL_VALUE.matcher(value).matches()) {
            throw new ConfigException("esb." + path, "may use letters, digits, '.', '-' and '_' (got '" + value + "')");
        }
        return value;
    }

    private static String nonBlank(Config c, String path) {
        var value = c.getString(path);
        if (value.isBlank()) {
            throw new ConfigException("esb." + path, "must not be empty");
        }
        return value.trim();
    }

    private static int intBetween(Config c, String path, int min, int max) {
        int value = integer(c, path, "esb.");
        if (value < min || value > max) {
            throw new ConfigException("esb." + path, "must be between " + min + " and " + max + " (got " + value + ")");
        }
        return value;
    }

    private static int integer(Config c, String path, String prefix) {
        try {
            return c.getInt(path);
        } catch (com.typesafe.config.ConfigException.WrongType e) {
            throw new ConfigException(prefix + path, "must be a whole number (got '" + c.getValue(path).unwrapped() + "')");
        }
    }

    private static Duration positiveDuration(Config c, String path) {
        var value = duration(c, path, "esb.");
        if (value.isZero() || value.isNegative()) {
            throw new ConfigException("esb." + path, "must be a positive duration (got " + c.getValue(path).unwrapped() + ")");
        }
        return value;
    }

    private static Duration duration(Config c, String path, String prefix) {
        try {
            return c.getDuration(path);
        } catch (BadValue | com.typesafe.config.ConfigException.WrongType e) {
            throw new ConfigException(prefix + path, "is not a duration such as 30s or 5m (got '" + c.getValue(path).unwrapped() + "')");
        }
    }

    private static long positiveBytes(Config c, String path) {
        long value;
        try {
            value = c.getBytes(path);
        } catch (BadValue | com.typesafe.config.ConfigException.WrongType e) {
            throw new ConfigException("esb." + path, "is not a size such as 6m (got '" + c.getValue(path).unwrapped() + "')");
        }
        if (value <= 0) {
            throw new ConfigException("esb." + path, "must be positive (got " + value + ")");
        }
        return value;
    }

    private static String quotedPath(String name) {
        return "functions.\"" + name + "\"";
    }

    private static String keyOf(com.typesafe.config.ConfigException e) {
        var origin = e.getMessage();
        var colon = origin == null ? -1 : origin.indexOf(": ");
        return colon > 0 ? origin.substring(0, colon) : "esb";
    }
}
