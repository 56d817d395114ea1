package io.esb.function;

import com.typesafe.config.ConfigFactory;
import io.esb.config.FunctionSettings;
import io.esb.config.SettingsLoader;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class FunctionDiffTest {

    @Test
    void classifiesAddedRemovedReplacedAndUpdatedFunctions() {
        var before = functions("""
                keep    { image = "esb-fixture:latest" }
                gone    { image = "esb-fixture:latest" }
                env     { image = "esb-fixture:latest", environment { A = "1" } }
                image   { image = "esb-fixture:latest" }
                timeout { image = "esb-fixture:latest", timeout = 3s }
                memory  { image = "esb-fixture:latest", memory-mb = 128 }
                cpus    { image = "esb-fixture:latest" }
                routes  { image = "esb-fixture:latest", routes = [ { method = "GET", path = "/r" } ] }
                pool    { image = "esb-fixture:latest", max-concurrency = 10, min-warm = 0 }
                """);
        var after = functions("""
                keep    { image = "esb-fixture:latest" }
                env     { image = "esb-fixture:latest", environment { A = "2" } }
                image   { image = "esb-example-hello:latest" }
                timeout { image = "esb-fixture:latest", timeout = 4s }
                memory  { image = "esb-fixture:latest", memory-mb = 256 }
                cpus    { image = "esb-fixture:latest", cpus = 0.5 }
                routes  { image = "esb-fixture:latest", routes = [ { method = "GET", path = "/r2" } ] }
                pool    { image = "esb-fixture:latest", max-concurrency = 2, min-warm = 1 }
                fresh   { image = "esb-fixture:latest" }
                """);

        var diff = FunctionDiff.between(before, after);

        assertThat(diff.added()).containsExactly("fresh");
        assertThat(diff.removed()).containsExactly("gone");
        // Everything that shapes a container: new actor, new containers.
        assertThat(diff.replaced()).containsExactly("cpus", "env", "image", "memory", "timeout");
        // Same containers, other settings: the actor takes them in place.
        assertThat(diff.updated()).containsExactly("pool", "routes");
        assertThat(diff.changed()).containsExactly("cpus", "env", "image", "memory", "pool", "routes", "timeout");
        assertThat(diff.isEmpty()).isFalse();
    }

    @Test
    void aChangedImageBuildReplacesTheFunction() {
        var fns = functions("""
                built { image = "built:latest" }
                other { image = "other:latest" }
                """);
        var build = new io.esb.config.ImageBuild(java.nio.file.Path.of("/src/Dockerfile"), java.nio.file.Path.of("/src"), "built:latest",
                Map.of("V", "1"), null);
        var rebuilt = new io.esb.config.ImageBuild(build.dockerfile(), build.context(), build.tag(), Map.of("V", "2"), null);

        assertThat(FunctionDiff.between(fns, fns, Map.of("built", build), Map.of("built", build)).isEmpty()).isTrue();
        assertThat(FunctionDiff.between(fns, fns, Map.of("built", build), Map.of("built", rebuilt)).replaced()).containsExactly("built");
        // Built from a Dockerfile before, now a plain image (or the other way): new containers too.
        assertThat(FunctionDiff.between(fns, fns, Map.of(), Map.of("other", build)).replaced()).containsExactly("other");
    }

    @Test
    void identicalSettingsAreNoChange() {
        var text = """
                a { image = "esb-fixture:latest", environment { X = "1" }, routes = [ { method = "GET", path = "/a" } ] }
                """;
        var diff = FunctionDiff.between(functions(text), functions(text));
        assertThat(diff.isEmpty()).isTrue();
        assertThat(diff.changed()).isEmpty();
        assertThat(FunctionDiff.between(Map.of(), Map.of())).isEqualTo(new FunctionDiff(List.of(), List.of(), List.of(), List.of()));
    }

    @Test
    void aCpuLimitChangesTheSpecHashOnlyWhenSet() {
        // Push mode: the containers made before modes existed were called that way.
        var without = functions("f { image = \"esb-fixture:latest\", mode = push }").get("f");
        var with = functions("f { image = \"esb-fixture:latest\", mode = push, cpus = 0.5 }").get("f");
        var other = functions("f { image = \"esb-fixture:latest\", mode = push, cpus = 1 }").get("f");
        assertThat(with.containerSpecHash()).isNotEqualTo(without.containerSpecHash()).isNotEqualTo(other.containerSpecHash());
        // Without a limit the hash is what it was before CPU limits counted, so running containers are still adopted.
        assertThat(without.containerSpecHash()).isEqualTo(legacyHash(without));
    }

    private static String legacyHash(FunctionSettings f) {
        var text = f.image() + "\n" + f.timeout().toMillis() + "\n" + f.memoryMb() + "\n" + new java.util.TreeMap<>(f.environment());
        try {
            var digest = java.security.MessageDigest.getInstance("SHA-256").digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(digest, 0, 8);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static Map<String, FunctionSettings> functions(String body) {
        return SettingsLoader.load(ConfigFactory.parseString("esb.functions {\n" + body + "\n}")
                .withFallback(ConfigFactory.defaultReference()).resolve()).functions();
    }
}
