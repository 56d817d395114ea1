package io.esb.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.AccessMode;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import com.github.dockerjava.api.model.Volume;

import java.util.List;

import static net.logstash.logback.argument.StructuredArguments.kv;
import java.util.Map;

/** The Docker calls the gateway makes. Each is a blocking {@link DockerOperation} that only the supervisor runs. */
public final class DockerOps {
    private static final int PARALLEL_REMOVALS = 8;
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(DockerOps.class);
    static final int RIE_PORT = 8080;

    private DockerOps() {}

    public static DockerOperation<String> ping() {
        return client -> {
            client.pingCmd().exec();
            return "OK";
        };
    }

    /** With 8080 published on 127.0.0.1 (no {@code esb.docker.network}). */
    public static DockerOperation<StartedContainer> createAndStart(ContainerSpec spec) {
        return createAndStart(spec, "");
    }

    /**
     * Creates and starts a container. An RIE container ({@link ContainerSpec#publishRie}) has 8080 published on
     * 127.0.0.1 at an ephemeral port, or, when {@code network} names one, joins that network with nothing published and
     * is reached at its address there. A Runtime API container publishes nothing: it calls the gateway, which knows it
     * by its address on its network (the default bridge, or {@code network}), answered as the started container's
     * host with port 0. A container that was created but would not start is removed again, so a failed cold start
     * leaves nothing behind.
     */
    public static DockerOperation<StartedContainer> createAndStart(ContainerSpec spec, String network) {
        return client -> {
            var port = ExposedPort.tcp(RIE_PORT);
            var bindings = new Ports();
            boolean ownNetwork = network != null && !network.isEmpty();
            boolean publish = spec.publishRie() && !ownNetwork;
            if (publish) {
                bindings.bind(port, new Ports.Binding("127.0.0.1", ""));
            }
            var env = spec.environment().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList();
            var mounts = spec.readOnlyMounts().entrySet().stream()
                    .map(m -> new Bind(m.getKey(), new Volume(m.getValue()), AccessMode.ro)).toList();
            var hostConfig = HostConfig.newHostConfig()
                    .withPortBindings(bindings)
                    .withNetworkMode(ownNetwork ? network : null)
                    .withBinds(mounts)
                    .withMemory(spec.memoryBytes())
                    .withMemorySwap(spec.memoryBytes())
                    .withSecurityOpts(List.of("no-new-privileges"))
                    .withCapDrop(com.github.dockerjava.api.model.Capability.ALL);
            if (spec.cpus() > 0) {
                hostConfig.withNanoCPUs((long) (spec.cpus() * 1_000_000_000L));
            }
            var create = client.createContainerCmd(spec.image())
                    .withName(spec.name())
                    .withLabels(spec.labels())
                    .withEnv(env)
                    .withHostConfig(hostConfig);
            if (spec.publishRie()) {
                create.withExposedPorts(port);
            }
            if (!spec.command().isEmpty()) {
                create.withCmd(spec.command());
            }
            String id;
            try {
                id = create.exec().getId();
            } catch (NotFoundException e) {
                if (e.getMessage() == null || !e.getMessage().contains("image")) {
                    throw e;
                }
                // The gateway never pulls: say so, and what to do (a zip function's runtime image most of all).
                throw new NotFoundException("No such image " + spec.image() + " on this host, and esb never pulls: build it, or "
                        + "docker pull " + spec.image() + " where a registry is reachable (esb.runtimes maps a zip runtime to its image)");
            }
            try {
                client.startContainerCmd(id).exec();
                var inspected = client.inspectContainerCmd(id).exec();
                if (!publish) {
                    var address = ownNetwork ? addressOn(inspected, network) : inspected.getNetworkSettings().getIpAddress();
                    if (address == null || address.isEmpty()) {
                        throw new IllegalStateException("container " + id + " has no address on network "
                                + (ownNetwork ? network : "bridge"));
                    }
                    return new StartedContainer(id, spec.name(), spec.publishRie() ? RIE_PORT : 0, address);
                }
                var published = inspected.getNetworkSettings().getPorts().getBindings().get(port);
                if (published == null || published.length == 0) {
                    throw new IllegalStateException("container " + id + " has no published port for 8080");
                }
                return new StartedContainer(id, spec.name(), Integer.parseInt(published[0].getHostPortSpec()));
            } catch (RuntimeException e) {
                removeQuietly(client, id);
                throw e;
            }
        };
    }

