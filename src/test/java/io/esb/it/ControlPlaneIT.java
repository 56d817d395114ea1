package io.esb.it;

import io.esb.testing.GatewayUnderTest;
import io.esb.testing.LogCapture;
import io.esb.testing.RequiresDocker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.Architecture;
import software.amazon.awssdk.services.lambda.model.FunctionConfiguration;
import software.amazon.awssdk.services.lambda.model.GetFunctionConfigurationRequest;
import software.amazon.awssdk.services.lambda.model.GetFunctionRequest;
import software.amazon.awssdk.services.lambda.model.LastUpdateStatus;
import software.amazon.awssdk.services.lambda.model.ListFunctionsRequest;
import software.amazon.awssdk.services.lambda.model.PackageType;
import software.amazon.awssdk.services.lambda.model.ResourceNotFoundException;
import software.amazon.awssdk.services.lambda.model.State;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The read-only control plane through the real AWS SDK v2 LambdaClient: what {@code aws lambda list-functions},
 * {@code get-function}, {@code get-function-configuration} and {@code get-account-settings} rely on. Functions:
 * {@code fx} and {@code hello} (GatewayUnderTest's) and {@code zeta}.
 */
@ExtendWith(RequiresDocker.class)
@Timeout(120)
class ControlPlaneIT {
    static final String INSTANCE = GatewayUnderTest.newInstanceId("it-control");
    static final String ARN_PREFIX = "arn:aws:lambda:eu-central-1:111122223333:function:";
    static GatewayUnderTest gw;
    static LambdaClient lambda;
    static LogCapture logs;

    @BeforeAll
    static void start() throws Exception {
        logs = new LogCapture();
        gw = GatewayUnderTest.start(INSTANCE, """
                esb.aws { region = "eu-central-1", account-id = "111122223333" }
                esb.containers.max-total = 40
                esb.functions.zeta { image = "esb-fixture:latest", timeout = 9s, memory-mb = 512, max-concurrency = 3 }
                """);
        lambda = gw.lambdaClient(Region.EU_CENTRAL_1, Duration.ofSeconds(30));
    }

    @AfterAll
    static void stop() {
        GatewayUnderTest.stopAndClean(lambda, gw, logs, INSTANCE);
    }

    @Test
    void listFunctionsListsEveryFunctionWithItsConfiguration() {
        var functions = lambda.listFunctions().functions();
        assertThat(functions).extracting(FunctionConfiguration::functionName).containsExactly("fx", "hello", "zeta");
        assertThat(functions).extracting(FunctionConfiguration::functionArn)
                .containsExactly(ARN_PREFIX + "fx", ARN_PREFIX + "hello", ARN_PREFIX + "zeta");
        var zeta = functions.get(2);
        assertThat(zeta.timeout()).isEqualTo(9);
        assertThat(zeta.memorySize()).isEqualTo(512);
        assertThat(zeta.packageType()).isEqualTo(PackageType.IMAGE);
        assertThat(zeta.version()).isEqualTo("$LATEST");
        assertThat(functions.get(0).timeout()).isEqualTo(3);
        assertThat(functions.get(0).memorySize()).isEqualTo(128);
    }

    @Test
    void listFunctionsPagesWithMaxItemsAndMarker() {
        var first = lambda.listFunctions(ListFunctionsRequest.builder().maxItems(1).build());
        assertThat(first.functions()).extracting(FunctionConfiguration::functionName).containsExactly("fx");
        assertThat(first.nextMarker()).isNotBlank();
        var second = lambda.listFunctions(ListFunctionsRequest.builder().maxItems(1).marker(first.nextMarker()).build());
        assertThat(second.functions()).extracting(FunctionConfiguration::functionName).containsExactly("hello");
        var rest = lambda.listFunctions(ListFunctionsRequest.builder().maxItems(5).marker(second.nextMarker()).build());
        assertThat(rest.functions()).extracting(FunctionConfiguration::functionName).containsExactly("zeta");
        assertThat(rest.nextMarker()).isNull();
        // the SDK's paginator follows the markers to the end
        assertThat(lambda.listFunctionsPaginator(ListFunctionsRequest.builder().maxItems(2).build()).functions())
                .extracting(FunctionConfiguration::functionName).containsExactly("fx", "hello", "zeta");
    }

    @Test
    void getFunctionHasTheConfigurationTheImageAndTheConcurrency() {
        var response = lambda.getFunction(GetFunctionRequest.builder().functionName("zeta").build());
        assertThat(response.configuration().functionName()).isEqualTo("zeta");
        assertThat(response.configuration().functionArn()).isEqualTo(ARN_PREFIX + "zeta");
        assertThat(response.code().imageUri()).isEqualTo("esb-fixture:latest");
        assertThat(response.code().repositoryType()).isEqualTo("ECR");
        assertThat(response.concurrency().reservedConcurrentExecutions()).isEqualTo(3);
        // by ARN too, as Invoke accepts
        var byArn = lambda.getFunction(GetFunctionRequest.builder().functionName(ARN_PREFIX + "hello").build());
        assertThat(byArn.configuration().functionName()).isEqualTo("hello");
        assertThat(byArn.code().imageUri()).isEqualTo("esb-example-hello:latest");
    }

    @Test
    void getFunctionConfigurationHasAwsFields() {
        var config = lambda.getFunctionConfiguration(GetFunctionConfigurationRequest.builder().functionName("fx").build());
        assertThat(config.functionName()).isEqualTo("fx");
        assertThat(config.role()).isEqualTo("arn:aws:iam::111122223333:role/esb");
        assertThat(config.timeout()).isEqualTo(3);
        assertThat(config.memorySize()).isEqualTo(128);
        assertThat(config.environment().variables()).isEqualTo(Map.of("GREETING", "Hi"));
        assertThat(config.state()).isEqualTo(State.ACTIVE);
        assertThat(config.lastUpdateStatus()).isEqualTo(LastUpdateStatus.SUCCESSFUL);
        assertThat(config.architectures()).containsExactly(Architecture.X86_64);
        assertThat(config.ephemeralStorage().size()).isEqualTo(512);
        assertThat(config.codeSha256()).isNotBlank();
        assertThat(config.lastModified()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}\\+0000");
        assertThat(config.runtime()).isNull();
        assertThat(config.handler()).isNull();
    }

    @Test
    void getAccountSettingsCountsTheFunctionsAndTheConcurrency() {
        var settings = lambda.getAccountSettings();
        assertThat(settings.accountUsage().functionCount()).isEqualTo(3);
        assertThat(settings.accountLimit().concurrentExecutions()).isEqualTo(40);
        // fx 1 + hello 10 (the default) + zeta 3 are the functions' own limits
        assertThat(settings.accountLimit().unreservedConcurrentExecutions()).isEqualTo(40 - 1 - 10 - 3);
    }

    @Test
    void anUnknownFunctionIsResourceNotFound() {
        assertThatThrownBy(() -> lambda.getFunction(GetFunctionRequest.builder().functionName("nope").build()))
                .isInstanceOf(ResourceNotFoundException.class)
                .satisfies(e -> assertThat(((ResourceNotFoundException) e).statusCode()).isEqualTo(404))
                .hasMessageContaining("Function not found: " + ARN_PREFIX + "nope");
        assertThatThrownBy(() -> lambda.getFunctionConfiguration(GetFunctionConfigurationRequest.builder().functionName("fx").qualifier("7").build()))
                .isInstanceOf(ResourceNotFoundException.class)
                .hasMessageContaining("Function not found: " + ARN_PREFIX + "fx:7");
    }

    @Test
    void theCliStylePathsWithATrailingSlashAnswerToo() throws Exception {
        var list = gw.get("/2015-03-31/functions/");
        assertThat(list.statusCode()).isEqualTo(200);
        assertThat(GatewayUnderTest.json(list).path("Functions").findValuesAsText("FunctionName")).containsExactly("fx", "hello", "zeta");
        var account = gw.get("/2016-08-19/account-settings/");
        assertThat(account.statusCode()).isEqualTo(200);
        assertThat(GatewayUnderTest.json(account).path("AccountUsage").path("FunctionCount").asInt()).isEqualTo(3);
    }
}
