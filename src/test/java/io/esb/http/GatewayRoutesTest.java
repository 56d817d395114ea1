package io.esb.http;

import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.http.javadsl.model.ContentTypes;
import akka.http.javadsl.model.HttpEntities;
import akka.http.javadsl.model.HttpRequest;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.headers.RawHeader;
import akka.japi.function.Function;
import akka.stream.javadsl.Source;
import akka.util.ByteString;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import io.esb.config.EsbSettings;
import io.esb.config.SettingsLoader;
import io.esb.async.AsyncInvoker;
import io.esb.function.FunctionActor;
import io.esb.function.FunctionTable;
import io.esb.function.InvocationResult;
import io.esb.function.InvocationResult.Reason;
import io.esb.observability.GatewayMetrics;
import io.esb.testing.ActorTestKitSupport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The gateway's routes without a socket: requests go straight into the sealed route, the functions' actors are
 * TestProbes that receive {@link FunctionActor.Invoke} and answer what each test needs.
 */
class GatewayRoutesTest extends ActorTestKitSupport {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(5);

    private static EsbSettings settings;
    private TestProbe<FunctionActor.Command> hello;
    private TestProbe<FunctionActor.Command> other;
    private TestProbe<AsyncInvoker.Command> asyncInvoker;
    private final AtomicBoolean tableBroken = new AtomicBoolean();
    private Function<HttpRequest, CompletionStage<HttpResponse>> handler;

    @BeforeAll
    static void loadSettings() {
        settings = SettingsLoader.load(ConfigFactory.parseString("""
                esb.http.max-invoke-payload = 64
                esb.containers.max-total = 30
                esb.aws { region = "eu-west-1", account-id = "123456789012" }
                esb.functions {
                  hello {
                    image = "esb-example-hello:latest", timeout = 7s, memory-mb = 256, max-concurrency = 4
                    environment { GREETING = "Hi" }
                    routes = [ { method = "GET", path = "/items/{id}" }, { method = "POST", path = "/items/{id}" },
                               { method = "GET", path = "/v2/{proxy+}", payload-format = "2.0" },
                               { method = "GET", path = "/healthy/{id}" } ]
                  }
                  other { image = "esb-fixture:latest" }
                }
                """).withFallback(ConfigFactory.defaultReference()).resolve());
    }

    @BeforeEach
    void buildGateway() {
        hello = testKit.createTestProbe(FunctionActor.Command.class);
        other = testKit.createTestProbe(FunctionActor.Command.class);
        asyncInvoker = testKit.createTestProbe(AsyncInvoker.Command.class);
        var table = FunctionTable.of(1, settings.functions(), Map.of("hello", hello.ref(), "other", other.ref()));
        // /status is not exercised here: it needs the Docker supervisor's shared state (ITs cover it).
        var gateway = new GatewayHttp(testKit.system(), settings, () -> {
            if (tableBroken.get()) {
                throw new IllegalStateException("table unavailable");
            }
            return table;
        }, io.esb.function.FunctionCalls.local(testKit.system()), asyncInvoker.ref(), null, GatewayMetrics.disabled(),
                io.esb.cluster.ClusterView.SINGLE_NODE);
        var handle = gateway.handler(testKit.system());
        handler = request -> {
            try {
                return handle.apply(request);
            } catch (Exception e) {
                return java.util.concurrent.CompletableFuture.failedFuture(e);
            }
        };
    }

    // ---- Invoke API ----

