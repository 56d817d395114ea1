package io.esb.function;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import io.esb.config.EsbSettings;
import io.esb.config.SettingsLoader;
import io.esb.docker.DockerSupervisor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A cold start's request to Docker, read back through a recording Docker client. */
class ContainerStarterTest {

    @Test
    void theContainerCarriesTheFunctionsNameImageLimitsAndLabels() {
        var settings = settings("memory-mb = 256, cpus = 0.5");
        var function = settings.functions().get("fn");
        var start = new ContainerStarter(settings, () -> 0x12_3456_789aL).coldStart(function, Map.of());

        var spec = start.spec();
        assertThat(spec.name()).isEqualTo("esb-cs-test-fn-123456789a");
        assertThat(spec.image()).isEqualTo("esb-fixture:latest");
        assertThat(spec.memoryBytes()).isEqualTo(256L * 1024 * 1024);
        assertThat(spec.cpus()).isEqualTo(0.5);
        // Pull mode, the default: marked so, since it publishes nothing and reconcile must not take it for unreachable.
        assertThat(spec.labels()).containsExactlyInAnyOrderEntriesOf(Map.of("esb.managed", "true", "esb.instance", "cs-test",
                "esb.function", "fn", "esb.spec", function.containerSpecHash(), "esb.pulls", "true"));

        // The Docker call creates exactly that container.
        var created = FunctionActorTest.RecordingDocker.record(run(start.createAndStart()));
        assertThat(created.<String>firstArg("createContainerCmd")).isEqualTo("esb-fixture:latest");
        assertThat(created.<String>firstArg("withName")).isEqualTo(spec.name());
        assertThat(created.<Map<String, String>>firstArg("withLabels")).isEqualTo(spec.labels());
        assertThat(created.<List<String>>firstArg("withEnv")).contains("AWS_LAMBDA_FUNCTION_NAME=fn", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256");
    }

    @Test
    void namesTakeOnlyFortyBitsOfTheRandomSuffix() {
        var settings = settings("");
        var start = new ContainerStarter(settings, () -> -1L).coldStart(settings.functions().get("fn"), Map.of());
        assertThat(start.spec().name()).isEqualTo("esb-cs-test-fn-ffffffffff");
        var random = new ContainerStarter(settings);
        assertThat(random.coldStart(settings.functions().get("fn"), Map.of()).spec().name())
                .matches("esb-cs-test-fn-[0-9a-f]{1,10}")
                .isNotEqualTo(random.coldStart(settings.functions().get("fn"), Map.of()).spec().name());
    }

    @Test
    void theEnvironmentIsLambdasThenTheFunctionsOwnWhichWins() {
        var settings = settings("timeout = 7s, environment { GREETING = hi, AWS_REGION = eu-west-1 }");
        var env = new ContainerStarter(settings).environment(settings.functions().get("fn"), "abc");
        assertThat(env).containsEntry("AWS_LAMBDA_FUNCTION_NAME", "fn")
                .containsEntry("AWS_LAMBDA_FUNCTION_TIMEOUT", "7")
                .containsEntry("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
                .containsEntry("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
                .containsEntry("AWS_REGION", "eu-west-1") // the function's own wins
                .containsEntry("AWS_DEFAULT_REGION", "us-east-1")
                .containsEntry("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/fn")
                .containsEntry("LAMBDA_TASK_ROOT", "/var/task")
                .containsEntry("LAMBDA_RUNTIME_DIR", "/var/runtime")
                .containsEntry("GREETING", "hi")
                .doesNotContainKey("_HANDLER");
        assertThat(env.get("AWS_LAMBDA_LOG_STREAM_NAME")).matches("\\d{4}/\\d{2}/\\d{2}/\\[\\$LATEST\\]abc");
        assertThat(List.copyOf(env.keySet())).endsWith("GREETING");
        var plain = settings("");
        assertThat(new ContainerStarter(plain).environment(plain.functions().get("fn"), "abc")).containsEntry("AWS_REGION", "us-east-1");
    }

    @Test
    void aZipFunctionRunsItsHandlerInItsRuntimesImageWithCodeAndLayersMountedReadOnlyAndPullsFromTheRuntimeApi(
            @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        var code = java.nio.file.Files.createDirectories(dir.resolve("code"));
        var layerA = java.nio.file.Files.createDirectories(dir.resolve("a/java/lib"));
        var layerB = java.nio.file.Files.createDirectories(dir.resolve("b/java/lib"));
        java.nio.file.Files.writeString(layerA.resolve("one.jar"), "1");
        java.nio.file.Files.writeString(layerA.resolve("shared.jar"), "a");
        java.nio.file.Files.writeString(layerB.resolve("shared.jar"), "b");
        java.nio.file.Files.createDirectories(dir.resolve("b/bin"));
        var settings = SettingsLoader.load(ConfigFactory.parseString("""
                esb.docker { instance-id = "cs-test" }
                esb.runtimes.java21 = "my-java21:1"
                esb.functions.z { runtime = java21, handler = "example.Hello::handleRequest", code-uri = "%s", layers = ["%s", "%s"] }
                """.formatted(code, dir.resolve("a"), dir.resolve("b"))).withFallback(ConfigFactory.defaultReference()).resolve());
        var start = new ContainerStarter(settings, () -> 1L).coldStart(settings.functions().get("z"),
                Map.of("AWS_LAMBDA_RUNTIME_API", "172.17.0.1:9001"));
        var spec = start.spec();
        assertThat(spec.image()).isEqualTo("my-java21:1");
        assertThat(spec.command()).containsExactly("example.Hello::handleRequest");
        assertThat(spec.publishRie()).isFalse();
        assertThat(spec.environment()).containsEntry("AWS_LAMBDA_RUNTIME_API", "172.17.0.1:9001")
                .containsEntry("_HANDLER", "example.Hello::handleRequest").containsEntry("AWS_EXECUTION_ENV", "AWS_Lambda_java21");
        // Both layers have java/lib: merged one level down, the later layer's shared.jar winning; b/bin only in b.
        assertThat(spec.readOnlyMounts()).containsExactlyInAnyOrderEntriesOf(Map.of(
                code.toString(), "/var/task",
                dir.resolve("b/bin").toString(), "/opt/bin",
                layerA.resolve("one.jar").toString(), "/opt/java/lib/one.jar",
                layerB.resolve("shared.jar").toString(), "/opt/java/lib/shared.jar"));
        var created = FunctionActorTest.RecordingDocker.record(run(start.createAndStart()));
        assertThat(created.<List<String>>firstArg("withCmd")).containsExactly("example.Hello::handleRequest");
    }

    @Test
    void aTimedOutStartIsUndoneByRemovingItsContainerByName() {
        var settings = settings("");
        var start = new ContainerStarter(settings, () -> 0xabcL).coldStart(settings.functions().get("fn"), Map.of());
        assertThat(start.undo().operation()).isEqualTo("remove-timed-out-start");
        var removal = FunctionActorTest.RecordingDocker.record(run(start.undo().call()));
        assertThat(removal.<String>firstArg("removeContainerCmd")).isEqualTo("esb-cs-test-fn-abc").isEqualTo(start.spec().name());
        assertThat(removal.<Boolean>firstArg("withForce")).isTrue();
    }

    private static <T> DockerSupervisor.Run<T> run(io.esb.docker.DockerOperation<T> call) {
        return new DockerSupervisor.Run<>("test", null, call, null);
    }

    private static EsbSettings settings(String functionExtra) {
        var text = """
                esb.docker { instance-id = "cs-test" }
                esb.functions.fn { image = "esb-fixture:latest", %s }
                """.formatted(functionExtra);
        return SettingsLoader.load(ConfigFactory.parseString(text).withFallback(ConfigFactory.defaultReference()).resolve());
    }
}
