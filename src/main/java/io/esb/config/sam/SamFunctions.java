package io.esb.config.sam;

import com.typesafe.config.ConfigValueFactory;
import io.esb.config.ConfigException;
import io.esb.config.FunctionSettings;
import io.esb.config.ImageBuild;
import io.esb.config.SettingsLoader;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Turns one {@code AWS::Serverless::Function} into {@link FunctionSettings} (validated by the same code as
 * {@code esb.functions}, so defaults and limits are the same) and, for a {@code Metadata} Dockerfile function, the
 * {@link ImageBuild} that makes its image. A Zip function's code and layers must be local directories.
 */
final class SamFunctions {
    /** Properties esb maps for both package types; {@code Description} and {@code Tags} have no effect locally and pass silently. */
    private static final Set<String> COMMON_PROPERTIES = Set.of("PackageType", "Timeout", "MemorySize",
            "ReservedConcurrentExecutions", "Environment", "Events", "Description", "Tags", "EventInvokeConfig", "DeadLetterQueue");
    private static final Set<String> IMAGE_PROPERTIES = Set.of("ImageUri");
    /** A Zip function's code; {@code InlineCode} is known only to be refused. */
    private static final Set<String> ZIP_PROPERTIES = Set.of("Runtime", "Handler", "CodeUri", "Layers", "Architectures", "InlineCode");
    /** What Globals.Function may hold without being listed as unsupported: anything a function of either type uses. */
    static final Set<String> SUPPORTED_PROPERTIES = union(COMMON_PROPERTIES, IMAGE_PROPERTIES, ZIP_PROPERTIES);
    private static final Set<String> CODE_PROPERTIES = Set.of("Handler", "Runtime", "CodeUri", "InlineCode");
    static final String SERVERLESS_LAYER = "AWS::Serverless::LayerVersion";
    static final String LAMBDA_LAYER = "AWS::Lambda::LayerVersion";
    private static final Set<String> API_EVENT_PROPERTIES = Set.of("Path", "Method", "RestApiId");
    private static final Set<String> HTTP_API_EVENT_PROPERTIES = Set.of("Path", "Method", "ApiId", "PayloadFormatVersion");
    /** Schedule events: their expression's property, and what else esb maps ({@code Description} passes silently). */
    private static final Map<String, String> SCHEDULE_EXPRESSION = Map.of("Schedule", "Schedule", "ScheduleV2", "ScheduleExpression");
    private static final Set<String> SCHEDULE_EVENT_PROPERTIES = Set.of("Schedule", "ScheduleExpression", "Input", "Enabled", "State",
            "Name", "Description", "ScheduleExpressionTimezone");
    private static final Pattern DOCKER_TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
    private static final String PREFIX = "sam.";
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(SamFunctions.class);

    /** One function read from the template; {@code build} is null for an ImageUri function. */
    record Result(FunctionSettings settings, ImageBuild build) {}

    private final String logicalId;
    private final String base;
    private final Map<String, Object> own;
    private final Map<String, Object> globals;
    private final Map<String, Object> properties;
    private final Map<String, Object> metadata;
    private final Map<String, Object> resources;
    private final Path templateDir;
    private final SamIntrinsics intrinsics;
    private final Map<String, String> runtimes;
    private final List<String> unsupported;
    /** Where each layer of a Zip function comes from in the template, in the order of its {@code layers}. */
    private final List<String> layerWheres = new ArrayList<>();

    private SamFunctions(String logicalId, Map<String, Object> own, Map<String, Object> globals, Map<String, Object> metadata,
                         Map<String, Object> resources, Path templateDir, SamIntrinsics intrinsics, Map<String, String> runtimes,
                         List<String> unsupported) {
        this.logicalId = logicalId;
        this.base = "Resources." + logicalId;
        this.own = own;
        this.globals = globals;
        this.properties = merge(globals, own);
        this.metadata = metadata;
        this.resources = resources;
        this.templateDir = templateDir;
        this.intrinsics = intrinsics;
        this.runtimes = runtimes;
        this.unsupported = unsupported;
    }

