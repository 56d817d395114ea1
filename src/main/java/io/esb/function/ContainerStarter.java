package io.esb.function;

import io.esb.config.EsbSettings;
import io.esb.config.FunctionSettings;
import io.esb.config.InvokeMode;
import io.esb.docker.ContainerSpec;
import io.esb.docker.DockerOperation;
import io.esb.docker.DockerOps;
import io.esb.docker.DockerSupervisor;
import io.esb.docker.Labels;
import io.esb.docker.StartedContainer;

import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;

/**
 * What a cold start asks Docker for: the container (name, image, Lambda environment, labels, limits; for a zip
 * function its handler as the command, its code at /var/task and its layers under /opt, read-only, as AWS lays them
 * out) and how to undo a start that Docker did not finish in time.
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

    /** {@code channelEnvironment}: what the container needs to reach its channel (the Runtime API's address). */
    ColdStart coldStart(FunctionSettings function, Map<String, String> channelEnvironment) {
        var instanceId = settings.docker().instanceId();
        var suffix = Long.toHexString(random.getAsLong() & 0xffffffffffL);
        var name = "esb-" + instanceId + "-" + function.name() + "-" + suffix;
        var environment = new LinkedHashMap<String, String>(channelEnvironment);
        environment.putAll(environment(function, suffix));
        var zip = function.zip();
        var command = zip == null ? List.<String>of() : List.of(zip.handler());
        var mounts = new LinkedHashMap<String, String>();
        if (zip != null) {
            mounts.put(zip.codeUri().toString(), "/var/task");
            mounts.putAll(layerMounts(zip.layers()));
        }
        var spec = new ContainerSpec(name, function.image(), environment,
                Labels.forContainer(instanceId, function.name(), function.containerSpecHash(), function.mode() == InvokeMode.PULL),
                function.memoryMb() * 1024L * 1024L, function.cpus(), command, mounts, function.mode() == InvokeMode.PUSH);
        return new ColdStart(spec, DockerOps.createAndStart(spec, settings.docker().network()),
                new DockerSupervisor.Undo("remove-timed-out-start", DockerOps.remove(name)));
    }

    /** The variables Lambda sets (the runtime clients refuse to start without some of them), then the function's own, which win. */
    Map<String, String> environment(FunctionSettings function, String containerSuffix) {
        var env = new LinkedHashMap<String, String>();
        env.put("AWS_LAMBDA_FUNCTION_NAME", function.name());
        env.put("AWS_LAMBDA_FUNCTION_TIMEOUT", Long.toString(function.timeout().toSeconds()));
        env.put("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", Integer.toString(function.memoryMb()));
        env.put("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST");
        env.put("AWS_REGION", settings.region());
        env.put("AWS_DEFAULT_REGION", settings.region());
        env.put("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/" + function.name());
        env.put("AWS_LAMBDA_LOG_STREAM_NAME", LocalDate.now(ZoneOffset.UTC).toString().replace('-', '/') + "/[$LATEST]" + containerSuffix);
        env.put("LAMBDA_TASK_ROOT", "/var/task");
        env.put("LAMBDA_RUNTIME_DIR", "/var/runtime");
        var zip = function.zip();
        if (zip != null) {
            env.put("_HANDLER", zip.handler());
            env.put("AWS_EXECUTION_ENV", "AWS_Lambda_" + zip.runtime());
        }
        env.putAll(function.environment());
        return env;
    }

    /** Layers merged under /opt, later ones winning (as AWS merges them): one mount per entry that only one layer has. */
    static Map<String, String> layerMounts(List<java.nio.file.Path> layers) {
        var mounts = new LinkedHashMap<String, String>();
        LayerMounts.merge(layers, "/opt", mounts);
        return mounts;
    }
}
