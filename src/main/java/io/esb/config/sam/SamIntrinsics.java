package io.esb.config.sam;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Evaluates the intrinsic functions esb supports: {@code Ref} and {@code Fn::Sub} of parameters, pseudo parameters
 * and resources (a resource resolves to its logical id, as {@code sam local} does), and {@code Fn::Join} of those.
 * Other functions ({@code Fn::GetAtt}, {@code Fn::If}, ...) and unknown tags evaluate to {@link Unresolved}, which the
 * reader reports as unsupported; a malformed call, or a {@code Ref} to nothing the template defines, is an error.
 */
final class SamIntrinsics {
    /** {@code Ref: AWS::NoValue}: the property or list item is removed. */
    static final Object NO_VALUE = new Object() {
        @Override
        public String toString() {
            return "AWS::NoValue";
        }
    };

    /** An intrinsic esb cannot evaluate; {@code what} names it for the warning, e.g. {@code Fn::GetAtt}. */
    record Unresolved(String what) {}

    private final Map<String, String> parameters;
    private final Map<String, String> pseudo;
    private final Set<String> resources;

    /** {@code parameters}: every declared parameter with its value, or null when it has neither Default nor override. */
    SamIntrinsics(Map<String, String> parameters, Map<String, String> pseudo, Set<String> resources) {
        this.parameters = parameters;
        this.pseudo = pseudo;
        this.resources = resources;
    }

    /** Resolves every intrinsic inside {@code value}; {@code where} is its template path, for errors. */
    Object resolve(Object value, String where) {
        if (value instanceof SamYaml.UnknownTag unknown) {
            return new Unresolved(unknown.tag());
        }
        if (value instanceof Map<?, ?> map) {
            if (map.size() == 1) {
                var key = String.valueOf(map.keySet().iterator().next());
                if (key.equals("Ref") || key.startsWith("Fn::")) {
                    return intrinsic(key, map.get(key), where);
                }
            }
            var result = new LinkedHashMap<String, Object>();
            for (var entry : map.entrySet()) {
                var key = String.valueOf(entry.getKey());
                var resolved = resolve(entry.getValue(), where + "." + key);
                if (resolved != NO_VALUE) {
                    result.put(key, resolved);
                }
            }
            return result;
        }
        if (value instanceof List<?> list) {
            var result = new ArrayList<Object>();
            for (int i = 0; i < list.size(); i++) {
                var resolved = resolve(list.get(i), where + "[" + i + "]");
                if (resolved != NO_VALUE) {
                    result.add(resolved);
                }
            }
            return result;
        }
        return value;
    }

    /** A scalar as the text an environment variable or a property gets; null for maps, lists and unresolved values. */
    static String text(Object value) {
        if (value instanceof String s) {
            return s;
        }
        if (value instanceof Boolean || value instanceof Number) {
            return String.valueOf(value);
        }
        return null;
    }

    private Object intrinsic(String function, Object argument, String where) {
        var at = where + "." + function;
        switch (function) {
            case "Ref": {
                if (!(argument instanceof String name)) {
                    throw new SamTemplate.Invalid(at, "Ref takes the name of a parameter or resource");
                }
                return ref(name.trim(), at);
            }
            case "Fn::Sub":
                return sub(argument, at);
            case "Fn::Join":
                return join(argument, at);
            default:
                return new Unresolved(function);
        }
    }

    private Object ref(String name, String where) {
        if (name.equals("AWS::NoValue")) {
            return NO_VALUE;
        }
        if (pseudo.containsKey(name)) {
            return pseudo.get(name);
        }
        if (name.startsWith("AWS::")) {
            return new Unresolved("Ref " + name);
        }
        if (parameters.containsKey(name)) {
            var value = parameters.get(name);
            if (value == null) {
                throw new SamTemplate.Invalid(where, "parameter '" + name + "' has no Default; give it a value in esb.sam.parameters."
                        + name);
            }
            return value;
        }
        if (resources.contains(name)) {
            return name;
        }
        throw new SamTemplate.Invalid(where, "Ref to '" + name + "', which is neither a parameter, a pseudo parameter nor a resource"
                + " of the template");
    }

    /** {@code Fn::Sub: "text ${Name}"} or {@code Fn::Sub: ["text ${Var}", {Var: value}]}. */
    private Object sub(Object argument, String where) {
        String template;
        var variables = new LinkedHashMap<String, Object>();
        if (argument instanceof String s) {
            template = s;
        } else if (argument instanceof List<?> list && list.size() == 2 && list.get(0) instanceof String s && list.get(1) instanceof Map<?, ?> vars) {
            template = s;
            for (var entry : vars.entrySet()) {
                var name = String.valueOf(entry.getKey());
                var value = resolve(entry.getValue(), where + "[1]." + name);
                if (value instanceof Unresolved) {
                    return value;
                }
                variables.put(name, value);
            }
        } else {
            throw new SamTemplate.Invalid(where, "Fn::Sub takes a string, or a list of a string and a map of variables");
        }
        var out = new StringBuilder();
        int i = 0;
        while (true) {
            int start = template.indexOf("${", i);
            if (start < 0) {
                out.append(template, i, template.length());
                break;
            }
            out.append(template, i, start);
            int end = template.indexOf('}', start + 2);
            if (end < 0) {
                out.append(template, start, template.length()); // no closing brace: literal text, as CloudFormation keeps it
                break;
            }
            var name = template.substring(start + 2, end);
            i = end + 1;
            if (name.startsWith("!")) {
                out.append("${").append(name, 1, name.length()).append('}'); // ${!Literal} writes ${Literal}
                continue;
            }
            name = name.trim();
            Object value;
            if (variables.containsKey(name)) {
                value = variables.get(name);
            } else if (name.contains(".")) {
                return new Unresolved("Fn::Sub ${" + name + "}"); // an attribute, as Fn::GetAtt would give
            } else {
                value = ref(name, where);
            }
            if (value instanceof Unresolved) {
                return value;
            }
            var text = text(value);
            if (text == null) {
                throw new SamTemplate.Invalid(where, "${" + name + "} must be a string, not " + (value == NO_VALUE ? "AWS::NoValue" : "a list or map"));
            }
            out.append(text);
        }
        return out.toString();
    }

    /** {@code Fn::Join: [delimiter, [values]]}. */
    private Object join(Object argument, String where) {
        if (!(argument instanceof List<?> list) || list.size() != 2 || !(list.get(0) instanceof String delimiter)) {
            throw new SamTemplate.Invalid(where, "Fn::Join takes a list of a delimiter and a list of values");
        }
        var values = resolve(list.get(1), where + "[1]");
        if (values instanceof Unresolved) {
            return values;
        }
        if (!(values instanceof List<?> items)) {
            return new Unresolved("Fn::Join of a list esb cannot evaluate");
        }
        var parts = new ArrayList<String>();
        for (var item : items) {
            if (item instanceof Unresolved) {
                return item;
            }
            var text = text(item);
            if (text == null) {
                throw new SamTemplate.Invalid(where, "Fn::Join can join strings only");
            }
            parts.add(text);
        }
        return String.join(delimiter, parts);
    }
}