    /** {@code resources}: the template's, for the LayerVersions a function refers to; {@code runtimes}: {@code esb.runtimes}. */
    static Result read(String logicalId, Map<String, Object> resource, Map<String, Object> globals, Map<String, Object> resources,
                       Path templateDir, SamIntrinsics intrinsics, Map<String, String> runtimes, List<String> unsupported) {
        var own = map(resource.get("Properties"), "Resources." + logicalId + ".Properties");
        var metadata = map(resource.get("Metadata"), "Resources." + logicalId + ".Metadata");
        return new SamFunctions(logicalId, own, globals, metadata, resources, templateDir, intrinsics, runtimes, unsupported).read();
    }

    private Result read() {
        var zip = isZip();
        var supported = union(COMMON_PROPERTIES, zip ? ZIP_PROPERTIES : IMAGE_PROPERTIES);
        for (var key : own.keySet()) {
            if (!supported.contains(key)) {
                unsupported.add(base + ".Properties." + key);
            }
        }
        var fn = new LinkedHashMap<String, Object>();
        ImageBuild build = null;
        if (zip) {
            var code = new SamZipCode(base, own, globals, properties, resources, templateDir, intrinsics);
            fn.putAll(code.read());
            layerWheres.addAll(code.layerWheres());
        } else {
            build = build();
            fn.put("image", build != null ? build.tag() : imageUri());
        }
        putWholeNumber(fn, "timeout", "Timeout", "s");
        putWholeNumber(fn, "memory-mb", "MemorySize", "");
        putWholeNumber(fn, "max-concurrency", "ReservedConcurrentExecutions", "");
        fn.put("environment", environment());
        var events = events();
        var routeEvents = new ArrayList<String>();
        fn.put("routes", routes(events, routeEvents));
        var scheduleEvents = new ArrayList<String>();
        fn.put("schedules", schedules(events, scheduleEvents));
        var async = eventInvokeConfig();
        if (!async.isEmpty()) {
            fn.put("async", async);
        }
        failureDestinations();
        try {
            return new Result(SettingsLoader.function(logicalId, ConfigValueFactory.fromMap(fn).toConfig(), PREFIX, runtimes), build);
        } catch (ConfigException e) {
            throw new SamTemplate.Invalid(locate(e.key(), routeEvents, scheduleEvents), e.problem());
        }
    }

    /** Where a problem the function reader found lies in the template. */
    private String locate(String key, List<String> routeEvents, List<String> scheduleEvents) {
        var relative = key.startsWith(PREFIX) ? key.substring(PREFIX.length()) : key;
        var schedule = Pattern.compile("schedules\\[(\\d+)]\\.?(.*)").matcher(relative);
        if (schedule.matches()) {
            var marked = scheduleEvents.get(Integer.parseInt(schedule.group(1)));
            boolean v2 = marked.endsWith("#V2");
            var event = v2 ? marked.substring(0, marked.length() - "#V2".length()) : marked;
            return event + ".Properties." + switch (schedule.group(2)) {
                case "input" -> "Input";
                case "timezone" -> "ScheduleExpressionTimezone";
                default -> v2 ? "ScheduleExpression" : "Schedule";
            };
        }
        var route = Pattern.compile("routes\\[(\\d+)]\\.?(.*)").matcher(relative);
        if (route.matches()) {
            var event = routeEvents.get(Integer.parseInt(route.group(1)));
            return switch (route.group(2)) {
                case "method" -> event + ".Properties.Method";
                case "payload-format" -> event + ".Properties.PayloadFormatVersion";
                default -> event + ".Properties.Path";
            };
        }
        if (relative.startsWith("environment.")) {
            return envWhere(relative.substring("environment.".length()));
        }
        var layer = Pattern.compile("layers\\[(\\d+)]").matcher(relative);
        if (layer.matches()) {
            return layerWheres.get(Integer.parseInt(layer.group(1)));
        }
        return switch (relative) {
            case "timeout" -> where("Timeout");
            case "memory-mb" -> where("MemorySize");
            case "max-concurrency" -> where("ReservedConcurrentExecutions");
            case "image" -> where("ImageUri");
            case "runtime" -> where("Runtime");
            case "handler" -> where("Handler");
            case "code-uri" -> where("CodeUri");
            case "architectures" -> where("Architectures");
            case "async.max-retry-attempts" -> where("EventInvokeConfig") + ".MaximumRetryAttempts";
            case "async.max-event-age" -> where("EventInvokeConfig") + ".MaximumEventAgeInSeconds";
            default -> base + ".Properties";
        };
    }

