package io.esb.config;

import io.esb.route.RouteSettings;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
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
                        new RouteSettings("POST", "/hello")), InvokeMode.PULL, null));

        // Defaults of a function that only names its image.
        assertThat(settings.functions().get("minimal")).isEqualTo(new FunctionSettings("minimal", "esb-fixture:latest",
                Duration.ofSeconds(3), 128, 10, 0, 0.0, Map.of(), List.of(), InvokeMode.PULL, null));

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
                        "esb.functions.hello.environment.NESTED", "must be a string, number or boolean"),
                Arguments.of("neither image nor zip code", "esb.functions.nocode { memory-mb = 128 }",
                        "esb.functions.nocode.image", "is required and must name a local image, unless the function is a zip function "
                                + "(runtime, handler and code-uri)"),
                Arguments.of("image and runtime", "esb.functions.hello { runtime = java21, handler = \"a.B::h\", code-uri = \"/tmp\" }",
                        "esb.functions.hello.runtime", "a function has either an image (image) or zip code (runtime, handler and code-uri), "
                                + "not both"),
                Arguments.of("image and layers", "esb.functions.hello.layers = [\"/tmp\"]",
                        "esb.functions.hello.layers", "not both"),
                Arguments.of("zip without handler", "esb.functions.z { runtime = java21, code-uri = \"/tmp\" }",
                        "esb.functions.z.handler", "is required for a zip function (it has runtime, code-uri)"),
                Arguments.of("zip without runtime", "esb.functions.z { handler = \"app.handler\", code-uri = \"/tmp\" }",
                        "esb.functions.z.runtime", "is required for a zip function (it has handler, code-uri)"),
                Arguments.of("zip without code-uri", "esb.functions.z { runtime = java21, handler = \"app.handler\" }",
                        "esb.functions.z.code-uri", "is required for a zip function"),
                Arguments.of("unknown runtime", "esb.functions.z { runtime = java8, handler = \"a.B::h\", code-uri = \"/tmp\" }",
                        "esb.functions.z.runtime", "unknown runtime 'java8': known runtimes are dotnet8, java11, java17, java21, "
                                + "nodejs18.x, nodejs20.x, nodejs22.x, provided.al2, provided.al2023, python3.11, python3.12, python3.13, "
                                + "ruby3.3; add it under esb.runtimes"),
                Arguments.of("code-uri missing", "esb.functions.z { runtime = java21, handler = \"a.B::h\", code-uri = \"/nonexistent/esb/code\" }",
                        "esb.functions.z.code-uri", "does not exist: /nonexistent/esb/code; build the function first, e.g. sam build"),
                Arguments.of("unknown mode", "esb.functions.hello.mode = poll",
                        "esb.functions.hello.mode", "must be pull (the container pulls events from the Runtime API) or push (the gateway "
                                + "posts them to the image's RIE on 8080) (got 'poll')"),
                Arguments.of("blank runtime image", "esb.runtimes.java21 = \" \"",
                        "esb.runtimes.\"java21\"", "must be a non-empty image name"),
                Arguments.of("unquoted runtime name with a dot", "esb.runtimes.python3.14 = \"img\"",
                        "esb.runtimes.\"python3\"", "quote a runtime name with dots"),
                Arguments.of("runtime api on every interface", "esb.runtime-api.host = \"0.0.0.0\"",
                        "esb.runtime-api.host", "must not be 0.0.0.0: the Runtime API would answer on every interface"),
                Arguments.of("runtime api host name", "esb.runtime-api.host = localhost",
                        "esb.runtime-api.host", "must be auto or an IPv4 address such as 172.17.0.1 (got 'localhost')"),
                Arguments.of("runtime api host octet", "esb.runtime-api.host = \"10.0.0.256\"",
                        "esb.runtime-api.host", "(got '10.0.0.256')"),
                Arguments.of("runtime api port", "esb.runtime-api.port = 65536",
                        "esb.runtime-api.port", "must be between 0 and 65535 (got 65536)"),
                Arguments.of("runtime api response size", "esb.runtime-api.max-response-bytes = 0",
                        "esb.runtime-api.max-response-bytes", "must be positive (got 0)"),
                Arguments.of("cluster without seeds", "esb.cluster.enabled = on",
                        "esb.cluster.seed-nodes", "must name at least one node (host:port) when esb.cluster.enabled is on"),
                Arguments.of("cluster seed without port", "esb.cluster { enabled = on, seed-nodes = [\"10.0.0.5\"] }",
                        "esb.cluster.seed-nodes", "each seed node must be host:port, such as 10.0.0.5:25520 (got '10.0.0.5')"),
                Arguments.of("cluster port", "esb.cluster { enabled = on, port = 0, seed-nodes = [\"127.0.0.1:25520\"] }",
                        "esb.cluster.port", "must be between 1 and 65535 (got 0)"),
                Arguments.of("cluster downing", "esb.cluster.downing-strategy = static-quorum",
                        "esb.cluster.downing-strategy", "must be keep-majority, keep-oldest or down-all (got 'static-quorum')"),
                Arguments.of("async retries", "esb.async.max-retry-attempts = 3", "esb.async.max-retry-attempts", "must be between 0 and 2 (got 3)"),
                Arguments.of("async event age", "esb.async.max-event-age = 30s", "esb.async.max-event-age", "must be between 60s and 21600s"),
                Arguments.of("async service retry", "esb.async { service-retry-min-delay = 10s, service-retry-max-delay = 1s }",
                        "esb.async.service-retry-max-delay", "must not be shorter than esb.async.service-retry-min-delay"),
                Arguments.of("schedule time scale", "esb.async.schedule-time-scale = 0.5", "esb.async.schedule-time-scale", "between 1 and 3600"),
                Arguments.of("data dir", "esb.data-dir = \" \"", "esb.data-dir", "must not be empty"),
                Arguments.of("function retries", "esb.functions.hello.async.max-retry-attempts = 5",
                        "esb.functions.hello.async.max-retry-attempts", "must be between 0 and 2 (got 5)"),
                Arguments.of("function event age", "esb.functions.hello.async.max-event-age = 7h",
                        "esb.functions.hello.async.max-event-age", "must be between 60s and 21600s"),
                Arguments.of("function async key", "esb.functions.hello.async.retries = 1", "esb.functions.hello.async.retries",
                        "is not a setting here"),
                Arguments.of("schedule expression", "esb.functions.hello.schedules = [ { expression = \"rate(1 minutes)\" } ]",
                        "esb.functions.hello.schedules[0].expression", "use 'minute' with 1"),
                Arguments.of("schedule without expression", "esb.functions.hello.schedules = [ { input = \"{}\" } ]",
                        "esb.functions.hello.schedules[0].expression", "is required"),
                Arguments.of("schedule input", "esb.functions.hello.schedules = [ { expression = \"rate(5 minutes)\", input = \"{nope\" } ]",
                        "esb.functions.hello.schedules[0].input", "must be JSON text"),
                Arguments.of("schedule zone", "esb.functions.hello.schedules = [ { expression = \"cron(0 8 * * ? *)\", timezone = \"Mars/Base\" } ]",
                        "esb.functions.hello.schedules[0].timezone", "is not a time zone"));
    }

    @Test
    void aFunctionsOwnRetryPolicyAndSchedulesAreRead() {
        var hello = SettingsLoader.load(config("""
                esb.functions.hello.async { max-retry-attempts = 0, max-event-age = 120s }
                esb.functions.hello.schedules = [
                  { expression = "cron(0 8 ? * MON-FRI *)", timezone = "Europe/Berlin", input = "{\\"k\\":1}", name = "weekday" }
                  { expression = "rate(5 minutes)", enabled = false }
                ]""")).functions().get("hello");
        var gateway = SettingsLoader.load(config("")).async();
        assertThat(hello.async().maxRetryAttempts(gateway)).isZero();
        assertThat(hello.async().maxEventAge(gateway)).isEqualTo(java.time.Duration.ofSeconds(120));
        assertThat(hello.schedules()).hasSize(2);
        var weekday = hello.schedules().get(0);
        assertThat(weekday.name()).isEqualTo("weekday");
        assertThat(weekday.expression().text()).isEqualTo("cron(0 8 ? * MON-FRI *)");
        assertThat(weekday.zone()).isEqualTo(java.time.ZoneId.of("Europe/Berlin"));
        assertThat(weekday.input()).isEqualTo("{\"k\":1}");
        assertThat(weekday.enabled()).isTrue();
        assertThat(hello.schedules().get(1).name()).isEqualTo("hello-schedule-2");
        assertThat(hello.schedules().get(1).enabled()).isFalse();
        // Neither shapes the function's containers.
        assertThat(hello.containerSpecHash()).isEqualTo(SettingsLoader.load(config("")).functions().get("hello").containerSpecHash());
        var minimal = SettingsLoader.load(config("")).functions().get("minimal");
        assertThat(minimal.async().maxRetryAttempts(gateway)).isEqualTo(2);
        assertThat(minimal.schedules()).isEmpty();
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

    // ---- zip functions, invocation mode, runtimes and the Runtime API ----

    @TempDir
    Path dir;

    private Path directory(String name) throws IOException {
        return Files.createDirectories(dir.resolve(name));
    }

    private static String zip(String name, String body) {
        return "esb.functions." + name + " { " + body + " }";
    }

    @Test
    void aZipFunctionRunsOnItsRuntimesImageWithAbsolutePaths() throws IOException {
        var code = directory("build/Hello");
        var deps = directory("build/Deps");
        var tools = directory("layers/tools");
        var settings = SettingsLoader.load(config(zip("z", "runtime = java21, handler = \"example.Hello::handleRequest\", "
                + "code-uri = \"" + dir + "/build/./Hello/\", layers = [\"" + deps + "\", \"" + dir + "/build/../layers/tools\"], "
                + "architectures = [\"arm64\"], memory-mb = 512, routes = [ { path = \"/zip\" } ]")));

        var z = settings.functions().get("z");
        assertThat(z).isEqualTo(new FunctionSettings("z", "public.ecr.aws/lambda/java:21", Duration.ofSeconds(3), 512, 10, 0, 0.0, Map.of(),
                List.of(new RouteSettings("ANY", "/zip")), InvokeMode.PULL,
                new ZipCode("java21", "example.Hello::handleRequest", code, List.of(deps, tools), "arm64")));
        assertThat(z.isZip()).isTrue();
        assertThat(z.zip().codeUri().isAbsolute()).isTrue();
        assertThat(settings.functions().get("hello").isZip()).isFalse();
        assertThat(settings.functions().get("hello").zip()).isNull();
    }

    @Test
    void zipDefaultsAreX86NoLayersAndPullMode() throws IOException {
        var code = directory("code");
        var z = SettingsLoader.load(config(zip("z", "runtime = \"python3.12\", handler = \"app.handler\", code-uri = \"" + code + "\""))).functions().get("z");
        assertThat(z.image()).isEqualTo("public.ecr.aws/lambda/python:3.12");
        assertThat(z.mode()).isEqualTo(InvokeMode.PULL);
        assertThat(z.zip()).isEqualTo(new ZipCode("python3.12", "app.handler", code, List.of(), "x86_64"));
        var explicitPull = SettingsLoader.load(config(zip("z", "runtime = \"python3.12\", handler = \"app.handler\", code-uri = \""
                + code + "\", mode = \" PULL \""))).functions().get("z");
        assertThat(explicitPull).isEqualTo(z);
    }

    @Test
    void aRelativeCodeUriIsTakenFromTheWorkingDirectory() throws IOException {
        var code = directory("relative/code");
        var relative = Path.of("").toAbsolutePath().relativize(code);
        assertThat(relative.isAbsolute()).isFalse();
        var z = SettingsLoader.load(config(zip("z", "runtime = java17, handler = h, code-uri = \"" + relative + "\""))).functions().get("z");
        assertThat(z.zip().codeUri()).isEqualTo(code.toAbsolutePath().normalize());
        assertThat(z.image()).isEqualTo("public.ecr.aws/lambda/java:17");
    }

    @Test
    void anOverriddenOrAddedRuntimeImageIsUsed() throws IOException {
        var code = directory("code");
        var settings = SettingsLoader.load(config("""
                esb.runtimes { java21 = "mirror.local/lambda/java:21-pinned", "python3.14" = "mirror.local/python:3.14" }
                """ + zip("a", "runtime = java21, handler = h, code-uri = \"" + code + "\"") + "\n"
                + zip("b", "runtime = \"python3.14\", handler = h, code-uri = \"" + code + "\"")));
        assertThat(settings.functions().get("a").image()).isEqualTo("mirror.local/lambda/java:21-pinned");
        assertThat(settings.functions().get("b").image()).isEqualTo("mirror.local/python:3.14");
        assertThat(settings.runtimes()).containsEntry("java21", "mirror.local/lambda/java:21-pinned")
                .containsEntry("java17", "public.ecr.aws/lambda/java:17");
    }

    @Test
    void everyDocumentedRuntimeHasItsPublicImage() {
        assertThat(SettingsLoader.load(ConfigFactory.defaultReference()).runtimes()).isEqualTo(Map.ofEntries(
                Map.entry("java21", "public.ecr.aws/lambda/java:21"),
                Map.entry("java17", "public.ecr.aws/lambda/java:17"),
                Map.entry("java11", "public.ecr.aws/lambda/java:11"),
                Map.entry("python3.13", "public.ecr.aws/lambda/python:3.13"),
                Map.entry("python3.12", "public.ecr.aws/lambda/python:3.12"),
                Map.entry("python3.11", "public.ecr.aws/lambda/python:3.11"),
                Map.entry("nodejs22.x", "public.ecr.aws/lambda/nodejs:22"),
                Map.entry("nodejs20.x", "public.ecr.aws/lambda/nodejs:20"),
                Map.entry("nodejs18.x", "public.ecr.aws/lambda/nodejs:18"),
                Map.entry("provided.al2023", "public.ecr.aws/lambda/provided:al2023"),
                Map.entry("provided.al2", "public.ecr.aws/lambda/provided:al2"),
                Map.entry("ruby3.3", "public.ecr.aws/lambda/ruby:3.3"),
                Map.entry("dotnet8", "public.ecr.aws/lambda/dotnet:8")));
    }

    @Test
    void imageFunctionsArePullByDefaultAndMayBePush() {
        var settings = SettingsLoader.load(config("esb.functions.minimal.mode = push"));
        assertThat(settings.functions().get("hello").mode()).isEqualTo(InvokeMode.PULL);
        assertThat(settings.functions().get("minimal")).isEqualTo(new FunctionSettings("minimal", "esb-fixture:latest", Duration.ofSeconds(3),
                128, 10, 0, 0.0, Map.of(), List.of(), InvokeMode.PUSH, null));
    }

    private ConfigException failure(String override) {
        var error = catchThrowableOfType(ConfigException.class, () -> SettingsLoader.load(config(override)));
        assertThat(error).as("no ConfigException for %s", override).isNotNull();
        assertThat(error.getMessage()).startsWith("Invalid configuration at '" + error.key() + "': ").doesNotContain("\n");
        return error;
    }

    @Test
    void aZipFunctionCannotBePush() throws IOException {
        var code = directory("code");
        var error = failure(zip("z", "runtime = java21, handler = h, code-uri = \"" + code + "\", mode = push"));
        assertThat(error.key()).isEqualTo("esb.functions.z.mode");
        assertThat(error.problem()).isEqualTo("must be pull for a zip function: its runtime's client pulls events from the gateway's Runtime "
                + "API (got 'push')");
    }

    @Test
    void codeUriAndLayersMustBeDirectories() throws IOException {
        var code = directory("code");
        var archive = Files.writeString(dir.resolve("code.zip"), "PK");
        var notDir = failure(zip("z", "runtime = java21, handler = h, code-uri = \"" + archive + "\""));
        assertThat(notDir.key()).isEqualTo("esb.functions.z.code-uri");
        assertThat(notDir.problem()).isEqualTo("is not a directory: " + archive + " (it must be the unpacked code, not an archive)");

        var missingLayer = failure(zip("z", "runtime = java21, handler = h, code-uri = \"" + code + "\", layers = [\"" + code + "\", \""
                + dir.resolve("nope") + "\"]"));
        assertThat(missingLayer.key()).isEqualTo("esb.functions.z.layers[1]");
        assertThat(missingLayer.problem()).isEqualTo("does not exist: " + dir.resolve("nope") + "; build the layer first, e.g. sam build");

        var missingCode = failure(zip("z", "runtime = java21, handler = h, code-uri = \"" + dir.resolve("build/Missing") + "\""));
        assertThat(missingCode.getMessage()).isEqualTo("Invalid configuration at 'esb.functions.z.code-uri': does not exist: "
                + dir.resolve("build/Missing") + "; build the function first, e.g. sam build");
    }

    @Test
    void architecturesIsOneOfTwo() throws IOException {
        var code = directory("code");
        for (var value : List.of("[\"sparc\"]", "[\"x86_64\", \"arm64\"]", "[]")) {
            var error = failure(zip("z", "runtime = java21, handler = h, code-uri = \"" + code + "\", architectures = " + value));
            assertThat(error.key()).isEqualTo("esb.functions.z.architectures");
            assertThat(error.problem()).startsWith("must be [\"x86_64\"] or [\"arm64\"], one architecture (got ");
        }
        var notAList = failure(zip("z", "runtime = java21, handler = h, code-uri = \"" + code + "\", architectures = { a = 1 }"));
        assertThat(notAList.key()).isEqualTo("esb.functions.z.architectures");
    }

    @Test
    void runtimeApiDefaultsAndOverrides() {
        assertThat(SettingsLoader.load(ConfigFactory.defaultReference()).runtimeApi())
                .isEqualTo(new RuntimeApiSettings("auto", 0, 6_291_456L))
                .satisfies(api -> assertThat(api.autoHost()).isTrue());
        var pinned = SettingsLoader.load(config("esb.runtime-api { host = \"172.18.0.1\", port = 9001, max-response-bytes = 1m }")).runtimeApi();
        assertThat(pinned).isEqualTo(new RuntimeApiSettings("172.18.0.1", 9001, 1_048_576L));
        assertThat(pinned.autoHost()).isFalse();
        assertThat(SettingsLoader.load(config("esb.runtime-api.host = AUTO")).runtimeApi().host()).isEqualTo("auto");
    }

    @Test
    void aLoneGatewayIsTheDefaultAndClusterSeedsComeFromOneEnvironmentVariable() {
        assertThat(SettingsLoader.load(config("")).cluster().enabled()).isFalse();
        var config = ConfigFactory.parseString("ESB_CLUSTER_ENABLED = true, ESB_CLUSTER_PORT = 2552, "
                        + "ESB_CLUSTER_SEED_NODES = \"10.0.0.5:2552, 10.0.0.6:2552\"")
                .withFallback(ConfigFactory.parseResources(SettingsLoader.class.getClassLoader(), "reference.conf")).resolve();
        var cluster = SettingsLoader.load(config).cluster();
        assertThat(cluster.enabled()).isTrue();
        assertThat(cluster.self()).isEqualTo("127.0.0.1:2552");
        assertThat(cluster.seedNodes()).containsExactly("10.0.0.5:2552", "10.0.0.6:2552");
        assertThat(cluster.downingStrategy()).isEqualTo("keep-majority");
    }

    @Test
    void runtimeApiHostAndPortFollowTheirEnvironmentVariables() {
        // ${?VAR} looks at the root of the configuration before the environment, so root keys stand in for variables.
        var config = ConfigFactory.parseString("ESB_RUNTIME_API_HOST = \"10.1.2.3\", ESB_RUNTIME_API_PORT = 9123")
                .withFallback(ConfigFactory.parseResources(SettingsLoader.class.getClassLoader(), "reference.conf")).resolve();
        assertThat(SettingsLoader.load(config).runtimeApi()).isEqualTo(new RuntimeApiSettings("10.1.2.3", 9123, 6_291_456L));
    }

    @Test
    void specHashCoversModeAndZipCode() throws Exception {
        var code = directory("code");
        var other = directory("other");
        var layer = directory("layer");
        var base = "runtime = java21, handler = h, code-uri = \"" + code + "\"";
        var a = SettingsLoader.load(config(zip("z", base))).functions().get("z").containerSpecHash();
        assertThat(SettingsLoader.load(config(zip("z", base + ", routes = [ { path = \"/r\" } ]"))).functions().get("z").containerSpecHash())
                .isEqualTo(a);
        for (var variant : List.of(
                "runtime = java17, handler = h, code-uri = \"" + code + "\"",
                "runtime = java21, handler = g, code-uri = \"" + code + "\"",
                "runtime = java21, handler = h, code-uri = \"" + other + "\"",
                base + ", layers = [\"" + layer + "\"]",
                base + ", architectures = [arm64]",
                "esb.runtimes.java21 = \"mirror/java:21\"\nesb.functions.z { " + base + " }")) {
            var config = variant.startsWith("esb.") ? variant : zip("z", variant);
            assertThat(SettingsLoader.load(config(config)).functions().get("z").containerSpecHash()).as(variant).isNotEqualTo(a);
        }
        var pull = SettingsLoader.load(config("")).functions().get("minimal");
        var push = SettingsLoader.load(config("esb.functions.minimal.mode = push")).functions().get("minimal");
        assertThat(push.containerSpecHash()).isNotEqualTo(pull.containerSpecHash());
        // Containers started before modes existed were called as push ones are: a push function still adopts them.
        assertThat(push.containerSpecHash()).isEqualTo(hashBeforeModes(push));
    }

    private static String hashBeforeModes(FunctionSettings f) throws java.security.NoSuchAlgorithmException {
        var text = f.image() + "\n" + f.timeout().toMillis() + "\n" + f.memoryMb() + "\n" + new java.util.TreeMap<>(f.environment());
        var digest = java.security.MessageDigest.getInstance("SHA-256").digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return java.util.HexFormat.of().formatHex(digest, 0, 8);
    }
}
