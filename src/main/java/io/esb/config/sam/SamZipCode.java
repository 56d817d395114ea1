package io.esb.config.sam;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The code of one Zip {@code AWS::Serverless::Function}: its Runtime and Handler, and its CodeUri and Layers as local
 * directories. esb runs code that is on this machine, so S3 locations, layer ARNs and InlineCode are refused with the
 * place in the template; whether the directories exist is checked where {@code esb.functions} checks it.
 */
final class SamZipCode {
    private final String base;
    private final Map<String, Object> own;
    private final Map<String, Object> globals;
    private final Map<String, Object> properties;
    private final Map<String, Object> resources;
    private final Path templateDir;
    private final SamIntrinsics intrinsics;
    private final List<String> layerWheres = new ArrayList<>();

    /** {@code properties}: {@code own} merged over {@code globals}; {@code resources}: the template's, for its LayerVersions. */
    SamZipCode(String base, Map<String, Object> own, Map<String, Object> globals, Map<String, Object> properties,
               Map<String, Object> resources, Path templateDir, SamIntrinsics intrinsics) {
        this.base = base;
        this.own = own;
        this.globals = globals;
        this.properties = properties;
        this.resources = resources;
        this.templateDir = templateDir;
        this.intrinsics = intrinsics;
    }

    /**
     * Runtime, Handler, CodeUri, Layers and Architectures as {@code esb.functions} keys, paths made absolute from the
     * template's directory.
     */
    Map<String, Object> read() {
        var fn = new LinkedHashMap<String, Object>();
        if (own.containsKey("ImageUri")) {
            throw new SamTemplate.Invalid(where("ImageUri"), "belongs to PackageType Image; a Zip function runs CodeUri on its Runtime, "
                    + "so remove one of them");
        }
        if (properties.containsKey("InlineCode")) {
            throw new SamTemplate.Invalid(where("InlineCode"), "InlineCode is not supported: put the code in a directory and set CodeUri "
                    + "to it");
        }
        fn.put("runtime", required("Runtime"));
        fn.put("handler", required("Handler"));
        if (!properties.containsKey("CodeUri")) {
            throw new SamTemplate.Invalid(where("CodeUri"), "is required for a Zip function: the directory of its code, relative to the "
                    + "template");
        }
        fn.put("code-uri", localDirectory(properties.get("CodeUri"), where("CodeUri"), "the function's code directory"));
        fn.put("layers", layers());
        var architectures = architectures();
        if (architectures != null) {
            fn.put("architectures", architectures);
        }
        return fn;
    }

    /** Where each layer comes from in the template (its content property), in the order of the {@code layers} key. */
    List<String> layerWheres() {
        return layerWheres;
    }

    /** A property that must be present and evaluable, as text. */
    private String required(String property) {
        var where = where(property);
        var value = properties.containsKey(property) ? intrinsics.resolve(properties.get(property), where) : null;
        if (value instanceof SamIntrinsics.Unresolved unresolved) {
            throw new SamTemplate.Invalid(where, "uses " + unresolved.what() + ", which esb cannot evaluate");
        }
        var text = value == null || value == SamIntrinsics.NO_VALUE ? null : SamIntrinsics.text(value);
        if (text == null || text.isBlank()) {
            throw new SamTemplate.Invalid(where, "is required for a Zip function and must be a string");
        }
        return text.trim();
    }

    /** A local directory named by a template value, absolute; an S3 location or anything unevaluable is an error. */
    private String localDirectory(Object raw, String where, String what) {
        var value = intrinsics.resolve(raw, where);
        if (value instanceof Map<?, ?> || (value instanceof String s && s.trim().startsWith("s3://"))) {
            throw new SamTemplate.Invalid(where, "is an S3 location; esb runs local code only: set it to " + what + ", a path relative to "
                    + "the template (sam build writes a template with such paths under .aws-sam/build)");
        }
        if (value instanceof SamIntrinsics.Unresolved unresolved) {
            throw new SamTemplate.Invalid(where, "uses " + unresolved.what() + ", which esb cannot evaluate; set it to " + what);
        }
        var text = SamIntrinsics.text(value);
        if (text == null || text.isBlank()) {
            throw new SamTemplate.Invalid(where, "must be " + what + ", a path relative to the template");
        }
        try {
            return templateDir.resolve(text.trim()).toAbsolutePath().normalize().toString();
        } catch (java.nio.file.InvalidPathException e) {
            throw new SamTemplate.Invalid(where, "is not a file path (got '" + text + "')");
        }
    }

