package io.esb.it;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.esb.config.SettingsLoader;
import io.esb.testing.Docker;
import io.esb.testing.GatewayUnderTest;
import io.esb.testing.LogCapture;
import io.esb.testing.RequiresDocker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.function.Predicate;

import static io.esb.testing.GatewayUnderTest.JSON;
import static io.esb.testing.GatewayUnderTest.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A SAM template as a function source, against the real daemon: an ImageUri function, one built from a Dockerfile
 * (FROM the local fixture image) and one whose build fails, reached through their Api and HttpApi routes.
 */
@ExtendWith(RequiresDocker.class)
@Timeout(300)
class SamTemplateIT {
    static final String INSTANCE = GatewayUnderTest.newInstanceId("it-sam");
    /** Unique per run, so the image this test builds is its own to remove. */
    static final String TAG = "it-" + UUID.randomUUID().toString().substring(0, 8);
    static final String BUILT_IMAGE = "built:" + TAG;
    static Path template;
    static String staleContainer;
    static GatewayUnderTest gw;
    static LogCapture logs;

    @BeforeAll
    static void start() throws Exception {
        template = Path.of(SamTemplateIT.class.getResource("/sam/template.yaml").toURI());
        var config = """
                esb.sam.template = "%s"
                esb.sam.parameters { Stage = "prod", BuildTag = "%s" }
                esb.aws.region = "eu-west-1"
                """.formatted(template, TAG);
        // A running container "of an earlier build": same tag, same settings, so it would be adopted, but another image.
        var spec = SettingsLoader.load(ConfigFactory.parseString(config + "esb.docker.instance-id = \"" + INSTANCE + "\"")
                .withFallback(ConfigFactory.load())).functions().get("Built").containerSpecHash();
        staleContainer = Docker.run("run", "-d", "-p", "127.0.0.1::8080", "--label", "esb.managed=true", "--label", "esb.instance=" + INSTANCE,
                "--label", "esb.function=Built", "--label", "esb.spec=" + spec, "esb-fixture:latest").strip();
        logs = new LogCapture();
        gw = GatewayUnderTest.start(INSTANCE, config);
    }

    @AfterAll
    static void stop() {
        try {
            GatewayUnderTest.stopAndClean(gw, logs, INSTANCE);
        } finally {
            if (!Docker.run("images", "-q", BUILT_IMAGE).isBlank()) {
                Docker.run("rmi", "-f", BUILT_IMAGE);
            }
        }
    }

