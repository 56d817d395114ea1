package io.esb.config;

import io.esb.route.RouteSettings;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SettingsLoaderTest {

    /** A complete, valid configuration; bad-value cases override one key of it. */
    private static final String VALID = """
            esb {
              http { port = 9100, stage = "test" }
              docker {
                host = "unix:///var/run/docker.sock"
                max-workers = 4
                client-timeout = 5s
                restart-backoff { min = 100ms, max = 2s }
                instance-id = "unit-1"
              }
              containers { idle-timeout = 90s, max-queue-depth = 7, readiness-timeout = 1500ms }
              functions {
                hello {
                  image = "esb-example-hello:latest"
                  timeout = 10s
                  memory-mb = 256
                  max-concurrency = 3
                  environment { GREETING = "hi", COUNT = 3, DEBUG = true }
                  routes = [
                    { method = "get", path = "/hello/{name}" }
                    { path = "/files/{proxy+}" }
                    { method = " post ", path = "/hello" }
                  ]
                }
                minimal { image = "esb-fixture:latest" }
              }
            }
            """;

    private static Config config(String overrides) {
        return ConfigFactory.parseString(overrides)
                .withFallback(ConfigFactory.parseString(VALID))
                .withFallback(ConfigFactory.defaultReference())
                .resolve();
    }

    @Test
    void validConfigGivesTypedSettings() {
        var settings = SettingsLoader.load(config(""));

        assertThat(settings.http().port()).isEqualTo(9100);
        assertThat(settings.http().stage()).isEqualTo("test");
        assertThat(settings.http().maxInvokePayloadBytes()).isEqualTo(6L * 1024 * 1024);
        assertThat(settings.http().maxRouteBodyBytes()).isEqualTo(10L * 1024 * 1024);

        assertThat(settings.docker()).isEqualTo(new DockerSettings("unix:///var/run/docker.sock", 4, Duration.ofSeconds(5),
                200, Duration.ofSeconds(2), Duration.ofSeconds(2), Duration.ofSeconds(10), Duration.ofMillis(100), Duration.ofSeconds(2), "unit-1",
                Duration.ofMinutes(10), "", Duration.ofSeconds(30), 3));
        assertThat(settings.containers()).isEqualTo(new ContainerSettings(Duration.ofMillis(1500), Duration.ofSeconds(1),
                Duration.ofSeconds(2), Duration.ofSeconds(90), 7, Duration.ofSeconds(30), 50));

        assertThat(settings.functions()).containsOnlyKeys("hello", "minimal");
        var hello = settings.functions().get("hello");
        assertThat(hello).isEqualTo(new FunctionSettings("hello", "esb-example-hello:latest", Duration.ofSeconds(10), 256, 3, 0, 0.0,
                Map.of("GREETING", "hi", "COUNT", "3", "DEBUG", "true"),
                List.of(new RouteSettings("GET", "/hello/{name}"),
                        new RouteSettings("ANY", "/files/{proxy+}"),
                        new RouteSettings("POST", "/hello"))));

        // Defaults of a function that only names its image.
        assertThat(settings.functions().get("minimal")).isEqualTo(new FunctionSettings("minimal", "esb-fixture:latest",
                Duration.ofSeconds(3), 128, 10, 0, 0.0, Map.of(), List.of()));

        assertThatThrownBy(() -> settings.functions().put("x", hello)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> hello.environment().put("X", "y")).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void referenceDefaultsAreValidOnTheirOwn() {
        var settings = SettingsLoader.load(ConfigFactory.defaultReference());
        assertThat(settings.functions()).isEmpty();
        assertThat(settings.docker().maxWorkers()).isEqualTo(20);
        assertThat(settings.docker().clientTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(settings.containers().maxQueueDepth()).isEqualTo(1000);
    }

    @Test
    void dockerNetworkIsEmptyByDefaultOrTheNamedNetwork() {
        assertThat(SettingsLoader.load(config("")).docker().network()).isEmpty();
        assertThat(SettingsLoader.load(config("esb.docker.network = \" esb \"")).docker().network()).isEqualTo("esb");
        assertThat(SettingsLoader.load(config("esb.docker.network = my_net.1")).docker().network()).isEqualTo("my_net.1");
    }

    @Test
    void specHashChangesWithWhatShapesTheContainerOnly() {
        var a = SettingsLoader.load(config("")).functions().get("hello");
        var sameShapeOtherRoutes = SettingsLoader.load(config("esb.functions.hello.routes = []")).functions().get("hello");
        var otherMemory = SettingsLoader.load(config("esb.functions.hello.memory-mb = 512")).functions().get("hello");
        assertThat(a.containerSpecHash()).matches("[0-9a-f]{16}").isEqualTo(sameShapeOtherRoutes.containerSpecHash());
        assertThat(otherMemory.containerSpecHash()).isNotEqualTo(a.containerSpecHash());
    }

    static Stream<Arguments> badValues() {
        return Stream.of(
                Arguments.of("memory-mb = 0", "esb.functions.hello.memory-mb = 0",
                        "esb.functions.hello.memory-mb", "must be between 16 and 10240 (got 0)"),
                Arguments.of("memory-mb = -5", "esb.functions.hello.memory-mb = -5",
                        "esb.functions.hello.memory-mb", "(got -5)"),
                Arguments.of("max-workers = 0", "esb.docker.max-workers = 0",
                        "esb.docker.max-workers", "must be between 1 and 1024 (got 0)"),
                Arguments.of("port = 70000", "esb.http.port = 70000",
                        "esb.http.port", "must be between 0 and 65535 (got 70000)"),
                Arguments.of("function without image", "esb.functions.noimage { memory-mb = 128 }",
                        "esb.functions.noimage.image", "is required"),
                Arguments.of("unparsable timeout", "esb.functions.hello.timeout = \"abc\"",
                        "esb.functions.hello.timeout", "is not a duration such as 30s or 5m (got 'abc')"),
                Arguments.of("zero timeout", "esb.functions.hello.timeout = 0s",
                        "esb.functions.hello.timeout", "must be between 1s and 15m"),
                Arguments.of("greedy segment not last", "esb.functions.hello.routes = [ { path = \"/a/{proxy+}/b\" } ]",
                        "esb.functions.hello.routes[0].path", "'/a/{proxy+}/b'"),
                Arguments.of("path without slash", "esb.functions.hello.routes = [ { path = \"/ok\" }, { path = \"no-slash\" } ]",
                        "esb.functions.hello.routes[1].path", "malformed path template 'no-slash': path must start with '/'"),
                Arguments.of("unknown method", "esb.functions.hello.routes = [ { method = \"fetch\", path = \"/x\" } ]",
                        "esb.functions.hello.routes[0].method", "(got 'FETCH')"),
                Arguments.of("docker host scheme", "esb.docker.host = \"http://x\"",
                        "esb.docker.host", "must start with unix:// or tcp:// (got 'http://x')"),
                Arguments.of("instance-id with spaces", "esb.docker.instance-id = \"my gateway\"",
                        "esb.docker.instance-id", "(got 'my gateway')"),
                Arguments.of("network host", "esb.docker.network = host",
                        "esb.docker.network", "the name of a bridge network such as \"esb\" (got 'host')"),
                Arguments.of("network none", "esb.docker.network = none", "esb.docker.network", "(got 'none')"),
                Arguments.of("network container:x", "esb.docker.network = \"container:x\"", "esb.docker.network", "(got 'container:x')"),
                Arguments.of("busy probe timeout < probe timeout", "esb.docker { probe-timeout = 3s, busy-probe-timeout = 1s }",
                        "esb.docker.busy-probe-timeout", "must not be smaller than esb.docker.probe-timeout"),
                Arguments.of("backoff max < min", "esb.docker.restart-backoff { min = 2s, max = 1s }",
                        "esb.docker.restart-backoff.max", "must not be smaller than esb.docker.restart-backoff.min"),
                Arguments.of("environment value is an object", "esb.functions.hello.environment.NESTED { a = 1 }",
                        "esb.functions.hello.environment.NESTED", "must be a string, number or boolean"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badValues")
    void badValueFailsNamingTheKey(String description, String override, String key, String problem) {
        var error = catchThrowableOfType(ConfigException.class, () -> SettingsLoader.load(config(override)));

        assertThat(error).as("no ConfigException for %s", description).isNotNull();
        assertThat(error.key()).isEqualTo(key);
        assertThat(error.getMessage())
                .startsWith("Invalid configuration at '" + key + "': ")
                .contains(problem)
                .doesNotContain("\n", "\r");
    }

    @Test
    void greedySegmentMustBeLastSaysWhy() {
        var error = catchThrowableOfType(ConfigException.class,
                () -> SettingsLoader.load(config("esb.functions.hello.routes = [ { path = \"/a/{proxy+}/b\" } ]")));
        assertThat(error.getMessage()).contains("greedy parameter {proxy+} must be the last segment");
    }

    @Test
    void twoFunctionsClaimingOneRouteFailNamingBoth() {
        // Same method (after upper-casing) and the same path shape: /hello/{name} and /hello/{who} match the same paths.
        var error = catchThrowableOfType(ConfigException.class, () -> SettingsLoader.load(config(
                "esb.functions.minimal.routes = [ { method = \"GET\", path = \"/hello/{who}\" } ]")));

        assertThat(error).isNotNull();
        assertThat(error.key()).startsWith("esb.functions");
        assertThat(error.getMessage())
                .startsWith("Invalid configuration at '" + error.key() + "': ")
                .contains("'hello'", "'minimal'", "GET")
                .doesNotContain("\n");
    }

    @Test
    void sameMethodOnDifferentPathsOrOtherMethodOnSamePathIsFine() {
        var settings = SettingsLoader.load(config(
                "esb.functions.minimal.routes = [ { method = PUT, path = \"/hello/{who}\" }, { method = GET, path = \"/other\" } ]"));
        assertThat(settings.functions().get("minimal").routes())
                .containsExactly(new RouteSettings("PUT", "/hello/{who}"), new RouteSettings("GET", "/other"));
    }

    /**
     * Values Typesafe itself rejects (not caught by the loader's own checks) must still come out as one line that
     * names the full key, like every other problem.
     */
    static Stream<Arguments> valuesRejectedByTypesafe() {
        return Stream.of(
                Arguments.of("memory-mb beyond int range", "esb.functions.hello.memory-mb = 3000000000",
                        "esb.functions.hello.memory-mb"),
                Arguments.of("routes is not a list", "esb.functions.hello.routes = \"/hello\"",
                        "esb.functions.hello.routes"),
                Arguments.of("environment is not an object", "esb.functions.hello.environment = \"A=1\"",
                        "esb.functions.hello.environment"),
                Arguments.of("http.interface is a list", "esb.http.interface = [ \"127.0.0.1\" ]",
                        "esb.http.interface"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("valuesRejectedByTypesafe")
    void valuesRejectedByTypesafeNameTheFullKey(String description, String override, String key) {
        var error = catchThrowableOfType(ConfigException.class, () -> SettingsLoader.load(config(override)));

        assertThat(error).as("no ConfigException for %s", description).isNotNull();
        assertThat(error.getMessage()).doesNotContain("\n").contains(key);
        assertThat(error.key()).isEqualTo(key);
    }

    @Test
    void metricsAreOnByDefaultCanBeTurnedOffAndABadValueNamesTheKey() {
        assertThat(SettingsLoader.load(ConfigFactory.defaultReference()).metrics().enabled()).isTrue();
        assertThat(SettingsLoader.load(config("esb.metrics.enabled = false")).metrics().enabled()).isFalse();
        var error = catchThrowableOfType(ConfigException.class, () -> SettingsLoader.load(config("esb.metrics.enabled = \"maybe\"")));
        assertThat(error).isNotNull();
        assertThat(error.key()).isEqualTo("esb.metrics.enabled");
        assertThat(error.getMessage()).doesNotContain("\n").contains("esb.metrics.enabled");
    }
}
