package io.esb.it;

import io.esb.testing.Docker;
import io.esb.testing.GatewayUnderTest;
import io.esb.testing.LogCapture;
import io.esb.testing.RequiresDocker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvokeRequest;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;

import java.nio.file.Path;
import java.time.Duration;

import static io.esb.testing.GatewayUnderTest.JSON;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A Node zip function run by AWS's real npm runtime client (aws-lambda-ric, in esb-runtime-nodejs22) against the
 * gateway's Runtime API. That client differs from the Java one: it opens a connection per poll, sends no error-type
 * header with an error, and reports a missing handler on init/error.
 */
@ExtendWith(RequiresDocker.class)
@Timeout(180)
class NodeRuntimeIT {
    static final String INSTANCE = GatewayUnderTest.newInstanceId("it-node");
    static final String RUNTIME_IMAGE = "esb-runtime-nodejs22:latest";
    static GatewayUnderTest gw;
    static LambdaClient lambda;
    static LogCapture logs;

    @BeforeAll
    static void start() throws Exception {
        assertThat(Docker.run("image", "ls", "-q", RUNTIME_IMAGE).strip()).as(RUNTIME_IMAGE + " (docker/build-images.sh builds it)").isNotEmpty();
        logs = new LogCapture();
        var code = Path.of("src/test/resources/functions/node-hello").toAbsolutePath();
        gw = GatewayUnderTest.start(INSTANCE, """
                esb.runtimes."nodejs22.x" = "%s"
                esb.functions {
                  node { runtime = "nodejs22.x", handler = "index.handler", code-uri = "%s", timeout = 2s }
                  nohandler { runtime = "nodejs22.x", handler = "index.missing", code-uri = "%s" }
                }
                """.formatted(RUNTIME_IMAGE, code, code));
        lambda = gw.lambdaClient(Region.US_EAST_1, Duration.ofSeconds(60));
    }

    @AfterAll
    static void stop() {
        GatewayUnderTest.stopAndClean(lambda, gw, logs, INSTANCE);
    }

    private static InvokeResponse invoke(String function, String payload) {
        return GatewayUnderTest.invoke(lambda, function, payload);
    }

    @Test
    void theNodeRuntimeAnswersWhatItsHandlerReturns() throws Exception {
        var response = invoke("node", "{\"name\":\"Ada\"}");
        assertThat(response.functionError()).isNull();
        var body = JSON.readTree(response.payload().asUtf8String());
        assertThat(body.get("message").asText()).isEqualTo("Hello, Ada!");
        assertThat(body.get("function").asText()).isEqualTo("node");
        assertThat(body.get("requestId").asText()).isEqualTo(response.responseMetadata().requestId());
        // A handler that takes a while is not mistaken for a dead runtime, though this client closes its poll's connection.
        var slow = invoke("node", "{\"name\":\"slow\",\"sleepMs\":800}");
        assertThat(slow.functionError()).isNull();
        assertThat(JSON.readTree(slow.payload().asUtf8String()).get("message").asText()).isEqualTo("Hello, slow!");
    }

    @Test
    void aThrownErrorKeepsTheRuntimesErrorBody() throws Exception {
        var response = invoke("node", "{\"fail\":true}");
        assertThat(response.functionError()).isEqualTo("Unhandled");
        var error = JSON.readTree(response.payload().asUtf8String());
        assertThat(error.get("errorType").asText()).isEqualTo("Error");
        assertThat(error.get("errorMessage").asText()).isEqualTo("failing as asked");
    }

    @Test
    void aMissingHandlerIsAnInitErrorAnsweredAsTheFunctionsError() throws Exception {
        var response = invoke("nohandler", "{}");
        assertThat(response.functionError()).isEqualTo("Unhandled");
        var error = JSON.readTree(response.payload().asUtf8String());
        assertThat(error.get("errorType").asText()).isEqualTo("Runtime.HandlerNotFound");
        assertThat(error.get("errorMessage").asText()).contains("missing");
    }

    @Test
    void aTimeoutIsSandboxTimedout() throws Exception {
        var response = invoke("node", "{\"sleepMs\":5000}");
        assertThat(response.functionError()).isEqualTo("Unhandled");
        assertThat(JSON.readTree(response.payload().asUtf8String()).get("errorType").asText()).isEqualTo("Sandbox.Timedout");
        assertThat(invoke("node", "{\"name\":\"again\"}").functionError()).isNull();
    }
}
