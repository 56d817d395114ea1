package io.esb.config;

import io.esb.route.RouteSettings;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException.BadValue;
import com.typesafe.config.ConfigValueType;
import io.esb.route.PathTemplate;
import io.esb.route.PayloadFormat;

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
    /** Checks that a schedule's input is JSON; built once, as mappers are costly to make. */
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    private static final Pattern FUNCTION_NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    private static final Pattern LABEL_VALUE = Pattern.compile("[A-Za-z0-9_.-]{1,63}");
    private static final Pattern NETWORK_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");
    private static final Set<String> METHODS = Set.of("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "ANY");
    private static final Pattern IPV4 = Pattern.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
    /** The keys of a zip function; an image function has none of them. */
    private static final List<String> ZIP_KEYS = List.of("runtime", "handler", "code-uri", "layers", "architectures");

    private SettingsLoader() {}

    public static EsbSettings load(Config root) {
        try {
            return read(root.getConfig("esb"));
        } catch (ConfigException e) {
            throw e;
        } catch (com.typesafe.config.ConfigException e) {
            throw translate(e, "esb.");
        }
    }

    private static EsbSettings read(Config esb) {
        var http = new HttpSettings(
                nonBlank(esb, "http.interface"),
                intBetween(esb, "http.port", 0, 65535),
                nonBlank(esb, "http.stage"),
                basePath(esb),
                stringMap(esb, "http.stage-variables"),
                positiveBytes(esb, "http.max-invoke-payload"),
                positiveBytes(esb, "http.max-route-body"));
        var docker = new DockerSettings(
                dockerHost(esb),
                intBetween(esb, "docker.max-workers", 1, 1024),
                positiveDuration(esb, "docker.client-timeout"),
                intBetween(esb, "docker.max-pending-operations", 1, 100_000),
                positiveDuration(esb, "docker.probe-interval"),
                positiveDuration(esb, "docker.probe-timeout"),
                positiveDuration(esb, "docker.busy-probe-timeout"),
                positiveDuration(esb, "docker.restart-backoff.min"),
                positiveDuration(esb, "docker.restart-backoff.max"),
                labelValue(esb, "docker.instance-id"),
                positiveDuration(esb, "docker.build-timeout"),
                dockerNetwork(esb),
                positiveDuration(esb, "docker.queue-timeout"),
                intBetween(esb, "docker.probe-misses", 1, 100));
        if (docker.busyProbeTimeout().compareTo(docker.probeTimeout()) < 0) {
            throw new ConfigException("esb.docker.busy-probe-timeout", "must not be smaller than esb.docker.probe-timeout");
        }
        if (docker.restartMaxBackoff().compareTo(docker.restartMinBackoff()) < 0) {
            throw new ConfigException("esb.docker.restart-backoff.max", "must not be smaller than esb.docker.restart-backoff.min");
        }
        var containers = new ContainerSettings(
                positiveDuration(esb, "containers.readiness-timeout"),
                positiveDuration(esb, "containers.ping-timeout"),
                positiveDuration(esb, "containers.connect-timeout"),
                positiveDuration(esb, "containers.idle-timeout"),
                intBetween(esb, "containers.max-queue-depth", 1, 1_000_000),
                positiveDuration(esb, "containers.queue-timeout"),
                intBetween(esb, "containers.max-total", 1, 100_000));
        var shutdown = new ShutdownSettings(positiveDuration(esb, "shutdown.drain-timeout"), esb.getBoolean("shutdown.remove-containers"));
        var retryDelays = new ArrayList<Duration>();
        try {
            retryDelays.addAll(esb.getDurationList("async.retry-delays"));
        } catch (com.typesafe.config.ConfigException.BadValue | com.typesafe.config.ConfigException.WrongType e) {
            throw new ConfigException("esb.async.retry-delays", "must be a list of durations such as [60s, 120s]");
        }
        if (retryDelays.stream().anyMatch(d -> d.isNegative())) {
            throw new ConfigException("esb.async.retry-delays", "must not contain negative durations");
        }
        var async = new AsyncSettings(intBetween(esb, "async.max-queued", 1, 1_000_000), intBetween(esb, "async.max-concurrent", 1, 10_000),
                List.copyOf(retryDelays), positiveBytes(esb, "async.max-payload"), dataDir(esb),
                intBetween(esb, "async.max-retry-attempts", 0, AsyncSettings.MAX_RETRY_ATTEMPTS),
                durationBetween(esb, "async.max-event-age", "esb.", AsyncSettings.MIN_EVENT_AGE, AsyncSettings.MAX_EVENT_AGE),
                positiveDuration(esb, "async.service-retry-min-delay"), positiveDuration(esb, "async.service-retry-max-delay"),
                scheduleTimeScale(esb));
        if (async.serviceRetryMaxDelay().compareTo(async.serviceRetryMinDelay()) < 0) {
            throw new ConfigException("esb.async.service-retry-max-delay", "must not be shorter than esb.async.service-retry-min-delay");
        }
        var auth = AuthSettings.fromConfig(esb);
        var runtimes = runtimes(esb);
        var runtimeApi = runtimeApi(esb);
        var sam = readSam(esb, runtimes);
        var functions = withSamFunctions(readFunctions(esb, runtimes), sam);
        validateRoutes(functions);
        for (var function : functions.values()) {
            for (var route : function.routes()) {
                if (route.jwtAuth()) {
                    AuthSettings.requireEnabled(auth, route.method() + " " + route.path());
                }
            }
        }
        var metrics = new MetricsSettings(esb.getBoolean("metrics.enabled"));
        return new EsbSettings(http, docker, containers, shutdown, async, auth, nonBlank(esb, "aws.region"), nonBlank(esb, "aws.account-id"), functions, sam,
                LoggingSettings.fromConfig(esb), metrics, runtimes, runtimeApi, cluster(esb), Timeouts.of(docker, containers, shutdown));
    }

    /** {@code esb.sam.*}: the SAM template's functions, or none when {@code esb.sam.template} is empty. */
    private static io.esb.config.sam.SamTemplate readSam(Config esb, Map<String, String> runtimes) {
        var template = esb.getString("sam.template").trim();
        if (template.isEmpty()) {
            return io.esb.config.sam.SamTemplate.NONE;
        }
        var pseudo = io.esb.config.sam.SamTemplate.pseudoParameters(nonBlank(esb, "aws.region"), nonBlank(esb, "aws.account-id"),
                nonBlank(esb, "sam.stack-name"));
        try {
            return io.esb.config.sam.SamTemplate.read(java.nio.file.Path.of(template), stringMap(esb, "sam.parameters"), pseudo, runtimes);
        } catch (java.nio.file.InvalidPathException e) {
            throw new ConfigException("esb.sam.template", "is not a file path (got '" + template + "')");
        }
    }

    /** A function defined both in esb.functions and in the SAM template would be ambiguous. */
    private static Map<String, FunctionSettings> withSamFunctions(Map<String, FunctionSettings> configured, io.esb.config.sam.SamTemplate sam) {
        var all = new LinkedHashMap<>(configured);
        for (var function : sam.functions().values()) {
            if (all.containsKey(function.name())) {
                throw new ConfigException("esb.functions." + function.name(), "function '" + function.name() + "' is also defined in SAM template "
                        + sam.path() + " at 'Resources." + function.name() + "'; define it in one place only");
            }
            all.put(function.name(), function);
        }
        return Collections.unmodifiableMap(all);
    }

    /** {@code esb.runtimes}: each Lambda runtime identifier with the base image its zip functions run on. */
    private static Map<String, String> runtimes(Config esb) {
        var result = new TreeMap<String, String>();
        for (var entry : esb.getObject("runtimes").entrySet()) {
            var key = "esb.runtimes.\"" + entry.getKey() + "\"";
            var value = entry.getValue().unwrapped();
            if (value instanceof Map) {
                throw new ConfigException(key, "must be an image such as \"public.ecr.aws/lambda/python:3.12\"; quote a runtime name "
                        + "with dots, as in \"python3.12\" = \"...\"");
            }
            if (!(value instanceof String image) || image.isBlank()) {
                throw new ConfigException(key, "must be a non-empty image name (got '" + value + "')");
            }
            result.put(entry.getKey(), image.trim());
        }
        return Collections.unmodifiableMap(result);
    }

    private static final Pattern HOST_PORT = Pattern.compile("[A-Za-z0-9.-]+:\\d{1,5}");

    /** {@code esb.cluster}: membership; checked only when on, so a lone gateway never trips over it. */
    private static ClusterSettings cluster(Config esb) {
        boolean enabled = esb.getBoolean("cluster.enabled");
        var host = nonBlank(esb, "cluster.host");
        var port = intBetween(esb, "cluster.port", enabled ? 1 : 0, 65535);
        var seeds = new ArrayList<String>();
        var listed = esb.getValue("cluster.seed-nodes").valueType() == ConfigValueType.LIST ? esb.getStringList("cluster.seed-nodes")
                : List.of(esb.getString("cluster.seed-nodes"));
        for (var seed : listed) {
            for (var part : seed.split(",")) { // ESB_CLUSTER_SEED_NODES gives them as one comma-separated string
                var trimmed = part.trim();
                if (trimmed.isEmpty()) {
                    continue;
                }
                if (!HOST_PORT.matcher(trimmed).matches()) {
                    throw new ConfigException("esb.cluster.seed-nodes", "each seed node must be host:port, such as 10.0.0.5:25520 (got '" + trimmed + "')");
                }
                seeds.add(trimmed);
            }
        }
        var strategy = nonBlank(esb, "cluster.downing-strategy");
        if (!List.of("keep-majority", "keep-oldest", "down-all").contains(strategy)) {
            throw new ConfigException("esb.cluster.downing-strategy", "must be keep-majority, keep-oldest or down-all (got '" + strategy + "')");
        }
        if (enabled && seeds.isEmpty()) {
            throw new ConfigException("esb.cluster.seed-nodes", "must name at least one node (host:port) when esb.cluster.enabled is on; "
                    + "a node that lists itself first starts the cluster");
        }
        return new ClusterSettings(enabled, host, port, seeds, strategy, positiveDuration(esb, "cluster.stable-after"),
                positiveDuration(esb, "cluster.accept-timeout"));
    }

    /** {@code esb.runtime-api}: where pull-mode containers fetch their events. */
    private static RuntimeApiSettings runtimeApi(Config esb) {
        var host = nonBlank(esb, "runtime-api.host");
        if (host.equalsIgnoreCase(RuntimeApiSettings.AUTO)) {
            host = RuntimeApiSettings.AUTO;
        } else if (host.equals("0.0.0.0")) {
            throw new ConfigException("esb.runtime-api.host", "must not be 0.0.0.0: the Runtime API would answer on every interface; use auto "
                    + "(the Docker network's gateway address) or the one address containers reach this host at");
        } else if (!IPV4.matcher(host).matches()) {
            throw new ConfigException("esb.runtime-api.host", "must be auto or an IPv4 address such as 172.17.0.1 (got '" + host + "')");
        }
        return new RuntimeApiSettings(host, intBetween(esb, "runtime-api.port", 0, 65535), positiveBytes(esb, "runtime-api.max-response-bytes"));
    }

    /**
     * Reads one function shaped like {@code esb.functions.<name>}, with the same defaults and limits; errors name
     * {@code prefix} plus the key. A zip function's image is its runtime's from {@code runtimes}, and a relative
     * {@code code-uri} or layer is resolved against the working directory. The SAM template reader builds its functions
     * through this.
     */
    public static FunctionSettings function(String name, Config fn, String prefix, Map<String, String> runtimes) {
        try {
            return readFunction(name, fn, prefix, runtimes);
        } catch (com.typesafe.config.ConfigException e) {
            throw translate(e, prefix);
        }
    }

    private static Map<String, FunctionSettings> readFunctions(Config esb, Map<String, String> runtimes) {
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
                throw new ConfigException("esb." + key, "must be an object with 'image', or 'runtime', 'handler' and 'code-uri'");
            }
            var prefix = "esb." + key + ".";
            result.put(name, function(name, esb.getConfig(quotedPath(name)), prefix, runtimes));
        }
        return Collections.unmodifiableMap(result);
    }

    private static FunctionSettings readFunction(String name, Config fn, String prefix, Map<String, String> runtimes) {
        var mode = mode(fn, prefix);
        var zip = zipCode(fn, prefix, runtimes);
        if (zip == null && (!fn.hasPath("image") || fn.getString("image").isBlank())) {
            throw new ConfigException(prefix + "image", "is required and must name a local image, unless the function is a zip function "
                    + "(runtime, handler and code-uri)");
        }
        if (zip != null && mode != InvokeMode.PULL) {
            throw new ConfigException(prefix + "mode", "must be pull for a zip function: its runtime's client pulls events from the "
                    + "gateway's Runtime API (got '" + mode.key() + "')");
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
        int maxConcurrency = fn.hasPath("max-concurrency") ? integer(fn, "max-concurrency", prefix) : 10;
        if (maxConcurrency < 1 || maxConcurrency > 1000) {
            throw new ConfigException(prefix + "max-concurrency", "must be between 1 and 1000 (got " + maxConcurrency + ")");
        }
        int minWarm = fn.hasPath("min-warm") ? integer(fn, "min-warm", prefix) : 0;
        if (minWarm < 0 || minWarm > maxConcurrency) {
            throw new ConfigException(prefix + "min-warm", "must be between 0 and max-concurrency (" + maxConcurrency + ") (got " + minWarm + ")");
        }
        double cpus = 0;
        if (fn.hasPath("cpus")) {
            try {
                cpus = fn.getDouble("cpus");
            } catch (com.typesafe.config.ConfigException.WrongType e) {
                throw new ConfigException(prefix + "cpus", "must be a number such as 0.5 (got '" + fn.getValue("cpus").unwrapped() + "')");
            }
            if (cpus <= 0 || cpus > 256) {
                throw new ConfigException(prefix + "cpus", "must be greater than 0 and at most 256 (got " + cpus + ")");
            }
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
        return new FunctionSettings(name, zip != null ? runtimes.get(zip.runtime()) : fn.getString("image").trim(), timeout, memory,
                maxConcurrency, minWarm, cpus, Collections.unmodifiableMap(environment), readRoutes(fn, prefix), mode, zip,
                functionAsync(fn, prefix), schedules(name, fn, prefix));
    }

    /** {@code async { max-retry-attempts, max-event-age }}: AWS's bounds, each key optional. */
    private static FunctionAsync functionAsync(Config fn, String prefix) {
        if (!fn.hasPath("async")) {
            return FunctionAsync.GATEWAY_DEFAULTS;
        }
        var async = fn.getConfig("async");
        var asyncPrefix = prefix + "async.";
        Integer retries = null;
        if (async.hasPath("max-retry-attempts")) {
            retries = integer(async, "max-retry-attempts", asyncPrefix);
            if (retries < 0 || retries > AsyncSettings.MAX_RETRY_ATTEMPTS) {
                throw new ConfigException(asyncPrefix + "max-retry-attempts", "must be between 0 and " + AsyncSettings.MAX_RETRY_ATTEMPTS
                        + " (got " + retries + ")");
            }
        }
        var age = async.hasPath("max-event-age")
                ? durationBetween(async, "max-event-age", asyncPrefix, AsyncSettings.MIN_EVENT_AGE, AsyncSettings.MAX_EVENT_AGE) : null;
        for (var key : async.root().keySet()) {
            if (!key.equals("max-retry-attempts") && !key.equals("max-event-age")) {
                throw new ConfigException(asyncPrefix + key, "is not a setting here (max-retry-attempts, max-event-age)");
            }
        }
        return new FunctionAsync(retries, age);
    }

    /** {@code schedules = [ { expression, input, enabled, timezone, name } ]}: each expression parsed now. */
    private static List<ScheduleSettings> schedules(String function, Config fn, String prefix) {
        if (!fn.hasPath("schedules")) {
            return List.of();
        }
        var result = new ArrayList<ScheduleSettings>();
        var list = fn.getConfigList("schedules");
        for (int i = 0; i < list.size(); i++) {
            var schedule = list.get(i);
            var at = prefix + "schedules[" + i + "].";
            if (!schedule.hasPath("expression")) {
                throw new ConfigException(at + "expression", "is required: rate(5 minutes) or cron(0 12 * * ? *)");
            }
            ScheduleExpression expression;
            try {
                expression = ScheduleExpression.parse(schedule.getString("expression"));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(at + "expression", e.getMessage());
            }
            String input = null;
            if (schedule.hasPath("input")) {
                input = schedule.getString("input");
                try {
                    JSON.readTree(input);
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    throw new ConfigException(at + "input", "must be JSON text (got '" + input + "')");
                }
            }
            boolean enabled = !schedule.hasPath("enabled") || schedule.getBoolean("enabled");
            java.time.ZoneId zone = java.time.ZoneOffset.UTC;
            if (schedule.hasPath("timezone")) {
                try {
                    zone = java.time.ZoneId.of(schedule.getString("timezone"));
                } catch (java.time.DateTimeException e) {
                    throw new ConfigException(at + "timezone", "is not a time zone such as Europe/Berlin (got '" + schedule.getString("timezone") + "')");
                }
            }
            var name = schedule.hasPath("name") ? schedule.getString("name") : function + "-schedule-" + (i + 1);
            result.add(new ScheduleSettings(name, expression, input, enabled, zone));
        }
        return List.copyOf(result);
    }

    private static InvokeMode mode(Config fn, String prefix) {
        if (!fn.hasPath("mode")) {
            return InvokeMode.PULL;
        }
        var value = fn.getString("mode").trim().toLowerCase(java.util.Locale.ROOT);
        return switch (value) {
            case "pull" -> InvokeMode.PULL;
            case "push" -> InvokeMode.PUSH;
            default -> throw new ConfigException(prefix + "mode", "must be pull (the container pulls events from the Runtime API) or push "
                    + "(the gateway posts them to the image's RIE on 8080) (got '" + value + "')");
        };
    }

    /** The zip keys of a function: null when it has none (an image function), else all of them checked. */
    private static ZipCode zipCode(Config fn, String prefix, Map<String, String> runtimes) {
        var given = ZIP_KEYS.stream().filter(fn::hasPath).toList();
        if (given.isEmpty()) {
            return null;
        }
        if (fn.hasPath("image")) {
            throw new ConfigException(prefix + given.get(0), "a function has either an image (image) or zip code (runtime, handler and "
                    + "code-uri), not both; remove one");
        }
        for (var required : List.of("runtime", "handler", "code-uri")) {
            if (!fn.hasPath(required) || fn.getString(required).isBlank()) {
                throw new ConfigException(prefix + required, "is required for a zip function (it has " + String.join(", ", given) + ")");
            }
        }
        var runtime = fn.getString("runtime").trim();
        if (!runtimes.containsKey(runtime)) {
            throw new ConfigException(prefix + "runtime", "unknown runtime '" + runtime + "': known runtimes are "
                    + String.join(", ", runtimes.keySet()) + "; add it under esb.runtimes");
        }
        var codeUri = directory(fn.getString("code-uri"), prefix + "code-uri", "build the function first, e.g. sam build");
        var layers = new ArrayList<java.nio.file.Path>();
        if (fn.hasPath("layers")) {
            var list = fn.getStringList("layers");
            for (int i = 0; i < list.size(); i++) {
                layers.add(directory(list.get(i), prefix + "layers[" + i + "]", "build the layer first, e.g. sam build"));
            }
        }
        var architecture = ZipCode.X86_64;
        if (fn.hasPath("architectures")) {
            var list = fn.getStringList("architectures");
            if (list.size() != 1 || !(list.get(0).equals(ZipCode.X86_64) || list.get(0).equals(ZipCode.ARM64))) {
                throw new ConfigException(prefix + "architectures", "must be [\"x86_64\"] or [\"arm64\"], one architecture (got " + list + ")");
            }
            architecture = list.get(0);
        }
        return new ZipCode(runtime, fn.getString("handler").trim(), codeUri, layers, architecture);
    }

    /** An existing directory, absolute and normalised; a relative path is taken from the working directory. */
    private static java.nio.file.Path directory(String value, String key, String hint) {
        java.nio.file.Path path;
        try {
            path = java.nio.file.Path.of(value.trim()).toAbsolutePath().normalize();
        } catch (java.nio.file.InvalidPathException e) {
            throw new ConfigException(key, "is not a file path (got '" + value + "')");
        }
        if (!java.nio.file.Files.exists(path)) {
            throw new ConfigException(key, "does not exist: " + path + "; " + hint);
        }
        if (!java.nio.file.Files.isDirectory(path)) {
            throw new ConfigException(key, "is not a directory: " + path + " (it must be the unpacked code, not an archive)");
        }
        return path;
    }

    private static List<RouteSettings> readRoutes(Config fn, String prefix) {
        if (!fn.hasPath("routes")) {
            return List.of();
        }
        var routes = new ArrayList<RouteSettings>();
        var list = fn.getConfigList("routes");
        for (int i = 0; i < list.size(); i++) {
            var key = prefix + "routes[" + i + "]";
            try {
                routes.add(readRoute(list.get(i), key));
            } catch (com.typesafe.config.ConfigException e) {
                throw translate(e, key + ".");
            }
        }
        return List.copyOf(routes);
    }

    private static RouteSettings readRoute(Config route, String key) {
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
        PayloadFormat format;
        try {
            format = route.hasPath("payload-format") ? PayloadFormat.parse(route.getString("payload-format")) : PayloadFormat.V1;
        } catch (IllegalArgumentException e) {
            throw new ConfigException(key + ".payload-format", "must be \"1.0\" or \"2.0\" (got '" + route.getString("payload-format") + "')");
        }
        var auth = route.hasPath("auth") ? route.getString("auth").trim().toLowerCase(java.util.Locale.ROOT) : "none";
        if (!auth.equals("none") && !auth.equals("jwt")) {
            throw new ConfigException(key + ".auth", "must be none or jwt (got '" + auth + "')");
        }
        return new RouteSettings(method, path, format, auth.equals("jwt"));
    }

    /** Two functions claiming the same method and path would make routing ambiguous. */
    private static void validateRoutes(Map<String, FunctionSettings> functions) {
        try {
            io.esb.route.ConfiguredRoutes.build(functions.values());
        } catch (IllegalArgumentException e) {
            throw new ConfigException("esb.functions.*.routes", e.getMessage());
        }
    }

    /** A stage or base-path prefix such as {@code /prod}: requests must carry it, and it is stripped before matching. */
    private static String basePath(Config esb) {
        var value = esb.getString("http.base-path").trim();
        if (value.isEmpty() || value.equals("/")) {
            return "";
        }
        if (!value.startsWith("/") || value.endsWith("/") || PathTemplate.splitRequestPath(value).isEmpty()) {
            throw new ConfigException("esb.http.base-path", "must be empty or a path such as /prod, without a trailing slash (got '" + value + "')");
        }
        return value;
    }

    private static Map<String, String> stringMap(Config esb, String path) {
        var result = new TreeMap<String, String>();
        if (esb.hasPath(path)) {
            for (var entry : esb.getObject(path).entrySet()) {
                var value = entry.getValue().unwrapped();
                if (value == null || value instanceof Map || value instanceof List) {
                    throw new ConfigException("esb." + path + "." + entry.getKey(), "must be a string, number or boolean");
                }
                result.put(entry.getKey(), String.valueOf(value));
            }
        }
        return Collections.unmodifiableMap(result);
    }

    private static String dockerHost(Config esb) {
        var host = nonBlank(esb, "docker.host");
        if (!(host.startsWith("unix://") || host.startsWith("tcp://"))) {
            throw new ConfigException("esb.docker.host", "must start with unix:// or tcp:// (got '" + host + "')");
        }
        return host;
    }

    /** Empty, or a network a container can join and be called at by its address there ("host" and "none" cannot). */
    private static String dockerNetwork(Config esb) {
        var network = esb.getString("docker.network").trim();
        if (!network.isEmpty() && (!NETWORK_NAME.matcher(network).matches() || network.equals("host") || network.equals("none"))) {
            throw new ConfigException("esb.docker.network", "must be empty (publish on 127.0.0.1) or the name of a bridge network "
                    + "such as \"esb\" (got '" + network + "')");
        }
        return network;
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

    /** A duration within [min, max], such as AWS bounds an event's maximum age (60 s to 6 h). */
    private static Duration durationBetween(Config c, String path, String prefix, Duration min, Duration max) {
        var value = duration(c, path, prefix);
        if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            throw new ConfigException(prefix + path, "must be between " + min.toSeconds() + "s and " + max.toSeconds() + "s (got "
                    + c.getValue(path).unwrapped() + ")");
        }
        return value;
    }

    private static double scheduleTimeScale(Config esb) {
        double scale;
        try {
            scale = esb.getDouble("async.schedule-time-scale");
        } catch (com.typesafe.config.ConfigException.WrongType e) {
            throw new ConfigException("esb.async.schedule-time-scale", "must be a number (got '" + esb.getValue("async.schedule-time-scale").unwrapped() + "')");
        }
        if (!(scale >= 1 && scale <= 3600)) {
            throw new ConfigException("esb.async.schedule-time-scale", "must be between 1 and 3600 (got " + scale + ")");
        }
        return scale;
    }

    /** {@code esb.data-dir}: where the gateway keeps what must survive a restart; made on first start. */
    private static java.nio.file.Path dataDir(Config esb) {
        var value = nonBlank(esb, "data-dir");
        try {
            return java.nio.file.Path.of(value);
        } catch (java.nio.file.InvalidPathException e) {
            throw new ConfigException("esb.data-dir", "is not a usable path (" + e.getMessage() + ")");
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

    /**
     * Typesafe's messages start with the origin (a file and line) and name the path relative to the sub-config it
     * was read from; this names the full key instead, keeping Typesafe's explanation.
     */
    private static ConfigException translate(com.typesafe.config.ConfigException e, String prefix) {
        var message = String.valueOf(e.getMessage()).replace('\n', ' ');
        var where = "";
        if (e.origin() != null) {
            var origin = e.origin().description() + ": ";
            if (message.startsWith(origin)) {
                message = message.substring(origin.length());
                where = " (" + e.origin().description() + ")";
            }
        }
        var space = message.indexOf(' ');
        var relative = space > 0 ? message.substring(0, space).replaceAll(":$", "") : "";
        var key = relative.isEmpty() ? prefix.substring(0, prefix.length() - 1) : prefix + relative;
        return new ConfigException(key, message + where);
    }
}
