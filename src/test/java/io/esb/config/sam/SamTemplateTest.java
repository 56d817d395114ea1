package io.esb.config.sam;

import ch.qos.logback.classic.Level;
import com.typesafe.config.ConfigFactory;
import io.esb.config.ConfigException;
import io.esb.config.EsbSettings;
import io.esb.config.FunctionSettings;
import io.esb.config.ImageBuild;
import io.esb.config.InvokeMode;
import io.esb.config.ZipCode;
import io.esb.route.RouteSettings;
import io.esb.config.SettingsLoader;
import io.esb.route.PayloadFormat;
import io.esb.testing.LogCapture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class SamTemplateTest {
    @TempDir
    Path dir;

    /** Every feature esb reads from a SAM template, plus a few it ignores. */
    private static final String FULL = """
            AWSTemplateFormatVersion: '2010-09-09'
            Transform: AWS::Serverless-2016-10-31
            Description: every feature esb reads

            Parameters:
              Stage:
                Type: String
                Default: dev
                AllowedValues: [dev, prod]
              BuildTag:
                Type: String
                Default: v1
              Workers:
                Type: Number
                Default: 4
              Unused:
                Type: String

            Globals:
              Function:
                Timeout: 10
                MemorySize: 256
                Tracing: Active
                Environment:
                  Variables:
                    STAGE: !Ref Stage
                    REGION: !Sub "${AWS::Region}"
                    SHARED: from-globals
              Api:
                Cors: "'*'"

            Resources:
              Orders:
                Type: AWS::Serverless::Function
                Properties:
                  PackageType: Image
                  ImageUri: !Sub "orders-${Stage}:latest"
                  MemorySize: 512
                  ReservedConcurrentExecutions: !Ref Workers
                  Description: takes orders
                  Policies:
                    - DynamoDBCrudPolicy:
                        TableName: !Ref OrdersTable
                  Environment:
                    Variables:
                      TABLE: !Ref OrdersTable
                      TABLE_ARN: !GetAtt OrdersTable.Arn
                      ACCOUNT: { "Fn::Sub": "${AWS::AccountId}:${AWS::StackName}" }
                      PARTITION: { Ref: AWS::Partition }
                      URL: !Sub ["https://${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}/${Stage}", { Api: my-api }]
                      JOINED: !Join ["-", [a, !Ref Stage, c]]
                      DROPPED: !Ref AWS::NoValue
                      SHARED: own
                      LITERAL: !Sub "${!NotAVar}"
                      ODD: !Foo bar
                      COUNT: 3
                      DEBUG: true
                  Events:
                    GetOrder:
                      Type: Api
                      Properties:
                        Path: /orders/{id}
                        Method: get
                    AnyOrder:
                      Type: Api
                      Properties:
                        Path: /orders/admin/{proxy+}
                        Method: any
                        Auth:
                          ApiKeyRequired: true
                    CreateOrder:
                      Type: HttpApi
                      Properties:
                        Path: /v2/orders
                        Method: POST
                    Queue:
                      Type: SQS
                      Properties:
                        Queue: arn:aws:sqs:us-east-1:123456789012:q
              Builder:
                Type: AWS::Serverless::Function
                Properties:
                  PackageType: Image
                  Timeout: 30
                  Environment:
                    Variables:
                      MODE: built
                  Events:
                    Everything:
                      Type: HttpApi
                      Properties:
                        PayloadFormatVersion: "1.0"
                Metadata:
                  Dockerfile: Dockerfile.custom
                  DockerContext: ./app
                  DockerTag: !Ref BuildTag
                  DockerBuildArgs:
                    STAGE: !Ref Stage
                    WHERE: !Ref AWS::Region
                  DockerBuildTarget: runtime
              OrdersTable:
                Type: AWS::DynamoDB::Table
                Properties:
                  BillingMode: PAY_PER_REQUEST
            Outputs:
              Api:
                Value: !Sub "https://${ServerlessRestApi}.execute-api.${AWS::Region}.amazonaws.com/Prod/"
            """;

    private Path write(String name, String text) throws IOException {
        var file = dir.resolve(name);
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
        return file;
    }

    private EsbSettings load(Path template, String extra) {
        return SettingsLoader.load(ConfigFactory.parseString("esb.sam.template = \"" + template + "\"\n" + extra)
                .withFallback(ConfigFactory.defaultReference()).resolve());
    }

    private EsbSettings loadFull(String extra) throws IOException {
        write("app/Dockerfile.custom", "FROM esb-fixture:latest\n");
        return load(write("template.yaml", FULL), """
                esb.sam.parameters { Stage = "prod" }
                esb.sam.stack-name = "shop"
                esb.aws { region = "eu-west-1", account-id = "123456789012" }
                """ + extra);
    }

    @Test
    void everySupportedFeatureBecomesFunctionSettings() throws IOException {
        var settings = loadFull("esb.functions.plain { image = \"esb-fixture:latest\" }");

        assertThat(settings.functions()).containsOnlyKeys("plain", "Orders", "Builder");
        var orders = settings.functions().get("Orders");
        assertThat(orders.name()).isEqualTo("Orders");
        assertThat(orders.image()).isEqualTo("orders-prod:latest");
        assertThat(orders.timeout()).isEqualTo(Duration.ofSeconds(10)); // from Globals
        assertThat(orders.memoryMb()).isEqualTo(512); // its own beats Globals
        assertThat(orders.maxConcurrency()).isEqualTo(4); // ReservedConcurrentExecutions, a Number parameter
        assertThat(orders.minWarm()).isZero();
        assertThat(orders.cpus()).isZero();
        assertThat(orders.environment()).isEqualTo(Map.ofEntries(
                Map.entry("STAGE", "prod"),
                Map.entry("REGION", "eu-west-1"),
                Map.entry("SHARED", "own"),
                Map.entry("TABLE", "OrdersTable"),
                Map.entry("TABLE_ARN", ""),
                Map.entry("ACCOUNT", "123456789012:shop"),
                Map.entry("PARTITION", "aws"),
                Map.entry("URL", "https://my-api.execute-api.eu-west-1.amazonaws.com/prod"),
                Map.entry("JOINED", "a-prod-c"),
                Map.entry("LITERAL", "${NotAVar}"),
                Map.entry("ODD", ""),
                Map.entry("COUNT", "3"),
                Map.entry("DEBUG", "true")));
        assertThat(orders.routes()).containsExactly(
                new RouteSettings("GET", "/orders/{id}", PayloadFormat.V1, false),
                new RouteSettings("ANY", "/orders/admin/{proxy+}", PayloadFormat.V1, false),
                new RouteSettings("POST", "/v2/orders", PayloadFormat.V2, false));

        var builder = settings.functions().get("Builder");
        assertThat(builder).isEqualTo(new FunctionSettings("Builder", "builder:v1", Duration.ofSeconds(30), 256, 10, 0, 0.0,
                Map.of("STAGE", "prod", "REGION", "eu-west-1", "SHARED", "from-globals", "MODE", "built"),
                List.of(new RouteSettings("ANY", "/", PayloadFormat.V1, false),
                        new RouteSettings("ANY", "/{proxy+}", PayloadFormat.V1, false)), InvokeMode.PULL, null));

        var sam = settings.sam();
        assertThat(sam.path()).isEqualTo(dir.resolve("template.yaml").toAbsolutePath().normalize());
        assertThat(sam.functions()).containsOnlyKeys("Orders", "Builder");
        assertThat(sam.builds()).containsOnlyKeys("Builder");
        assertThat(sam.builds().get("Builder")).isEqualTo(new ImageBuild(dir.resolve("app/Dockerfile.custom").toAbsolutePath().normalize(),
                dir.resolve("app").toAbsolutePath().normalize(), "builder:v1", Map.of("STAGE", "prod", "WHERE", "eu-west-1"), "runtime"));
        assertThat(sam.unsupported()).containsExactly(
                "Globals.Api",
                "Globals.Function.Tracing",
                "Resources.Orders.Properties.Policies",
                "Resources.Orders.Properties.Environment.Variables.TABLE_ARN (Fn::GetAtt; set to \"\")",
                "Resources.Orders.Properties.Environment.Variables.ODD (!Foo; set to \"\")",
                "Resources.Orders.Properties.Events.AnyOrder.Properties.Auth",
                "Resources.Orders.Properties.Events.Queue (Type SQS)",
                "Resources.OrdersTable (AWS::DynamoDB::Table)");
    }

    @Test
    void defaultsApplyWithoutOverridesAndPseudoParametersFollowTheAwsSettings() throws IOException {
        write("app/Dockerfile.custom", "FROM esb-fixture:latest\n");
        var settings = load(write("template.yaml", FULL), "");
        var orders = settings.functions().get("Orders");
        assertThat(orders.image()).isEqualTo("orders-dev:latest");
        assertThat(orders.environment()).containsEntry("ACCOUNT", "000000000000:local").containsEntry("REGION", "us-east-1")
                .containsEntry("URL", "https://my-api.execute-api.us-east-1.amazonaws.com/dev");
    }

    @Test
    void pseudoParametersOfOtherPartitions() {
        assertThat(SamTemplate.pseudoParameters("cn-north-1", "1", "s")).containsEntry("AWS::Partition", "aws-cn")
                .containsEntry("AWS::URLSuffix", "amazonaws.com.cn")
                .hasEntrySatisfying("AWS::StackId", id -> assertThat(id).startsWith("arn:aws-cn:cloudformation:cn-north-1:1:stack/s/"));
        assertThat(SamTemplate.pseudoParameters("us-gov-west-1", "1", "s")).containsEntry("AWS::Partition", "aws-us-gov");
    }

    @Test
    void unsupportedItemsAreListedInOneWarn() throws IOException {
        var settings = loadFull("");
        try (var logs = new LogCapture()) {
            settings.sam().logSummary();
            var warnings = logs.events().stream().filter(e -> e.getLevel() == Level.WARN).toList();
            assertThat(warnings).hasSize(1);
            var warn = warnings.get(0);
            assertThat(warn.getFormattedMessage()).isEqualTo("SAM template has resources and properties esb does not support; they are ignored");
            var fields = LogCapture.fields(warn);
            assertThat(fields).containsEntry("template", dir.resolve("template.yaml").toAbsolutePath().normalize().toString())
                    .containsEntry("unsupported_count", "8");
            assertThat(fields.get("unsupported")).contains("Resources.OrdersTable (AWS::DynamoDB::Table)", "Resources.Orders.Properties.Policies",
                    "Globals.Function.Tracing", "Resources.Orders.Properties.Events.Queue (Type SQS)");
            var info = logs.withMessage("Read functions from SAM template");
            assertThat(info).hasSize(1);
            assertThat(LogCapture.fields(info.get(0))).containsEntry("functions", "[Orders, Builder]").containsEntry("image_builds", "[Builder]");
        }
    }

    @Test
    void noWarnWhenEverythingIsSupported() throws IOException {
        var settings = load(write("t.yaml", """
                Resources:
                  Hello:
                    Type: AWS::Serverless::Function
                    Properties: { PackageType: Image, ImageUri: "esb-fixture:latest" }
                """), "");
        try (var logs = new LogCapture()) {
            settings.sam().logSummary();
            assertThat(logs.events()).extracting(e -> e.getLevel()).containsExactly(Level.INFO);
        }
        assertThat(settings.functions().get("Hello")).isEqualTo(new FunctionSettings("Hello", "esb-fixture:latest", Duration.ofSeconds(3),
                128, 10, 0, 0.0, Map.of(), List.of(), InvokeMode.PULL, null));
        assertThat(settings.sam().unsupported()).isEmpty();
    }

    @Test
    void jsonTemplatesAndLongFormIntrinsicsWork() throws IOException {
        var settings = load(write("t.json", """
                {"Parameters": {"Name": {"Type": "String", "Default": "hello"}},
                 "Resources": {"Hi": {"Type": "AWS::Serverless::Function",
                   "Properties": {"PackageType": "Image", "ImageUri": {"Fn::Sub": ["${N}:latest", {"N": {"Ref": "Name"}}]},
                     "Events": {"Get": {"Type": "HttpApi", "Properties": {"Path": "/hi/{who}", "Method": "get"}}}}}}}
                """), "");
        var hi = settings.functions().get("Hi");
        assertThat(hi.image()).isEqualTo("hello:latest");
        assertThat(hi.routes()).containsExactly(new RouteSettings("GET", "/hi/{who}", PayloadFormat.V2, false));
    }

    @Test
    void noTemplateMeansNoFunctionsFromIt() {
        var settings = SettingsLoader.load(ConfigFactory.defaultReference().resolve());
        assertThat(settings.sam()).isSameAs(SamTemplate.NONE);
        assertThat(settings.sam().present()).isFalse();
    }

    // ---- errors: each names the file, the resource and the property ----

    private ConfigException failure(String template, String extra) throws IOException {
        var file = write("template.yaml", template);
        var error = catchThrowableOfType(ConfigException.class, () -> load(file, extra));
        assertThat(error).as("expected a ConfigException").isNotNull();
        return error;
    }

    private String prefix() {
        return "Invalid SAM template " + dir.resolve("template.yaml").toAbsolutePath().normalize() + " at '";
    }

    private static String function(String properties) {
        return """
                Resources:
                  Orders:
                    Type: AWS::Serverless::Function
                    Properties:
                """ + properties.indent(6);
    }

    @Test
    void scheduleEventsAndTheEventInvokeConfigAreMappedAndWhatHasNoCounterpartIsListed() throws IOException {
        var settings = load(write("template.yaml", function("""
                PackageType: Image
                ImageUri: esb-fixture:latest
                DeadLetterQueue:
                  Type: SQS
                  TargetArn: arn:aws:sqs:us-east-1:123456789012:dlq
                EventInvokeConfig:
                  MaximumRetryAttempts: 1
                  MaximumEventAgeInSeconds: 600
                  DestinationConfig:
                    OnFailure:
                      Type: SQS
                      Destination: arn:aws:sqs:us-east-1:123456789012:failed
                    OnSuccess:
                      Type: SQS
                      Destination: arn:aws:sqs:us-east-1:123456789012:ok
                Events:
                  Nightly:
                    Type: Schedule
                    Properties:
                      Schedule: cron(0 2 * * ? *)
                      Input: '{"job":"nightly"}'
                      Description: the nightly job
                      RetryPolicy:
                        MaximumRetryAttempts: 1
                  Paused:
                    Type: Schedule
                    Properties:
                      Schedule: rate(1 hour)
                      Enabled: false
                  Weekdays:
                    Type: ScheduleV2
                    Properties:
                      ScheduleExpression: cron(30 7 ? * MON-FRI *)
                      ScheduleExpressionTimezone: Europe/Berlin
                      State: ENABLED
                      Name: weekday-report
                      FlexibleTimeWindow:
                        Mode: "OFF"
                """)), "");
        var orders = settings.functions().get("Orders");
        var gateway = settings.async();
        assertThat(orders.async().maxRetryAttempts(gateway)).isEqualTo(1);
        assertThat(orders.async().maxEventAge(gateway)).isEqualTo(java.time.Duration.ofSeconds(600));
        assertThat(orders.schedules()).hasSize(3);
        var nightly = orders.schedules().get(0);
        assertThat(nightly.name()).isEqualTo("Orders-Nightly");
        assertThat(nightly.expression().text()).isEqualTo("cron(0 2 * * ? *)");
        assertThat(nightly.input()).isEqualTo("{\"job\":\"nightly\"}");
        assertThat(nightly.enabled()).isTrue();
        assertThat(nightly.zone()).isEqualTo(java.time.ZoneOffset.UTC);
        assertThat(orders.schedules().get(1).enabled()).isFalse();
        var weekdays = orders.schedules().get(2);
        assertThat(weekdays.name()).isEqualTo("weekday-report");
        assertThat(weekdays.zone()).isEqualTo(java.time.ZoneId.of("Europe/Berlin"));
        assertThat(weekdays.enabled()).isTrue();
        assertThat(settings.sam().unsupported()).containsExactlyInAnyOrder(
                "Resources.Orders.Properties.EventInvokeConfig.DestinationConfig.OnSuccess",
                "Resources.Orders.Properties.Events.Nightly.Properties.RetryPolicy",
                "Resources.Orders.Properties.Events.Weekdays.Properties.FlexibleTimeWindow");
    }

    @Test
    void aBadScheduleOrRetrySettingNamesItsPlaceInTheTemplate() throws IOException {
        var badRate = failure(function("""
                PackageType: Image
                ImageUri: esb-fixture:latest
                Events:
                  Every:
                    Type: ScheduleV2
                    Properties:
                      ScheduleExpression: rate(1 minutes)
                """), "");
        assertThat(badRate.getMessage()).startsWith(prefix() + "Resources.Orders.Properties.Events.Every.Properties.ScheduleExpression': ")
                .contains("use 'minute' with 1");
        var badRetries = failure(function("""
                PackageType: Image
                ImageUri: esb-fixture:latest
                EventInvokeConfig:
                  MaximumRetryAttempts: 3
                """), "");
        assertThat(badRetries.getMessage()).startsWith(prefix() + "Resources.Orders.Properties.EventInvokeConfig.MaximumRetryAttempts': ")
                .contains("must be between 0 and 2 (got 3)");
        var noExpression = failure(function("""
                PackageType: Image
                ImageUri: esb-fixture:latest
                Events:
                  Tick:
                    Type: Schedule
                    Properties:
                      Input: '{}'
                """), "");
        assertThat(noExpression.getMessage()).startsWith(prefix() + "Resources.Orders.Properties.Events.Tick.Properties.Schedule': ")
                .contains("is required");
    }

    @Test
    void aZipFunctionWhoseCodeIsNotBuiltSaysSo() throws IOException {
        var error = failure(function("""
                Handler: app.handler
                Runtime: python3.12
                CodeUri: src/
                """), "");
        assertThat(error.getMessage()).isEqualTo(prefix() + "Resources.Orders.Properties.CodeUri': does not exist: "
                + dir.resolve("src").toAbsolutePath().normalize() + "; build the function first, e.g. sam build");
        assertThat(error.key()).isEqualTo("esb.sam.template");
    }

    @Test
    void aFunctionWithNeitherImageNorCode() throws IOException {
        var error = failure(function("Timeout: 5\n"), "");
        assertThat(error.getMessage()).isEqualTo(prefix() + "Resources.Orders.Properties': function 'Orders' has no code: set PackageType: "
                + "Image with ImageUri (or Metadata Dockerfile and DockerContext to build one), or Runtime, Handler and CodeUri for a Zip function");
        var image = failure(function("PackageType: Image\n"), "");
        assertThat(image.getMessage()).isEqualTo(prefix() + "Resources.Orders.Properties.ImageUri': function 'Orders' has no image: set "
                + "ImageUri, or Metadata Dockerfile and DockerContext to build one (or PackageType: Zip with Runtime, Handler and CodeUri)");
    }

    @Test
    void anImageUriThatCannotBeEvaluatedStopsStartup() throws IOException {
        var error = failure(function("""
                PackageType: Image
                ImageUri: !GetAtt Repo.RepositoryUri
                """), "");
        assertThat(error.getMessage()).isEqualTo(prefix() + "Resources.Orders.Properties.ImageUri': uses Fn::GetAtt, which esb cannot "
                + "evaluate, so the function has no image");
    }

    @Test
    void aZipFunctionWithAnImageUri() throws IOException {
        var error = failure(function("PackageType: Zip\nImageUri: x:latest\n"), "");
        assertThat(error.getMessage()).isEqualTo(prefix() + "Resources.Orders.Properties.ImageUri': belongs to PackageType Image; a Zip "
                + "function runs CodeUri on its Runtime, so remove one of them");
    }

    @Test
    void anUnknownPackageType() throws IOException {
        var error = failure(function("PackageType: Jar\nImageUri: x:latest\n"), "");
        assertThat(error.getMessage()).isEqualTo(prefix() + "Resources.Orders.Properties.PackageType': PackageType Jar is not supported: "
                + "it is Image or Zip");
    }

    @Test
    void malformedYamlNamesTheLine() throws IOException {
        var error = failure("Resources:\n  Orders:\n    Type: [unclosed\n", "");
        assertThat(error.getMessage()).startsWith(prefix() + "line 4, column 1': ");
    }

    @Test
    void duplicateKeysAreMalformed() throws IOException {
        var error = failure("Resources: {}\nResources: {}\n", "");
        assertThat(error.getMessage()).startsWith(prefix() + "line 2, column 1': ").contains("duplicate key Resources");
    }

    @Test
    void missingResources() throws IOException {
        var error = failure("Parameters: {}\n", "");
        assertThat(error.getMessage()).isEqualTo(prefix() + "Resources': is required and must map logical ids to resources");
    }

    @Test
    void aRefToNothingTheTemplateDefines() throws IOException {
        var error = failure(function("""
                ImageUri: x:latest
                Environment:
                  Variables:
                    TABLE: !Ref Missing
                """), "");
        assertThat(error.getMessage()).isEqualTo(prefix() + "Resources.Orders.Properties.Environment.Variables.TABLE.Ref': Ref to 'Missing', "
                + "which is neither a parameter, a pseudo parameter nor a resource of the template");
    }

    @Test
    void aParameterWithoutValue() throws IOException {
        var error = failure("Parameters:\n  Stage: { Type: String }\n" + function("ImageUri: !Sub \"x-${Stage}:latest\"\n"), "");
        assertThat(error.getMessage()).isEqualTo(prefix() + "Resources.Orders.Properties.ImageUri.Fn::Sub': parameter 'Stage' has no Default; "
                + "give it a value in esb.sam.parameters.Stage");
    }

    @Test
    void overridesMustNameDeclaredParametersAndAllowedValues() throws IOException {
        var template = "Parameters:\n  Stage: { Type: String, Default: dev, AllowedValues: [dev, prod] }\n" + function("ImageUri: x:latest\n");
        var unknown = failure(template, "esb.sam.parameters.Stag = prod");
        assertThat(unknown.key()).isEqualTo("esb.sam.parameters.Stag");
        assertThat(unknown.getMessage()).contains("is not a parameter of SAM template").contains("[Stage]");
        var notAllowed = failure(template, "esb.sam.parameters.Stage = test");
        assertThat(notAllowed.getMessage()).isEqualTo("Invalid configuration at 'esb.sam.parameters.Stage': value 'test' is not one of its "
                + "AllowedValues [dev, prod]");
    }

    @Test
    void badLimitsNameTheirProperty() throws IOException {
        assertThat(failure(function("ImageUri: x:latest\nTimeout: soon\n"), "").getMessage())
                .isEqualTo(prefix() + "Resources.Orders.Properties.Timeout': must be a whole number (got 'soon')");
        assertThat(failure(function("ImageUri: x:latest\nTimeout: 901\n"), "").getMessage())
                .isEqualTo(prefix() + "Resources.Orders.Properties.Timeout': must be between 1s and 15m (got PT15M1S)");
        assertThat(failure(function("ImageUri: x:latest\nMemorySize: 4\n"), "").getMessage())
                .isEqualTo(prefix() + "Resources.Orders.Properties.MemorySize': must be between 16 and 10240 (got 4)");
        assertThat(failure(function("ImageUri: x:latest\nReservedConcurrentExecutions: 0\n"), "").getMessage())
                .isEqualTo(prefix() + "Resources.Orders.Properties.ReservedConcurrentExecutions': must be between 1 and 1000 (got 0)");
        assertThat(failure("Globals:\n  Function:\n    Timeout: 0\n" + function("ImageUri: x:latest\n"), "").getMessage())
                .isEqualTo(prefix() + "Globals.Function.Timeout': must be between 1s and 15m (got PT0S)");
    }

    @Test
    void badEventsNameTheirProperty() throws IOException {
        assertThat(failure(function("""
                ImageUri: x:latest
                Events:
                  Get: { Type: Api, Properties: { Path: /orders } }
                """), "").getMessage()).isEqualTo(prefix() + "Resources.Orders.Properties.Events.Get.Properties.Method': is required for an Api event");
        assertThat(failure(function("""
                ImageUri: x:latest
                Events:
                  Get: { Type: Api, Properties: { Path: /orders, Method: fetch } }
                """), "").getMessage()).startsWith(prefix() + "Resources.Orders.Properties.Events.Get.Properties.Method': must be one of");
        assertThat(failure(function("""
                ImageUri: x:latest
                Events:
                  Get: { Type: HttpApi, Properties: { Path: orders, Method: get } }
                """), "").getMessage()).isEqualTo(prefix() + "Resources.Orders.Properties.Events.Get.Properties.Path': malformed path "
                + "template 'orders': path must start with '/'");
    }

    @Test
    void badDockerMetadataNamesItsKey() throws IOException {
        var noContext = failure(function("PackageType: Image\n") + "    Metadata:\n      Dockerfile: Dockerfile\n", "");
        assertThat(noContext.getMessage()).isEqualTo(prefix() + "Resources.Orders.Metadata.DockerContext': a Dockerfile build needs both "
                + "Dockerfile and DockerContext");
        Files.createDirectories(dir.resolve("ctx"));
        var noFile = failure(function("PackageType: Image\n") + "    Metadata:\n      Dockerfile: Dockerfile\n      DockerContext: ctx\n", "");
        assertThat(noFile.getMessage()).isEqualTo(prefix() + "Resources.Orders.Metadata.Dockerfile': no such file: "
                + dir.resolve("ctx/Dockerfile").toAbsolutePath().normalize());
        write("Dockerfile", "FROM scratch\n");
        var outside = failure(function("PackageType: Image\n") + "    Metadata:\n      Dockerfile: ../Dockerfile\n      DockerContext: ctx\n", "");
        assertThat(outside.getMessage()).startsWith(prefix() + "Resources.Orders.Metadata.Dockerfile': must be inside DockerContext");
        var badTag = failure(function("PackageType: Image\n") + "    Metadata:\n      Dockerfile: Dockerfile\n      DockerContext: ctx/..\n"
                + "      DockerTag: \"a tag\"\n", "");
        assertThat(badTag.getMessage()).startsWith(prefix() + "Resources.Orders.Metadata.DockerTag': must be a Docker tag");
    }

    @Test
    void aNameInBothPlacesNamesBoth() throws IOException {
        var error = failure(function("ImageUri: x:latest\n"), "esb.functions.Orders { image = \"esb-fixture:latest\" }");
        assertThat(error.key()).isEqualTo("esb.functions.Orders");
        assertThat(error.getMessage()).isEqualTo("Invalid configuration at 'esb.functions.Orders': function 'Orders' is also defined in SAM "
                + "template " + dir.resolve("template.yaml").toAbsolutePath().normalize() + " at 'Resources.Orders'; define it in one place only");
    }

    @Test
    void aMissingTemplateFile() {
        var error = catchThrowableOfType(ConfigException.class, () -> load(dir.resolve("nope.yaml"), ""));
        assertThat(error.getMessage()).isEqualTo("Invalid configuration at 'esb.sam.template': no such file: "
                + dir.resolve("nope.yaml").toAbsolutePath().normalize());
    }

    // ---- Zip functions ----

    /** Zip functions sharing Globals, with a layer of each kind; built code under .aws-sam/build as sam build leaves it. */
    private static final String ZIP = """
            Transform: AWS::Serverless-2016-10-31
            Globals:
              Function:
                Runtime: java21
                Timeout: 20
                MemorySize: 512
                Architectures: [arm64]
                Layers:
                  - !Ref SharedLayer
                Environment:
                  Variables:
                    STAGE: dev
            Resources:
              Orders:
                Type: AWS::Serverless::Function
                Properties:
                  PackageType: Zip
                  Handler: shop.Orders::handleRequest
                  CodeUri: .aws-sam/build/Orders
                  Layers:
                    - Ref: ToolsLayer
                  Environment:
                    Variables:
                      TABLE: orders
                  Events:
                    Get:
                      Type: HttpApi
                      Properties: { Path: "/orders/{id}", Method: get }
              Report:
                Type: AWS::Serverless::Function
                Properties:
                  Runtime: python3.12
                  Handler: report.handler
                  CodeUri: ./report/../.aws-sam/build/Report/
                  Architectures: [x86_64]
                  MemorySize: 256
                Metadata:
                  BuildMethod: python3.12
              SharedLayer:
                Type: AWS::Serverless::LayerVersion
                Properties:
                  LayerName: shared
                  ContentUri: .aws-sam/build/SharedLayer
                  CompatibleRuntimes: [java21]
                Metadata:
                  BuildMethod: java21
              ToolsLayer:
                Type: AWS::Lambda::LayerVersion
                Properties:
                  Content: layers/tools
            """;

    private Path built(String relative) throws IOException {
        return Files.createDirectories(dir.resolve(relative)).toAbsolutePath().normalize();
    }

    @Test
    void zipFunctionsResolveGlobalsLayersAndAbsolutePaths() throws IOException {
        var orders = built(".aws-sam/build/Orders");
        var report = built(".aws-sam/build/Report");
        var shared = built(".aws-sam/build/SharedLayer");
        var tools = built("layers/tools");
        var settings = load(write("template.yaml", ZIP), "");

        assertThat(settings.functions().get("Orders")).isEqualTo(new FunctionSettings("Orders", "public.ecr.aws/lambda/java:21",
                Duration.ofSeconds(20), 512, 10, 0, 0.0, Map.of("STAGE", "dev", "TABLE", "orders"),
                List.of(new RouteSettings("GET", "/orders/{id}", PayloadFormat.V2, false)), InvokeMode.PULL,
                new ZipCode("java21", "shop.Orders::handleRequest", orders, List.of(shared, tools), "arm64")));
        // No PackageType: SAM's default, Zip. Its own Runtime and Architectures beat Globals'; Globals' layers still apply.
        assertThat(settings.functions().get("Report")).isEqualTo(new FunctionSettings("Report", "public.ecr.aws/lambda/python:3.12",
                Duration.ofSeconds(20), 256, 10, 0, 0.0, Map.of("STAGE", "dev"), List.of(), InvokeMode.PULL,
                new ZipCode("python3.12", "report.handler", report, List.of(shared), "x86_64")));
        assertThat(settings.sam().functions()).containsOnlyKeys("Orders", "Report");
        assertThat(settings.sam().builds()).isEmpty();
        // LayerVersions, Globals' Runtime/Architectures/Layers and BuildMethod metadata are all understood: nothing to warn about.
        assertThat(settings.sam().unsupported()).isEmpty();
    }

    @Test
    void anOverriddenRuntimeImageIsUsedForTemplateFunctions() throws IOException {
        built(".aws-sam/build/Orders");
        built(".aws-sam/build/Report");
        built(".aws-sam/build/SharedLayer");
        built("layers/tools");
        var settings = load(write("template.yaml", ZIP), "esb.runtimes.java21 = \"registry.local/lambda/java:21\"");
        assertThat(settings.functions().get("Orders").image()).isEqualTo("registry.local/lambda/java:21");
        assertThat(settings.functions().get("Report").image()).isEqualTo("public.ecr.aws/lambda/python:3.12");
    }

    @Test
    void imageFunctionsArePullAndIgnoreGlobalsCodeButListTheirOwn() throws IOException {
        var settings = load(write("template.yaml", """
                Globals:
                  Function:
                    Runtime: java21
                    Handler: a.B::h
                    Layers: [!Ref Nothing]
                Resources:
                  Plain:
                    Type: AWS::Serverless::Function
                    Properties: { PackageType: Image, ImageUri: "esb-fixture:latest" }
                  Odd:
                    Type: AWS::Serverless::Function
                    Properties: { ImageUri: "esb-fixture:latest", CodeUri: src, Architectures: [arm64] }
                  Nothing:
                    Type: AWS::SNS::Topic
                """), "");
        assertThat(settings.functions().get("Plain").mode()).isEqualTo(InvokeMode.PULL);
        assertThat(settings.functions().get("Plain").isZip()).isFalse();
        assertThat(settings.functions().get("Odd").isZip()).isFalse();
        assertThat(settings.sam().unsupported()).containsExactly("Resources.Odd.Properties.CodeUri", "Resources.Odd.Properties.Architectures",
                "Resources.Nothing (AWS::SNS::Topic)");
    }

    private static String zipFunction(String extra) {
        return function("Runtime: java21\nHandler: a.B::h\nCodeUri: code\n" + extra);
    }

    @Test
    void codeMustBeLocal() throws IOException {
        built("code");
        assertThat(failure(function("Runtime: java21\nHandler: a.B::h\nCodeUri: { Bucket: b, Key: k.zip }\n"), "").getMessage())
                .isEqualTo(prefix() + "Resources.Orders.Properties.CodeUri': is an S3 location; esb runs local code only: set it to the "
                        + "function's code directory, a path relative to the template (sam build writes a template with such paths under "
                        + ".aws-sam/build)");
        assertThat(failure(function("Runtime: java21\nHandler: a.B::h\nCodeUri: s3://b/k.zip\n"), "").getMessage())
                .startsWith(prefix() + "Resources.Orders.Properties.CodeUri': is an S3 location");
        assertThat(failure(function("Runtime: java21\nHandler: a.B::h\nInlineCode: \"def handler(e, c): pass\"\n"), "").getMessage())
                .isEqualTo(prefix() + "Resources.Orders.Properties.InlineCode': InlineCode is not supported: put the code in a directory "
                        + "and set CodeUri to it");
        assertThat(failure("Globals:\n  Function:\n    CodeUri: missing\n" + function("Runtime: java21\nHandler: a.B::h\n"), "").getMessage())
                .isEqualTo(prefix() + "Globals.Function.CodeUri': does not exist: " + dir.resolve("missing").toAbsolutePath().normalize()
                        + "; build the function first, e.g. sam build");
        assertThat(failure(function("Runtime: java21\nHandler: a.B::h\n"), "").getMessage())
                .isEqualTo(prefix() + "Resources.Orders.Properties.CodeUri': is required for a Zip function: the directory of its code, "
                        + "relative to the template");
    }

    @Test
    void layersMustBeLocalLayerVersions() throws IOException {
        built("code");
        var arn = failure(zipFunction("Layers:\n  - arn:aws:lambda:us-east-1:123456789012:layer:deps:3\n"), "");
        assertThat(arn.getMessage()).isEqualTo(prefix() + "Resources.Orders.Properties.Layers[0]': layer "
                + "'arn:aws:lambda:us-east-1:123456789012:layer:deps:3' is not in this template; esb supports only local layers: a !Ref to "
                + "an AWS::Serverless::LayerVersion whose ContentUri is a directory");
        var globalArn = failure("Globals:\n  Function:\n    Layers: [!Sub \"arn:aws:lambda:${AWS::Region}:1:layer:x:1\"]\n"
                + zipFunction(""), "");
        assertThat(globalArn.getMessage()).startsWith(prefix() + "Globals.Function.Layers[0]': layer 'arn:aws:lambda:us-east-1:1:layer:x:1' "
                + "is not in this template");
        var notALayer = failure(zipFunction("Layers: [!Ref Topic]\n") + "  Topic:\n    Type: AWS::SNS::Topic\n", "");
        assertThat(notALayer.getMessage()).isEqualTo(prefix() + "Resources.Orders.Properties.Layers[0]': Ref to 'Topic', a AWS::SNS::Topic, "
                + "not a layer; Layers take !Ref of an AWS::Serverless::LayerVersion of this template");
        var s3Layer = failure(zipFunction("Layers: [!Ref Deps]\n") + "  Deps:\n    Type: AWS::Serverless::LayerVersion\n"
                + "    Properties:\n      ContentUri: { Bucket: b, Key: deps.zip }\n", "");
        assertThat(s3Layer.getMessage()).startsWith(prefix() + "Resources.Deps.Properties.ContentUri': is an S3 location; esb runs local code "
                + "only: set it to the layer's directory");
        var missingLayer = failure(zipFunction("Layers: [!Ref Deps]\n") + "  Deps:\n    Type: AWS::Serverless::LayerVersion\n"
                + "    Properties:\n      ContentUri: deps/\n", "");
        assertThat(missingLayer.getMessage()).isEqualTo(prefix() + "Resources.Deps.Properties.ContentUri': does not exist: "
                + dir.resolve("deps").toAbsolutePath().normalize() + "; build the layer first, e.g. sam build");
        var noContent = failure(zipFunction("Layers: [!Ref Deps]\n") + "  Deps:\n    Type: AWS::Lambda::LayerVersion\n"
                + "    Properties:\n      LayerName: deps\n", "");
        assertThat(noContent.getMessage()).isEqualTo(prefix() + "Resources.Deps.Properties.Content': is required: the layer's directory, "
                + "relative to the template");
    }

    @Test
    void runtimeHandlerAndArchitecturesNameTheirProperty() throws IOException {
        built("code");
        assertThat(failure(function("Runtime: java8\nHandler: a.B::h\nCodeUri: code\n"), "").getMessage())
                .isEqualTo(prefix() + "Resources.Orders.Properties.Runtime': unknown runtime 'java8': known runtimes are dotnet8, java11, "
                        + "java17, java21, nodejs18.x, nodejs20.x, nodejs22.x, provided.al2, provided.al2023, python3.11, python3.12, "
                        + "python3.13, ruby3.3; add it under esb.runtimes");
        assertThat(failure("Globals:\n  Function:\n    Runtime: go1.x\n" + function("Handler: main\nCodeUri: code\n"), "").getMessage())
                .startsWith(prefix() + "Globals.Function.Runtime': unknown runtime 'go1.x'");
        assertThat(failure(function("Runtime: java21\nCodeUri: code\n"), "").getMessage())
                .isEqualTo(prefix() + "Resources.Orders.Properties.Handler': is required for a Zip function and must be a string");
        assertThat(failure(function("PackageType: Zip\nHandler: h\nCodeUri: code\n"), "").getMessage())
                .isEqualTo(prefix() + "Resources.Orders.Properties.Runtime': is required for a Zip function and must be a string");
        assertThat(failure(zipFunction("Architectures: [arm64, x86_64]\n"), "").getMessage())
                .isEqualTo(prefix() + "Resources.Orders.Properties.Architectures': must be [\"x86_64\"] or [\"arm64\"], one architecture "
                        + "(got [arm64, x86_64])");
        assertThat(failure("Globals:\n  Function:\n    Architectures: [sparc]\n" + zipFunction(""), "").getMessage())
                .startsWith(prefix() + "Globals.Function.Architectures': must be [\"x86_64\"] or [\"arm64\"]");
        assertThat(failure(zipFunction("Architectures: arm64\n"), "").getMessage())
                .isEqualTo(prefix() + "Resources.Orders.Properties.Architectures': must be a list of one architecture: [x86_64] or [arm64]");
    }
}