    private static String addressOn(com.github.dockerjava.api.command.InspectContainerResponse inspected, String network) {
        var joined = inspected.getNetworkSettings().getNetworks().get(network);
        return joined == null ? null : joined.getIpAddress();
    }

    /**
     * A Docker network's IPv4 gateway (the host's address on it) and subnet, such as 172.17.0.1 and 172.17.0.0/16.
     * {@code gateway} is null when Docker names only the subnet: a daemon that found its bridge interface already up
     * (left by an earlier daemon on this machine) reports the default bridge's IPAM config without a gateway.
     */
    public record NetworkAddresses(String gateway, String subnet) {}

    /**
     * The IPv4 gateway and subnet of a network: where its containers reach the host, and its range. {@code network}
     * empty: Docker's default bridge. Fails only when Docker names neither for IPv4.
     */
    public static DockerOperation<NetworkAddresses> networkAddresses(String network) {
        return client -> {
            var name = network == null || network.isEmpty() ? "bridge" : network;
            var inspected = client.inspectNetworkCmd().withNetworkId(name).exec();
            var configs = inspected.getIpam() == null ? null : inspected.getIpam().getConfig();
            NetworkAddresses subnetOnly = null;
            if (configs != null) {
                for (var config : configs) {
                    var gateway = config.getGateway();
                    var subnet = config.getSubnet();
                    if (gateway != null && !gateway.isEmpty() && !gateway.contains(":")) {
                        return new NetworkAddresses(gateway.contains("/") ? gateway.substring(0, gateway.indexOf('/')) : gateway, subnet);
                    }
                    if (subnetOnly == null && subnet != null && subnet.contains("/") && !subnet.contains(":")) {
                        subnetOnly = new NetworkAddresses(null, subnet);
                    }
                }
            }
            if (subnetOnly != null) {
                return subnetOnly;
            }
            throw new IllegalStateException("Docker network '" + name + "' has no IPv4 gateway address or subnet");
        };
    }

