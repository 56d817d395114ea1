package io.esb.docker;

import com.fasterxml.jackson.databind.JsonNode;
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
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static net.logstash.logback.argument.StructuredArguments.kv;

/**
 * Streams the stdout and stderr of this gateway instance's function containers into the gateway's log, one event per
 * line on the {@value #LOGGER} logger, with the fields {@code function_name}, {@code container_id}, {@code stream}
 * and {@code container_time}, and inside an invocation {@code request_id} (in the MDC, like the gateway's own lines).
 * <p>
 * All of it runs on threads of its own, never on the Docker dispatcher, with a Docker transport of its own (no response
 * timeout: a quiet container is not a hung daemon):
 * <ul>
 *   <li>the watcher ({@value #WATCHER_THREAD}) follows Docker's events for containers labelled with this instance
 *       and starts a follower on each {@code start}; each time it (re)connects it lists the instance's containers, so
 *       containers started while it was away, or before the gateway, are followed too;</li>
 *   <li>followers ({@value #THREAD_PREFIX}N, a pool bounded by the container cap) read {@code logs?follow=1} of one
 *       container each. When a stream ends, the container is inspected: stopped means done; still running, or the
 *       daemon unreachable, means read again, from the last line's timestamp ({@link ContainerLogStream}), with
 *       backoff, so no line is lost or repeated across a daemon restart.</li>
 * </ul>
 * {@link #close()} ends every stream and thread.
 */
