package io.esb.runtimeapi;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.esb.container.ContainerAddress;
import io.esb.container.InvokeOutcome;
import io.esb.container.InvokeRequest;
import io.esb.container.Readiness;
import io.esb.docker.DockerSupervisor;
import io.esb.testing.ActorTestKitSupport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Runtime API over real loopback HTTP, with the test as the container's runtime client (its calls come from
 * 127.0.0.1, so a container registered at 127.0.0.1 is the caller). No Docker: the listener is bound on an explicit
 * host, which needs none.
 */
class RuntimeApiTest extends ActorTestKitSupport {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ARN = "arn:aws:lambda:us-east-1:000000000000:function:fn";
    private static final AtomicInteger IDS = new AtomicInteger();
    private static RuntimeApi api;
    private static String base;
    private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void listen() throws Exception {
        // As Docker would answer for the test's "containers": stopped once its runtime dropped every connection.
        api = new RuntimeApi(testKit.system(), Duration.ofSeconds(10), containerId -> CompletableFuture.completedFuture(true));
        var docker = testKit.<DockerSupervisor.Command>createTestProbe();
        testKit.spawn(RuntimeApiBinder.create(api, new RuntimeApiBinder.Listen("127.0.0.1", 0, "", 1024 * 1024,
                Duration.ofMillis(500), Duration.ofSeconds(5)), docker.ref()));
        var address = api.address().toCompletableFuture().get(10, TimeUnit.SECONDS);
        base = "http://127.0.0.1:" + address.getPort();
        assertThat(api.containerEnvironment().toCompletableFuture().get(5, TimeUnit.SECONDS))
                .containsEntry("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:" + address.getPort());
    }

    /** A container at 127.0.0.1 (the test's own address), ready once its first poll arrived. */
    private static ContainerAddress container() {
        return new ContainerAddress("c" + IDS.incrementAndGet(), "127.0.0.1", 0);
    }

    private static InvokeRequest request(String id, String event, Duration timeout, String clientContext) {
        return new InvokeRequest(id, event.getBytes(StandardCharsets.UTF_8), timeout, ARN, clientContext);
    }

