package io.esb.function;

import io.esb.config.EsbSettings;
import io.esb.config.FunctionSettings;
import io.esb.docker.ContainerSpec;
import io.esb.docker.DockerOperation;
import io.esb.docker.DockerOps;
import io.esb.docker.DockerSupervisor;
import io.esb.docker.Labels;
import io.esb.docker.StartedContainer;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;

/**
 * What a cold start asks Docker for: the container (name, image, Lambda environment, labels, limits) and how to undo
 * a start that Docker did not finish in time.
 */
final class ContainerStarter {

    /**
     * {@code createAndStart} makes the container; {@code undo} removes it by its name, since a start aborted at its
     * deadline may still leave it behind.
     */
    record ColdStart(ContainerSpec spec, DockerOperation<StartedContainer> createAndStart, DockerSupervisor.Undo undo) {}

    private final EsbSettings settings;
    private final LongSupplier random;

    ContainerStarter(EsbSettings settings) {
        this(settings, () -> ThreadLocalRandom.current().nextLong());
    }

    /** {@code random}: the source of the names' unique suffix. */
    ContainerStarter(EsbSettings settings, LongSupplier random) {
        this.settings = settings;
        this.random = random;
    }

    ColdStart coldStart(FunctionSettings function) {
        var instanceId = settings.docker().instanceId();
        var name = "esb-" + instanceId + "-" + function.name() + "-" + Long.toHexString(random.getAsLong() & 0xffffffffffL);
        var spec = new ContainerSpec(name, function.image(), environment(function),
                Labels.forContainer(instanceId, function.name(), function.containerSpecHash()),
                function.memoryMb() * 1024L * 1024L, function.cpus());
        return new ColdStart(spec, DockerOps.createAndStart(spec, settings.docker().network()),
                new DockerSupervisor.Undo("remove-timed-out-start", DockerOps.remove(name)));
    }

    /** The variables Lambda sets, then the function's own, which win. */
    Map<String, String> environment(FunctionSettings function) {
        var env = new LinkedHashMap<String, String>();
        env.put("AWS_LAMBDA_FUNCTION_NAME", function.name());
        env.put("AWS_LAMBDA_FUNCTION_TIMEOUT", Long.toString(function.timeout().toSeconds()));
        env.put("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", Integer.toString(function.memoryMb()));
        env.put("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST");
        env.put("AWS_REGION", settings.region());
        env.putAll(function.environment());
        return env;
    }
}