public final class ContainerLogFollowers implements AutoCloseable {
    public static final String LOGGER = "io.esb.container";
    public static final String THREAD_PREFIX = "esb-container-logs-";
    public static final String WATCHER_THREAD = "esb-container-events";
    /** Followers beyond the container cap, for containers still being removed while new ones start. */
    private static final int SPARE_FOLLOWERS = 8;
    private static final long MIN_BACKOFF_MS = 100;
    private static final long MAX_BACKOFF_MS = 2000;
    private static final Logger lines = LoggerFactory.getLogger(LOGGER);
    private static final Logger log = LoggerFactory.getLogger(ContainerLogFollowers.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String instanceId;
    private final String dockerHost;
    private final DockerHttpClient http;
    private final DockerClient client;
    private final ThreadPoolExecutor followers;
    private final Thread watcher;
    private final java.util.concurrent.ExecutorService control = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
        var thread = new Thread(r, "esb-container-logs-control");
        thread.setDaemon(true);
        return thread;
    });
    /** New followers read from here: containers adopted at start show only what they print from now on. */
    private final Instant startedAt = Instant.now();
    private final Map<String, Followed> containers = new HashMap<>(); // guarded by this
    private final Object wake = new Object();
    private long wakeGeneration; // guarded by wake
    private volatile boolean closed;
    private volatile DockerHttpClient.Response events;
    /** Set when {@link #reconnect()} closes the events stream on purpose, so that is not reported as a loss. */
    private volatile boolean reconnecting;

    /** One container's output and who reads it. Fields other than {@code response} are guarded by the outer instance. */
    private final class Followed {
        final String id;
        final String shortId;
        final String function;
        final ContainerLogStream stream;
        boolean active;
        boolean finished;
        boolean destroyed;
        volatile DockerHttpClient.Response response;

        Followed(String id, String function) {
            this.id = id;
            this.shortId = id.length() > 12 ? id.substring(0, 12) : id;
            this.function = function == null ? "" : function;
            this.stream = new ContainerLogStream(line -> emit(this, line));
        }
    }

    private ContainerLogFollowers(DockerSettings docker, int maxContainers) {
        this.instanceId = docker.instanceId();
        this.dockerHost = docker.host();
        int threads = maxContainers + SPARE_FOLLOWERS;
        // One connection per follower, plus the events stream and the listing or inspection calls.
        this.http = DockerClients.forStreams(docker, threads + 4);
        this.client = DockerClients.over(docker, http);
        var ids = new AtomicInteger();
        this.followers = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            var thread = new Thread(r, THREAD_PREFIX + ids.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        followers.allowCoreThreadTimeOut(true);
        this.watcher = new Thread(this::watch, WATCHER_THREAD);
        watcher.setDaemon(true);
    }

    /** Starts watching; {@code maxContainers} (esb.containers.max-total) bounds the follower threads. */
    public static ContainerLogFollowers start(DockerSettings docker, int maxContainers) {
        var started = new ContainerLogFollowers(docker, maxContainers);
        started.watcher.start();
        return started;
    }

    /** The daemon answers again: retry at once instead of at the end of the current backoff. */
    public void daemonUp() {
        synchronized (wake) {
            wakeGeneration++;
            wake.notifyAll();
        }
    }

    /**
     * The daemon was down and answers again. Streams opened before the outage may be dead without knowing it (a hung
     * daemon's, or a TCP connection across a partition), so they are dropped: the watcher lists again and each
     * follower reads on from its last line.
     */
    public void reconnect() {
        try {
            control.execute(this::dropStreams); // closing sockets is quick, but not the caller's (an actor's) to do
        } catch (java.util.concurrent.RejectedExecutionException closedAlready) {
            // closed: nothing to reconnect
        }
    }

    private void dropStreams() {
        List<DockerHttpClient.Response> open;
        synchronized (this) {
            if (closed) {
                return;
            }
            open = openStreams();
        }
        closeStreams(open, true);
        daemonUp();
    }

    private List<DockerHttpClient.Response> openStreams() {
        return containers.values().stream().map(f -> f.response).filter(Objects::nonNull).toList();
    }

    /** Closes the events stream and the followers' {@code open} streams; {@code reconnect}: the watcher connects again. */
    private void closeStreams(List<DockerHttpClient.Response> open, boolean reconnect) {
        var current = events;
        if (current != null) {
            if (reconnect) {
                reconnecting = true;
            }
            current.close();
        }
        open.forEach(DockerHttpClient.Response::close);
    }

    /** Containers being read right now. */
    private synchronized int following() {
        return (int) containers.values().stream().filter(f -> f.active).count();
    }

    // ---------------------------------------------------------------------------------------------------------------
    // The watcher: Docker events, and a listing each time it connects
    // ---------------------------------------------------------------------------------------------------------------

    private void watch() {
        long backoff = MIN_BACKOFF_MS;
        boolean connectedBefore = false;
        boolean lossLogged = false;
        while (!closed) {
            try (var response = http.execute(get(eventsPath()))) {
                events = response;
                if (closed) {
                    break;
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
                backoff = MIN_BACKOFF_MS;
                var stream = JSON.readerFor(JsonNode.class).<JsonNode>readValues(response.getBody());
                while (stream.hasNextValue()) {
                    onEvent(stream.nextValue());
                }
                if (!closed) {
                    log.warn("Container logs: Docker closed the events stream; reconnecting", kv("docker_host", dockerHost));
                    lossLogged = true;
                }
            } catch (Exception e) {
                if (closed) {
                    break;
                }
                if (reconnecting) {
                    reconnecting = false;
                    continue; // closed by reconnect(): connect again at once
                }
                if (!lossLogged) {
                    log.warn("Container logs: Docker unreachable; retrying until it answers", kv("docker_host", dockerHost),
                            kv("error_detail", DockerSupervisor.describe(e)));
                    lossLogged = true;
                }
            } finally {
                events = null;
            }
            awaitWake(backoff);
            backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
        }
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
        var target = followed;
        followers.execute(() -> follow(target));
    }

    private synchronized void forget(String id) {
        var followed = containers.get(id);
        if (followed != null) {
            if (followed.active) {
                followed.destroyed = true; // its follower removes it when its stream ends
            } else {
                containers.remove(id);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Followers: one container each
    // ---------------------------------------------------------------------------------------------------------------

    private void follow(Followed followed) {
        long backoff = MIN_BACKOFF_MS;
        while (!closed) {
            Exception failure = null;
            var before = followed.stream.position();
            try {
                followed.stream.resume();
                var path = "/containers/" + followed.id + "/logs?follow=1&stdout=1&stderr=1&timestamps=1&since="
                        + followed.stream.since(startedAt);
                try (var response = http.execute(get(path))) {
                    followed.response = response;
                    if (closed) {
                        break;
                    }
                    int status = response.getStatusCode();
                    if (status == 404) {
                        done(followed, true);
                        return;
                    }
                    if (status != 200) {
                        log.warn("Cannot read a function container's output", kv("container_id", followed.shortId),
                                kv("function_name", followed.function), kv("status", status),
                                kv("error_detail", firstLine(response.getBody())));
                        done(followed, false);
                        return;
                    }
                    followed.stream.readFrom(response.getBody());
                } finally {
                    followed.response = null;
                }
            } catch (Exception e) {
                failure = e;
            }
            if (closed) {
                break;
            }
            // The stream ended: either the container stopped (its output is complete) or the connection to the daemon did.
            Boolean running = null;
            try {
                running = Boolean.TRUE.equals(client.inspectContainerCmd(followed.id).exec().getState().getRunning());
            } catch (NotFoundException gone) {
                followed.stream.flushPartial();
                done(followed, true);
                return;
            } catch (RuntimeException unreachable) {
                // The daemon is away; read again once it answers.
            }
            if (Boolean.FALSE.equals(running)) {
                followed.stream.flushPartial();
                done(followed, true);
                return;
            }
            // Still running, or the daemon away: read on from the last line, after a pause that grows while nothing comes.
            log.debug("Container log stream interrupted; resuming", kv("container_id", followed.shortId),
                    kv("error_detail", failure != null ? DockerSupervisor.describe(failure) : running == null ? "daemon unreachable" : "stream ended"));
            if (!Objects.equals(before, followed.stream.position())) {
                backoff = MIN_BACKOFF_MS;
            }
            awaitWake(backoff);
            backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
        }
        done(followed, false);
    }

    private synchronized void done(Followed followed, boolean finished) {
        followed.active = false;
        followed.finished = finished;
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

    /** Sleeps up to {@code millis}, or until {@link #daemonUp()} or {@link #close()}. */
    private void awaitWake(long millis) {
        synchronized (wake) {
            long generation = wakeGeneration;
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
            try {
                long left;
                while (!closed && generation == wakeGeneration && (left = deadline - System.nanoTime()) > 0) {
                    TimeUnit.NANOSECONDS.timedWait(wake, left);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static String firstLine(java.io.InputStream body) {
        try {
            return DockerSupervisor.firstLine(new String(body.readNBytes(300), StandardCharsets.UTF_8));
        } catch (IOException e) {
            return "";
        }
    }

    /** Ends every stream and thread; waits a few seconds at most. Safe to call more than once. */
    @Override
    public void close() {
        List<DockerHttpClient.Response> open;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            open = openStreams();
        }
        daemonUp(); // wakes sleepers so they see closed
        closeStreams(open, false);
        followers.shutdownNow();
        control.shutdownNow();
        watcher.interrupt();
        try {
            client.close();
        } catch (IOException | RuntimeException e) {
            log.debug("Closing the container-log Docker client failed", kv("error_detail", String.valueOf(e.getMessage())));
        }
        try {
            followers.awaitTermination(5, TimeUnit.SECONDS);
            watcher.join(Duration.ofSeconds(5).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