    // ---- package type ----

    /**
     * Whether the function is a Zip function: PackageType Zip, or (SAM's default) no PackageType and no image, but
     * code properties of its own or from Globals.
     */
    private boolean isZip() {
        var packageType = scalar("PackageType");
        if (packageType == null) {
            if (properties.containsKey("ImageUri") || metadata.containsKey("Dockerfile") || metadata.containsKey("DockerContext")) {
                return false;
            }
            if (properties.keySet().stream().noneMatch(CODE_PROPERTIES::contains)) {
                throw new SamTemplate.Invalid(base + ".Properties", "function '" + logicalId + "' has no code: set PackageType: Image with "
                        + "ImageUri (or Metadata Dockerfile and DockerContext to build one), or Runtime, Handler and CodeUri for a Zip function");
            }
            return true;
        }
        return switch (packageType) {
            case "Zip" -> true;
            case "Image" -> false;
            default -> throw new SamTemplate.Invalid(where("PackageType"), "PackageType " + packageType + " is not supported: it is Image "
                    + "or Zip");
        };
    }

    // ---- image ----

    private ImageBuild build() {
        if (!metadata.containsKey("Dockerfile") && !metadata.containsKey("DockerContext")) {
            return null;
        }
        var at = base + ".Metadata";
        var dockerfile = metadataText("Dockerfile");
        var context = metadataText("DockerContext");
        if (dockerfile == null || context == null) {
            throw new SamTemplate.Invalid(at + (dockerfile == null ? ".Dockerfile" : ".DockerContext"),
                    "a Dockerfile build needs both Dockerfile and DockerContext");
        }
        var contextDir = templateDir.resolve(context).normalize();
        if (!Files.isDirectory(contextDir)) {
            throw new SamTemplate.Invalid(at + ".DockerContext", "is not a directory: " + contextDir);
        }
        var dockerfilePath = contextDir.resolve(dockerfile).normalize();
        if (!dockerfilePath.startsWith(contextDir)) {
            throw new SamTemplate.Invalid(at + ".Dockerfile", "must be inside DockerContext " + contextDir + " (got " + dockerfilePath + ")");
        }
        if (!Files.isRegularFile(dockerfilePath)) {
            throw new SamTemplate.Invalid(at + ".Dockerfile", "no such file: " + dockerfilePath);
        }
        var dockerTag = metadata.containsKey("DockerTag") ? metadataText("DockerTag") : "latest";
        if (dockerTag == null || !DOCKER_TAG.matcher(dockerTag).matches()) {
            throw new SamTemplate.Invalid(at + ".DockerTag", "must be a Docker tag (letters, digits, '_', '.', '-'; at most 128) (got '"
                    + dockerTag + "')");
        }
        var buildArgs = new TreeMap<String, String>();
        var args = intrinsics.resolve(metadata.get("DockerBuildArgs"), at + ".DockerBuildArgs");
        if (args instanceof Map<?, ?> argMap) {
            for (var entry : argMap.entrySet()) {
                var argWhere = at + ".DockerBuildArgs." + entry.getKey();
                if (entry.getValue() instanceof SamIntrinsics.Unresolved unresolved) {
                    unsupported.add(argWhere + " (" + unresolved.what() + "; not passed)");
                    continue;
                }
                var text = SamIntrinsics.text(entry.getValue());
                if (text == null) {
                    throw new SamTemplate.Invalid(argWhere, "must be a string");
                }
                buildArgs.put(String.valueOf(entry.getKey()), text);
            }
        } else if (args != null) {
            throw new SamTemplate.Invalid(at + ".DockerBuildArgs", "must be a map of build arguments");
        }
        var target = metadata.containsKey("DockerBuildTarget") ? metadataText("DockerBuildTarget") : null;
        // As sam build tags it: the logical id in lower case, then DockerTag.
        return new ImageBuild(dockerfilePath, contextDir, logicalId.toLowerCase(Locale.ROOT) + ":" + dockerTag,
                Collections.unmodifiableMap(buildArgs), target);
    }

