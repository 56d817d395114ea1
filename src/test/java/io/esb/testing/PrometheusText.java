package io.esb.testing;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * A parsed Prometheus text exposition (format 0.0.4): every sample line as name, labels and value, and the
 * {@code # TYPE} of each family. Written for tests, so it is strict: a line it cannot read fails the test.
 */
public final class PrometheusText {
    public record Sample(String name, Map<String, String> labels, double value) {}

    public final List<Sample> samples = new ArrayList<>();
    public final Map<String, String> types = new LinkedHashMap<>();

    private PrometheusText() {}

    public static PrometheusText parse(String text) {
        var parsed = new PrometheusText();
        for (var line : text.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            if (line.startsWith("# TYPE ")) {
                var parts = line.substring("# TYPE ".length()).split(" ");
                parsed.types.put(parts[0], parts[1]);
                continue;
            }
            if (line.startsWith("#")) {
                continue;
            }
            parsed.samples.add(sample(line));
        }
        return parsed;
    }

    private static Sample sample(String line) {
        int brace = line.indexOf('{');
        int space = line.indexOf(' ');
        var labels = new LinkedHashMap<String, String>();
        String name;
        int rest;
        if (brace >= 0 && brace < space) {
            name = line.substring(0, brace);
            int i = brace + 1;
            while (line.charAt(i) != '}') {
                int eq = line.indexOf('=', i);
                var key = line.substring(i, eq);
                if (line.charAt(eq + 1) != '"') {
                    throw new IllegalArgumentException("unquoted label value in: " + line);
                }
                var value = new StringBuilder();
                int j = eq + 2;
                for (; line.charAt(j) != '"'; j++) {
                    char c = line.charAt(j);
                    if (c == '\\') {
                        char next = line.charAt(++j);
                        value.append(next == 'n' ? '\n' : next);
                    } else {
                        value.append(c);
                    }
                }
                labels.put(key, value.toString());
                i = j + 1;
                if (line.charAt(i) == ',') {
                    i++;
                }
            }
            rest = i + 1;
        } else {
            name = line.substring(0, space);
            rest = space;
        }
        var fields = line.substring(rest).trim().split(" ");
        return new Sample(name, Map.copyOf(labels), Double.parseDouble(fields[0].replace("+Inf", "Infinity").replace("-Inf", "-Infinity")));
    }

    /** The value of the one sample with this name whose labels include all of {@code labels}; empty when none. */
    public OptionalDouble value(String name, String... labels) {
        var matching = matching(name, labels);
        if (matching.size() > 1) {
            throw new IllegalStateException(matching.size() + " samples match " + name + " " + String.join(",", labels) + ": " + matching);
        }
        return matching.isEmpty() ? OptionalDouble.empty() : OptionalDouble.of(matching.get(0).value());
    }

    /** Samples with this name whose labels include {@code labels} (given as name, value pairs). */
    public List<Sample> matching(String name, String... labels) {
        var result = new ArrayList<Sample>();
        outer:
        for (var sample : samples) {
            if (!sample.name().equals(name)) {
                continue;
            }
            for (int i = 0; i + 1 < labels.length; i += 2) {
                if (!labels[i + 1].equals(sample.labels().get(labels[i]))) {
                    continue outer;
                }
            }
            result.add(sample);
        }
        return result;
    }

    /** The sum of every sample with this name whose labels include {@code labels}. */
    public double sum(String name, String... labels) {
        return matching(name, labels).stream().mapToDouble(Sample::value).sum();
    }
}