    @Test
    void aSuccessfulInvokeAnswersThePayloadWithLambdasHeaders() throws Exception {
        var pending = send(HttpRequest.POST("/2015-03-31/functions/hello/invocations")
                .withEntity(ContentTypes.APPLICATION_JSON, "{\"n\":1}").addHeader(RawHeader.create("X-Request-Id", "req-1")));
        var invoke = hello.expectMessageClass(FunctionActor.Invoke.class);
        assertThat(new String(invoke.invocation().event(), StandardCharsets.UTF_8)).isEqualTo("{\"n\":1}");
        assertThat(invoke.invocation().requestId()).isEqualTo("req-1");
        invoke.replyTo().send(completed("{\"greeting\":\"Hi\"}"));
        var response = answer(pending);
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("{\"greeting\":\"Hi\"}");
        assertThat(response.header("X-Amz-Executed-Version")).isEqualTo("$LATEST");
        assertThat(response.header("X-Amzn-RequestId")).isEqualTo("req-1");
        assertThat(response.header("X-Request-Id")).isEqualTo("req-1");
        assertThat(response.header("X-Amz-Function-Error")).isNull();
    }

    @Test
    void anEmptyInvokeBodyIsAnEmptyObjectAndAnArnNamesTheFunction() throws Exception {
        var pending = send(HttpRequest.POST("/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:hello/invocations"));
        var invoke = hello.expectMessageClass(FunctionActor.Invoke.class);
        assertThat(new String(invoke.invocation().event(), StandardCharsets.UTF_8)).isEqualTo("{}");
        invoke.replyTo().send(completed("null"));
        assertThat(answer(pending).status()).isEqualTo(200);
    }