    private String metadataText(String key) {
        var where = base + ".Metadata." + key;
        var value = intrinsics.resolve(metadata.get(key), where);
        if (value instanceof SamIntrinsics.Unresolved unresolved) {
            throw new SamTemplate.Invalid(where, "uses " + unresolved.what() + ", which esb cannot evaluate");
        }
        var text = SamIntrinsics.text(value);
        return text == null || text.isBlank() ? null : text.trim();
    }

    private String imageUri() {
        var where = where("ImageUri");
        if (!properties.containsKey("ImageUri")) {
            throw new SamTemplate.Invalid(where, "function '" + logicalId + "' has no image: set ImageUri, or Metadata Dockerfile and "
                    + "DockerContext to build one (or PackageType: Zip with Runtime, Handler and CodeUri)");
        }
        var value = intrinsics.resolve(properties.get("ImageUri"), where);
        if (value instanceof SamIntrinsics.Unresolved unresolved) {
            throw new SamTemplate.Invalid(where, "uses " + unresolved.what() + ", which esb cannot evaluate, so the function has no image");
        }
        var text = SamIntrinsics.text(value);
        if (text == null || text.isBlank()) {
            throw new SamTemplate.Invalid(where, "must name an image such as orders:latest");
        }
        return text.trim();
    }

    // ---- limits and environment ----

    /** A property as text; null when absent or unresolvable (then listed as unsupported). */
    private String scalar(String property) {
        if (!properties.containsKey(property)) {
            return null;
        }
        var where = where(property);
        var value = intrinsics.resolve(properties.get(property), where);
        if (value == SamIntrinsics.NO_VALUE) {
            return null;
        }
        if (value instanceof SamIntrinsics.Unresolved unresolved) {
            unsupported.add(where + " (" + unresolved.what() + "; the default applies)");
            return null;
        }
        var text = SamIntrinsics.text(value);
        if (text == null) {
            throw new SamTemplate.Invalid(where, "must be a single value, not a list or map");
        }
        return text.trim();
    }

    private void putWholeNumber(Map<String, Object> fn, String key, String property, String unit) {
        var text = scalar(property);
        if (text == null) {
            return;
        }
        try {
            fn.put(key, Long.parseLong(text) + unit);
        } catch (NumberFormatException e) {
            throw new SamTemplate.Invalid(where(property), "must be a whole number (got '" + text + "')");
        }
    }

    private Map<String, Object> environment() {
        var result = new TreeMap<String, Object>();
        if (!properties.containsKey("Environment")) {
            return result;
        }
        var environment = map(properties.get("Environment"), where("Environment"));
        for (var key : environment.keySet()) {
            if (!key.equals("Variables")) {
                unsupported.add(where("Environment") + "." + key);
            }
        }
        var variables = map(environment.get("Variables"), where("Environment") + ".Variables");
        for (var entry : variables.entrySet()) {
            var where = envWhere(entry.getKey());
            var value = intrinsics.resolve(entry.getValue(), where);
            if (value == SamIntrinsics.NO_VALUE) {
                continue;
            }
            if (value instanceof SamIntrinsics.Unresolved unresolved) {
                // As sam local does: a variable whose value cannot be evaluated is set, but empty.
                unsupported.add(where + " (" + unresolved.what() + "; set to \"\")");
                result.put(entry.getKey(), "");
                continue;
            }
            var text = SamIntrinsics.text(value);
            if (text == null) {
                throw new SamTemplate.Invalid(where, "must be a string, number or boolean");
            }
            result.put(entry.getKey(), text);
        }
        return result;
    }

