package io.esb.route;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * An API-Gateway-style resource path such as {@code /users/{id}} or {@code /files/{proxy+}}.
 *
 * <p>Natural order is routing precedence: the template that should win comes first
 * (literal beats {@code {param}} beats {@code {greedy+}}, segment by segment from the left,
 * then longer templates first).
 */
public final class PathTemplate implements Comparable<PathTemplate> {

    private static final Pattern LITERAL = Pattern.compile("[A-Za-z0-9._~!$&'()*+,;=:@-]+");
    private static final Pattern PARAM_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_-]*");

    private enum Kind { LITERAL, PARAM, GREEDY } // declaration order = precedence

    private record Segment(Kind kind, String value) {}

    private final String template;
    private final List<Segment> segments;
    private final String shape;

    private PathTemplate(String template, List<Segment> segments) {
        this.template = template;
        this.segments = List.copyOf(segments);
        this.shape = computeShape(this.segments);
    }

    /** Parses and validates a template; throws {@link IllegalArgumentException} with a short reason. */
    public static PathTemplate parse(String template) {
        if (template == null || template.isEmpty()) {
            throw invalid("path must not be empty");
        }
        if (!template.startsWith("/")) {
            throw invalid("path must start with '/'");
        }
        if (template.equals("/")) {
            return new PathTemplate(template, List.of());
        }
        if (template.endsWith("/")) {
            throw invalid("trailing slash is not allowed");
        }
        String[] parts = template.substring(1).split("/", -1);
        List<Segment> segments = new ArrayList<>(parts.length);
        Set<String> names = new HashSet<>();
        for (int i = 0; i < parts.length; i++) {
            Segment segment = parseSegment(parts[i]);
            if (segment.kind() == Kind.GREEDY && i != parts.length - 1) {
                throw invalid("greedy parameter {" + segment.value() + "+} must be the last segment");
            }
            if (segment.kind() != Kind.LITERAL && !names.add(segment.value())) {
                throw invalid("duplicate parameter name '" + segment.value() + "'");
            }
            segments.add(segment);
        }
        return new PathTemplate(template, segments);
    }

    private static Segment parseSegment(String part) {
        if (part.isEmpty()) {
            throw invalid("empty path segment");
        }
        if (part.startsWith("{") && part.endsWith("}")) {
            String inner = part.substring(1, part.length() - 1);
            boolean greedy = inner.endsWith("+");
            String name = greedy ? inner.substring(0, inner.length() - 1) : inner;
            if (!PARAM_NAME.matcher(name).matches()) {
                throw invalid("invalid parameter name in '" + part + "'");
            }
            return new Segment(greedy ? Kind.GREEDY : Kind.PARAM, name);
        }
        if (part.equals(".") || part.equals("..")) {
            throw invalid("'" + part + "' segments are not allowed");
        }
        if (!LITERAL.matcher(part).matches()) {
            throw invalid("invalid characters in segment '" + part + "'");
        }
        return new Segment(Kind.LITERAL, part);
    }

    /** The message is only the reason: callers (config loading) already name the template and its location. */
    private static IllegalArgumentException invalid(String reason) {
        return new IllegalArgumentException(reason);
    }

    private static String computeShape(List<Segment> segments) {
        if (segments.isEmpty()) {
            return "/";
        }
        StringBuilder sb = new StringBuilder();
        for (Segment s : segments) {
            sb.append('/').append(switch (s.kind()) {
                case LITERAL -> s.value();
                case PARAM -> "{}";
                case GREEDY -> "{+}";
            });
        }
        return sb.toString();
    }

    public String template() {
        return template;
    }

    /**
     * The template with parameter names erased ({@code /a/{x}} and {@code /a/{y}} both give {@code /a/{}}):
     * two templates with the same shape match exactly the same paths.
     */
    public String shape() {
        return shape;
    }

    /** True when the decoded segments match; allocation-free so a route scan stays cheap. */
    public boolean matches(List<String> decodedSegments) {
        int n = segments.size();
        boolean greedy = n > 0 && segments.get(n - 1).kind() == Kind.GREEDY;
        int size = decodedSegments.size();
        if (greedy ? size < n : size != n) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            Segment s = segments.get(i);
            if (s.kind() == Kind.LITERAL && !s.value().equals(decodedSegments.get(i))) {
                return false;
            }
        }
        return true;
    }

    /**
     * Matches already-decoded segments (see {@link #splitRequestPath}) and returns the captured parameters
     * in template order; a greedy parameter captures the remaining (at least one) segments joined by '/'.
     */
    public Optional<Map<String, String>> match(List<String> decodedSegments) {
        if (!matches(decodedSegments)) {
            return Optional.empty();
        }
        Map<String, String> params = new LinkedHashMap<>();
        for (int i = 0; i < segments.size(); i++) {
            Segment s = segments.get(i);
            if (s.kind() == Kind.PARAM) {
                params.put(s.value(), decodedSegments.get(i));
            } else if (s.kind() == Kind.GREEDY) {
                params.put(s.value(), String.join("/", decodedSegments.subList(i, decodedSegments.size())));
            }
        }
        return Optional.of(Collections.unmodifiableMap(params));
    }

    /** Routing precedence: negative when {@code this} should be tried before {@code other}. */
    @Override
    public int compareTo(PathTemplate other) {
        int common = Math.min(segments.size(), other.segments.size());
        for (int i = 0; i < common; i++) {
            int byKind = segments.get(i).kind().compareTo(other.segments.get(i).kind());
            if (byKind != 0) {
                return byKind;
            }
        }
        int byLength = Integer.compare(other.segments.size(), segments.size());
        return byLength != 0 ? byLength : template.compareTo(other.template); // last: stable, equals-consistent
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PathTemplate p && p.template.equals(template);
    }

    @Override
    public int hashCode() {
        return template.hashCode();
    }

    @Override
    public String toString() {
        return template;
    }

    /**
     * Splits a raw (still percent-encoded) request path into decoded segments.
     * Empty means "not routable": anything that could escape or alias a route
     * ({@code .}/{@code ..}, encoded or decoded slashes/backslashes, NUL, empty segments, bad encoding).
     * Root {@code /} gives an empty list.
     */
    public static Optional<List<String>> splitRequestPath(String rawPath) {
        if (rawPath == null || !rawPath.startsWith("/")) {
            return Optional.empty();
        }
        if (rawPath.equals("/")) {
            return Optional.of(List.of());
        }
        String[] parts = rawPath.substring(1).split("/", -1);
        List<String> decoded = new ArrayList<>(parts.length);
        for (String part : parts) {
            Optional<String> segment = decodeSegment(part);
            if (segment.isEmpty()) {
                return Optional.empty();
            }
            decoded.add(segment.get());
        }
        return Optional.of(List.copyOf(decoded));
    }

    private static Optional<String> decodeSegment(String raw) {
        if (raw.isEmpty()) {
            return Optional.empty();
        }
        String decoded = percentDecode(raw);
        if (decoded == null || decoded.equals(".") || decoded.equals("..")
                || decoded.indexOf('/') >= 0 || decoded.indexOf('\\') >= 0 || decoded.indexOf('\0') >= 0) {
            return Optional.empty();
        }
        return Optional.of(decoded);
    }

    /** RFC 3986 percent-decoding (no '+' to space: that is form encoding, not paths); null if invalid. */
    private static String percentDecode(String raw) {
        if (raw.indexOf('%') < 0) {
            return raw;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                if (i + 2 >= raw.length()) {
                    return null;
                }
                int hi = Character.digit(raw.charAt(i + 1), 16);
                int lo = Character.digit(raw.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    return null;
                }
                bytes.write((hi << 4) | lo);
                i += 2;
            } else if (c < 0x80) {
                bytes.write(c);
            } else { // raw non-ASCII should not arrive, but keep it rather than mangle it
                int cp = raw.codePointAt(i);
                byte[] utf8 = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
                bytes.write(utf8, 0, utf8.length);
                i += Character.charCount(cp) - 1;
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes.toByteArray()))
                    .toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
