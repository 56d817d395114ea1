package io.esb.function;

import io.esb.config.FunctionSettings;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * What a reload changes about the functions, by name (each list sorted).
 *
 * @param added     new functions
 * @param removed   functions no longer configured: they drain and go
 * @param replaced  functions whose containers change (image, timeout, memory, environment or CPU limit, as
 *                  {@link FunctionSettings#containerSpecHash()} sees them, or how their image is built): a new actor
 *                  and new containers; the old actor drains
 * @param updated   functions whose containers stay as they are while other settings change (routes,
 *                  max-concurrency, min-warm): the same actor takes the new settings
 */
public record FunctionDiff(List<String> added, List<String> removed, List<String> replaced, List<String> updated) {

    public FunctionDiff {
        added = List.copyOf(added);
        removed = List.copyOf(removed);
        replaced = List.copyOf(replaced);
        updated = List.copyOf(updated);
    }

    public static FunctionDiff between(Map<String, FunctionSettings> before, Map<String, FunctionSettings> after) {
        return between(before, after, Map.of(), Map.of());
    }

    /** {@code buildsBefore}/{@code buildsAfter}: how functions' images are built (SAM Dockerfiles), by name. */
    public static FunctionDiff between(Map<String, FunctionSettings> before, Map<String, FunctionSettings> after,
                                       Map<String, ?> buildsBefore, Map<String, ?> buildsAfter) {
        var added = new ArrayList<String>();
        var removed = new ArrayList<String>();
        var replaced = new ArrayList<String>();
        var updated = new ArrayList<String>();
        var names = new TreeSet<String>(before.keySet());
        names.addAll(after.keySet());
        for (var name : names) {
            var old = before.get(name);
            var now = after.get(name);
            if (old == null) {
                added.add(name);
            } else if (now == null) {
                removed.add(name);
            } else if (!old.containerSpecHash().equals(now.containerSpecHash())
                    || !java.util.Objects.equals(buildsBefore.get(name), buildsAfter.get(name))) {
                replaced.add(name);
            } else if (!old.equals(now)) {
                updated.add(name);
            }
        }
        return new FunctionDiff(added, removed, replaced, updated);
    }

    /** Replaced and updated functions together: every configured function whose settings changed. */
    public List<String> changed() {
        var changed = new TreeSet<String>(replaced);
        changed.addAll(updated);
        return List.copyOf(changed);
    }

    public boolean isEmpty() {
        return added.isEmpty() && removed.isEmpty() && replaced.isEmpty() && updated.isEmpty();
    }
}