    private String envWhere(String variable) {
        var ownEnv = own.get("Environment") instanceof Map<?, ?> env && env.get("Variables") instanceof Map<?, ?> vars
                && vars.containsKey(variable);
        return (ownEnv || !properties.containsKey("Environment") ? base + ".Properties" : "Globals.Function")
                + ".Environment.Variables." + variable;
    }

    // ---- events ----

    /** One of the function's {@code Events}: its name, its template path, its body, and its resolved {@code Type}. */
    private record Event(String name, String at, Map<String, Object> body, String type) {}

    /** The function's {@code Events}, read once for routes and schedules alike; each must have a {@code Type}. */
    private List<Event> events() {
        var events = new ArrayList<Event>();
        for (var entry : map(properties.get("Events"), base + ".Properties.Events").entrySet()) {
            var at = base + ".Properties.Events." + entry.getKey();
            var event = map(entry.getValue(), at);
            var type = SamIntrinsics.text(intrinsics.resolve(event.get("Type"), at + ".Type"));
            if (type == null) {
                throw new SamTemplate.Invalid(at + ".Type", "is required");
            }
            events.add(new Event(entry.getKey(), at, event, type));
        }
        return events;
    }

    private List<Map<String, Object>> routes(List<Event> events, List<String> routeEvents) {
        var routes = new ArrayList<Map<String, Object>>();
        for (var e : events) {
            var at = e.at();
            var event = e.body();
            var type = e.type();
            if (!type.equals("Api") && !type.equals("HttpApi")) {
                if (!SCHEDULE_EXPRESSION.containsKey(type)) {
                    unsupported.add(at + " (Type " + type + ")");
                }
                continue;
            }
            var props = map(event.get("Properties"), at + ".Properties");
            var known = type.equals("Api") ? API_EVENT_PROPERTIES : HTTP_API_EVENT_PROPERTIES;
            for (var key : props.keySet()) {
                if (!known.contains(key)) {
                    unsupported.add(at + ".Properties." + key);
                }
            }
            var pathValue = eventValue(props, "Path", at);
            var methodValue = eventValue(props, "Method", at);
            var versionValue = type.equals("HttpApi") ? eventValue(props, "PayloadFormatVersion", at) : null;
            if (pathValue instanceof SamIntrinsics.Unresolved || methodValue instanceof SamIntrinsics.Unresolved) {
                continue;
            }
            var path = (String) pathValue;
            var method = (String) methodValue;
            // Api events are REST API proxy events (1.0); HttpApi events default to 2.0, as in AWS.
            var format = type.equals("Api") ? "1.0" : versionValue instanceof String version ? version : "2.0";
            if (path == null && method == null && type.equals("HttpApi")) {
                // No Path and Method: the HTTP API's $default route, which catches every request.
                routes.add(route("ANY", "/", format));
                routes.add(route("ANY", "/{proxy+}", format));
                routeEvents.add(at);
                routeEvents.add(at);
                continue;
            }
            if (path == null || method == null) {
                throw new SamTemplate.Invalid(at + ".Properties." + (path == null ? "Path" : "Method"), "is required"
                        + (type.equals("HttpApi") ? " when " + (path == null ? "Method" : "Path") + " is set" : " for an Api event"));
            }
            var upper = method.toUpperCase(Locale.ROOT);
            routes.add(route(upper.equals("X-AMAZON-APIGATEWAY-ANY-METHOD") ? "ANY" : upper, path, format));
            routeEvents.add(at);
        }
        return routes;
    }

