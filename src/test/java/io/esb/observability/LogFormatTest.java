package io.esb.observability;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.OutputStreamAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.esb.config.ConfigException;
import io.esb.config.LoggingSettings;
import io.esb.config.SettingsLoader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static net.logstash.logback.argument.StructuredArguments.kv;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * {@code esb.logging.format} selects the output of the gateway's own logback.xml (src/main/resources), loaded here into
 * a logger context of its own with both console outputs captured: the same file and appenders production uses.
 */
class LogFormatTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final LoggingSettings.Format before = LogOutput.selected();

    @AfterEach
    void restoreSelection() {
        LogOutput.apply(new LoggingSettings(before, true));
    }

    private static Config config(String overrides) {
        return ConfigFactory.parseString(overrides).withFallback(ConfigFactory.defaultReference()).resolve();
    }

    /** The gateway's logback.xml in a context of its own, with what each console appender writes captured. */
    private static final class GatewayLogback {
        final LoggerContext context = new LoggerContext();
        final ByteArrayOutputStream text = new ByteArrayOutputStream();
        final ByteArrayOutputStream json = new ByteArrayOutputStream();

        GatewayLogback() throws Exception {
            var configurator = new JoranConfigurator();
            configurator.setContext(context);
            configurator.doConfigure(LogFormatTest.class.getResource("/logback.xml"));
            capture("text", "text-console", text);
            capture("json", "json-console", json);
        }

        private void capture(String async, String console, ByteArrayOutputStream into) {
            var root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
            var queue = (BatchingAsyncAppender) root.getAppender(async);
            assertThat(queue).as("logback.xml attaches the %s output to the root logger", async).isNotNull();
            ((OutputStreamAppender<?>) queue.getAppender(console)).setOutputStream(into);
        }

        /** Logs one container line as the followers do, then stops logback so the async queues are written out. */
        void logContainerLineAndStop() {
            MDC.put("request_id", "req-1");
            try {
                context.getLogger("io.esb.container").info("{}", "hello {braces} from fx", kv("function_name", "fx"),
                        kv("container_id", "0123456789ab"), kv("stream", "stdout"));
            } finally {
                MDC.remove("request_id");
            }
            context.stop();
        }

        List<String> lines(ByteArrayOutputStream out) {
            return out.toString(StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank()).toList();
        }
    }

    @Test
    void jsonFromApplicationConfWritesEachEventAsOneJsonObjectWithItsFields() throws Exception {
        var settings = SettingsLoader.load(config("esb.logging.format = json"));
        assertThat(settings.logging().format()).isEqualTo(LoggingSettings.Format.JSON);
        var logback = new GatewayLogback();

        LogOutput.apply(settings.logging()); // what EsbGateway.start does once the settings are loaded
        logback.logContainerLineAndStop();

        assertThat(logback.lines(logback.text)).as("text output").isEmpty();
        var jsonLines = logback.lines(logback.json);
        assertThat(jsonLines).hasSize(1);
        JsonNode event = JSON.readTree(jsonLines.get(0));
        assertThat(event.path("message").asText()).isEqualTo("hello {braces} from fx");
        assertThat(event.path("logger_name").asText()).isEqualTo("io.esb.container");
        assertThat(event.path("level").asText()).isEqualTo("INFO");
        assertThat(event.path("thread_name").asText()).isEqualTo(Thread.currentThread().getName());
        assertThat(event.path("@timestamp").asText()).isNotEmpty();
        assertThat(event.path("function_name").asText()).isEqualTo("fx");
        assertThat(event.path("container_id").asText()).isEqualTo("0123456789ab");
        assertThat(event.path("stream").asText()).isEqualTo("stdout");
        assertThat(event.path("request_id").asText()).isEqualTo("req-1");
        assertThat(jsonLines.get(0).split("\"request_id\"", -1)).as("request_id written once").hasSize(2);
    }

    @Test
    void textWritesOneReadableLineWithTheFieldsAndNoJson() throws Exception {
        var settings = SettingsLoader.load(config("esb.logging.format = text"));
        var logback = new GatewayLogback();

        LogOutput.apply(settings.logging());
        logback.logContainerLineAndStop();

        assertThat(logback.lines(logback.json)).as("json output").isEmpty();
        var textLines = logback.lines(logback.text);
        assertThat(textLines).hasSize(1);
        assertThat(textLines.get(0))
                .contains(" INFO  [" + Thread.currentThread().getName() + "] [req-1] io.esb.container - hello {braces} from fx "
                        + "{function_name=fx, container_id=0123456789ab, stream=stdout}")
                .doesNotStartWith("{");
    }

    @Test
    void theEnvironmentVariableSetsTheFormatThroughReferenceConf() {
        // reference.conf: format = "text", then format = ${?ESB_LOG_FORMAT}. Substitutions look in the config's root
        // before the environment, so a root key stands in for the variable; noSystem() keeps this JVM's own out.
        var reference = ConfigFactory.parseResources("reference.conf");
        var noSystem = com.typesafe.config.ConfigResolveOptions.noSystem();
        var withJson = ConfigFactory.parseMap(Map.of("ESB_LOG_FORMAT", "JSON")).withFallback(reference).resolve(noSystem);
        var without = reference.resolve(noSystem);

        assertThat(SettingsLoader.load(withJson).logging().format()).isEqualTo(LoggingSettings.Format.JSON);
        assertThat(SettingsLoader.load(without).logging()).isEqualTo(new LoggingSettings(LoggingSettings.Format.TEXT, true));
    }

    @Test
    void aBadFormatStopsStartupNamingTheKey() {
        var error = catchThrowableOfType(ConfigException.class, () -> SettingsLoader.load(config("esb.logging.format = xml")));
        assertThat(error).isNotNull();
        assertThat(error.key()).isEqualTo("esb.logging.format");
        assertThat(error.getMessage()).isEqualTo("Invalid configuration at 'esb.logging.format': must be text or json (got 'xml')");
    }

    @Test
    void containerLogsIsOnOrOff() {
        assertThat(SettingsLoader.load(config("esb.logging.container-logs = off")).logging().containerLogs()).isFalse();
        assertThat(SettingsLoader.load(config("")).logging().containerLogs()).isTrue();
        assertThatThrownBy(() -> SettingsLoader.load(config("esb.logging.container-logs = maybe")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("Invalid configuration at 'esb.logging.container-logs': must be on or off (got 'maybe')");
    }
}
