package io.esb.docker;

import akka.Done;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.DispatcherSelector;
import akka.stream.ActorAttributes;
import akka.stream.Attributes;
import akka.stream.KillSwitches;
import akka.stream.Materializer;
import akka.stream.RestartSettings;
import akka.stream.UniqueKillSwitch;
import akka.stream.javadsl.Keep;
import akka.stream.javadsl.RestartSource;
import akka.stream.javadsl.Sink;
import akka.stream.javadsl.Source;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.transport.DockerHttpClient;
import io.esb.config.DockerSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

import static net.logstash.logback.argument.StructuredArguments.kv;

/**
 * Streams the stdout and stderr of this gateway instance's function containers into the gateway's log, one event per
 * line on the {@value #LOGGER} logger, with the fields {@code function_name}, {@code container_id}, {@code stream}
 * and {@code container_time}, and inside an invocation {@code request_id} (in the MDC, like the gateway's own lines).
 * <p>
 * Each read is an Akka stream on the dedicated {@value #DISPATCHER} (threads {@value #THREAD_PREFIX}N, bounded by the
 * container cap; never the Docker dispatcher or Akka's default one), with a Docker transport of its own (no response
 * timeout: a quiet container is not a hung daemon). Reading blocks, so each read's source holds a thread of that
 * dispatcher while it waits; the lines are logged by the read itself, as they are parsed, so a line is logged exactly
 * when its position ({@link ContainerLogStream#position()}) counts it, and no line sits in a buffer a restart drops.
 * <ul>
 *   <li>The events stream follows Docker's events for containers labelled with this instance and starts a follower
 *       on each {@code start}; each time it (re)connects it lists the instance's containers, so containers started
 *       while it was away, or before the gateway, are followed too.</li>
 *   <li>A follower is one stream per container: {@link RestartSource#withBackoff} around a source that reads
 *       {@code logs?follow=1} once, through a {@link UniqueKillSwitch}. When a read ends, the container is inspected:
 *       stopped means done (the source emits its end and the stream completes); still running, or the daemon
 *       unreachable, means the read completes and the restart reads again, from the last line's timestamp
 *       ({@link ContainerLogStream}), after its backoff, so no line is lost or repeated across a daemon restart.</li>
 * </ul>
 * {@link #reconnect()} drops the open reads (each reads on from its last line); {@link #close()} ends every stream.
 */