    /**
     * {@code Schedule} and {@code ScheduleV2} events as {@code schedules} entries. {@code scheduleEvents} gets each
     * one's template path (a V2 one marked {@code #V2}, stripped when a problem is reported), in order.
     */
    private List<Map<String, Object>> schedules(List<Event> events, List<String> scheduleEvents) {
        var schedules = new ArrayList<Map<String, Object>>();
        for (var e : events) {
            var at = e.at();
            var event = e.body();
            var type = e.type();
            var expressionKey = SCHEDULE_EXPRESSION.get(type);
            if (expressionKey == null) {
                continue;
            }
            var props = map(event.get("Properties"), at + ".Properties");
            for (var key : props.keySet()) {
                if (!SCHEDULE_EVENT_PROPERTIES.contains(key) || (type.equals("Schedule") && key.equals("ScheduleExpression"))
                        || (type.equals("ScheduleV2") && key.equals("Schedule"))) {
                    unsupported.add(at + ".Properties." + key);
                }
            }
            var expression = eventValue(props, expressionKey, at);
            if (expression == null) {
                throw new SamTemplate.Invalid(at + ".Properties." + expressionKey, "is required for a " + type + " event");
            }
            if (expression instanceof SamIntrinsics.Unresolved) {
                continue;
            }
            var schedule = new LinkedHashMap<String, Object>();
            schedule.put("expression", expression);
            schedule.put("name", props.containsKey("Name") && eventValue(props, "Name", at) instanceof String name ? name
                    : logicalId + "-" + e.name());
            if (props.containsKey("Input") && eventValue(props, "Input", at) instanceof String input) {
                schedule.put("input", input);
            }
            if (props.containsKey("ScheduleExpressionTimezone") && eventValue(props, "ScheduleExpressionTimezone", at) instanceof String zone) {
                schedule.put("timezone", zone);
            }
            schedule.put("enabled", enabled(props, at));
            schedules.add(schedule);
            scheduleEvents.add(at + (type.equals("ScheduleV2") ? "#V2" : ""));
        }
        return schedules;
    }

    /** {@code Enabled: false} or {@code State: DISABLED} turns a schedule off; either may be absent. */
    private boolean enabled(Map<String, Object> props, String at) {
        if (props.containsKey("Enabled")) {
            var value = SamIntrinsics.text(intrinsics.resolve(props.get("Enabled"), at + ".Properties.Enabled"));
            if (!"true".equalsIgnoreCase(value) && !"false".equalsIgnoreCase(value)) {
                throw new SamTemplate.Invalid(at + ".Properties.Enabled", "must be true or false (got '" + value + "')");
            }
            if (value.equalsIgnoreCase("false")) {
                return false;
            }
        }
        if (props.containsKey("State") && eventValue(props, "State", at) instanceof String state) {
            return switch (state.toUpperCase(Locale.ROOT)) {
                case "ENABLED" -> true;
                case "DISABLED" -> false;
                default -> throw new SamTemplate.Invalid(at + ".Properties.State", "must be ENABLED or DISABLED (got '" + state + "')");
            };
        }
        return true;
    }

    /** {@code EventInvokeConfig}: its retry and age limits as {@code async}; its failure destination, see below. */
    private Map<String, Object> eventInvokeConfig() {
        var async = new LinkedHashMap<String, Object>();
        if (!properties.containsKey("EventInvokeConfig")) {
            return async;
        }
        var where = where("EventInvokeConfig");
        var config = map(properties.get("EventInvokeConfig"), where);
        for (var key : config.keySet()) {
            if (!Set.of("MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig").contains(key)) {
                unsupported.add(where + "." + key);
            }
        }
        wholeNumber(config, "MaximumRetryAttempts", where).ifPresent(n -> async.put("max-retry-attempts", n));
        wholeNumber(config, "MaximumEventAgeInSeconds", where).ifPresent(n -> async.put("max-event-age", n + "s"));
        return async;
    }

    private java.util.Optional<Long> wholeNumber(Map<String, Object> config, String key, String where) {
        if (!config.containsKey(key)) {
            return java.util.Optional.empty();
        }
        var text = SamIntrinsics.text(intrinsics.resolve(config.get(key), where + "." + key));
        try {
            return java.util.Optional.of(Long.parseLong(text == null ? "" : text.trim()));
        } catch (NumberFormatException e) {
            throw new SamTemplate.Invalid(where + "." + key, "must be a whole number (got '" + text + "')");
        }
    }

