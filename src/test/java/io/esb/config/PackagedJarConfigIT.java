package io.esb.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * REGRESSION (reference.conf in the shaded jar): the jar appends every module's reference.conf into one file, ours
 * first, so Akka's defaults came after the gateway's values for Akka's keys and won. `java -jar` ran with a 60 s HTTP
 * idle timeout (the benchmark's kept-alive connections were reset after a pause), a 20 s request timeout, 8 MB bodies,
 * no raw request URI and 8 dispatcher threads, while tests, on the unshaded classpath, saw the intended values.
 * This loads the configuration from target/esb.jar alone, as the jar does.
 */
class PackagedJarConfigIT {
    private static final Path JAR = Path.of("target/esb.jar");

    @Test
    void theJarRunsWithTheGatewaysValuesForAkkasKeys() throws Exception {
        assertThat(JAR).exists();
        var ours = ConfigFactory.parseResources(EsbConfig.AKKA_DEFAULTS);
        assertThat(ours.entrySet()).hasSizeGreaterThanOrEqualTo(9);
        try (var jar = new URLClassLoader(new URL[] {JAR.toUri().toURL()}, ClassLoader.getPlatformClassLoader())) {
            var configType = jar.loadClass("com.typesafe.config.Config");
            var factory = jar.loadClass("com.typesafe.config.ConfigFactory");
            var loaded = jar.loadClass("io.esb.config.EsbConfig").getMethod("load", configType)
                    .invoke(null, factory.getMethod("empty").invoke(null));
            var mergedReference = factory.getMethod("defaultReference", ClassLoader.class).invoke(null, jar);
            var getValue = configType.getMethod("getValue", String.class);
            var hasPath = configType.getMethod("hasPath", String.class);
            var unwrapped = jar.loadClass("com.typesafe.config.ConfigValue").getMethod("unwrapped");
            int akkaDiffers = 0;
            for (var entry : ours.entrySet()) {
                var path = entry.getKey();
                assertThat(unwrapped.invoke(getValue.invoke(loaded, path))).as(path).isEqualTo(entry.getValue().unwrapped());
                if (!(Boolean) hasPath.invoke(mergedReference, path)
                        || !unwrapped.invoke(getValue.invoke(mergedReference, path)).equals(entry.getValue().unwrapped())) {
                    akkaDiffers++;
                }
            }
            // Without the layering the jar's merged reference.conf says otherwise for most of them: the bug above.
            assertThat(unwrapped.invoke(getValue.invoke(mergedReference, "akka.http.server.idle-timeout"))).isEqualTo("60 s");
            assertThat(akkaDiffers).isGreaterThanOrEqualTo(5);
        }
    }

    @Test
    void ourReferenceConfSetsNoAkkaKey() throws Exception {
        var reference = ConfigFactory.parseString(Files.readString(Path.of("src/main/resources/reference.conf")));
        assertThat(reference.hasPath("akka")).as("Akka's keys belong in " + EsbConfig.AKKA_DEFAULTS).isFalse();
    }
}