public final class ContainerLogFollowers {
    public static final String LOGGER = "io.esb.container";
    public static final String THREAD_PREFIX = "esb-container-logs-";
    /** Runs every read; {@link ContainerLogThreads} sizes it and names its threads. */
    public static final String DISPATCHER = "esb.container-logs-dispatcher";
    /** Between reads of one stream: short after a read that lasted, growing while reads fail at once (daemon away). */
    private static final RestartSettings BACKOFF = RestartSettings.create(Duration.ofMillis(100), Duration.ofSeconds(2), 0.2);
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(5);
    private static final Logger lines = LoggerFactory.getLogger(LOGGER);
    private static final Logger log = LoggerFactory.getLogger(ContainerLogFollowers.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String instanceId;
    private final String dockerHost;
    private final DockerHttpClient http;
    private final DockerClient client;
    private final Materializer materializer;
    /** For the quick but blocking work of closing connections, off the caller's (an actor's) thread. */
    private final Executor closer;
    /** New followers read from here: containers adopted at start show only what they print from now on. */
    private final Instant startedAt = Instant.now();
    private final Map<String, Followed> containers = new HashMap<>(); // guarded by this
    private volatile boolean closed;
    private CompletableFuture<Done> closing; // guarded by this
    private UniqueKillSwitch eventsSwitch; // guarded by this
    private CompletionStage<Done> eventsDone; // guarded by this
    private volatile DockerHttpClient.Response events;
    /** Set when {@link #reconnect()} closes the events stream on purpose, so that is not reported as a loss. */
    private volatile boolean reconnecting;
    // The events stream's own state; only its reads (one at a time) touch them.
    private boolean connectedBefore;
    private boolean lossLogged;

    /** How a container's read ended, when it ends its stream (a read that ends with neither is read again). */
    private enum Outcome {
        /** The container stopped or is gone: its output is complete. */
        FINISHED,
        /** Docker will not serve its output (a log driver it cannot read back): not followed until listed again. */
        GAVE_UP
    }

    /** One container's output and who reads it. Fields other than {@code response} are guarded by the outer instance. */
    private final class Followed {
        final String id;
        final String shortId;
        final String function;
        final ContainerLogStream stream;
        boolean active;
        boolean finished;
        boolean destroyed;
        UniqueKillSwitch killSwitch;
        CompletionStage<Done> done = CompletableFuture.completedFuture(Done.getInstance());
        volatile DockerHttpClient.Response response;

        Followed(String id, String function) {
            this.id = id;
            this.shortId = id.length() > 12 ? id.substring(0, 12) : id;
            this.function = function == null ? "" : function;
            this.stream = new ContainerLogStream(line -> emit(this, line));
        }
    }

    private ContainerLogFollowers(ActorSystem<?> system, DockerSettings docker, int maxContainers) {
        this.instanceId = docker.instanceId();
        this.dockerHost = docker.host();
        // One connection per follower, plus the events stream and the listing or inspection calls.
        this.http = DockerClients.forStreams(docker, maxContainers + ContainerLogThreads.SPARE + 4);
        this.client = DockerClients.over(docker, http);
        this.materializer = Materializer.matFromSystem(system);
        this.closer = system.dispatchers().lookup(DispatcherSelector.blocking());
    }

    /** Starts watching; {@code maxContainers} (esb.containers.max-total) bounds the connections to Docker. */
    public static ContainerLogFollowers start(ActorSystem<?> system, DockerSettings docker, int maxContainers) {
        var started = new ContainerLogFollowers(system, docker, maxContainers);
        started.watch();
        return started;
    }

    /**
     * The daemon was down and answers again. Reads opened before the outage may be dead without knowing it (a hung
     * daemon's, or a TCP connection across a partition), so they are dropped: the events stream lists again and each
     * follower reads on from its last line.
     */
    public void reconnect() {
        closer.execute(this::dropStreams); // closing sockets is quick, but not the caller's (an actor's) to do
    }

    private void dropStreams() {
        List<DockerHttpClient.Response> open;
        synchronized (this) {
            if (closed) {
                return;
            }
            open = openStreams();
        }
        var current = events;
        if (current != null) {
            reconnecting = true;
            current.close();
        }
        open.forEach(DockerHttpClient.Response::close);
    }

    private List<DockerHttpClient.Response> openStreams() {
        return containers.values().stream().map(f -> f.response).filter(Objects::nonNull).toList();
    }

    /** Containers being read right now. */
    private synchronized int following() {
        return (int) containers.values().stream().filter(f -> f.active).count();
    }

    /** Every stage of a stream here, the blocking reads above all, runs on the container-logs dispatcher. */
    private static Attributes onOwnThreads() {
        return ActorAttributes.dispatcher(DISPATCHER);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // The events stream: Docker events, and a listing each time it connects
    // ---------------------------------------------------------------------------------------------------------------

    private synchronized void watch() {
        var running = RestartSource.withBackoff(BACKOFF, () ->
                        Source.unfoldResource(EventsRead::new, EventsRead::next, EventsRead::close).withAttributes(onOwnThreads()))
                .viaMat(KillSwitches.single(), Keep.right())
                .toMat(Sink.foreach(this::onEvent), Keep.both())
                .addAttributes(onOwnThreads())
                .run(materializer);
        eventsSwitch = running.first();
        eventsDone = running.second().exceptionally(error -> Done.getInstance());
    }

    /** One connection to Docker's events: opened by its first read, which lists the instance's containers. */
    private final class EventsRead {
        private DockerHttpClient.Response response;
        private MappingIterator<JsonNode> stream;

        Optional<JsonNode> next() {
            if (closed) {
                return Optional.empty();
            }
            try {
                if (stream == null) {
                    open();
                    if (stream == null) {
                        return Optional.empty();
                    }
                }
                if (stream.hasNextValue()) {
                    return Optional.of(stream.nextValue());
                }
                if (!closed && !wasReconnecting()) {
                    log.warn("Container logs: Docker closed the events stream; reconnecting", kv("docker_host", dockerHost));
                    lossLogged = true;
                }
            } catch (Exception e) {
                // closed by reconnect(): connect again, without a warning
                if (!closed && !wasReconnecting() && !lossLogged) {
                    log.warn("Container logs: Docker unreachable; retrying until it answers", kv("docker_host", dockerHost),
                            kv("error_detail", DockerCalls.describe(e)));
                    lossLogged = true;
                }
            }
            return Optional.empty(); // this connection is over: the restart connects again after its backoff
        }

        private void open() throws Exception {
            response = http.execute(get(eventsPath()));
            events = response;
            if (closed) {
                return;
            }
            if (response.getStatusCode() != 200) {
                throw new IOException("Docker answered HTTP " + response.getStatusCode() + " to the events request");
            }
            // Subscribed first, listed second: a container starting in between is seen by one or both, never neither.
            int listed = relist();
            log.info(connectedBefore ? "Container logs: Docker is back, following resumed" : "Following container logs",
                    kv("instance", instanceId), kv("containers", listed));
            connectedBefore = true;
            lossLogged = false;
            stream = JSON.readerFor(JsonNode.class).readValues(response.getBody());
        }

        void close() {
            if (response != null) {
                events = null;
                response.close();
            }
        }
    }

    private boolean wasReconnecting() {
        if (reconnecting) {
            reconnecting = false;
            return true;
        }
        return false;
    }

    private String eventsPath() {
        var filters = "{\"type\":[\"container\"],\"event\":[\"start\",\"destroy\"],\"label\":[\""
                + Labels.MANAGED + "=true\",\"" + Labels.INSTANCE + "=" + instanceId + "\"]}";
        return "/events?filters=" + URLEncoder.encode(filters, StandardCharsets.UTF_8);
    }

    private void onEvent(JsonNode event) {
        var action = event.path("Action").asText(event.path("status").asText(""));
        var actor = event.path("Actor");
        var id = actor.path("ID").asText(event.path("id").asText(""));
        var attributes = actor.path("Attributes");
        if (id.isEmpty() || !instanceId.equals(attributes.path(Labels.INSTANCE).asText(instanceId))) {
            return;
        }
        if (action.equals("start")) {
            ensureFollowed(id, attributes.path(Labels.FUNCTION).asText(null), true);
        } else if (action.equals("destroy")) {
            forget(id);
        }
    }

    /**
     * Follows every running container of the instance, and stopped ones whose output was not read to the end (they
     * stopped while the daemon was away); forgets containers that no longer exist. Answers how many are followed.
     */
    private int relist() throws Exception {
        var present = new HashSet<String>();
        for (var container : DockerOps.listManaged(instanceId, null).run(client)) {
            present.add(container.id());
            ensureFollowed(container.id(), container.function(), container.running());
        }
        synchronized (this) {
            containers.values().removeIf(f -> !f.active && !present.contains(f.id));
        }
        return following();
    }

    /** Starts a follower unless one runs; a stopped container only when its output is known and not read to the end. */
    private synchronized void ensureFollowed(String id, String function, boolean running) {
        if (closed) {
            return;
        }
        var followed = containers.get(id);
        if (followed == null) {
            if (!running) {
                return; // stopped before this gateway saw it: its output was someone else's to log
            }
            followed = new Followed(id, function);
            containers.put(id, followed);
        }
        if (followed.active || (!running && followed.finished)) {
            return;
        }
        followed.active = true;
        followed.finished = false;
        follow(followed);
    }

    private synchronized void forget(String id) {
        var followed = containers.get(id);
        if (followed != null) {
            if (followed.active) {
                followed.destroyed = true; // removed when its stream ends
            } else {
                containers.remove(id);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Followers: one stream per container
    // ---------------------------------------------------------------------------------------------------------------

    /** Runs the container's stream; it ends with the container's output, or at {@link #close()}. Called under the lock. */
    private void follow(Followed followed) {
        var running = RestartSource.withBackoff(BACKOFF, () ->
                        Source.unfoldResource(() -> new LogRead(followed), LogRead::next, LogRead::close).withAttributes(onOwnThreads()))
                .take(1) // a read emits only when the container's output is over
                .viaMat(KillSwitches.single(), Keep.right())
                .toMat(Sink.lastOption(), Keep.both())
                .addAttributes(onOwnThreads())
                .run(materializer);
        followed.killSwitch = running.first();
        followed.done = running.second().handle((last, error) -> {
            done(followed, last != null && last.orElse(null) == Outcome.FINISHED);
            return Done.getInstance();
        });
    }

    /** How long a follower lets a container's output gather before reading on: a line reaches the log this much later at most. */
    static final long LINGER_MILLIS = 10;

    /** One read of a container's output, from its last line on: opened by its first step, ended by the container's end or the connection's. */
    private final class LogRead {
        private final Followed followed;
        private DockerHttpClient.Response response;
        private ContainerLogStream.Reader reader;
        private boolean over;

        LogRead(Followed followed) {
            this.followed = followed;
        }

        Optional<Outcome> next() {
            if (over || closed) {
                return Optional.empty();
            }
            Exception failure = null;
            try {
                if (reader == null) {
                    var opened = open();
                    if (opened != null) {
                        over = true;
                        return opened;
                    }
                }
                // The whole connection is read in this one step: a step per frame cost a few thread hand-offs
                // between stream stages for each line a function printed (profiled: a third of the gateway's CPU).
                // close() and reconnect() end the blocked read by closing the connection.
                while (reader.readSome()) {
                    // Each frame's whole lines are logged as they are parsed. The daemon sends a frame per line, so
                    // reading as each arrives woke this thread two or three times per invocation of a function that
                    // prints a few lines (BENCHMARKS.md, issue 17). So after a read that waited, let more gather; a
                    // backlog is read without a pause, or a busy container's lines would fall behind it.
                    if (reader.waited()) {
                        Thread.sleep(LINGER_MILLIS);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failure = e;
            } catch (Exception e) {
                failure = e;
            }
            over = true;
            return closed ? Optional.empty() : afterRead(failure);
        }

        /** Sends the request; answers how the read ends when it cannot start, or null once its body can be read. */
        private Optional<Outcome> open() {
            followed.stream.resume();
            var path = "/containers/" + followed.id + "/logs?follow=1&stdout=1&stderr=1&timestamps=1&since="
                    + followed.stream.since(startedAt);
            response = http.execute(get(path));
            followed.response = response;
            if (closed) {
                return Optional.empty();
            }
            int status = response.getStatusCode();
            if (status == 404) {
                return Optional.of(Outcome.FINISHED);
            }
            if (status != 200) {
                log.warn("Cannot read a function container's output", kv("container_id", followed.shortId),
                        kv("function_name", followed.function), kv("status", status),
                        kv("error_detail", firstLine(response.getBody())));
                return Optional.of(Outcome.GAVE_UP);
            }
            reader = followed.stream.reader(response.getBody());
            return null;
        }

        /**
         * The read ended: either the container stopped (its output is complete) or the connection to the daemon did.
         * Empty: still running, or the daemon away; the restart reads on from the last line.
         */
        private Optional<Outcome> afterRead(Exception failure) {
            Boolean running = null;
            try {
                running = Boolean.TRUE.equals(client.inspectContainerCmd(followed.id).exec().getState().getRunning());
            } catch (NotFoundException gone) {
                running = false;
            } catch (RuntimeException unreachable) {
                // The daemon is away; read again once it answers.
            }
            if (Boolean.FALSE.equals(running)) {
                followed.stream.flushPartial();
                return Optional.of(Outcome.FINISHED);
            }
            log.debug("Container log stream interrupted; resuming", kv("container_id", followed.shortId),
                    kv("error_detail", failure != null ? DockerCalls.describe(failure) : running == null ? "daemon unreachable" : "stream ended"));
            return Optional.empty();
        }

        void close() {
            if (response != null) {
                if (followed.response == response) {
                    followed.response = null;
                }
                response.close();
            }
        }
    }

    private synchronized void done(Followed followed, boolean finished) {
        followed.active = false;
        followed.finished = finished;
        followed.killSwitch = null;
        if (followed.destroyed || (finished && closed)) {
            containers.remove(followed.id);
        }
    }

    private void emit(Followed followed, ContainerLogStream.Line line) {
        if (!lines.isInfoEnabled()) {
            return;
        }
        var fields = new ArrayList<Object>(8);
        fields.add(line.text());
        fields.add(kv("function_name", followed.function));
        fields.add(kv("container_id", followed.shortId));
        fields.add(kv("stream", line.stream().label()));
        if (line.requestId() != null) {
            // In the MDC, as the gateway's own lines carry it: the text pattern shows it in brackets and the JSON
            // encoder writes it as the request_id field (a structured argument too would write that key twice).
            MDC.put("request_id", line.requestId());
        }
        if (line.timestamp() != null) {
            fields.add(kv("container_time", line.timestamp().toString()));
        }
        if (line.truncated()) {
            fields.add(kv("truncated", true));
            fields.add(kv("line_bytes", line.bytes()));
        }
        try {
            // "{}" so that braces in the function's own text are printed as they are.
            lines.info("{}", fields.toArray());
        } finally {
            if (line.requestId() != null) {
                MDC.remove("request_id");
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Plumbing
    // ---------------------------------------------------------------------------------------------------------------

    private static DockerHttpClient.Request get(String path) {
        return DockerHttpClient.Request.builder().method(DockerHttpClient.Request.Method.GET).path(path).build();
    }

    private static String firstLine(java.io.InputStream body) {
        try {
            return DockerCalls.firstLine(new String(body.readNBytes(300), StandardCharsets.UTF_8));
        } catch (IOException e) {
            return "";
        }
    }

    /**
     * Ends every stream: each kill switch stops its restarts, and closing the connections ends the reads blocked on
     * them. Completes when every stream has ended, or after a few seconds at most; never blocks the caller. Safe to
     * call more than once.
     */
    public CompletionStage<Done> close() {
        List<UniqueKillSwitch> switches = new ArrayList<>();
        List<DockerHttpClient.Response> open;
        List<CompletableFuture<Done>> ends = new ArrayList<>();
        synchronized (this) {
            if (closing != null) {
                return closing;
            }
            closed = true;
            closing = new CompletableFuture<>();
            switches.add(eventsSwitch);
            ends.add(eventsDone.toCompletableFuture());
            for (var followed : containers.values()) {
                if (followed.killSwitch != null) {
                    switches.add(followed.killSwitch);
                }
                ends.add(followed.done.toCompletableFuture());
            }
            open = openStreams();
        }
        var finished = closing;
        CompletableFuture.runAsync(() -> {
            switches.forEach(UniqueKillSwitch::shutdown);
            var current = events;
            if (current != null) {
                current.close();
            }
            open.forEach(DockerHttpClient.Response::close);
            try {
                client.close(); // also ends a listing or an inspection still waiting for the daemon
            } catch (IOException | RuntimeException e) {
                log.debug("Closing the container-log Docker client failed", kv("error_detail", String.valueOf(e.getMessage())));
            }
        }, closer).thenCompose(closedAll -> CompletableFuture.allOf(ends.toArray(CompletableFuture[]::new))
                        .completeOnTimeout(null, CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS))
                .whenComplete((ok, error) -> finished.complete(Done.getInstance()));
        return finished;
    }
}