    /**
     * Each layer's directory: Globals' layers, then the function's own, as SAM concatenates them. A layer must be a
     * {@code !Ref} to a LayerVersion of this template with local content; an ARN names a layer that lives in AWS.
     */
    private List<String> layers() {
        var entries = new ArrayList<Map.Entry<String, Object>>();
        var ownLayers = own.get("Layers");
        var globalLayers = globals.get("Layers");
        if (ownLayers == null || (ownLayers instanceof List<?> && globalLayers instanceof List<?>)) {
            addLayers(entries, globalLayers, "Globals.Function.Layers");
        }
        addLayers(entries, ownLayers, base + ".Properties.Layers");
        var directories = new ArrayList<String>();
        for (var entry : entries) {
            var where = entry.getKey();
            var item = entry.getValue();
            if (item instanceof Map<?, ?> ref && ref.size() == 1 && ref.get("Ref") instanceof String name && resources.containsKey(name.trim())) {
                var layerId = name.trim();
                var at = "Resources." + layerId;
                var resource = SamFunctions.map(resources.get(layerId), at);
                var type = String.valueOf(resource.get("Type"));
                var layerProperties = SamFunctions.map(resource.get("Properties"), at + ".Properties");
                String contentKey = switch (type) {
                    case SamFunctions.SERVERLESS_LAYER -> "ContentUri";
                    case SamFunctions.LAMBDA_LAYER -> "Content";
                    default -> throw new SamTemplate.Invalid(where, "Ref to '" + layerId + "', a " + type + ", not a layer; Layers take "
                            + "!Ref of an " + SamFunctions.SERVERLESS_LAYER + " of this template");
                };
                var contentWhere = at + ".Properties." + contentKey;
                if (!layerProperties.containsKey(contentKey)) {
                    throw new SamTemplate.Invalid(contentWhere, "is required: the layer's directory, relative to the template");
                }
                directories.add(localDirectory(layerProperties.get(contentKey), contentWhere, "the layer's directory"));
                layerWheres.add(contentWhere);
                continue;
            }
            var value = intrinsics.resolve(item, where);
            var shown = value instanceof SamIntrinsics.Unresolved unresolved ? unresolved.what() : String.valueOf(value);
            throw new SamTemplate.Invalid(where, "layer '" + shown + "' is not in this template; esb supports only local layers: a !Ref to "
                    + "an " + SamFunctions.SERVERLESS_LAYER + " whose ContentUri is a directory");
        }
        return directories;
    }

    private static void addLayers(List<Map.Entry<String, Object>> entries, Object layers, String where) {
        if (layers == null) {
            return;
        }
        if (!(layers instanceof List<?> list)) {
            throw new SamTemplate.Invalid(where, "must be a list of layers");
        }
        for (int i = 0; i < list.size(); i++) {
            entries.add(Map.entry(where + "[" + i + "]", list.get(i)));
        }
    }

    /** The function's own Architectures, else Globals': one list, never the two concatenated (Lambda takes one value). */
    private List<String> architectures() {
        if (!own.containsKey("Architectures") && !globals.containsKey("Architectures")) {
            return null;
        }
        var where = where("Architectures");
        var value = intrinsics.resolve(own.containsKey("Architectures") ? own.get("Architectures") : globals.get("Architectures"), where);
        if (!(value instanceof List<?> list)) {
            throw new SamTemplate.Invalid(where, "must be a list of one architecture: [x86_64] or [arm64]");
        }
        var result = new ArrayList<String>();
        for (var item : list) {
            var text = SamIntrinsics.text(item);
            if (text == null) {
                throw new SamTemplate.Invalid(where, "must be a list of one architecture: [x86_64] or [arm64]");
            }
            result.add(text.trim());
        }
        return result;
    }

    /** The template path of a property: the function's own, else the Globals.Function one it inherits. */
    private String where(String property) {
        return (own.containsKey(property) || !properties.containsKey(property) ? base + ".Properties." : "Globals.Function.") + property;
    }
}