    /**
     * {@code DeadLetterQueue} and {@code EventInvokeConfig.DestinationConfig.OnFailure} name where failed Event
     * invocations go on AWS (SQS, SNS, ...). Here they go to the gateway's own dead-letter store, which is said once
     * per function; {@code OnSuccess} has no counterpart and is listed as ignored.
     */
    private void failureDestinations() {
        var mapped = new ArrayList<String>();
        if (properties.containsKey("DeadLetterQueue")) {
            mapped.add(where("DeadLetterQueue"));
        }
        if (properties.containsKey("EventInvokeConfig")) {
            var where = where("EventInvokeConfig") + ".DestinationConfig";
            var destinations = map(map(properties.get("EventInvokeConfig"), where("EventInvokeConfig")).get("DestinationConfig"), where);
            for (var key : destinations.keySet()) {
                if (key.equals("OnFailure")) {
                    mapped.add(where + ".OnFailure");
                } else {
                    unsupported.add(where + "." + key);
                }
            }
        }
        if (!mapped.isEmpty()) {
            LOG.info("SAM failure destinations mapped to the gateway's dead-letter store (GET /admin/dead-letters)",
                    net.logstash.logback.argument.StructuredArguments.kv("function_name", logicalId),
                    net.logstash.logback.argument.StructuredArguments.kv("mapped", mapped));
        }
    }

    /** An event property as text, null when absent, or {@link SamIntrinsics.Unresolved} (listed; the event is skipped). */
    private Object eventValue(Map<String, Object> props, String key, String at) {
        if (!props.containsKey(key)) {
            return null;
        }
        var where = at + ".Properties." + key;
        var value = intrinsics.resolve(props.get(key), where);
        if (value instanceof SamIntrinsics.Unresolved unresolved) {
            unsupported.add(where + " (" + unresolved.what() + (key.equals("PayloadFormatVersion") ? "; 2.0 applies)" : "; the event is skipped)"));
            return unresolved;
        }
        var text = SamIntrinsics.text(value);
        if (text == null || text.isBlank()) {
            throw new SamTemplate.Invalid(where, "must be a non-empty string");
        }
        return text.trim();
    }

    private static Map<String, Object> route(String method, String path, String format) {
        var route = new LinkedHashMap<String, Object>();
        route.put("method", method);
        route.put("path", path);
        route.put("payload-format", format);
        return route;
    }

    // ---- helpers ----

    /** The template path of a property: the function's own, else the Globals.Function one it inherits. */
    private String where(String property) {
        return (own.containsKey(property) || !properties.containsKey(property) ? base + ".Properties." : "Globals.Function.") + property;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object value, String where) {
        if (value == null) {
            return Map.of();
        }
        if (!(value instanceof Map<?, ?>)) {
            throw new SamTemplate.Invalid(where, "must be a mapping");
        }
        return (Map<String, Object>) value;
    }

    /** SAM's Globals rule: the function's own value wins; maps merge key by key; lists are concatenated. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> merge(Map<String, Object> global, Map<String, Object> local) {
        var result = new LinkedHashMap<>(global);
        for (var entry : local.entrySet()) {
            var mine = entry.getValue();
            var theirs = result.get(entry.getKey());
            if (mine instanceof Map<?, ?> m && theirs instanceof Map<?, ?> t && !isIntrinsic(m) && !isIntrinsic(t)) {
                result.put(entry.getKey(), merge((Map<String, Object>) t, (Map<String, Object>) m));
            } else if (mine instanceof List<?> m && theirs instanceof List<?> t) {
                var both = new ArrayList<Object>(t);
                both.addAll(m);
                result.put(entry.getKey(), both);
            } else {
                result.put(entry.getKey(), mine);
            }
        }
        return result;
    }

    @SafeVarargs
    private static Set<String> union(Set<String>... sets) {
        var all = new java.util.HashSet<String>();
        for (var set : sets) {
            all.addAll(set);
        }
        return Set.copyOf(all);
    }

    private static boolean isIntrinsic(Map<?, ?> map) {
        if (map.size() != 1) {
            return false;
        }
        var key = String.valueOf(map.keySet().iterator().next());
        return key.equals("Ref") || key.startsWith("Fn::");
    }
}
