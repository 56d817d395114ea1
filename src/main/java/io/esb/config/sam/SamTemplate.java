package io.esb.config.sam;

import io.esb.config.ConfigException;
import io.esb.config.FunctionSettings;
import io.esb.config.ImageBuild;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Pattern;

import static net.logstash.logback.argument.StructuredArguments.kv;

/**
 * An AWS SAM template read as a source of functions ({@code esb.sam.template}): its {@code AWS::Serverless::Function}
 * resources as {@link FunctionSettings}, the {@link ImageBuild}s of those built from a Dockerfile, and what the
 * template holds that esb ignores. Reading is a pure function of the file and the given values: it logs nothing and
 * starts nothing. A malformed template, or a function without an image or code, throws a {@link ConfigException} naming the
 * file and the place in it.
 */
public record SamTemplate(Path path, Map<String, FunctionSettings> functions, Map<String, ImageBuild> builds, List<String> unsupported) {
    public static final String KEY = "esb.sam.template";
    public static final SamTemplate NONE = new SamTemplate(null, Map.of(), Map.of(), List.of());
    private static final Logger log = LoggerFactory.getLogger(SamTemplate.class);
    private static final Pattern LOGICAL_ID = Pattern.compile("[A-Za-z0-9]{1,64}");
    private static final String FUNCTION_TYPE = "AWS::Serverless::Function";

    /** A problem at a place in the template ({@code Resources.Orders.Properties.ImageUri}). */
    static final class Invalid extends RuntimeException {
        final String where;

        Invalid(String where, String problem) {
            super(problem, null, false, false);
            this.where = where;
        }
    }

    /**
     * The pseudo parameters a template can {@code Ref}: region and account from {@code esb.aws.*}, the stack name
     * from {@code esb.sam.stack-name}, and the partition and URL suffix that go with the region.
     */
    public static Map<String, String> pseudoParameters(String region, String accountId, String stackName) {
        var partition = region.startsWith("cn-") ? "aws-cn" : region.startsWith("us-gov-") ? "aws-us-gov" : "aws";
        var values = new LinkedHashMap<String, String>();
        values.put("AWS::Region", region);
        values.put("AWS::AccountId", accountId);
        values.put("AWS::StackName", stackName);
        values.put("AWS::StackId", "arn:" + partition + ":cloudformation:" + region + ":" + accountId + ":stack/" + stackName + "/"
                + UUID.nameUUIDFromBytes(stackName.getBytes(StandardCharsets.UTF_8)));
        values.put("AWS::Partition", partition);
        values.put("AWS::URLSuffix", partition.equals("aws-cn") ? "amazonaws.com.cn" : "amazonaws.com");
        return Collections.unmodifiableMap(values);
    }