    private static CompletableFuture<HttpResponse<String>> next() {
        return http.sendAsync(HttpRequest.newBuilder(URI.create(base + "/2018-06-01/runtime/invocation/next")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(String path, String body, String errorType) throws Exception {
        var builder = HttpRequest.newBuilder(URI.create(base + path)).POST(HttpRequest.BodyPublishers.ofString(body));
        if (errorType != null) {
            builder.header("Lambda-Runtime-Function-Error-Type", errorType);
        }
        return http.send(builder.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aPollWaitsForTheInvocationWithAwsHeadersAndTheResponseAnswersTheCaller() throws Exception {
        var container = container();
        var ready = api.awaitReady(container, Duration.ofSeconds(5)).toCompletableFuture();
        var poll = next();
        assertThat(ready.get(5, TimeUnit.SECONDS)).isEqualTo(Readiness.READY);
        assertThat(poll).isNotDone();

        var context = "{\"custom\":{\"k\":\"v\"}}";
        long before = System.currentTimeMillis();
        var outcome = api.invoke(container, request("req-1", "{\"a\":1}", Duration.ofSeconds(30), context)).toCompletableFuture();
        var event = poll.get(5, TimeUnit.SECONDS);
        assertThat(event.statusCode()).isEqualTo(200);
        assertThat(event.body()).isEqualTo("{\"a\":1}");
        assertThat(event.headers().firstValue("Lambda-Runtime-Aws-Request-Id")).hasValue("req-1");
        assertThat(event.headers().firstValue("Lambda-Runtime-Invoked-Function-Arn")).hasValue(ARN);
        assertThat(event.headers().firstValue("Lambda-Runtime-Client-Context")).hasValue(context);
        assertThat(event.headers().firstValue("Lambda-Runtime-Trace-Id").orElseThrow()).matches("Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0");
        long deadline = Long.parseLong(event.headers().firstValue("Lambda-Runtime-Deadline-Ms").orElseThrow());
        assertThat(deadline).isBetween(before + 29_000, System.currentTimeMillis() + 30_000);
        assertThat(outcome).isNotDone();

        var accepted = post("/2018-06-01/runtime/invocation/req-1/response", "{\"ok\":true}", null);
        assertThat(accepted.statusCode()).isEqualTo(202);
        var answered = (InvokeOutcome.Answered) outcome.get(5, TimeUnit.SECONDS);
        assertThat(answered.status()).isEqualTo(200);
        assertThat(new String(answered.body(), StandardCharsets.UTF_8)).isEqualTo("{\"ok\":true}");

        // An answer for an invocation the container is not running is refused.
        var again = post("/2018-06-01/runtime/invocation/req-1/response", "{}", null);
        assertThat(again.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(again.body()).get("errorType").asText()).isEqualTo("InvalidRequestID");
        api.release(container);
    }

    @Test
    void anInvocationOfferedBeforeThePollIsHandedToIt() throws Exception {
        var container = container();
        api.awaitReady(container, Duration.ofSeconds(5));
        var outcome = api.invoke(container, request("req-early", "{}", Duration.ofSeconds(30), null)).toCompletableFuture();
        var event = next().get(5, TimeUnit.SECONDS);
        assertThat(event.headers().firstValue("Lambda-Runtime-Aws-Request-Id")).hasValue("req-early");
        assertThat(event.headers().firstValue("Lambda-Runtime-Client-Context")).isEmpty();
        // A second invocation while one runs is refused, never queued behind it.
        var second = api.invoke(container, request("req-second", "{}", Duration.ofSeconds(30), null)).toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertThat(second).isInstanceOf(InvokeOutcome.NotDelivered.class);
        post("/2018-06-01/runtime/invocation/req-early/response", "\"done\"", null);
        assertThat(((InvokeOutcome.Answered) outcome.get(5, TimeUnit.SECONDS)).body()).asString(StandardCharsets.UTF_8).isEqualTo("\"done\"");
        api.release(container);
    }

    @Test
    void aReportedErrorReachesTheCallerAsLambdasErrorPayload() throws Exception {
        var container = container();
        api.awaitReady(container, Duration.ofSeconds(5));
        var outcome = api.invoke(container, request("req-err", "{}", Duration.ofSeconds(30), null)).toCompletableFuture();
        next().get(5, TimeUnit.SECONDS);
        var body = "{\"errorMessage\":\"boom\",\"errorType\":\"java.lang.IllegalStateException\",\"stackTrace\":[\"a.b(C.java:1)\"]}";
        assertThat(post("/2018-06-01/runtime/invocation/req-err/error", body, "Runtime.UserException").statusCode()).isEqualTo(202);
        var answered = (InvokeOutcome.Answered) outcome.get(5, TimeUnit.SECONDS);
        assertThat(answered.body()).asString(StandardCharsets.UTF_8).isEqualTo(body);

        // A body not of Lambda's shape is wrapped, its type taken from the header.
        var second = api.invoke(container, request("req-err2", "{}", Duration.ofSeconds(30), null)).toCompletableFuture();
        next().get(5, TimeUnit.SECONDS);
        post("/2018-06-01/runtime/invocation/req-err2/error", "plain text failure", "Runtime.Custom");
        var wrapped = JSON.readTree(((InvokeOutcome.Answered) second.get(5, TimeUnit.SECONDS)).body());
        assertThat(wrapped.get("errorType").asText()).isEqualTo("Runtime.Custom");
        assertThat(wrapped.get("errorMessage").asText()).isEqualTo("plain text failure");
        api.release(container);
    }

    @Test
    void anInitErrorFailsReadinessWithTheRuntimesPayload() throws Exception {
        var container = container();
        var ready = api.awaitReady(container, Duration.ofSeconds(5)).toCompletableFuture();
        var body = "{\"errorMessage\":\"Class not found: example.Nope\",\"errorType\":\"java.lang.ClassNotFoundException\"}";
        assertThat(post("/2018-06-01/runtime/init/error", body, "Runtime.Unknown").statusCode()).isEqualTo(202);
        var readiness = ready.get(5, TimeUnit.SECONDS);
        assertThat(readiness.ready()).isFalse();
        assertThat(readiness.initError()).asString(StandardCharsets.UTF_8).isEqualTo(body);
        api.release(container);
    }

    @Test
    void aResponsePastTheLimitGets413AndTheCallerAFunctionError() throws Exception {
        var container = container();
        api.awaitReady(container, Duration.ofSeconds(5));
        var outcome = api.invoke(container, request("req-big", "{}", Duration.ofSeconds(30), null)).toCompletableFuture();
        next().get(5, TimeUnit.SECONDS);
        var tooLarge = post("/2018-06-01/runtime/invocation/req-big/response", "x".repeat(1024 * 1024 + 1), null);
        assertThat(tooLarge.statusCode()).isEqualTo(413);
        assertThat(JSON.readTree(tooLarge.body()).get("errorType").asText()).isEqualTo("RequestEntityTooLarge");
        var error = JSON.readTree(((InvokeOutcome.Answered) outcome.get(5, TimeUnit.SECONDS)).body());
        assertThat(error.get("errorType").asText()).isEqualTo("Function.ResponseSizeTooLarge");
        assertThat(error.get("errorMessage").asText()).contains("1048576 bytes");
        api.release(container);
    }

    @Test
    void anInvocationPastItsTimeoutIsLostAsTimedOutAndALateAnswerRefused() throws Exception {
        var container = container();
        api.awaitReady(container, Duration.ofSeconds(5));
        var outcome = api.invoke(container, request("req-slow", "{}", Duration.ofMillis(300), null)).toCompletableFuture();
        next().get(5, TimeUnit.SECONDS);
        var lost = (InvokeOutcome.Lost) outcome.get(5, TimeUnit.SECONDS);
        assertThat(lost.timedOut()).isTrue();
        assertThat(post("/2018-06-01/runtime/invocation/req-slow/response", "{}", null).statusCode()).isEqualTo(400);
        api.release(container);
    }

    @Test
    void aRuntimeThatDropsItsConnectionMidInvocationLosesIt() throws Exception {
        var container = container();
        api.awaitReady(container, Duration.ofSeconds(5));
        var outcome = api.invoke(container, request("req-crash", "{}", Duration.ofSeconds(30), null)).toCompletableFuture();
        var port = URI.create(base).getPort();
        try (var socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            socket.setSoTimeout(5000);
            OutputStream out = socket.getOutputStream();
            out.write("GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            var head = new String(in.readNBytes(12), StandardCharsets.US_ASCII);
            assertThat(head).isEqualTo("HTTP/1.1 200");
        } // the "runtime" dies: its only connection closes
        var lost = (InvokeOutcome.Lost) outcome.get(5, TimeUnit.SECONDS);
        assertThat(lost.timedOut()).isFalse();
        assertThat(lost.errorType()).isEqualTo("RuntimeExited");
        api.release(container);
    }

    @Test
    void aCallFromAnAddressNoContainerHasIsRefused() throws Exception {
        // No container registered at 127.0.0.1 now: the caller is a stranger once the wait for registration passes.
        var refused = next().get(5, TimeUnit.SECONDS);
        assertThat(refused.statusCode()).isEqualTo(403);
        assertThat(JSON.readTree(refused.body()).get("errorType").asText()).isEqualTo("AccessDeniedException");
        var unknownPath = http.send(HttpRequest.newBuilder(URI.create(base + "/2018-06-01/runtime/whatever")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(unknownPath.statusCode()).isEqualTo(404);
    }

    @Test
    void aReleasedContainersRunningInvocationIsAnswered() throws Exception {
        var container = container();
        api.awaitReady(container, Duration.ofSeconds(5));
        var outcome = api.invoke(container, request("req-gone", "{}", Duration.ofSeconds(30), null)).toCompletableFuture();
        next().get(5, TimeUnit.SECONDS);
        api.release(container);
        assertThat(outcome.get(5, TimeUnit.SECONDS)).isInstanceOf(InvokeOutcome.Lost.class);
        assertThat(api.invoke(container, request("req-after", "{}", Duration.ofSeconds(30), null)).toCompletableFuture().get(5, TimeUnit.SECONDS))
                .isInstanceOf(InvokeOutcome.NotDelivered.class);
    }
}
