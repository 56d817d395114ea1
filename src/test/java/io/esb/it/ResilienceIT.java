package io.esb.it;

import io.esb.testing.Eventually;
import ch.qos.logback.classic.spi.ILoggingEvent;
import com.fasterxml.jackson.databind.JsonNode;
import io.esb.testing.Docker;
import io.esb.testing.DockerFaultProxy;
import io.esb.testing.DockerFaultProxy.Mode;
import io.esb.testing.GatewayUnderTest;
import io.esb.testing.LogCapture;
import io.esb.testing.RequiresDocker;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.ConcurrentModificationException;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The gateway against a misbehaving Docker daemon: a {@link DockerFaultProxy} sits between the gateway's client and
 * the real socket and hangs, refuses, resets or flaps. The docker CLI still talks to the real socket, so the tests see
 * the daemon's truth. Every HTTP call has its own timeout and every test its own bound: nothing here can hang.
 * <p>
 * Comments marked REGRESSION name a bug these tests found in the gateway (now fixed) and the class it was in.
 * Expectations are checked softly where one failure would otherwise hide the rest.
 */
@ExtendWith(RequiresDocker.class)
class ResilienceIT {
    /** Short, but above what a create-and-start takes on a busy CI machine (about 1 s here, 2 s at worst seen). */
    private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(5);
    private static final int MAX_WORKERS = 4;
    private static final Set<Integer> GATEWAY_ANSWERS_UNDER_FAULTS = Set.of(200, 502, 503, 504);

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    /**
     * Short Docker settings, through the proxy. The probe's timeouts (idle and busy) equal its interval unless
     * {@code extra} says otherwise (later keys win), so each test controls whether the probe or a call's deadline
     * notices a hang first.
     */
    private static String faultConfig(DockerFaultProxy proxy, String probeInterval, String extra) {
        return """
                esb.docker.host = "%s"
                esb.docker.client-timeout = %dms
                esb.docker.probe-interval = %s
                esb.docker.probe-timeout = %s
                esb.docker.busy-probe-timeout = %s
                esb.docker.max-workers = %d
                esb.containers.readiness-timeout = 10s
                %s
                """.formatted(proxy.dockerHost(), CLIENT_TIMEOUT.toMillis(), probeInterval, probeInterval, probeInterval, MAX_WORKERS, extra);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // A hung daemon
    // ---------------------------------------------------------------------------------------------------------------

    /** The probe (every 500 ms, each ping bounded by the interval) notices the hang before any call's deadline. */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void hungDaemonNoticedByTheProbe() throws Exception {
        hungDaemonScenario("it-res-hang", Duration.ofMillis(500));
    }

    /**
     * The probe is slower than the client timeout, so the calls' own deadline is what frees the workers: each call is
     * aborted alone, and the daemon is not declared down for it (issue 11: only the probe does that).
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void hungDaemonNoticedByTheCallDeadline() throws Exception {
        hungDaemonScenario("it-res-hangdl", CLIENT_TIMEOUT.plusSeconds(3));
    }

    private void hungDaemonScenario(String prefix, Duration probeInterval) throws Exception {
        var instance = GatewayUnderTest.newInstanceId(prefix);
        var threadsBefore = dockerDispatcherThreads();
        int burstSize = 2 * MAX_WORKERS;
        try (var proxy = new DockerFaultProxy();
             var gw = GatewayUnderTest.start(instance, faultConfig(proxy, probeInterval.toMillis() + "ms",
                     "esb.functions.hello.max-concurrency = " + burstSize))) {
            awaitStatus(gw, s -> "up".equals(s.path("docker").path("status").asText()), Duration.ofSeconds(15), "docker up");
            var warmContainer = warmUpFx(gw);

            proxy.setMode(Mode.HANG);
            var health = new HealthSampler(gw, Duration.ofMillis(5)).start();
            // (a)+(b): more cold starts at once than there are Docker workers, all stuck on the hung daemon.
            var burst = new ArrayList<CompletableFuture<Reply>>();
            for (int i = 0; i < burstSize; i++) {
                burst.add(sendAsync(gw, "GET", "/api/hello?name=hang" + i, null, Duration.ofSeconds(30)));
            }
            int maxBlocked = 0;
            long watchUntil = System.nanoTime() + Duration.ofMillis(1500).toNanos();
            while (System.nanoTime() < watchUntil && !burst.stream().allMatch(CompletableFuture::isDone)) {
                maxBlocked = Math.max(maxBlocked, inSocketRead(dockerDispatcherThreads(), threadsBefore).size());
                Thread.sleep(50);
            }
            // (c) the warm container keeps serving while Docker is hung.
            var warmDuringHang = invokeFx(gw, Duration.ofSeconds(10));

            var answers = new ArrayList<Reply>();
            for (var call : burst) {
                answers.add(call.get(45, TimeUnit.SECONDS));
            }
            // Still hung: the workers of the answered calls must be free again (only a probe may be waiting).
            Thread.sleep(300);
            var blockedOnceAnswered = inSocketRead(dockerDispatcherThreads(), threadsBefore);
            // One more cold start, once the gateway knows (or is about to know) the daemon is hung.
            var later = send(gw, "GET", "/api/hello?name=later", null, Duration.ofSeconds(30));
            answers.add(later);
            var statusDuringHang = send(gw, "GET", "/status", null, Duration.ofSeconds(5));

            // (d) back to PASS: the gateway recovers without a restart.
            proxy.setMode(Mode.PASS);
            long passAt = System.nanoTime();
            // A probe stuck on the hung daemon is only noticed after its timeout (the interval here), then the next one passes.
            var recoveryBound = probeInterval.plus(CLIENT_TIMEOUT).plusSeconds(3);
            var recovered = awaitStatus(gw, s -> "up".equals(s.path("docker").path("status").asText())
                    && s.path("docker").path("operationsInFlight").asInt(-1) == 0, recoveryBound.plusSeconds(5), "docker up, nothing in flight");
            long recoveredMs = millisSince(passAt);
            var coldAfter = send(gw, "GET", "/api/hello?name=after", null, Duration.ofSeconds(30));
            var stuck = stuckInSocketRead(threadsBefore);
            var healthStats = health.stop();
            var warmAfter = invokeFx(gw, Duration.ofSeconds(10));

            System.out.printf("[resilience/%s] probe=%s maxBlockedWorkers=%d blockedOnceAnswered=%s cold-start answers=%s%n", prefix,
                    probeInterval, maxBlocked, blockedOnceAnswered,
                    answers.stream().map(r -> r.status() + "/" + r.millis() + "ms").toList());
            System.out.printf("[resilience/%s] first answer: %s%n", prefix, answers.get(0).body());
            System.out.printf("[resilience/%s] later answer: %s%n", prefix, later.body());
            System.out.printf("[resilience/%s] /status during hang: %s %s%n", prefix, statusDuringHang.status(), statusDuringHang.body());
            System.out.printf("[resilience/%s] recovered %d ms after PASS: %s; /health %s; proxy open=%d frozen=%d accepted=%d%n",
                    prefix, recoveredMs, recovered, healthStats, proxy.openConnections(), proxy.frozenConnections(), proxy.acceptedConnections());

            // Soft: every expectation is checked and reported, so one known bug does not hide the others.
            var soft = new SoftAssertions();
            boolean probeFirst = probeInterval.compareTo(CLIENT_TIMEOUT) < 0;
            // The hang really occupied every Docker worker.
            soft.assertThat(maxBlocked).as("Docker workers seen blocked in a socket read during the burst").isEqualTo(MAX_WORKERS);
            if (probeFirst) {
                // The probe declared the daemon down and reset the client, which freed every worker while still hung.
                soft.assertThat(blockedOnceAnswered).as("Docker workers still blocked once the burst was answered (only a probe may be)")
                        .hasSizeLessThanOrEqualTo(1);
            }
            // Else each call was aborted alone at its deadline, which freed its worker for the next: the burst is twice
            // the workers, so half of it waited one deadline for a worker, and the removals that follow timed-out
            // starts (their undo, bounded by the same deadline) take workers too. After recovery none may be left stuck.
            long answerBound = probeFirst ? CLIENT_TIMEOUT.toMillis() + 3000 : 3 * CLIENT_TIMEOUT.toMillis() + 3000;
            // (a) every cold start during the hang is a JSON 503 within its bound, never a hang.
            var distinctBodies = new java.util.LinkedHashSet<String>();
            for (var answer : answers) {
                soft.assertThat(answer.status()).as(answer.toString()).isEqualTo(503);
                soft.assertThat(answer.millis()).as(answer.toString()).isLessThan(answerBound);
                soft.assertThat(answer.json()).as(answer.toString()).isNotNull();
                distinctBodies.add(answer.body());
            }
            for (var body : distinctBodies) {
                var json = GatewayUnderTest.JSON.readTree(body);
                var message = json.path("message").asText();
                var reason = json.path("reason").asText();
                soft.assertThat(message).as(body).isIn("Docker daemon unavailable", "Function container could not be started");
                if (message.equals("Function container could not be started")) {
                    soft.assertThat(reason).as(body).contains("timed out after " + CLIENT_TIMEOUT.toMillis() + " ms");
                } else {
                    // README ("Errors", "When Docker is down"): the 503 names the Docker host, and says why.
                    // REGRESSION: calls aborted by a supervisor restart get "Docker client restarting before '...' finished",
                    // and a call refused after it may carry the aborted client's "Connection pool shut down".
                    soft.assertThat(reason.contains(proxy.dockerHost()) && (reason.contains("timed out") || reason.contains("no answer")))
                            .as("README: a 503 names the Docker host and the hang; got %s", body).isTrue();
                }
            }
            if (probeFirst) {
                // The probe missed its pings in a row: down, with the reason.
                soft.assertThat(statusDuringHang.status()).isEqualTo(503);
                soft.assertThat(statusDuringHang.json().path("docker").path("status").asText()).isEqualTo("down");
                // REGRESSION: a probe answer from the aborted client reaches the restarted supervisor and overwrites the reason.
                soft.assertThat(statusDuringHang.json().path("docker").path("lastError").asText()).as("/status lastError during the hang")
                        .contains("no answer").contains("pings missed in a row (esb.docker.probe-misses)");
            } else {
                // Calls past their deadline fail alone: the daemon is not declared down for them before the probe says so.
                soft.assertThat(statusDuringHang.json().path("docker").path("status").asText())
                        .as("docker state after calls timed out, before the probe missed %d pings", 3).isEqualTo("up");
            }
            // (b) /health never waited for Docker.
            soft.assertThat(healthStats.failures()).as("/health failures").isZero();
            soft.assertThat(healthStats.count()).isGreaterThan(20);
            soft.assertThat(healthStats.p99()).as("/health p99 ms").isLessThan(500);
            // The max is one sample: on a 2-vCPU CI box at load 20+ a lone scheduling stall reached 870 ms (p99 101 ms).
            soft.assertThat(healthStats.max()).as("/health max ms").isLessThan(1000);
            // (c) the warm container kept answering, during and after.
            soft.assertThat(warmDuringHang.status()).as(warmDuringHang.toString()).isEqualTo(200);
            soft.assertThat(warmAfter.status()).as(warmAfter.toString()).isEqualTo(200);
            if (warmDuringHang.status() == 200 && warmAfter.status() == 200) {
                soft.assertThat(warmDuringHang.json().get("container").asText()).isEqualTo(warmContainer);
                soft.assertThat(warmAfter.json().get("container").asText()).isEqualTo(warmContainer);
            }
            // (d) recovered: up, nothing in flight, cold starts work, no worker left stuck on a frozen connection.
            soft.assertThat(recoveredMs).as("ms from PASS to up with nothing in flight").isLessThan(recoveryBound.toMillis());
            soft.assertThat(coldAfter.status()).as(coldAfter.toString()).isEqualTo(200);
            soft.assertThat(coldAfter.body()).as(coldAfter.toString()).contains("Hello, after!");
            soft.assertThat(stuck).as("Docker dispatcher threads still blocked in a socket read after recovery").isEmpty();
            if (probeFirst) {
                // The client reset closed every connection. Without one (the deadline variant) the log followers' streams,
                // frozen by the proxy for good, stay open: a quiet stream is not a hung daemon, and a real daemon that
                // answers again resumes them.
                soft.assertThat(proxy.frozenConnections()).as("connections left on the hung daemon after recovery").isZero();
            }
            soft.assertAll();
        } finally {
            removeAllContainers(instance);
        }
    }

    /**
     * REGRESSION (DockerSupervisor: pipeToSelf results carry no incarnation): a ping still waiting on the hung daemon
     * when the supervisor restarts runs on the closed client, fails with the client's own "Connection pool shut down",
     * and that ProbeDone reached the new incarnation, which took it for the daemon's state: /status and every 503 after
     * it reported the gateway's own closed pool instead of the hang. Here the probe misses its pings, the daemon is
     * declared down and the client reset, again and again while the hang lasts.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void probeFromTheAbortedClientDoesNotOverwriteTheDaemonsState() throws Exception {
        var instance = GatewayUnderTest.newInstanceId("it-res-stale");
        var probeInterval = Duration.ofMillis(500);
        try (var proxy = new DockerFaultProxy();
             var gw = GatewayUnderTest.start(instance, faultConfig(proxy, probeInterval.toMillis() + "ms",
                     "esb.functions.hello.max-concurrency = " + MAX_WORKERS))) {
            awaitStatus(gw, s -> "up".equals(s.path("docker").path("status").asText()), Duration.ofSeconds(15), "docker up");

            proxy.setMode(Mode.HANG);
            var burst = new ArrayList<CompletableFuture<Reply>>();
            for (int i = 0; i < MAX_WORKERS; i++) {
                burst.add(sendAsync(gw, "GET", "/api/hello?name=stale" + i, null, Duration.ofSeconds(30)));
            }
            for (var call : burst) {
                call.get(45, TimeUnit.SECONDS);
            }
            // The probe has missed its pings and the supervisor restarted; watch what it reports while the daemon stays hung.
            var errors = new java.util.LinkedHashSet<String>();
            long watchUntil = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            while (System.nanoTime() < watchUntil) {
                var status = send(gw, "GET", "/status", null, Duration.ofSeconds(5));
                if (status.json() != null) {
                    errors.add(status.json().path("docker").path("status").asText() + ": "
                            + status.json().path("docker").path("lastError").asText());
                }
                Thread.sleep(100);
            }
            var coldDuringHang = send(gw, "GET", "/api/hello?name=during", null, Duration.ofSeconds(30));
            proxy.setMode(Mode.PASS);
            System.out.printf("[resilience/stale] /status docker states after the deadline: %s%n", errors);
            System.out.printf("[resilience/stale] cold start then: %s%n", coldDuringHang);

            var soft = new SoftAssertions();
            soft.assertThat(errors).as("daemon states reported during the hang").allSatisfy(e ->
                    assertThat(e).startsWith("down: ").doesNotContain("Connection pool shut down"));
            soft.assertThat(coldDuringHang.status()).isEqualTo(503);
            soft.assertThat(coldDuringHang.body()).as("503 during the hang").doesNotContain("Connection pool shut down");
            soft.assertAll();
        } finally {
            removeAllContainers(instance);
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // A daemon that refuses connections
    // ---------------------------------------------------------------------------------------------------------------

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void refusedDaemonFailsColdStartsFastAndWarmContainersKeepServing() throws Exception {
        var instance = GatewayUnderTest.newInstanceId("it-res-refuse");
        try (var proxy = new DockerFaultProxy(); var gw = GatewayUnderTest.start(instance, faultConfig(proxy, "500ms", ""))) {
            awaitStatus(gw, s -> "up".equals(s.path("docker").path("status").asText()), Duration.ofSeconds(15), "docker up");
            var warmContainer = warmUpFx(gw);

            proxy.setMode(Mode.REFUSE);
            long refusedAt = System.nanoTime();
            var down = awaitStatus(gw, s -> "down".equals(s.path("docker").path("status").asText()), Duration.ofSeconds(5), "docker down");
            long downMs = millisSince(refusedAt);
            var downStatus = send(gw, "GET", "/status", null, Duration.ofSeconds(5));

            var route = send(gw, "GET", "/api/hello?name=refused", null, Duration.ofSeconds(10));
            var invoke = send(gw, "POST", "/2015-03-31/functions/hello/invocations", "{}", Duration.ofSeconds(10));
            var warmCalls = new ArrayList<Reply>();
            for (int i = 0; i < 5; i++) {
                warmCalls.add(invokeFx(gw, Duration.ofSeconds(10)));
            }

            proxy.setMode(Mode.PASS);
            long passAt = System.nanoTime();
            var up = awaitStatus(gw, s -> "up".equals(s.path("docker").path("status").asText()), Duration.ofSeconds(5), "docker up again");
            long upMs = millisSince(passAt);
            var coldAfter = send(gw, "GET", "/api/hello?name=back", null, Duration.ofSeconds(30));

            System.out.printf("[resilience/refuse] down after %d ms: %s%n", downMs, down);
            System.out.printf("[resilience/refuse] cold start while refused: route %d in %d ms %s; invoke %d in %d ms %s%n",
                    route.status(), route.millis(), route.body(), invoke.status(), invoke.millis(), invoke.body());
            System.out.printf("[resilience/refuse] up %d ms after PASS; cold start then %d in %d ms%n", upMs, coldAfter.status(), coldAfter.millis());

            // Down within about two probe intervals, with the reason.
            assertThat(downMs).isLessThan(1500);
            assertThat(downStatus.status()).isEqualTo(503);
            assertThat(downStatus.json().path("docker").path("status").asText()).isEqualTo("down");
            assertThat(downStatus.json().path("docker").path("host").asText()).isEqualTo(proxy.dockerHost());
            // The first failed ping may hit a pooled connection the proxy just closed ("Broken pipe"); later ones are refused.
            assertThat(downStatus.json().path("docker").path("lastError").asText())
                    .containsAnyOf("Connection refused", "Broken pipe", "Connection reset", "failed to respond");
            // Cold starts fail fast, naming the host.
            assertThat(route.status()).isEqualTo(503);
            assertThat(route.millis()).isLessThan(1000);
            assertThat(route.json().path("message").asText()).isEqualTo("Docker daemon unavailable");
            assertThat(route.json().path("reason").asText()).contains(proxy.dockerHost());
            assertThat(invoke.status()).isEqualTo(503);
            assertThat(invoke.millis()).isLessThan(1000);
            assertThat(invoke.headers().firstValue("x-amzn-ErrorType")).hasValue("ServiceException");
            assertThat(invoke.json().path("message").asText()).startsWith("Docker daemon unavailable").contains(proxy.dockerHost());
            // The warm container keeps serving, always the same one.
            assertThat(warmCalls).allSatisfy(r -> {
                assertThat(r.status()).as(r.toString()).isEqualTo(200);
                assertThat(r.json().get("container").asText()).isEqualTo(warmContainer);
            });
            // Back up within about one probe interval, and cold starts work again.
            assertThat(upMs).isLessThan(1500);
            assertThat(up.path("docker").path("status").asText()).isEqualTo("up");
            assertThat(coldAfter.status()).as(coldAfter.toString()).isEqualTo(200);
            assertThat(coldAfter.json().get("message").asText()).isEqualTo("Hello, back!");
        } finally {
            removeAllContainers(instance);
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // A flapping daemon
    // ---------------------------------------------------------------------------------------------------------------

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void flappingDaemonNeverBreaksTheGatewayAndLeaksNoContainer() throws Exception {
        var instance = GatewayUnderTest.newInstanceId("it-res-flap");
        var functions = List.of("fx", "hello");
        try (var proxy = new DockerFaultProxy()) {
            // Twice the workers of the other tests: up to four cold starts plus removals run at once here, and with every
            // worker busy the probe's ping would wait in the queue and be taken for a hang (see the test below).
            try (var gw = GatewayUnderTest.start(instance, faultConfig(proxy, "500ms", """
                    esb.docker.max-workers = 8
                    esb.containers.idle-timeout = 3s
                    esb.functions.fx.max-concurrency = 2
                    esb.functions.hello.max-concurrency = 2
                    """))) {
                awaitStatus(gw, s -> "up".equals(s.path("docker").path("status").asText()), Duration.ofSeconds(15), "docker up");
                // Two warm containers per function to start with, so warm calls are part of the mix.
                var warmUp = new ArrayList<CompletableFuture<Reply>>();
                for (int i = 0; i < 2; i++) {
                    warmUp.add(sendAsync(gw, "POST", "/2015-03-31/functions/fx/invocations", "{\"action\":\"sleep\",\"ms\":300}", Duration.ofSeconds(60)));
                    warmUp.add(sendAsync(gw, "GET", "/api/hello?name=warm" + i, null, Duration.ofSeconds(60)));
                }
                for (var call : warmUp) {
                    var reply = call.get(70, TimeUnit.SECONDS);
                    assertThat(reply.status()).as("warm-up " + reply).isEqualTo(200);
                }

                var flapping = new AtomicBoolean(true);
                var modes = Collections.synchronizedList(new ArrayList<String>());
                var flapper = new Thread(() -> {
                    var random = ThreadLocalRandom.current();
                    // Each run of four modes is a shuffle of all four, so every fault comes up (independent draws
                    // missed one in about 1 run of 200: a red CI run with no HANG at all).
                    var upcoming = new ArrayList<Mode>();
                    long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                    try {
                        while (System.nanoTime() < end) {
                            if (upcoming.isEmpty()) {
                                upcoming.addAll(List.of(Mode.PASS, Mode.REFUSE, Mode.RESET, Mode.HANG));
                                Collections.shuffle(upcoming, random);
                            }
                            var mode = upcoming.remove(upcoming.size() - 1);
                            proxy.setMode(mode);
                            modes.add(mode.toString());
                            Thread.sleep(random.nextLong(300, 701));
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } finally {
                        proxy.setMode(Mode.PASS);
                        flapping.set(false);
                    }
                }, "flapper");

                var replies = Collections.synchronizedList(new ArrayList<Reply>());
                var loops = new ArrayList<CompletableFuture<Void>>();
                var loopThreads = Executors.newFixedThreadPool(4, daemonThreads("flap-loop"));
                flapper.start();
                for (int loop = 0; loop < 4; loop++) {
                    loops.add(CompletableFuture.runAsync(() -> {
                        var random = ThreadLocalRandom.current();
                        for (int i = 0; i < 300 && flapping.get(); i++) {
                            int pick = random.nextInt(20);
                            Reply reply;
                            if (pick < 9) {
                                reply = send(gw, "POST", "/2015-03-31/functions/fx/invocations", "{\"action\":\"echo\"}", Duration.ofSeconds(40));
                            } else if (pick < 19) {
                                reply = send(gw, "GET", "/api/hello?name=flap" + i, null, Duration.ofSeconds(40));
                            } else {
                                // Kills an fx container: a later fx call needs a cold start, and the dead one must be removed.
                                reply = send(gw, "POST", "/2015-03-31/functions/fx/invocations", "{\"action\":\"exit\"}", Duration.ofSeconds(40));
                            }
                            replies.add(reply);
                            sleepQuietly(random.nextInt(20, 120));
                        }
                    }, loopThreads));
                }
                try {
                    flapper.join(Duration.ofSeconds(20).toMillis());
                    CompletableFuture.allOf(loops.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
                } finally {
                    flapping.set(false);
                    loopThreads.shutdownNow();
                }
                long flapEnded = System.nanoTime();

                var byStatus = new TreeMap<Integer, Integer>();
                long maxMillis = 0;
                for (var reply : replies) {
                    byStatus.merge(reply.status(), 1, Integer::sum);
                    maxMillis = Math.max(maxMillis, reply.millis());
                }
                var messages = new TreeMap<String, Integer>();
                replies.stream().filter(r -> r.status() != 200 && r.json() != null)
                        .forEach(r -> messages.merge(r.status() + " " + r.json().path("message").asText()
                                .replaceAll("/tmp/esb-fault-proxy\\d+", "<proxy>").replaceAll("[0-9a-f]{12,}", "<id>"), 1, Integer::sum));
                System.out.printf("[resilience/flap] modes %s%n", modes);
                System.out.printf("[resilience/flap] %d answers by status %s, slowest %d ms%n", replies.size(), byStatus, maxMillis);
                messages.forEach((m, n) -> System.out.printf("[resilience/flap]   %3d x %s%n", n, m));

                assertThat(modes).contains("REFUSE", "RESET", "HANG");
                assertThat(replies).hasSizeGreaterThan(20);
                // Every answer is JSON with one of the statuses a Docker fault may cause: none hung, none is a 500.
                assertThat(replies).allSatisfy(r -> {
                    assertThat(r.error()).as(r.toString()).isNull();
                    assertThat(GATEWAY_ANSWERS_UNDER_FAULTS).as(r.toString()).contains(r.status());
                    assertThat(r.json()).as(r.toString()).isNotNull();
                    if (r.status() != 200) {
                        assertThat(r.json().path("message").asText()).as(r.toString()).isNotBlank();
                    }
                });
                assertThat(byStatus).containsKey(200);
                // Within the gateway's own bound for one call (2 x function timeout + readiness + client timeout + 5 s).
                assertThat(maxMillis).as("slowest answer, ms").isLessThan(30_000);

                // Recovery: up, and no function left with a start, a call or a queue that nothing will ever finish.
                awaitStatus(gw, s -> "up".equals(s.path("docker").path("status").asText()), Duration.ofSeconds(20), "docker up after flapping");
                var settled = awaitStatus(gw, s -> functions.stream().allMatch(f -> s.path("functions").path(f).path("starting").asInt(-1) == 0
                        && s.path("functions").path(f).path("queued").asInt(-1) == 0
                        && s.path("functions").path(f).path("busy").asInt(-1) == 0), Duration.ofSeconds(30), "no start, queue or call left");
                // Idle containers are reaped (3 s), then each function cold-starts again.
                var reaped = awaitStatus(gw, s -> functions.stream().allMatch(f -> s.path("functions").path(f).path("idle").asInt(-1) == 0),
                        Duration.ofSeconds(30), "idle containers reaped");
                long reapedMs = millisSince(flapEnded);
                var coldFx = invokeFx(gw, Duration.ofSeconds(30));
                var coldHello = send(gw, "GET", "/api/hello?name=recovered", null, Duration.ofSeconds(30));
                var afterCold = send(gw, "GET", "/status", null, Duration.ofSeconds(5)).json();
                int known = knownContainers(afterCold, functions);
                var daemonHas = Docker.containers(instance);
                var daemonRuns = Docker.runningContainers(instance);
                System.out.printf("[resilience/flap] settled: %s%n", settled);
                System.out.printf("[resilience/flap] all reaped %d ms after flapping; cold starts then: fx %s / hello %s%n", reapedMs, coldFx, coldHello);
                System.out.printf("[resilience/flap] before close: gateway knows %d, daemon has %d (%d running)%n", known, daemonHas.size(), daemonRuns.size());

                assertThat(coldFx.status()).as(coldFx.toString()).isEqualTo(200);
                assertThat(coldHello.status()).as(coldHello.toString()).isEqualTo(200);
                for (var f : functions) {
                    assertThat(afterCold.path("functions").path(f).path("coldStarts").asInt())
                            .isGreaterThan(reaped.path("functions").path(f).path("coldStarts").asInt());
                }
            }

            // A new gateway with the same instance id removes what it cannot serve (pull mode, the default: the old
            // gateway's runtimes ended with its Runtime API) and serves again: afterwards the daemon holds exactly the
            // containers the gateway knows, all running. (Push-mode adoption: GatewayIT, ShutdownIT.)
            try (var next = GatewayUnderTest.start(instance, "esb.docker.probe-interval = 500ms")) {
                long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                int known;
                List<String> all;
                List<String> running;
                do {
                    Thread.sleep(250);
                    var status = send(next, "GET", "/status", null, Duration.ofSeconds(5)).json();
                    known = knownContainers(status, functions);
                    all = Docker.containers(instance);
                    running = Docker.runningContainers(instance);
                    if (known == all.size() && running.size() == all.size() && known == 0) {
                        // nothing left of the old gateway: serve both functions, which must leave two known containers
                        assertThat(invokeFx(next, Duration.ofSeconds(30)).status()).isEqualTo(200);
                        assertThat(send(next, "GET", "/api/hello?name=next", null, Duration.ofSeconds(30)).status()).isEqualTo(200);
                    }
                } while ((known != all.size() || running.size() != all.size() || known == 0) && System.nanoTime() < deadline);
                System.out.printf("[resilience/flap] next gateway knows %d, daemon has %d (%d running)%n", known, all.size(), running.size());
                assertThat(running).as("every container of the instance is running").containsExactlyInAnyOrderElementsOf(all);
                assertThat(known).as("containers the next gateway knows vs. the daemon's %s", all).isEqualTo(all.size());
                assertThat(known).isGreaterThanOrEqualTo(2);
            }
        } finally {
            removeAllContainers(instance);
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // A busy but healthy daemon
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * REGRESSION (DockerSupervisor.onProbeTick): the probe's ping is queued on the same {@code esb.docker-dispatcher}
     * as the calls and bounded by the probe interval from the moment it is queued. When every worker is busy with
     * slow but healthy calls, the ping waits in the queue past its bound, the healthy daemon is marked down and the
     * supervisor restarts, aborting every call in flight: the cold starts answer 503 although Docker never failed.
     * The proxy only adds 300 ms to each request (a create-and-start makes three), so four rounds of cold starts keep
     * both workers busy for several seconds, longer than the default 2 s probe-timeout: the separate probe-timeout
     * (3cbc9ed) shortens no queue. Depending on when the restart lands, the cold starts answer 503 or the daemon is
     * only reported down for a while; both are wrong, so both are asserted.
     */
    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void busyHealthyDaemonIsNotMistakenForAHungOne() throws Exception {
        var instance = GatewayUnderTest.newInstanceId("it-res-busy");
        int workers = 2;
        int coldStarts = 4 * workers; // four rounds of over a second each: the workers stay busy well past a probe's bound
        try (var proxy = new DockerFaultProxy();
             var gw = GatewayUnderTest.start(instance, faultConfig(proxy, "500ms", """
                     esb.docker.probe-timeout = 2s
                     esb.docker.busy-probe-timeout = 2s
                     esb.docker.max-workers = %d
                     esb.docker.client-timeout = 30s
                     esb.functions.hello.max-concurrency = %d
                     """.formatted(workers, coldStarts)))) {
            awaitStatus(gw, s -> "up".equals(s.path("docker").path("status").asText()), Duration.ofSeconds(15), "docker up");
            proxy.setMode(Mode.delay(300));
            var calls = new ArrayList<CompletableFuture<Reply>>();
            for (int i = 0; i < coldStarts; i++) {
                calls.add(sendAsync(gw, "GET", "/api/hello?name=busy" + i, null, Duration.ofSeconds(60)));
            }
            // The first containers ready serve every call quickly; the other cold starts go on, so watch until the
            // Docker work is over, not only until the calls are answered.
            var states = new java.util.LinkedHashSet<String>();
            JsonNode last = null;
            long giveUpAt = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < giveUpAt) {
                var status = send(gw, "GET", "/status", null, Duration.ofSeconds(5));
                if (status.json() != null) {
                    last = status.json();
                    var docker = last.path("docker");
                    states.add(docker.path("status").asText() + (docker.has("lastError") ? " (" + docker.path("lastError").asText() + ")" : ""));
                    if (calls.stream().allMatch(CompletableFuture::isDone) && docker.path("operationsInFlight").asInt(-1) == 0
                            && last.path("functions").path("hello").path("starting").asInt(-1) == 0) {
                        break;
                    }
                }
                Thread.sleep(50);
            }
            var replies = new ArrayList<Reply>();
            for (var call : calls) {
                replies.add(call.get());
            }
            var created = Docker.containers(instance).size();
            System.out.printf("[resilience/busy] %d cold starts on %d workers: %s; docker states seen %s; %d containers created; last /status %s%n",
                    coldStarts, workers, replies.stream().map(r -> r.status() + "/" + r.millis() + "ms").toList(), states, created, last);
            replies.stream().filter(r -> r.status() != 200).limit(2).forEach(r -> System.out.println("[resilience/busy]   " + r));

            var soft = new SoftAssertions();
            soft.assertThat(states).as("Docker states /status showed while the daemon was only busy").containsOnly("up");
            soft.assertThat(created).as("containers created by the cold starts (none aborted)").isEqualTo(coldStarts);
            for (var reply : replies) {
                soft.assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
            }
            soft.assertAll();
        } finally {
            removeAllContainers(instance);
        }
    }