    /**
     * Reads {@code template}. {@code parameterOverrides} replace Parameters' defaults (from {@code esb.sam.parameters});
     * {@code pseudo} comes from {@link #pseudoParameters}; {@code runtimes} ({@code esb.runtimes}) give Zip functions
     * their image.
     */
    public static SamTemplate read(Path template, Map<String, String> parameterOverrides, Map<String, String> pseudo,
                                   Map<String, String> runtimes) {
        var file = template.toAbsolutePath().normalize();
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ConfigException(KEY, "no such file: " + file);
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new ConfigException(KEY, "cannot read " + file + ": " + e.getMessage());
        }
        try {
            return read(file, SamYaml.parse(text), parameterOverrides, pseudo, runtimes);
        } catch (SamYaml.Malformed e) {
            throw ConfigException.inFile(KEY, "SAM template", file.toString(), e.where, e.getMessage());
        } catch (Invalid e) {
            throw ConfigException.inFile(KEY, "SAM template", file.toString(), e.where, e.getMessage());
        }
    }

    private static SamTemplate read(Path file, Object document, Map<String, String> overrides, Map<String, String> pseudo,
                                    Map<String, String> runtimes) {
        if (!(document instanceof Map<?, ?>)) {
            throw new Invalid("document", "a SAM template must be a mapping with Resources");
        }
        var root = SamFunctions.map(document, "document");
        var unsupported = new ArrayList<String>();
        var parameters = parameters(file, SamFunctions.map(root.get("Parameters"), "Parameters"), overrides);
        if (!(root.get("Resources") instanceof Map<?, ?>)) {
            throw new Invalid("Resources", "is required and must map logical ids to resources");
        }
        var resources = SamFunctions.map(root.get("Resources"), "Resources");
        var globals = SamFunctions.map(root.get("Globals"), "Globals");
        for (var section : globals.keySet()) {
            if (!section.equals("Function")) {
                unsupported.add("Globals." + section);
            }
        }
        var globalFunction = SamFunctions.map(globals.get("Function"), "Globals.Function");
        for (var key : globalFunction.keySet()) {
            if (!SamFunctions.SUPPORTED_PROPERTIES.contains(key)) {
                unsupported.add("Globals.Function." + key);
            }
        }
        var intrinsics = new SamIntrinsics(parameters, pseudo, resources.keySet());
        var functions = new LinkedHashMap<String, FunctionSettings>();
        var builds = new LinkedHashMap<String, ImageBuild>();
        for (var entry : resources.entrySet()) {
            var id = entry.getKey();
            var resource = SamFunctions.map(entry.getValue(), "Resources." + id);
            if (!(resource.get("Type") instanceof String type) || type.isBlank()) {
                throw new Invalid("Resources." + id + ".Type", "is required");
            }
            if (type.equals(SamFunctions.SERVERLESS_LAYER) || type.equals(SamFunctions.LAMBDA_LAYER)) {
                continue; // read where a function refers to it
            }
            if (!type.equals(FUNCTION_TYPE)) {
                unsupported.add("Resources." + id + " (" + type + ")");
                continue;
            }
            if (!LOGICAL_ID.matcher(id).matches()) {
                throw new Invalid("Resources." + id, "a function's logical id must be 1-64 letters and digits (it is the function's name)");
            }
            if (resource.containsKey("Condition")) {
                unsupported.add("Resources." + id + ".Condition (the function is always defined)");
            }
            var result = SamFunctions.read(id, resource, globalFunction, resources, file.getParent(), intrinsics, runtimes, unsupported);
            functions.put(id, result.settings());
            if (result.build() != null) {
                builds.put(id, result.build());
            }
        }
        return new SamTemplate(file, Collections.unmodifiableMap(functions), Collections.unmodifiableMap(builds), List.copyOf(unsupported));
    }

    /** Each declared parameter with its value: the override, else its Default, else null. */
    private static Map<String, String> parameters(Path file, Map<String, Object> declared, Map<String, String> overrides) {
        for (var name : overrides.keySet()) {
            if (!declared.containsKey(name)) {
                throw new ConfigException("esb.sam.parameters." + name, "is not a parameter of SAM template " + file
                        + " (it declares " + new TreeSet<>(declared.keySet()) + ")");
            }
        }
        var values = new LinkedHashMap<String, String>();
        for (var entry : declared.entrySet()) {
            var name = entry.getKey();
            var where = "Parameters." + name;
            var definition = SamFunctions.map(entry.getValue(), where);
            String value = overrides.get(name);
            if (value == null && definition.containsKey("Default")) {
                value = SamIntrinsics.text(definition.get("Default"));
                if (value == null) {
                    throw new Invalid(where + ".Default", "must be a string or number");
                }
            }
            if (value != null && definition.get("AllowedValues") instanceof List<?> allowed
                    && allowed.stream().map(SamIntrinsics::text).noneMatch(value::equals)) {
                var problem = "value '" + value + "' is not one of its AllowedValues " + allowed;
                if (overrides.containsKey(name)) {
                    throw new ConfigException("esb.sam.parameters." + name, problem);
                }
                throw new Invalid(where + ".Default", problem);
            }
            values.put(name, value);
        }
        return values;
    }

    public boolean present() {
        return path != null;
    }

    /** Logs, once at startup, which functions came from the template and, in one WARN, everything it ignores. */
    public void logSummary() {
        if (!present()) {
            return;
        }
        log.info("Read functions from SAM template", kv("template", path.toString()), kv("functions", functions.keySet()),
                kv("image_builds", builds.keySet()));
        if (!unsupported.isEmpty()) {
            log.warn("SAM template has resources and properties esb does not support; they are ignored",
                    kv("template", path.toString()), kv("unsupported_count", unsupported.size()), kv("unsupported", unsupported));
        }
    }
}
