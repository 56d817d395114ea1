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
        var start = new ContainerStarter(settings, () -> 0x12_3456_789aL).coldStart(function);

        var spec = start.spec();
        assertThat(spec.name()).isEqualTo("esb-cs-test-fn-123456789a");
        assertThat(spec.image()).isEqualTo("esb-fixture:latest");
        assertThat(spec.memoryBytes()).isEqualTo(256L * 1024 * 1024);
        assertThat(spec.cpus()).isEqualTo(0.5);
        assertThat(spec.labels()).containsExactlyInAnyOrderEntriesOf(Map.of("esb.managed", "true", "esb.instance", "cs-test",
                "esb.function", "fn", "esb.spec", function.containerSpecHash()));

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
        var start = new ContainerStarter(settings, () -> -1L).coldStart(settings.functions().get("fn"));
        assertThat(start.spec().name()).isEqualTo("esb-cs-test-fn-ffffffffff");
        var random = new ContainerStarter(settings);
        assertThat(random.coldStart(settings.functions().get("fn")).spec().name())
                .matches("esb-cs-test-fn-[0-9a-f]{1,10}")
                .isNotEqualTo(random.coldStart(settings.functions().get("fn")).spec().name());
    }

    @Test
    void theEnvironmentIsLambdasThenTheFunctionsOwnWhichWins() {
        var settings = settings("timeout = 7s, environment { GREETING = hi, AWS_REGION = eu-west-1 }");
        var env = new ContainerStarter(settings).environment(settings.functions().get("fn"));
        assertThat(env).containsExactly(
                Map.entry("AWS_LAMBDA_FUNCTION_NAME", "fn"),
                Map.entry("AWS_LAMBDA_FUNCTION_TIMEOUT", "7"),
                Map.entry("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"),
                Map.entry("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
                Map.entry("AWS_REGION", "eu-west-1"),
                Map.entry("GREETING", "hi"));
        var plain = settings("");
        assertThat(new ContainerStarter(plain).environment(plain.functions().get("fn"))).containsEntry("AWS_REGION", "us-east-1");
    }

    @Test
    void aTimedOutStartIsUndoneByRemovingItsContainerByName() {
        var settings = settings("");
        var start = new ContainerStarter(settings, () -> 0xabcL).coldStart(settings.functions().get("fn"));
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