    /**
     * REGRESSION (FunctionActor.known ignores containers still in their readiness check): when the daemon comes back
     * while a cold start's container is up but not yet answering, adoption lists that container as running and
     * unknown and adopts it; then the cold start's own readiness check completes and adds it again. The pool then
     * holds the same container twice and sends it two invocations at once, which kills the RIE (both callers get
     * 502). Seen under the heavy load below; here the blip is made on purpose: just after the daemon's answer to the
     * cold start's last call (inspect) the proxy refuses for 150 ms, so the 100 ms probe sees the daemon go down and
     * come back while the new container's JVM is still booting. Whether adoption wins the race depends on the boot
     * time, so a few cold starts are tried; with the bug fixed no attempt can ever show a duplicate.
     */
    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void containerAdoptedDuringItsOwnColdStartIsNotPooledTwice() throws Exception {
        var instance = GatewayUnderTest.newInstanceId("it-res-dup");
        try (var proxy = new DockerFaultProxy();
             var gw = GatewayUnderTest.start(instance, faultConfig(proxy, "100ms", """
                     esb.docker.probe-timeout = 1s
                     esb.docker.busy-probe-timeout = 1s
                     esb.containers.idle-timeout = 1s
                     """))) {
            awaitStatus(gw, s -> "up".equals(s.path("docker").path("status").asText()), Duration.ofSeconds(15), "docker up");
            var attempts = new ArrayList<String>();
            String duplicate = null;
            for (int attempt = 1; attempt <= 10 && duplicate == null; attempt++) {
                // Start from no fx container at all, so the next call is a cold start.
                awaitStatus(gw, s -> s.path("functions").path("fx").path("idle").asInt(-1) == 0
                        && s.path("functions").path("fx").path("busy").asInt(-1) == 0
                        && s.path("functions").path("fx").path("starting").asInt(-1) == 0, Duration.ofSeconds(20), "fx reaped");
                long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                while (!functionContainers(instance, "fx").isEmpty() && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                }
                proxy.afterResponseTo(line -> line.matches("GET (/v[0-9.]+)?/containers/[0-9a-f]{64}/json.*"), () -> {
                    sleepQuietly(5);
                    proxy.setMode(Mode.REFUSE);
                    sleepQuietly(150);
                    proxy.setMode(Mode.PASS);
                });
                var call = invokeFx(gw, Duration.ofSeconds(30));
                int maxPooled = 0;
                int containers = 0;
                long watchUntil = System.nanoTime() + Duration.ofMillis(1500).toNanos();
                while (System.nanoTime() < watchUntil) {
                    var fx = send(gw, "GET", "/status", null, Duration.ofSeconds(5)).json().path("functions").path("fx");
                    int pooled = fx.path("idle").asInt() + fx.path("busy").asInt();
                    if (pooled > maxPooled) {
                        maxPooled = pooled;
                        containers = functionContainers(instance, "fx").size();
                    }
                    Thread.sleep(50);
                }
                attempts.add(call.status() + ", pooled " + maxPooled + " / " + containers + " container(s)");
                if (maxPooled > containers) {
                    duplicate = "attempt " + attempt + ": /status showed " + maxPooled + " fx containers in the pool while the daemon has "
                            + containers + " (call: " + call + ")";
                }
            }
            System.out.printf("[resilience/dup] attempts: %s%n", attempts);
            assertThat(duplicate).as("a container pooled twice").isNull();
        } finally {
            removeAllContainers(instance);
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Heavy Docker load
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * A hundred create-and-start calls at once (a hundred cold starts of hello, up to a hundred containers) on the
     * default 20 workers, deadlines and probe. /health and the logs must not notice. The load window runs from the first
     * request until the Docker work is over (no call in flight, no container starting), which is later than the last
     * answer: the first containers ready serve the queued calls while the others are still being created.
     * <p>
     * REGRESSION (issue 11): on a 2-core host at load 33 one create-and-start passed its deadline, and the supervisor
     * declared the daemon down and reset the shared client, aborting every other start (49 of 100 containers). What must
     * hold on a slow machine, whatever its speed: no answer later than the gateway's own bound for one call (derived
     * from the settings), each an answer of the function or a JSON error naming its cause; every cold start either
     * gave a running container that the pool holds or was reported failed and left nothing behind; no orphan; and the
     * daemon, which answers its pings throughout, is never declared down.
     */
    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void healthAndLogsKeepFlowingUnderAHundredConcurrentDockerOperations() throws Exception {
        var instance = GatewayUnderTest.newInstanceId("it-res-load");
        int calls = 100;
        try (var logs = new LogCapture();
             var gw = GatewayUnderTest.start(instance, """
                     esb.docker.max-pending-operations = 1000
                     esb.containers.readiness-timeout = 90s
                     esb.containers.max-total = %d
                     esb.functions.hello.max-concurrency = %d
                     """.formatted(2 * calls, calls))) {
            awaitStatus(gw, s -> "up".equals(s.path("docker").path("status").asText()), Duration.ofSeconds(15), "docker up");
            var settings = gw.gateway.settings();
            var bound = io.esb.function.FunctionActor.invocationBound(settings.functions().get("hello"), settings);
            var health = new HealthSampler(gw, Duration.ofMillis(20)).start();
            long loadStart = System.currentTimeMillis();
            var answers = new ArrayList<CompletableFuture<Reply>>();
            for (int i = 0; i < calls; i++) {
                answers.add(sendAsync(gw, "GET", "/api/hello?name=load" + i, null, bound.plusSeconds(30)));
            }
            int peakInFlight = 0;
            var states = new java.util.LinkedHashSet<String>();
            JsonNode status = null;
            long answeredAt = 0;
            boolean workOver = false;
            long giveUpAt = System.currentTimeMillis() + bound.plusSeconds(60).toMillis();
            while (System.currentTimeMillis() < giveUpAt) {
                status = send(gw, "GET", "/status", null, Duration.ofSeconds(5)).json();
                if (status != null) {
                    var docker = status.path("docker");
                    peakInFlight = Math.max(peakInFlight, docker.path("operationsInFlight").asInt());
                    states.add(docker.path("status").asText());
                }
                boolean answered = answers.stream().allMatch(CompletableFuture::isDone);
                if (answered && answeredAt == 0) {
                    answeredAt = System.currentTimeMillis();
                }
                if (answered && status != null && status.path("docker").path("operationsInFlight").asInt(-1) == 0
                        && status.path("functions").path("hello").path("starting").asInt(-1) == 0) {
                    workOver = true;
                    break;
                }
                Thread.sleep(200);
            }
            if (status == null) {
                status = send(gw, "GET", "/status", null, Duration.ofSeconds(5)).json();
            }
            long loadEnd = System.currentTimeMillis();
            var healthStats = health.stop();
            var replies = new ArrayList<Reply>();
            for (var answer : answers) {
                replies.add(answer.get());
            }

            // Access lines for /health, by when they were logged within the load window, and their own latency.
            var captured = events(logs);
            var healthLines = captured.stream()
                    .filter(e -> e.getLoggerName().equals("io.esb.access") && e.getFormattedMessage().equals("GET /health 200"))
                    .filter(e -> e.getTimeStamp() >= loadStart && e.getTimeStamp() <= loadEnd)
                    .toList();
            int buckets = 5;
            long width = Math.max(1, (loadEnd - loadStart) / buckets);
            var perBucket = new int[buckets];
            for (var line : healthLines) {
                perBucket[(int) Math.min(buckets - 1, (line.getTimeStamp() - loadStart) / width)]++;
            }
            var serverSide = healthLines.stream().mapToDouble(e -> Double.parseDouble(LogCapture.fields(e).get("latency_ms"))).sorted().toArray();
            double serverP99 = serverSide.length == 0 ? 0 : serverSide[Math.min(serverSide.length - 1, (int) Math.ceil(0.99 * serverSide.length) - 1)];
            long createLines = captured.stream().filter(e -> e.getFormattedMessage().equals("Docker operation succeeded")
                    && "create-and-start".equals(LogCapture.fields(e).get("operation"))).count();
            long failedStarts = captured.stream().filter(e -> e.getFormattedMessage().equals("Cold start failed for function 'hello'")).count();
            // A container that did not answer within the function's timeout (100 JVMs booting on 2 cores) is removed.
            long discarded = captured.stream().filter(e -> e.getFormattedMessage().equals("Lambda invocation failed for function 'hello'")).count();
            long slowestMs = replies.stream().mapToLong(Reply::millis).max().orElse(0);
            var byStatus = new TreeMap<Integer, Integer>();
            replies.forEach(r -> byStatus.merge(r.status(), 1, Integer::sum));
            var daemonHas = Docker.containers(instance);
            var daemonRuns = Docker.runningContainers(instance);
            var hello = status.path("functions").path("hello");
            int pooled = hello.path("idle").asInt() + hello.path("busy").asInt();
            // Once in about twenty runs the snapshot that ended the wait showed one container fewer in the pool than on
            // the daemon (100 of 100 calls answered, none failed). An orphan stays one; so the two are read again for a
            // few seconds until they agree, and a lasting difference still fails below. The wait is printed.
            long settleUntil = System.currentTimeMillis() + 10_000;
            int firstPooled = pooled;
            while (pooled != daemonHas.size() && System.currentTimeMillis() < settleUntil) {
                Thread.sleep(200);
                var again = send(gw, "GET", "/status", null, Duration.ofSeconds(5)).json();
                if (again != null) {
                    status = again;
                    hello = status.path("functions").path("hello");
                    pooled = hello.path("idle").asInt() + hello.path("busy").asInt();
                }
                daemonHas = Docker.containers(instance);
                daemonRuns = Docker.runningContainers(instance);
            }
            if (firstPooled != pooled) {
                System.out.printf("[resilience/load] the pool held %d when the work was over, %d after settling; last /status %s%n",
                        firstPooled, pooled, status);
            }
            System.out.printf("[resilience/load] %d cold starts: answered after %d ms (slowest %d ms, bound %d ms), Docker work over "
                            + "after %d ms; statuses %s; peak operationsInFlight %d; docker states %s; coldStarts %s, failed %d; "
                            + "daemon has %d containers (%d running), pool holds %d, removed after a failed call %d%n",
                    calls, answeredAt - loadStart, slowestMs, bound.toMillis(), loadEnd - loadStart, byStatus, peakInFlight, states,
                    hello.path("coldStarts"), failedStarts, daemonHas.size(), daemonRuns.size(), pooled, discarded);
            System.out.printf("[resilience/load] /health client-side %s; server-side (access log) p99 %.1f ms; access lines per fifth of "
                    + "the window %s; create-and-start log lines %d%n", healthStats, serverP99, java.util.Arrays.toString(perBucket), createLines);
            replies.stream().filter(r -> r.status() != 200).limit(2).forEach(r -> System.out.println("[resilience/load]   " + r));

            var soft = new SoftAssertions();
            soft.assertThat(workOver).as("Docker work over (nothing in flight, nothing starting); last /status %s", status).isTrue();
            // No call hangs: each is answered within the gateway's bound, by the function or with a JSON error naming why.
            soft.assertThat(slowestMs).as("slowest answer, ms (the bound for one call is %d ms)", bound.toMillis())
                    .isLessThanOrEqualTo(bound.toMillis() + 2000);
            soft.assertThat(byStatus).as("answers by status").containsKey(200);
            soft.assertThat(byStatus.keySet()).as("answers by status").isSubsetOf(200, 429, 503, 504);
            for (var reply : replies) {
                if (reply.status() == 200) {
                    soft.assertThat(reply.body()).as(reply.toString()).startsWith("{\"message\":\"Hello, load");
                } else if (reply.status() == 504) {
                    // The function's own timeout: API Gateway's answer, the detail in the log (counted as discarded).
                    soft.assertThat(reply.json() == null ? "" : reply.json().path("message").asText()).as(reply.toString())
                            .isEqualTo("Endpoint request timed out");
                } else {
                    soft.assertThat(reply.json()).as(reply.toString()).isNotNull();
                    soft.assertThat(reply.json() == null ? "" : reply.json().path("reason").asText()).as(reply.toString()).isNotBlank();
                }
            }
            // A busy daemon that answers its pings is never declared down.
            soft.assertThat(states).as("Docker states while only busy").containsOnly("up");
            // Every cold start asked for gave a running container the pool holds, or was reported failed and left nothing.
            // A call that arrives after an earlier container is ready takes it rather than starting its own, so on a slow
            // host fewer than one start per call may begin (47 of 100 in one CI run, all answered 200); the accounting
            // holds for the starts that did begin, and peakInFlight below says the daemon still had many at once.
            int coldStarts = hello.path("coldStarts").asInt();
            soft.assertThat(coldStarts).as("cold starts begun").isBetween(1, calls);
            soft.assertThat(daemonHas.size() + failedStarts + discarded)
                    .as("containers on the daemon + cold starts reported failed + containers removed after a failed call").isEqualTo(coldStarts);
            soft.assertThat(daemonRuns).as("containers running (none left created or exited)").hasSameSizeAs(daemonHas);
            soft.assertThat(pooled).as("containers the pool holds: no orphan on the daemon").isEqualTo(daemonHas.size());
            soft.assertThat(peakInFlight).as("Docker operations in flight at once").isGreaterThanOrEqualTo(20);
            soft.assertThat(healthStats.failures()).as("/health failures").isZero();
            soft.assertThat(healthStats.countBetween(loadStart, loadEnd)).as("/health calls during the load").isGreaterThan(50);
            // Judged where the gateway measures it: with 100 container JVMs booting on two shared cores, the client's
            // own scheduling dominates its figure (printed above), and that is not the gateway being blocked.
            soft.assertThat(serverP99).as("/health p99 ms during the load, gateway-side (access log)").isLessThan(200);
            soft.assertThat(healthStats.maxBetween(loadStart, loadEnd)).as("/health slowest answer ms during the load, client-side")
                    .isLessThan(5000);
            soft.assertThat(healthLines.size()).as("/health access lines logged during the load")
                    .isGreaterThanOrEqualTo(healthStats.countBetween(loadStart, loadEnd) * 9 / 10);
            soft.assertThat(perBucket).as("/health access lines spread over the load window").doesNotContain(0);
            soft.assertThat(createLines).as("create-and-start log lines from the Docker dispatcher").isGreaterThanOrEqualTo(daemonHas.size());
            soft.assertAll();
        } finally {
            removeAllContainers(instance);
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // The container cap
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * REGRESSION (FunctionActor.startContainersForQueue / onStartPermitted with ContainerBudget): a cold start that waits
     * for a permit under {@code esb.containers.max-total} counts as "starting" until the permit comes. When the
     * containers already running serve the queue, the demand is gone but the permit requests stay queued in the
     * budget, which only grants them when a container goes (here: after the 5 minute idle timeout). Until then
     * /status reports containers starting that nothing starts, and onQueueTick exempts that many waiters from
     * queue-timeout. Found by the heavy-load test, which ran into the default cap of 50.
     */
    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void coldStartsWaitingForTheContainerCapDoNotStayStartingOnceTheQueueIsServed() throws Exception {
        var instance = GatewayUnderTest.newInstanceId("it-res-cap");
        try (var gw = GatewayUnderTest.start(instance, """
                esb.containers.max-total = 2
                esb.functions.hello.max-concurrency = 4
                """)) {
            awaitStatus(gw, s -> "up".equals(s.path("docker").path("status").asText()), Duration.ofSeconds(15), "docker up");
            var calls = new ArrayList<CompletableFuture<Reply>>();
            for (int i = 0; i < 4; i++) {
                calls.add(sendAsync(gw, "GET", "/api/hello?name=cap" + i, null, Duration.ofSeconds(60)));
            }
            for (var call : calls) {
                var reply = call.get(70, TimeUnit.SECONDS);
                assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
            }
            JsonNode hello = null;
            long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            while (System.nanoTime() < deadline) {
                hello = send(gw, "GET", "/status", null, Duration.ofSeconds(5)).json().path("functions").path("hello");
                if (hello.path("starting").asInt(-1) == 0) {
                    break;
                }
                Thread.sleep(200);
            }
            System.out.printf("[resilience/cap] hello 15 s after its 4 calls were served: %s; daemon has %d containers%n",
                    hello, Docker.containers(instance).size());
            assertThat(Docker.containers(instance)).hasSize(2);
            assertThat(hello.path("queued").asInt()).isZero();
            assertThat(hello.path("starting").asInt()).as("hello containers reported starting with nothing queued: %s", hello).isZero();
        } finally {
            removeAllContainers(instance);
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // helpers
    // ---------------------------------------------------------------------------------------------------------------

    /** One HTTP exchange: status (-1 when none came), body, parsed JSON (null when not JSON), how long it took. */
    record Reply(int status, String body, JsonNode json, long millis, HttpResponse<String> response, Throwable error) {
        java.net.http.HttpHeaders headers() {
            return response.headers();
        }

        @Override
        public String toString() {
            return status + " in " + millis + " ms: " + (error != null ? error : body);
        }
    }

    private Reply send(GatewayUnderTest gw, String method, String path, String body, Duration timeout) {
        try {
            return sendAsync(gw, method, path, body, timeout).get(timeout.toMillis() + 5000, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            return new Reply(-1, "", null, timeout.toMillis(), null, e);
        }
    }

    private CompletableFuture<Reply> sendAsync(GatewayUnderTest gw, String method, String path, String body, Duration timeout) {
        var request = HttpRequest.newBuilder(URI.create(gw.url(path))).timeout(timeout)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build();
        long start = System.nanoTime();
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString()).handle((response, error) -> {
            long millis = millisSince(start);
            if (error != null) {
                return new Reply(-1, "", null, millis, null, error);
            }
            JsonNode json;
            try {
                json = GatewayUnderTest.JSON.readTree(response.body());
            } catch (IOException e) {
                json = null;
            }
            return new Reply(response.statusCode(), response.body(), json, millis, response, null);
        });
    }

    /** Warms fx up (one container) and returns its short id. Setup, so a slow daemon gets a few tries. */
    private String warmUpFx(GatewayUnderTest gw) throws InterruptedException {
        Reply warm = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            warm = invokeFx(gw, Duration.ofSeconds(60));
            if (warm.status() == 200) {
                return warm.json().get("container").asText();
            }
            System.out.println("[resilience] warm-up of fx failed, retrying: " + warm);
            Thread.sleep(1000);
        }
        throw new AssertionError("fx could not be warmed up: " + warm);
    }

    /** Removes the instance's containers with the docker CLI; a gateway still removing some makes rm fail, so retry. */
    private static void removeAllContainers(String instanceId) {
        for (int attempt = 0; attempt < 10; attempt++) {
            try {
                Docker.removeAll(instanceId);
                if (Docker.containers(instanceId).isEmpty()) {
                    return;
                }
            } catch (IllegalStateException e) {
                System.out.println("[resilience] cleanup of " + instanceId + " retrying: " + e.getMessage().lines().findFirst().orElse(""));
            }
            sleepQuietly(1000);
        }
        System.err.println("[resilience] containers of " + instanceId + " left behind: " + Docker.containers(instanceId));
    }

    private Reply invokeFx(GatewayUnderTest gw, Duration timeout) {
        return send(gw, "POST", "/2015-03-31/functions/fx/invocations", "{\"action\":\"echo\"}", timeout);
    }

    /** Polls {@code /status} until its JSON satisfies {@code condition}; fails with the last answer otherwise. */
    private JsonNode awaitStatus(GatewayUnderTest gw, Predicate<JsonNode> condition, Duration within, String what) {
        return Eventually.await(within, "/status showing " + what, () -> send(gw, "GET", "/status", null, Duration.ofSeconds(5)),
                reply -> reply.json() != null && condition.test(reply.json())).json();
    }

    /** Containers of one function of the instance, running or not, from the daemon itself. */
    private static List<String> functionContainers(String instanceId, String function) {
        return Docker.containers(instanceId, function);
    }

    private static int knownContainers(JsonNode status, List<String> functions) {
        int known = 0;
        for (var f : functions) {
            var node = status.path("functions").path(f);
            known += node.path("idle").asInt() + node.path("busy").asInt() + node.path("starting").asInt();
        }
        return known;
    }

    /** LogCapture's list is appended to by logging threads; copying it can race, so retry. */
    private static List<ILoggingEvent> events(LogCapture logs) {
        for (int attempt = 0; ; attempt++) {
            try {
                return logs.events();
            } catch (ConcurrentModificationException | NullPointerException e) {
                if (attempt > 50) {
                    throw e;
                }
                Thread.onSpinWait();
            }
        }
    }

    /** Sequential {@code GET /health} calls, each bounded, until stopped. */
    private final class HealthSampler {
        private final GatewayUnderTest gw;
        private final Duration pause;
        private final List<long[]> samples = Collections.synchronizedList(new ArrayList<>()); // {epochMillis, latencyMillis}
        private final AtomicInteger failures = new AtomicInteger();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread;

        HealthSampler(GatewayUnderTest gw, Duration pause) {
            this.gw = gw;
            this.pause = pause;
            this.thread = new Thread(this::run, "health-sampler");
            thread.setDaemon(true);
        }

        HealthSampler start() {
            thread.start();
            return this;
        }

        private void run() {
            while (running.get()) {
                long at = System.currentTimeMillis();
                var reply = send(gw, "GET", "/health", null, Duration.ofSeconds(2));
                if (reply.status() == 200 && reply.json() != null && "healthy".equals(reply.json().path("status").asText())) {
                    samples.add(new long[] {at, reply.millis()});
                } else {
                    failures.incrementAndGet();
                    System.out.println("[health-sampler] " + reply);
                }
                if (!pause.isZero()) {
                    sleepQuietly(pause.toMillis());
                }
            }
        }

        HealthStats stop() throws InterruptedException {
            running.set(false);
            thread.join(5000);
            synchronized (samples) {
                return new HealthStats(List.copyOf(samples), failures.get());
            }
        }
    }

    record HealthStats(List<long[]> samples, int failures) {
        int count() {
            return samples.size();
        }

        long percentile(double p) {
            var sorted = samples.stream().mapToLong(s -> s[1]).sorted().toArray();
            if (sorted.length == 0) {
                return 0;
            }
            return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
        }

        long p99() {
            return percentile(99);
        }

        long max() {
            return percentile(100);
        }

        long maxBetween(long fromEpochMillis, long toEpochMillis) {
            return between(fromEpochMillis, toEpochMillis).max();
        }

        private HealthStats between(long fromEpochMillis, long toEpochMillis) {
            return new HealthStats(samples.stream().filter(s -> s[0] >= fromEpochMillis && s[0] + s[1] <= toEpochMillis).toList(), failures);
        }

        int countBetween(long fromEpochMillis, long toEpochMillis) {
            return (int) samples.stream().filter(s -> s[0] >= fromEpochMillis && s[0] + s[1] <= toEpochMillis).count();
        }

        @Override
        public String toString() {
            return "n=" + count() + " p50=" + percentile(50) + "ms p99=" + p99() + "ms max=" + max() + "ms failures=" + failures;
        }
    }

    // ---- threads of the gateways in this JVM ----

    private static Map<Thread, StackTraceElement[]> dockerDispatcherThreads() {
        var result = new java.util.HashMap<Thread, StackTraceElement[]>();
        Thread.getAllStackTraces().forEach((thread, stack) -> {
            if (thread.getName().contains("esb.docker-dispatcher")) {
                result.put(thread, stack);
            }
        });
        return result;
    }

    /** Dispatcher threads (not among {@code ignore}) whose stack is inside a socket read. */
    private static List<String> inSocketRead(Map<Thread, StackTraceElement[]> threads, Map<Thread, StackTraceElement[]> ignore) {
        var names = new ArrayList<String>();
        threads.forEach((thread, stack) -> {
            if (!ignore.containsKey(thread) && readingASocket(stack)) {
                names.add(thread.getName());
            }
        });
        return names;
    }

    private static boolean readingASocket(StackTraceElement[] stack) {
        for (var frame : stack) {
            var type = frame.getClassName();
            var method = frame.getMethodName().toLowerCase(java.util.Locale.ROOT);
            if ((type.startsWith("sun.nio.ch.") || type.startsWith("java.net.")) && method.contains("read")) {
                return true;
            }
        }
        return false;
    }

    /**
     * Dispatcher threads blocked in a socket read in every one of several samples over two seconds (a healthy ping
     * reads for a few milliseconds, so it cannot be caught in all of them), with the stack of the first sample.
     */
    private static Map<String, String> stuckInSocketRead(Map<Thread, StackTraceElement[]> ignore) throws InterruptedException {
        Map<String, String> stuck = new ConcurrentHashMap<>();
        Set<String> always = null;
        for (int i = 0; i < 5; i++) {
            var threads = dockerDispatcherThreads();
            var reading = new HashSet<>(inSocketRead(threads, ignore));
            if (always == null) {
                always = reading;
                threads.forEach((t, stack) -> {
                    if (reading.contains(t.getName())) {
                        stuck.put(t.getName(), java.util.Arrays.stream(stack).limit(12).map(String::valueOf)
                                .collect(java.util.stream.Collectors.joining("\n    ", "\n    ", "")));
                    }
                });
            } else {
                always.retainAll(reading);
            }
            Thread.sleep(500);
        }
        stuck.keySet().retainAll(always);
        return stuck;
    }

    private static java.util.concurrent.ThreadFactory daemonThreads(String name) {
        return runnable -> {
            var thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
    }

    private static long millisSince(long startNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