    /**
     * Builds {@code build}'s image from its Dockerfile and context, never pulling, and tags it; answers the image id.
     * Each build step is logged at INFO. A build still running after {@code timeout} has its stream closed, which
     * aborts it, and fails naming {@code esb.docker.build-timeout}.
     */
    public static DockerOperation<String> buildImage(String function, io.esb.config.ImageBuild build, java.time.Duration timeout) {
        return client -> {
            var progress = new BuildProgress(function, build.tag());
            var command = client.buildImageCmd()
                    .withBaseDirectory(build.context().toFile())
                    .withDockerfile(build.dockerfile().toFile())
                    .withTags(java.util.Set.of(build.tag()))
                    .withPull(false)
                    .withForcerm(true); // intermediate containers go, even after a failed step
            build.buildArgs().forEach(command::withBuildArg);
            if (build.target() != null) {
                command.withTarget(build.target());
            }
            try (var running = command.exec(progress)) {
                if (!running.awaitCompletion(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                    throw new BuildProgress.ImageBuildFailed("the build did not finish within " + timeout.toSeconds()
                            + " s (esb.docker.build-timeout) and was aborted after " + progress.steps() + " steps");
                }
                return running.result();
            }
        };
    }

    /**
     * Removes one function's containers (of this instance) that run another image than {@code imageId}, a full or
     * short id; answers how many. Run after a build, so containers of the previous build are not adopted.
     */
    public static DockerOperation<Integer> removeOtherImages(String instanceId, String function, String imageId) {
        return client -> {
            var wanted = imageId.replace("sha256:", "");
            if (wanted.isEmpty()) {
                return 0;
            }
            var doomed = client.listContainersCmd().withShowAll(true).withLabelFilter(Labels.forFunction(instanceId, function)).exec().stream()
                    .filter(c -> !(c.getImageId() == null ? "" : c.getImageId().replace("sha256:", "")).startsWith(wanted))
                    .map(c -> new Doomed(c.getId(), function))
                    .toList();
            return removeEach(client, doomed, "runs an older image than the one just built");
        };
    }

    /** Force-removes a container; one that is already gone counts as removed. */
    public static DockerOperation<Boolean> remove(String containerId) {
        return client -> {
            try {
                client.removeContainerCmd(containerId).withForce(true).exec();
                return true;
            } catch (NotFoundException alreadyGone) {
                return false;
            }
        };
    }

    /** Lists this gateway instance's containers, running or not; {@code function} may be null for all of them. */
    public static DockerOperation<List<ManagedContainer>> listManaged(String instanceId, String function) {
        return client -> {
            Map<String, String> labels = function == null
                    ? Labels.forInstance(instanceId)
                    : Labels.forFunction(instanceId, function);
            return client.listContainersCmd().withShowAll(true).withLabelFilter(labels).exec().stream()
                    .map(c -> new ManagedContainer(
                            c.getId(),
                            c.getNames() != null && c.getNames().length > 0 ? c.getNames()[0].replaceFirst("^/", "") : c.getId(),
                            c.getLabels().get(Labels.FUNCTION),
                            c.getLabels().get(Labels.SPEC),
                            "running".equals(c.getState()),
                            java.util.Arrays.stream(c.getPorts() == null ? new com.github.dockerjava.api.model.ContainerPort[0] : c.getPorts())
                                    .filter(p -> p.getPrivatePort() != null && p.getPrivatePort() == RIE_PORT && p.getPublicPort() != null)
                                    .mapToInt(p -> p.getPublicPort())
                                    .findFirst().orElse(0),
                            networkAddresses(c),
                            "created".equals(c.getState()),
                            c.getCreated() == null ? 0 : c.getCreated(),
                            "true".equals(c.getLabels().get(Labels.PULLS))))
                    .toList();
        };
    }

    private static Map<String, String> networkAddresses(com.github.dockerjava.api.model.Container container) {
        var settings = container.getNetworkSettings();
        var addresses = new java.util.TreeMap<String, String>();
        if (settings != null && settings.getNetworks() != null) {
            settings.getNetworks().forEach((name, network) -> {
                if (network != null && network.getIpAddress() != null && !network.getIpAddress().isEmpty()) {
                    addresses.put(name, network.getIpAddress());
                }
            });
        }
        return addresses;
    }

    /**
     * The log lines of one invocation: from its {@code START RequestId: <id>} line through its {@code REPORT} line, as
     * far as Docker has them. The runtime prints REPORT before it answers, but Docker may not have read it yet: a
     * segment without it ({@link #hasReport}) is worth asking for again, a moment later.
     */
    public static DockerOperation<String> invocationLogs(String containerId, long sinceEpochSeconds, String requestId) {
        return client -> {
            var text = new StringBuilder();
            var callback = new com.github.dockerjava.api.async.ResultCallback.Adapter<com.github.dockerjava.api.model.Frame>() {
                @Override
                public void onNext(com.github.dockerjava.api.model.Frame frame) {
                    text.append(new String(frame.getPayload(), java.nio.charset.StandardCharsets.UTF_8));
                }
            };
            client.logContainerCmd(containerId).withStdOut(true).withStdErr(true).withSince((int) sinceEpochSeconds)
                    .exec(callback).awaitCompletion(5, java.util.concurrent.TimeUnit.SECONDS);
            return segmentOf(text.toString(), requestId);
        };
    }

    /** Whether an {@link #invocationLogs} segment reaches the invocation's REPORT line. */
    public static boolean hasReport(String segment, String requestId) {
        return segment.contains("REPORT RequestId: " + requestId);
    }

    static String segmentOf(String logs, String requestId) {
        int start = logs.lastIndexOf("START RequestId: " + requestId);
        if (start < 0) {
            return "";
        }
        int report = logs.indexOf("REPORT RequestId: " + requestId, start);
        int end = report < 0 ? logs.length() : logs.indexOf('\n', report);
        return logs.substring(start, end < 0 ? logs.length() : end + 1);
    }

    /** Removes every container of this gateway instance; answers how many. */
    public static DockerOperation<Integer> removeAll(String instanceId) {
        return removeWhere(instanceId, container -> true, "shutdown");
    }

    /**
     * Removes this instance's containers that match {@code stale}, logging each with {@code reason}; answers how many.
     * Removals run a few at a time: a forced remove waits for the container to die, about a second for a JVM, which
     * made removing a few dozen one by one outlast a shutdown.
     */
    public static DockerOperation<Integer> removeWhere(String instanceId, java.util.function.Predicate<ManagedContainer> stale, String reason) {
        return client -> removeEach(client, listManaged(instanceId, null).run(client).stream().filter(stale)
                .map(c -> new Doomed(c.id(), c.function())).toList(), reason);
    }

    private record Doomed(String id, String function) {}

    /** Removes {@code doomed}, a few at a time, logging each with {@code reason}; answers how many went. */
    private static int removeEach(DockerClient client, List<Doomed> doomed, String reason) throws Exception {
        if (doomed.isEmpty()) {
            return 0;
        }
        var removers = java.util.concurrent.Executors.newFixedThreadPool(Math.min(PARALLEL_REMOVALS, doomed.size()), runnable -> {
            var thread = new Thread(runnable, Thread.currentThread().getName() + "-remove");
            thread.setDaemon(true);
            return thread;
        });
        try {
            var removals = new java.util.ArrayList<java.util.concurrent.Future<Boolean>>();
            for (var container : doomed) {
                removals.add(removers.submit(() -> {
                    boolean gone = remove(container.id()).run(client);
                    if (gone) {
                        log.info("Removed container", kv("container_id", container.id()), kv("function_name", container.function()),
                                kv("reason", reason));
                    }
                    return gone;
                }));
            }
            int removed = 0;
            for (var removal : removals) {
                try {
                    removed += removal.get() ? 1 : 0;
                } catch (java.util.concurrent.ExecutionException e) {
                    throw e.getCause() instanceof Exception cause ? cause : e;
                }
            }
            return removed;
        } finally {
            // Interrupted too when the supervisor gives up on this operation at its deadline.
            removers.shutdownNow();
        }
    }

    /**
     * Whether the kernel killed the container for exceeding its memory limit: Docker's OOMKilled flag, or a SIGKILL
     * exit (137) the gateway did not cause (it removes containers only after it has given up on them), since some
     * engines on cgroup v2 miss the flag. Null while the container still runs: the connection drops the moment the
     * kernel kills the process and Docker records the exit a moment later, so the caller asks again.
     */
    public static DockerOperation<Boolean> wasOomKilled(String containerId) {
        return client -> {
            var state = client.inspectContainerCmd(containerId).exec().getState();
            if (Boolean.TRUE.equals(state.getRunning())) {
                return null;
            }
            return Boolean.TRUE.equals(state.getOOMKilled()) || Long.valueOf(137).equals(state.getExitCodeLong());
        };
    }

    private static void removeQuietly(com.github.dockerjava.api.DockerClient client, String id) {
        try {
            client.removeContainerCmd(id).withForce(true).exec();
        } catch (RuntimeException ignored) {
            // The original start failure is what the caller needs; reconcile removes the leftover if this failed.
        }
    }
}
