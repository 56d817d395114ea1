package io.esb.function;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * AWS extracts a function's layers into /opt in order, a later layer's files replacing an earlier one's. Bind mounts
 * cannot merge directories, so the merge is made of mounts: an entry found in one layer (or a file, whose last layer
 * wins) is mounted whole; a directory several layers have is merged one level down. Two layers that both have
 * {@code java/lib} give one mount per jar; layers with distinct top-level entries give one mount per entry.
 */
final class LayerMounts {
    private LayerMounts() {}

    /** Adds to {@code mounts} (host path to container path) the merge of {@code layers} at {@code target}. */
    static void merge(List<Path> layers, String target, Map<String, String> mounts) {
        if (layers.isEmpty()) {
            return;
        }
        if (layers.size() == 1 && target.equals("/opt")) {
            mounts.put(layers.get(0).toString(), target);
            return;
        }
        var holders = new TreeMap<String, List<Path>>();
        for (var layer : layers) {
            try (Stream<Path> entries = Files.list(layer)) {
                entries.forEach(entry -> holders.computeIfAbsent(entry.getFileName().toString(), name -> new ArrayList<>()).add(entry));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list layer directory " + layer, e);
            }
        }
        holders.forEach((name, entries) -> {
            var last = entries.get(entries.size() - 1);
            var childTarget = target + "/" + name;
            var directories = entries.stream().filter(Files::isDirectory).toList();
            if (entries.size() == 1 || !Files.isDirectory(last) || directories.size() == 1) {
                mounts.put((Files.isDirectory(last) || directories.isEmpty() ? last : directories.get(directories.size() - 1)).toString(), childTarget);
            } else {
                merge(directories, childTarget, mounts);
            }
        });
    }
}
