package io.esb.function;

import io.esb.container.ContainerClient;

import io.esb.testing.ActorTestKitSupport;

import akka.actor.typed.ActorRef;
import com.typesafe.config.ConfigFactory;
import io.esb.config.EsbSettings;
import io.esb.config.ImageBuild;
import io.esb.config.SettingsLoader;
import io.esb.docker.DockerSupervisor;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Live reload of a function built from a Dockerfile: its gate goes when the function is drained. */
class ImageBuildsGateDrainTest extends ActorTestKitSupport {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final ImageBuild BUILD = new ImageBuild(Path.of("/ctx/Dockerfile"), Path.of("/ctx"), "built:test", Map.of(), null);



    @Test
    void aGateWhoseImageIsNotBuiltYetStopsAtOnce() {
        var settings = settings();
        var builds = testKit.<ImageBuilds.Command>createTestProbe();
        var docker = testKit.<DockerSupervisor.Command>createTestProbe();
        ActorRef<FunctionActor.Command> gate = testKit.spawn(ImageBuilds.gate(settings.functions().get("built"), BUILD, builds.ref(),
                FunctionActor.create(settings.functions().get("built"), settings, docker.ref(), client(settings)))).narrow();
        assertThat(builds.receiveMessage(WAIT)).isInstanceOf(ImageBuilds.Build.class);

        gate.tell(new FunctionActor.Drain(Duration.ofMillis(100)));

        testKit.createTestProbe().expectTerminated(gate, WAIT);
        docker.expectNoMessage(Duration.ofMillis(100)); // no function actor was ever started
    }

    @Test
    void aBuiltGateStopsWithItsDrainedFunction() {
        var settings = settings();
        var builds = testKit.<ImageBuilds.Command>createTestProbe();
        var docker = testKit.<DockerSupervisor.Command>createTestProbe();
        ActorRef<Object> gate = testKit.spawn(ImageBuilds.gate(settings.functions().get("built"), BUILD, builds.ref(),
                FunctionActor.create(settings.functions().get("built"), settings, docker.ref(), client(settings))));
        var build = (ImageBuilds.Build) builds.receiveMessage(WAIT);
        build.replyTo().tell(new ImageBuilds.Built("sha256:test"));
        // The function actor behind the gate started: it asks for the daemon's state.
        assertThat(docker.receiveMessage(WAIT)).isInstanceOf(DockerSupervisor.GetDaemonState.class);

        gate.tell(new FunctionActor.Drain(Duration.ofMillis(100)));

        // Nothing to finish or remove: the function stops after the grace, and the gate with it.
        testKit.createTestProbe().expectTerminated(gate, WAIT);
    }

    private static ContainerClient client(EsbSettings settings) {
        return new ContainerClient(testKit.system(), settings.containers(), 6 * 1024 * 1024);
    }

    private static EsbSettings settings() {
        return SettingsLoader.load(ConfigFactory.parseString("esb.functions.built { image = \"built:test\" }")
                .withFallback(ConfigFactory.defaultReference()).resolve());
    }
}
