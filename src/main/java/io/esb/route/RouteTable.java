package io.esb.route;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Immutable (method, path) → function routing table, built once and queried per request.
 *
 * <p>Resolution: templates are tried in precedence order ({@link PathTemplate#compareTo}); the first matching
 * template that accepts the method wins, and within a template an exact method beats {@code ANY}.
 * If templates match the path but none accepts the method the answer is {@link MethodNotAllowed} with every
 * method that <em>would</em> be routed for that path (so an {@code Allow} header is truthful); if no template
 * matches at all it is {@link NotFound}.
 *
 * <p>HEAD: API Gateway treats HEAD as its own method (served by a HEAD or ANY method). We additionally let
 * HEAD fall back to a GET route when the template has neither, as HTTP (RFC 9110 §9.3.2) expects HEAD wherever
 * GET works; the function still sees {@code httpMethod: "HEAD"} and the caller must drop the response body.
 */
public final class RouteTable {

    public static final String ANY = "ANY";
    static final Set<String> METHODS = Set.of("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", ANY);

    /** One configured route; {@code method} is an upper-case HTTP method or {@code ANY}. */
    public record Entry(String functionName, String method, PathTemplate path) {
        public Entry {
            Objects.requireNonNull(functionName, "functionName");
            Objects.requireNonNull(method, "method");
            Objects.requireNonNull(path, "path");
            if (!METHODS.contains(method)) {
                throw new IllegalArgumentException("Invalid method '" + method + "' for function '" + functionName
                        + "': expected one of " + new TreeSet<>(METHODS));
            }
        }
    }

    public sealed interface Match permits Found, MethodNotAllowed, NotFound {}

    public record Found(Entry entry, Map<String, String> pathParameters) implements Match {}

    public record MethodNotAllowed(Set<String> allowedMethods) implements Match {}

    public record NotFound() implements Match {}

    private static final NotFound NOT_FOUND = new NotFound();

    /** All entries sharing one template shape (they match exactly the same paths). */
    private record Group(PathTemplate template, Map<String, Entry> byMethod, Set<String> allowed) {
        Entry select(String method) {
            Entry e = byMethod.get(method);
            if (e == null) {
                e = byMethod.get(ANY);
            }
            if (e == null && method.equals("HEAD")) {
                e = byMethod.get("GET");
            }
            return e;
        }
    }

    private final List<Entry> entries;
    private final List<Group> groups; // sorted by precedence, so lookup is a single scan

    public RouteTable(List<Entry> entries) {
        this.entries = List.copyOf(entries);
        Map<String, Map<String, Entry>> byShape = new LinkedHashMap<>();
        for (Entry entry : this.entries) {
            Map<String, Entry> byMethod = byShape.computeIfAbsent(entry.path().shape(), k -> new HashMap<>());
            Entry previous = byMethod.putIfAbsent(entry.method(), entry);
            if (previous != null) {
                throw new IllegalArgumentException("Duplicate route " + entry.method() + " " + entry.path()
                        + ": function '" + entry.functionName() + "' conflicts with function '"
                        + previous.functionName() + "' (" + previous.method() + " " + previous.path() + ")");
            }
        }
        List<Group> built = new ArrayList<>(byShape.size());
        for (Map<String, Entry> byMethod : byShape.values()) {
            PathTemplate template = byMethod.values().iterator().next().path();
            built.add(new Group(template, Map.copyOf(byMethod), allowedMethods(byMethod.keySet())));
        }
        built.sort(Comparator.comparing(Group::template));
        this.groups = List.copyOf(built);
    }

    public static RouteTable of(List<Entry> entries) {
        return new RouteTable(entries);
    }

    public List<Entry> entries() {
        return entries;
    }

    /** Resolves a request; {@code rawPath} is the still percent-encoded path (no query string). */
    public Match lookup(String method, String rawPath) {
        var segments = PathTemplate.splitRequestPath(rawPath);
        if (segments.isEmpty()) {
            return NOT_FOUND;
        }
        List<String> decoded = segments.get();
        Set<String> allowed = null;
        for (Group group : groups) {
            if (!group.template().matches(decoded)) {
                continue;
            }
            Entry entry = group.select(method);
            if (entry != null) {
                // the entry's own template: parameter names may differ between entries of one shape
                return new Found(entry, entry.path().match(decoded).orElseThrow());
            }
            if (allowed == null) {
                allowed = group.allowed();
            } else {
                Set<String> union = new TreeSet<>(allowed);
                union.addAll(group.allowed());
                allowed = Collections.unmodifiableSet(union);
            }
        }
        return allowed == null ? NOT_FOUND : new MethodNotAllowed(allowed);
    }

    private static Set<String> allowedMethods(Set<String> methods) {
        Set<String> allowed = new TreeSet<>(methods);
        if (allowed.contains("GET")) {
            allowed.add("HEAD"); // see the HEAD fallback above
        }
        return Collections.unmodifiableSet(allowed);
    }
}