    /** Waits, bounded, for a log event; builds run in the background after startup. */
    private static ILoggingEvent awaitLog(String description, Predicate<ILoggingEvent> match) throws InterruptedException {
        for (int i = 0; i < 1200; i++) {
            var found = logs.events().stream().filter(match).findFirst();
            if (found.isPresent()) {
                return found.get();
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no log event: " + description);
    }

    private static boolean about(ILoggingEvent event, String message, String function) {
        return event.getFormattedMessage().equals(message) && function.equals(LogCapture.fields(event).get("function_name"));
    }

    private static JsonNode proxyBody(HttpResponse<String> response) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    @Test
    void imageUriFunctionAnswersOnItsApiRouteWithAV1Event() throws Exception {
        var body = proxyBody(gw.get("/sam/items/42?x=1"));
        var event = body.get("echo");
        assertThat(event.get("resource").asText()).isEqualTo("/sam/items/{id}");
        assertThat(event.get("path").asText()).isEqualTo("/sam/items/42");
        assertThat(event.get("httpMethod").asText()).isEqualTo("GET");
        assertThat(event.get("pathParameters").get("id").asText()).isEqualTo("42");
        assertThat(event.get("queryStringParameters").get("x").asText()).isEqualTo("1");
        assertThat(event.has("version")).isFalse();

        // Globals' environment with !Sub of a parameter override and the region; Timeout, MemorySize from the template.
        var env = proxyBody(gw.get("/sam/items/1?action=env"));
        assertThat(env.get("GREETING").asText()).isEqualTo("hello-prod-eu-west-1");
        assertThat(env.get("AWS_LAMBDA_FUNCTION_NAME").asText()).isEqualTo("Fixture");
        assertThat(env.get("AWS_LAMBDA_FUNCTION_TIMEOUT").asText()).isEqualTo("5");
        assertThat(env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE").asText()).isEqualTo("192");

        // The Invoke API reaches it by its logical id.
        var invoked = gw.invoke("Fixture", "{\"action\":\"env\"}");
        assertThat(invoked.statusCode()).isEqualTo(200);
        assertThat(json(invoked).get("GREETING").asText()).isEqualTo("hello-prod-eu-west-1");

        // Only the configured method: the route is GET.
        assertThat(gw.post("/sam/items/1", "{}").statusCode()).isEqualTo(405);
    }

    @Test
    void dockerfileFunctionIsBuiltWithProgressInTheLogThenAnswersOnItsHttpApiRoute() throws Exception {
        var finished = awaitLog("Image build finished for Built", e -> about(e, "Image build finished", "Built"));
        assertThat(LogCapture.fields(finished)).containsEntry("image", BUILT_IMAGE);
        assertThat(LogCapture.fields(finished).get("image_id")).isNotBlank();

        var started = logs.events().stream().filter(e -> about(e, "Image build started", "Built")).toList();
        assertThat(started).hasSize(1);
        assertThat(LogCapture.fields(started.get(0))).containsEntry("image", BUILT_IMAGE)
                .containsEntry("context", template.getParent().resolve("built").toString())
                .containsEntry("build_args", "[GREETING_ARG]");
        List<String> steps = logs.events().stream().filter(e -> about(e, "Image build step", "Built"))
                .map(e -> LogCapture.fields(e).get("step")).toList();
        assertThat(steps).containsExactly("Step 1/3 : FROM esb-fixture:latest", "Step 2/3 : ARG GREETING_ARG=unset",
                "Step 3/3 : ENV GREETING=${GREETING_ARG}");
        assertThat(logs.events().stream().filter(e -> about(e, "Image build step", "Built")))
                .allSatisfy(e -> assertThat(e.getLevel()).isEqualTo(Level.INFO))
                .allSatisfy(e -> assertThat(LogCapture.fields(e)).containsEntry("image", BUILT_IMAGE));
        assertThat(Docker.run("images", "-q", BUILT_IMAGE)).isNotBlank();
        // The containers of the earlier image go once the build has finished, so its log line may come a moment later.
        awaitLog("Removed container for Built", e -> about(e, "Removed container", "Built"));
        var removed = logs.events().stream().filter(e -> about(e, "Removed container", "Built")).toList();
        assertThat(removed).hasSize(1);
        assertThat(LogCapture.fields(removed.get(0))).containsEntry("container_id", staleContainer)
                .containsEntry("reason", "runs an older image than the one just built");
        assertThat(Docker.containers(INSTANCE, "Built")).doesNotContain(staleContainer);

        var body = proxyBody(gw.get("/sam/v2/orders/7?q=a"));
        var event = body.get("echo");
        assertThat(event.get("version").asText()).isEqualTo("2.0");
        assertThat(event.get("routeKey").asText()).isEqualTo("ANY /sam/v2/{proxy+}");
        assertThat(event.get("rawPath").asText()).isEqualTo("/sam/v2/orders/7");
        assertThat(event.get("pathParameters").get("proxy").asText()).isEqualTo("orders/7");
        assertThat(event.get("requestContext").get("http").get("method").asText()).isEqualTo("GET");

        // The image's own ENV, set from a build argument (!Sub of the Stage override); the global GREETING was removed
        // by AWS::NoValue, so the container does not override it.
        var env = proxyBody(gw.post("/sam/v2/anything?action=env", ""));
        assertThat(env.get("GREETING").asText()).isEqualTo("built-prod");
        assertThat(env.get("AWS_LAMBDA_FUNCTION_NAME").asText()).isEqualTo("Built");
        assertThat(env.get("AWS_LAMBDA_FUNCTION_TIMEOUT").asText()).isEqualTo("5");
        assertThat(Docker.runningContainers(INSTANCE, "Built")).hasSize(1);
        var image = Docker.run("inspect", "--format", "{{.Config.Image}}", Docker.runningContainers(INSTANCE, "Built").get(0)).strip();
        assertThat(image).isEqualTo(BUILT_IMAGE);
    }

    @Test
    void aFailedBuildAnswers503NamingTheBuildError() throws Exception {
        var failed = awaitLog("Image build failed for Broken", e -> e.getFormattedMessage().equals("Image build failed for function 'Broken'"));
        assertThat(failed.getLevel()).isEqualTo(Level.ERROR);
        assertThat(LogCapture.fields(failed)).containsEntry("function_name", "Broken").containsEntry("image", "broken:" + TAG);
        assertThat(LogCapture.fields(failed).get("error_detail")).contains("does-not-exist");

        var response = gw.get("/sam/broken");
        assertThat(response.statusCode()).isEqualTo(503);
        var body = json(response);
        assertThat(body.get("message").asText()).isEqualTo("Function image is not ready");
        assertThat(body.get("reason").asText()).startsWith("Image build of 'broken:" + TAG + "' for function 'Broken' failed: ")
                .contains("does-not-exist");

        var invoked = gw.invoke("Broken", "{}");
        assertThat(invoked.statusCode()).isEqualTo(503);
        assertThat(invoked.headers().firstValue("x-amzn-ErrorType")).hasValue("ServiceException");
        assertThat(json(invoked).get("message").asText()).contains("Image build of 'broken:" + TAG + "'").contains("does-not-exist");
        assertThat(Docker.containers(INSTANCE, "Broken")).isEmpty();
        var status = json(gw.get("/status")).get("functions");
        assertThat(status.get("Broken").get("image").asText()).isEqualTo("failed");
        assertThat(status.get("Broken").get("imageDetail").asText()).isEqualTo(body.get("reason").asText());
        assertThat(status.get("Fixture").has("image")).as("a function with a given image has no image state").isFalse();
    }

    @Test
    void unsupportedPartsAreListedInOneWarnAtStartup() {
        var warnings = logs.events().stream().filter(e -> e.getLevel() == Level.WARN
                && e.getFormattedMessage().startsWith("SAM template has resources and properties")).toList();
        assertThat(warnings).hasSize(1);
        assertThat(LogCapture.fields(warnings.get(0))).containsEntry("template", template.toString())
                .containsEntry("unsupported", "[Resources.Orders (AWS::DynamoDB::Table)]");
        var read = logs.withMessage("Read functions from SAM template");
        assertThat(read).hasSize(1);
        assertThat(LogCapture.fields(read.get(0))).containsEntry("functions", "[Fixture, Built, Broken]")
                .containsEntry("image_builds", "[Built, Broken]");
    }
}
