package io.esb.config.sam;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.AbstractConstruct;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a template (YAML, or JSON, which is YAML) into plain maps, lists and scalars. CloudFormation's short-form
 * tags become their long form, so {@code !Ref X} reads as {@code {Ref: X}} and {@code !Sub s} as
 * {@code {Fn::Sub: s}}; any other tag reads as an {@link UnknownTag} that the reader reports as unsupported.
 */
final class SamYaml {
    /** Functions CloudFormation accepts in short form as {@code !Name}, long form {@code Fn::Name}. */
    private static final Set<String> FUNCTIONS = Set.of("Base64", "Cidr", "FindInMap", "GetAtt", "GetAZs", "ImportValue",
            "Join", "Select", "Split", "Sub", "Transform", "And", "Equals", "If", "Not", "Or", "Length", "ToJsonString", "ForEach");

    /** A value under a tag the reader does not know, such as {@code !Foo bar}. */
    record UnknownTag(String tag, Object value) {}

    /** The template is not valid YAML; {@code where} is "line L, column C" when known. */
    static final class Malformed extends RuntimeException {
        final String where;

        Malformed(String where, String problem) {
            super(problem);
            this.where = where;
        }
    }

    private SamYaml() {}

    static Object parse(String text) {
        var options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        options.setMaxAliasesForCollections(50);
        options.setAllowRecursiveKeys(false);
        try {
            return normalize(new Yaml(new IntrinsicConstructor(options)).load(text));
        } catch (MarkedYAMLException e) {
            var mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
            throw new Malformed(position(mark), oneLine((e.getContext() != null ? e.getContext() + ": " : "") + e.getProblem()));
        } catch (YAMLException e) {
            throw new Malformed("document", oneLine(e.getMessage()));
        }
    }

    private static String position(Mark mark) {
        return mark == null ? "document" : "line " + (mark.getLine() + 1) + ", column " + (mark.getColumn() + 1);
    }

    private static String oneLine(String text) {
        return String.valueOf(text).replaceAll("\\s+", " ").trim();
    }

    /** String keys everywhere, in document order. */
    private static Object normalize(Object value) {
        if (value instanceof Map<?, ?> map) {
            var result = new LinkedHashMap<String, Object>();
            for (var entry : map.entrySet()) {
                result.put(String.valueOf(entry.getKey()), normalize(entry.getValue()));
            }
            return result;
        }
        if (value instanceof List<?> list) {
            var result = new ArrayList<Object>(list.size());
            for (var item : list) {
                result.add(normalize(item));
            }
            return result;
        }
        if (value instanceof UnknownTag unknown) {
            return new UnknownTag(unknown.tag(), normalize(unknown.value()));
        }
        return value;
    }

    /** SnakeYAML's safe constructor plus CloudFormation's tags; an unknown tag never fails the parse. */
    private static final class IntrinsicConstructor extends SafeConstructor {
        IntrinsicConstructor(LoaderOptions options) {
            super(options);
            // Asked for every tag without a constructor of its own (the default throws "could not determine a constructor").
            this.yamlConstructors.put(null, new ConstructTagged());
        }

        private final class ConstructTagged extends AbstractConstruct {
            @Override
            public Object construct(Node node) {
                Object value;
                if (node instanceof ScalarNode scalar) {
                    value = constructScalar(scalar);
                } else if (node instanceof SequenceNode sequence) {
                    value = constructSequence(sequence);
                } else {
                    value = constructMapping((MappingNode) node);
                }
                var tag = node.getTag().getValue();
                if (tag.equals("!Ref")) {
                    return single("Ref", value);
                }
                if (tag.equals("!Condition")) {
                    return single("Condition", value);
                }
                if (tag.startsWith("!") && FUNCTIONS.contains(tag.substring(1))) {
                    return single("Fn::" + tag.substring(1), value);
                }
                return new UnknownTag(tag, value);
            }
        }

        private static Map<Object, Object> single(String key, Object value) {
            var map = new LinkedHashMap<Object, Object>();
            map.put(key, value);
            return map;
        }
    }
}