    @Test
    void aHandlerErrorIs200WithXAmzFunctionError() throws Exception {
        var pending = send(HttpRequest.POST("/2015-03-31/functions/hello/invocations").withEntity(ContentTypes.APPLICATION_JSON, "{}"));
        var error = "{\"errorMessage\":\"boom\",\"errorType\":\"ValueError\"}";
        hello.expectMessageClass(FunctionActor.Invoke.class).replyTo().send(completed(error));
        var response = answer(pending);
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.header("X-Amz-Function-Error")).isEqualTo("Unhandled");
        assertThat(response.body()).isEqualTo(error);
    }

    @Test
    void anUnknownFunctionIsResourceNotFoundAndNoActorIsAsked() throws Exception {
        var response = answer(send(HttpRequest.POST("/2015-03-31/functions/nope/invocations").withEntity(ContentTypes.APPLICATION_JSON, "{}")));
        assertThat(response.status()).isEqualTo(404);
        assertThat(response.header("x-amzn-ErrorType")).isEqualTo("ResourceNotFoundException");
        assertThat(response.json().path("Type").asText()).isEqualTo("User");
        assertThat(response.json().path("message").asText()).isEqualTo("Function not found: arn:aws:lambda:eu-west-1:123456789012:function:nope");
        hello.expectNoMessage(Duration.ofMillis(100));
    }

    @Test
    void aQualifierOtherThanLatestIsResourceNotFound() throws Exception {
        var response = answer(send(HttpRequest.POST("/2015-03-31/functions/hello/invocations?Qualifier=prod")));
        assertThat(response.status()).isEqualTo(404);
        assertThat(response.json().path("message").asText()).endsWith("function:hello:prod");
    }

    @Test
    void anythingButPostOnTheInvokePathIs405() throws Exception {
        var response = answer(send(HttpRequest.GET("/2015-03-31/functions/hello/invocations")));
        assertThat(response.status()).isEqualTo(405);
        assertThat(response.header("x-amzn-ErrorType")).isEqualTo("MethodNotAllowedException");
        assertThat(response.json().path("message").asText()).isEqualTo("The Invoke API accepts POST only");
    }

    @Test
    void aPayloadOverTheLimitIs413() throws Exception {
        var response = answer(send(HttpRequest.POST("/2015-03-31/functions/hello/invocations")
                .withEntity(ContentTypes.APPLICATION_JSON, "{\"padding\":\"" + "x".repeat(100) + "\"}")));
        assertThat(response.status()).isEqualTo(413);
        assertThat(response.header("x-amzn-ErrorType")).isEqualTo("RequestTooLargeException");
        assertThat(response.json().path("message").asText()).isEqualTo("Request must be smaller than 64 bytes for the Invoke operation");
        hello.expectNoMessage(Duration.ofMillis(100));
    }

    @Test
    void aBodyThatIsNotJsonIsInvalidRequestContent() throws Exception {
        var response = answer(send(HttpRequest.POST("/2015-03-31/functions/hello/invocations").withEntity("not json")));
        assertThat(response.status()).isEqualTo(400);
        assertThat(response.header("x-amzn-ErrorType")).isEqualTo("InvalidRequestContentException");
    }

    @Test
    void throttlingIs429WithReasonAndRetryAfter() throws Exception {
        var pending = send(HttpRequest.POST("/2015-03-31/functions/hello/invocations").withEntity(ContentTypes.APPLICATION_JSON, "{}"));
        hello.expectMessageClass(FunctionActor.Invoke.class).replyTo().send(new InvocationResult.Failed(Reason.THROTTLED, "queue full", false));
        var response = answer(pending);
        assertThat(response.status()).isEqualTo(429);
        assertThat(response.header("x-amzn-ErrorType")).isEqualTo("TooManyRequestsException");
        assertThat(response.header("Retry-After")).isEqualTo("1");
        assertThat(response.json().path("Reason").asText()).isEqualTo("ReservedFunctionConcurrentInvocationLimitExceeded");
        assertThat(response.json().path("message").asText()).isEqualTo("queue full");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "DOCKER_UNAVAILABLE | 503 | ServiceException | Docker daemon unavailable: socket gone",
            "START_FAILED       | 503 | ServiceException | Function container could not be started: socket gone",
            "IMAGE_NOT_READY    | 503 | ServiceException | socket gone",
            "CONTAINER_FAILED   | 502 | ServiceException | socket gone"})
    void aServiceFailureIsAnAwsError(Reason reason, int status, String errorType, String message) throws Exception {
        var pending = send(HttpRequest.POST("/2015-03-31/functions/hello/invocations").withEntity(ContentTypes.APPLICATION_JSON, "{}"));
        hello.expectMessageClass(FunctionActor.Invoke.class).replyTo().send(new InvocationResult.Failed(reason, "socket gone", true));
        var response = answer(pending);
        assertThat(response.status()).isEqualTo(status);
        assertThat(response.header("x-amzn-ErrorType")).isEqualTo(errorType);
        assertThat(response.json().path("Type").asText()).isEqualTo("Service");
        assertThat(response.json().path("message").asText()).isEqualTo(message);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "TIMED_OUT      | Sandbox.Timedout",
            "RUNTIME_EXITED | Runtime.ExitError",
            "OUT_OF_MEMORY  | Runtime.OutOfMemory"})
    void aFunctionsOwnFailureIsAFunctionError(Reason reason, String errorType) throws Exception {
        var pending = send(HttpRequest.POST("/2015-03-31/functions/hello/invocations").withEntity(ContentTypes.APPLICATION_JSON, "{}"));
        hello.expectMessageClass(FunctionActor.Invoke.class).replyTo().send(new InvocationResult.Failed(reason, "gone", false));
        var response = answer(pending);
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.header("X-Amz-Function-Error")).isEqualTo("Unhandled");
        assertThat(response.json().path("errorType").asText()).isEqualTo(errorType);
    }

    @Test
    void anEventInvokeIsQueuedWithTheAsyncInvokerAnd202() throws Exception {
        var pending = send(HttpRequest.POST("/2015-03-31/functions/hello/invocations").withEntity(ContentTypes.APPLICATION_JSON, "{\"e\":1}")
                .addHeader(RawHeader.create("X-Amz-Invocation-Type", "Event")));
        var enqueue = asyncInvoker.expectMessageClass(AsyncInvoker.Enqueue.class);
        assertThat(enqueue.functionName()).isEqualTo("hello");
        assertThat(new String(enqueue.invocation().event(), java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("{\"e\":1}");
        enqueue.replyTo().tell(new AsyncInvoker.Accepted());
        var response = answer(pending);
        assertThat(response.status()).isEqualTo(202);
        assertThat(response.header("X-Amzn-RequestId")).isEqualTo(enqueue.invocation().requestId());
        hello.expectNoMessage(Duration.ofMillis(100));
    }

    @Test
    void anEventTheStoreCannotTakeIs503WithTheReason() throws Exception {
        var pending = send(HttpRequest.POST("/2015-03-31/functions/hello/invocations").withEntity(ContentTypes.APPLICATION_JSON, "{}")
                .addHeader(RawHeader.create("X-Amz-Invocation-Type", "Event")));
        asyncInvoker.expectMessageClass(AsyncInvoker.Enqueue.class).replyTo().tell(new AsyncInvoker.StoreUnavailable("disk full"));
        var response = answer(pending);
        assertThat(response.status()).isEqualTo(503);
        assertThat(response.header("x-amzn-ErrorType")).isEqualTo("ServiceException");
        assertThat(response.json().path("message").asText()).contains("disk full").contains("esb.data-dir");
    }

    @Test
    void aFullAsyncQueueIs429InAwsShape() throws Exception {
        var pending = send(HttpRequest.POST("/2015-03-31/functions/hello/invocations").withEntity(ContentTypes.APPLICATION_JSON, "{}")
                .addHeader(RawHeader.create("X-Amz-Invocation-Type", "Event")));
        asyncInvoker.expectMessageClass(AsyncInvoker.Enqueue.class).replyTo().tell(new AsyncInvoker.QueueFull(7));
        var response = answer(pending);
        assertThat(response.status()).isEqualTo(429);
        assertThat(response.header("x-amzn-ErrorType")).isEqualTo("TooManyRequestsException");
        assertThat(response.json().path("message").asText()).contains("esb.async.max-queued = 7");
    }

    // ---- configured routes ----

    @Test
    void aV1RouteSendsTheRestEventAndMapsTheProxyResponse() throws Exception {
        var pending = send(HttpRequest.GET("/items/42?color=red").addHeader(RawHeader.create("X-Request-Id", "req-7"))
                .addHeader(RawHeader.create("X-Custom", "abc")));
        var invoke = hello.expectMessageClass(FunctionActor.Invoke.class);
        var event = JSON.readTree(invoke.invocation().event());
        assertThat(event.path("httpMethod").asText()).isEqualTo("GET");
        assertThat(event.path("resource").asText()).isEqualTo("/items/{id}");
        assertThat(event.path("path").asText()).isEqualTo("/items/42");
        assertThat(event.path("pathParameters").path("id").asText()).isEqualTo("42");
        assertThat(event.path("queryStringParameters").path("color").asText()).isEqualTo("red");
        assertThat(event.path("headers").path("X-Custom").asText()).isEqualTo("abc");
        assertThat(event.path("requestContext").path("stage").asText()).isEqualTo("local");
        assertThat(event.path("requestContext").path("accountId").asText()).isEqualTo("123456789012");
        assertThat(invoke.invocation().requestId()).isEqualTo("req-7");
        invoke.replyTo().send(completed("{\"statusCode\":201,\"headers\":{\"X-Answer\":\"yes\",\"Content-Type\":\"text/plain\"},\"body\":\"made\"}"));
        var response = answer(pending);
        assertThat(response.status()).isEqualTo(201);
        assertThat(response.header("X-Answer")).isEqualTo("yes");
        assertThat(response.contentType()).startsWith("text/plain");
        assertThat(response.body()).isEqualTo("made");
        assertThat(response.header("X-Request-Id")).isEqualTo("req-7");
    }

    @Test
    void aV2RouteSendsTheHttpApiEvent() throws Exception {
        var pending = send(HttpRequest.GET("/v2/a/b"));
        var invoke = hello.expectMessageClass(FunctionActor.Invoke.class);
        var event = JSON.readTree(invoke.invocation().event());
        assertThat(event.path("version").asText()).isEqualTo("2.0");
        assertThat(event.path("rawPath").asText()).isEqualTo("/v2/a/b");
        assertThat(event.path("pathParameters").path("proxy").asText()).isEqualTo("a/b");
        assertThat(event.path("requestContext").path("http").path("method").asText()).isEqualTo("GET");
        invoke.replyTo().send(completed("{\"plain\":true}"));
        var response = answer(pending);
        // HTTP APIs take a result without statusCode as the body of a 200
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("{\"plain\":true}");
    }

    @Test
    void anUnknownRouteIs404AndAWrongMethod405WithTheAllowedOnes() throws Exception {
        var notFound = answer(send(HttpRequest.GET("/nothing/here")));
        assertThat(notFound.status()).isEqualTo(404);
        assertThat(notFound.json().path("message").asText()).isEqualTo("No route for GET /nothing/here");
        var wrongMethod = answer(send(HttpRequest.DELETE("/items/1")));
        assertThat(wrongMethod.status()).isEqualTo(405);
        assertThat(wrongMethod.json().path("message").asText()).isEqualTo("Method DELETE not allowed on /items/1");
        assertThat(wrongMethod.json().path("allowedMethods").asText()).isEqualTo("GET, HEAD, POST");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "THROTTLED          | 429 | Too Many Requests                       | true",
            "DOCKER_UNAVAILABLE | 503 | Docker daemon unavailable               | true",
            "START_FAILED       | 503 | Function container could not be started | true",
            "IMAGE_NOT_READY    | 503 | Function image is not ready             | true",
            "CONTAINER_FAILED   | 502 | Internal server error                   | false",
            "TIMED_OUT          | 504 | Endpoint request timed out              | false",
            "RUNTIME_EXITED     | 502 | Internal server error                   | false",
            "OUT_OF_MEMORY      | 502 | Internal server error                   | false"})
    void aFailureBehindARouteIsApiGatewaysAnswer(Reason reason, int status, String message, boolean showsReason) throws Exception {
        var pending = send(HttpRequest.POST("/items/9").withEntity(ContentTypes.APPLICATION_JSON, "{}"));
        hello.expectMessageClass(FunctionActor.Invoke.class).replyTo().send(new InvocationResult.Failed(reason, "detail", false));
        var response = answer(pending);
        assertThat(response.status()).isEqualTo(status);
        assertThat(response.json().path("message").asText()).isEqualTo(message);
        assertThat(response.json().has("reason")).isEqualTo(showsReason);
        if (showsReason) {
            assertThat(response.json().path("reason").asText()).isEqualTo("detail");
        }
    }

    // ---- admin, refusals and the safety net ----

    @Test
    void healthAnswersWithoutAnyActorOrTheFunctionTable() throws Exception {
        tableBroken.set(true); // a surface evaluated for every request (not just its own) would read it and fail
        var response = answer(send(HttpRequest.GET("/health")));
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.json().path("status").asText()).isEqualTo("healthy");
        assertThat(response.header("X-Request-Id")).isNotBlank();
        hello.expectNoMessage(Duration.ofMillis(50));
    }

    @Test
    void anEncodedSlashInTheRawTargetIsNotRoutable() throws Exception {
        var response = answer(send(HttpRequest.GET("/items/a").addHeader(RawHeader.create("Raw-Request-URI", "/items/a%2Fb"))));
        assertThat(response.status()).isEqualTo(404);
        assertThat(response.json().path("message").asText())
                .isEqualTo("No route for GET /items/a%2Fb: dot segments and encoded slashes are not routable");
    }

    @Test
    void aBodyBrokenOnTheWireIs400() throws Exception {
        var broken = Source.<ByteString>failed(new akka.http.scaladsl.model.EntityStreamException(
                new akka.http.scaladsl.model.ErrorInfo("Illegal character 'Z' in chunk start", "")));
        var response = answer(send(HttpRequest.POST("/2015-03-31/functions/hello/invocations")
                .withEntity(HttpEntities.createChunked(ContentTypes.APPLICATION_JSON, broken))));
        assertThat(response.status()).isEqualTo(400);
        assertThat(response.json().path("message").asText()).isEqualTo("Malformed request body");
        assertThat(response.json().path("reason").asText()).isEqualTo("Illegal character 'Z' in chunk start");
    }

    @Test
    void anExceptionInsideTheGatewayIs500WithTheRequestId() throws Exception {
        tableBroken.set(true);
        var response = answer(send(HttpRequest.GET("/items/1").addHeader(RawHeader.create("X-Request-Id", "req-500"))));
        assertThat(response.status()).isEqualTo(500);
        assertThat(response.json().path("message").asText()).isEqualTo("Internal error in the gateway");
        assertThat(response.json().path("requestId").asText()).isEqualTo("req-500");
        assertThat(response.header("X-Request-Id")).isEqualTo("req-500");
    }

    // ---- read-only control plane ----

    @Test
    void listFunctionsPagesByName() throws Exception {
        var all = answer(send(HttpRequest.GET("/2015-03-31/functions/")));
        assertThat(all.status()).isEqualTo(200);
        assertThat(all.json().path("Functions").findValuesAsText("FunctionName")).containsExactly("hello", "other");
        assertThat(all.json().has("NextMarker")).isFalse();
        var first = answer(send(HttpRequest.GET("/2015-03-31/functions?MaxItems=1")));
        assertThat(first.json().path("Functions").findValuesAsText("FunctionName")).containsExactly("hello");
        assertThat(first.json().path("NextMarker").asText()).isEqualTo("hello");
        var second = answer(send(HttpRequest.GET("/2015-03-31/functions/?MaxItems=1&Marker=hello")));
        assertThat(second.json().path("Functions").findValuesAsText("FunctionName")).containsExactly("other");
        assertThat(second.json().has("NextMarker")).isFalse();
        var invalid = answer(send(HttpRequest.GET("/2015-03-31/functions/?MaxItems=0")));
        assertThat(invalid.status()).isEqualTo(400);
        assertThat(invalid.header("x-amzn-ErrorType")).isEqualTo("InvalidParameterValueException");
    }

    @Test
    void getFunctionConfigurationHasAwsFields() throws Exception {
        var response = answer(send(HttpRequest.GET("/2015-03-31/functions/hello/configuration")));
        assertThat(response.status()).isEqualTo(200);
        var config = response.json();
        assertThat(config.path("FunctionName").asText()).isEqualTo("hello");
        assertThat(config.path("FunctionArn").asText()).isEqualTo("arn:aws:lambda:eu-west-1:123456789012:function:hello");
        assertThat(config.path("Role").asText()).isEqualTo("arn:aws:iam::123456789012:role/esb");
        assertThat(config.path("Timeout").asInt()).isEqualTo(7);
        assertThat(config.path("MemorySize").asInt()).isEqualTo(256);
        assertThat(config.path("Version").asText()).isEqualTo("$LATEST");
        assertThat(config.path("PackageType").asText()).isEqualTo("Image");
        assertThat(config.path("State").asText()).isEqualTo("Active");
        assertThat(config.path("Environment").path("Variables").path("GREETING").asText()).isEqualTo("Hi");
        assertThat(config.path("LastModified").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}\\+0000");
        assertThat(config.has("Runtime")).isFalse();
        assertThat(config.has("Handler")).isFalse();
    }

    @Test
    void getFunctionHasCodeAndConcurrency() throws Exception {
        var response = answer(send(HttpRequest.GET("/2015-03-31/functions/hello")));
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.json().path("Configuration").path("FunctionName").asText()).isEqualTo("hello");
        assertThat(response.json().path("Code").path("ImageUri").asText()).isEqualTo("esb-example-hello:latest");
        assertThat(response.json().path("Code").path("RepositoryType").asText()).isEqualTo("ECR");
        assertThat(response.json().path("Concurrency").path("ReservedConcurrentExecutions").asInt()).isEqualTo(4);
        var unknown = answer(send(HttpRequest.GET("/2015-03-31/functions/nope")));
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.header("x-amzn-ErrorType")).isEqualTo("ResourceNotFoundException");
        assertThat(answer(send(HttpRequest.GET("/2015-03-31/functions/hello?Qualifier=1"))).status()).isEqualTo(404);
    }

    @Test
    void accountSettingsCountTheFunctions() throws Exception {
        var response = answer(send(HttpRequest.GET("/2016-08-19/account-settings/")));
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.json().path("AccountUsage").path("FunctionCount").asInt()).isEqualTo(2);
        assertThat(response.json().path("AccountLimit").path("ConcurrentExecutions").asInt()).isEqualTo(30);
        assertThat(response.json().path("AccountLimit").path("UnreservedConcurrentExecutions").asInt()).isEqualTo(30 - 4 - 10);
    }

    /**
     * Invoke calls and routes are answered without the route DSL unless another surface may claim the path or it has
     * escapes; those go through the DSL, and must reach the same leaves.
     */
    @Test
    void routesTheFastPathLeavesToTheDslAnswerAsTheOthersDo() throws Exception {
        var besideHealth = send(HttpRequest.GET("/healthy/7"));
        var first = hello.expectMessageClass(FunctionActor.Invoke.class);
        var event = JSON.readTree(first.invocation().event());
        assertThat(event.path("resource").asText()).isEqualTo("/healthy/{id}");
        assertThat(event.path("pathParameters").path("id").asText()).isEqualTo("7");
        first.replyTo().send(completed("{\"statusCode\":200,\"body\":\"fine\"}"));
        assertThat(answer(besideHealth).body()).isEqualTo("fine");

        var escaped = send(HttpRequest.GET("/items/a%20b"));
        var second = hello.expectMessageClass(FunctionActor.Invoke.class);
        assertThat(JSON.readTree(second.invocation().event()).path("resource").asText()).isEqualTo("/items/{id}");
        second.replyTo().send(completed("{\"statusCode\":202,\"body\":\"spaced\"}"));
        var answered = answer(escaped);
        assertThat(answered.status()).isEqualTo(202);
        assertThat(answered.body()).isEqualTo("spaced");

        var escapedInvoke = send(HttpRequest.POST("/2015-03-31/functions/hel%6Co/invocations").withEntity(ContentTypes.APPLICATION_JSON, "{}"));
        hello.expectMessageClass(FunctionActor.Invoke.class).replyTo().send(completed("{\"via\":\"dsl\"}"));
        assertThat(answer(escapedInvoke).body()).isEqualTo("{\"via\":\"dsl\"}");

        var health = answer(send(HttpRequest.GET("/health")));
        assertThat(health.status()).isEqualTo(200);
        hello.expectNoMessage(Duration.ofMillis(100));
    }

    @Test
    void otherMethodsOnTheControlPlanePathsFallThroughToTheRoutes() throws Exception {
        var response = answer(send(HttpRequest.POST("/2015-03-31/functions").withEntity(ContentTypes.APPLICATION_JSON, "{}")));
        assertThat(response.status()).isEqualTo(404);
        assertThat(response.json().path("message").asText()).isEqualTo("No route for POST /2015-03-31/functions");
    }

    // ---- plumbing ----

    private CompletionStage<HttpResponse> send(HttpRequest request) throws Exception {
        return handler.apply(request);
    }

    private static InvocationResult.Completed completed(String body) {
        return new InvocationResult.Completed(200, body.getBytes(StandardCharsets.UTF_8), "application/json", false, "container-1", null);
    }

    private record Answer(HttpResponse response, String body) {
        int status() {
            return response.status().intValue();
        }

        String header(String name) {
            return response.getHeader(name).map(h -> h.value()).orElse(null);
        }

        String contentType() {
            return response.entity().getContentType().toString();
        }

        JsonNode json() throws Exception {
            return JSON.readTree(body);
        }
    }

    private Answer answer(CompletionStage<HttpResponse> pending) throws Exception {
        var response = pending.toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        var strict = response.entity().toStrict(WAIT.toMillis(), testKit.system()).toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        return new Answer(response, strict.getData().utf8String());
    }
}
