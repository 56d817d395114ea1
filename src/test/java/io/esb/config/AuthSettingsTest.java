package io.esb.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AuthSettingsTest {
    private static final String SECRET = "s3cr3t-s3cr3t-s3cr3t-s3cr3t-0123456789";
    private static final String PASSWORD = "hunter2-hunter2";

    /** The block proposed for reference.conf, so defaults are tested as shipped. */
    private static final String REFERENCE = """
            esb.auth {
              jwt-secret = ""
              jwt-secret = ${?ESB_AUTH_JWT_SECRET_UNIT_TEST_UNSET}
              issuer = "esb"
              token-ttl = 1h
              api-keys = []
              users { }
            }
            """;

    private static Config esb(String overrides) {
        return ConfigFactory.parseString(overrides)
                .withFallback(ConfigFactory.parseString(REFERENCE))
                .resolve()
                .getConfig("esb");
    }

    private static ConfigException failure(String overrides) {
        return catchThrowableOfType(ConfigException.class, () -> AuthSettings.fromConfig(esb(overrides)));
    }

    @Test
    void defaultsMeanDisabled() {
        var settings = AuthSettings.fromConfig(esb(""));

        assertThat(settings.enabled()).isFalse();
        assertThat(settings.secret()).isEmpty();
        assertThat(settings.issuer()).isEqualTo("esb");
        assertThat(settings.tokenTtl()).isEqualTo(Duration.ofHours(1));
        assertThat(settings.apiKeys()).isEmpty();
        assertThat(settings.users()).isEmpty();
        assertThat(settings).isEqualTo(AuthSettings.disabled());
    }

    @Test
    void missingAuthBlockMeansDisabled() {
        var settings = AuthSettings.fromConfig(ConfigFactory.parseString("esb.http.port = 1").getConfig("esb"));
        assertThat(settings).isEqualTo(AuthSettings.disabled());
    }

    @Test
    void fullConfigIsRead() {
        var settings = AuthSettings.fromConfig(esb("""
                esb.auth {
                  jwt-secret = "%s"
                  issuer = "https://esb.local"
                  token-ttl = 15m
                  api-keys = ["key-a", "key-b", 12345]
                  users { alice = "%s", "bob.smith" = plain-word, carol = "c-pass" }
                }
                """.formatted(SECRET, PASSWORD)));

        assertThat(settings.enabled()).isTrue();
        assertThat(settings.secret()).isEqualTo(SECRET.getBytes(StandardCharsets.UTF_8));
        assertThat(settings.issuer()).isEqualTo("https://esb.local");
        assertThat(settings.tokenTtl()).isEqualTo(Duration.ofMinutes(15));
        assertThat(settings.apiKeys()).containsExactlyInAnyOrder("key-a", "key-b", "12345");
        assertThat(settings.users()).containsExactly(
                Map.entry("alice", PASSWORD), Map.entry("bob.smith", "plain-word"), Map.entry("carol", "c-pass"));
    }

    @Test
    void secretCountsUtf8Bytes() {
        // 16 two-byte characters: 16 characters but 32 bytes.
        var settings = AuthSettings.fromConfig(esb("esb.auth.jwt-secret = \"" + "é".repeat(16) + "\""));
        assertThat(settings.enabled()).isTrue();
        assertThat(settings.secret()).hasSize(32);
    }

    @Test
    void secretOf32BytesIsAccepted() {
        assertThat(AuthSettings.fromConfig(esb("esb.auth.jwt-secret = \"" + "k".repeat(32) + "\"")).enabled()).isTrue();
    }

    @Test
    void secretOf31BytesFailsNamingTheKeyWithoutTheSecret() {
        var secret = "Q7x!pR2#vL9@mK4$wN8^tB1&yC6*zD3";
        assertThat(secret.getBytes(StandardCharsets.UTF_8)).hasSize(31);

        var e = failure("esb.auth.jwt-secret = \"" + secret + "\"");

        assertThat(e).isNotNull();
        assertThat(e.key()).isEqualTo("esb.auth.jwt-secret");
        assertThat(e.getMessage())
                .contains("esb.auth.jwt-secret")
                .contains("at least 32 bytes (got 31)")
                .doesNotContain(secret)
                .doesNotContain("Q7x")
                .doesNotContain("\n");
    }

    @Test
    void shortSecretFromTheEnvironmentStyleSubstitutionFails() {
        var config = ConfigFactory.parseString("esb.auth.jwt-secret = ${short}\nshort = \"abcde\"")
                .withFallback(ConfigFactory.parseString(REFERENCE)).resolve().getConfig("esb");
        assertThatThrownBy(() -> AuthSettings.fromConfig(config))
                .isInstanceOf(ConfigException.class)
                .hasMessage("Invalid configuration at 'esb.auth.jwt-secret': must be at least 32 bytes (got 5)");
    }

    @Test
    void secretThatIsNotAStringFailsWithoutEchoingIt() {
        var e = failure("esb.auth.jwt-secret { nested = \"" + SECRET + "\" }");
        assertThat(e.key()).isEqualTo("esb.auth.jwt-secret");
        assertThat(e.getMessage()).doesNotContain(SECRET);
    }

    @ParameterizedTest
    @ValueSource(strings = {"0s", "-5m", "0"})
    void nonPositiveTtlFails(String ttl) {
        var e = failure("esb.auth.token-ttl = " + ttl);
        assertThat(e.key()).isEqualTo("esb.auth.token-ttl");
        assertThat(e.getMessage()).contains("positive");
    }

    @Test
    void ttlThatIsNotADurationFails() {
        var e = failure("esb.auth.token-ttl = \"soon\"");
        assertThat(e.key()).isEqualTo("esb.auth.token-ttl");
        assertThat(e.getMessage()).contains("not a duration");
    }

    @Test
    void ttlWithFractionalSecondsFails() {
        var e = failure("esb.auth.token-ttl = 1500ms");
        assertThat(e.key()).isEqualTo("esb.auth.token-ttl");
        assertThat(e.getMessage()).contains("whole seconds");
    }

    @ParameterizedTest
    @ValueSource(strings = {"alice = 1234", "alice = true", "alice = [\"p\"]", "alice { password = \"p\" }", "alice = null"})
    void userValuesThatAreNotStringsFail(String entry) {
        var e = failure("esb.auth { jwt-secret = \"" + SECRET + "\", users { " + entry + " } }");
        assertThat(e).isNotNull();
        assertThat(e.key()).isEqualTo("esb.auth.users.\"alice\"");
        assertThat(e.getMessage()).contains("must be a string").doesNotContain("1234").doesNotContain(SECRET);
    }

    @Test
    void emptyPasswordFailsWithoutLeakingOtherPasswords() {
        var e = failure("esb.auth.users { alice = \"" + PASSWORD + "\", bob = \"\" }");
        assertThat(e.key()).isEqualTo("esb.auth.users.\"bob\"");
        assertThat(e.getMessage()).doesNotContain(PASSWORD);
    }

    @Test
    void usersThatIsNotAnObjectFails() {
        assertThat(failure("esb.auth.users = [\"alice\"]").key()).isEqualTo("esb.auth.users");
    }

    @Test
    void apiKeysMustBeAListOfNonEmptyStrings() {
        assertThat(failure("esb.auth.api-keys = \"single-key\"").key()).isEqualTo("esb.auth.api-keys");
        var e = failure("esb.auth.api-keys = [\"good-key-123\", \"\"]");
        assertThat(e.key()).isEqualTo("esb.auth.api-keys[1]");
        assertThat(e.getMessage()).doesNotContain("good-key-123");
        assertThat(failure("esb.auth.api-keys = [{ k = \"v\" }]").key()).isEqualTo("esb.auth.api-keys[0]");
    }

    @Test
    void emptyIssuerFails() {
        assertThat(failure("esb.auth.issuer = \"  \"").key()).isEqualTo("esb.auth.issuer");
    }

    @Test
    void requireEnabledNamesTheRouteAndTheKey() {
        assertThatThrownBy(() -> AuthSettings.requireEnabled(AuthSettings.disabled(), "GET /hello"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("Invalid configuration at 'esb.auth.jwt-secret': is required because route GET /hello uses auth = jwt");

        var enabled = AuthSettings.fromConfig(esb("esb.auth.jwt-secret = \"" + SECRET + "\""));
        AuthSettings.requireEnabled(enabled, "GET /hello");
    }

    @Test
    void toStringRedactsSecretApiKeysAndPasswords() {
        var settings = AuthSettings.fromConfig(esb("""
                esb.auth {
                  jwt-secret = "%s"
                  api-keys = ["api-key-visible-nowhere"]
                  users { alice = "%s" }
                }
                """.formatted(SECRET, PASSWORD)));

        assertThat(settings.toString())
                .doesNotContain(SECRET)
                .doesNotContain("s3cr3t")
                .doesNotContain(PASSWORD)
                .doesNotContain("api-key-visible-nowhere")
                .doesNotContain("alice")
                .contains("enabled=true")
                .contains("issuer=esb");
    }

    @Test
    void secretIsDefensivelyCopied() {
        var bytes = SECRET.getBytes(StandardCharsets.UTF_8);
        var settings = new AuthSettings(true, bytes, "esb", Duration.ofHours(1), Set.of(), Map.of());
        bytes[0] = 'X';
        settings.secret()[1] = 'Y';
        assertThat(settings.secret()).isEqualTo(SECRET.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void constructorRefusesAShortSecretWhenEnabled() {
        assertThatThrownBy(() -> new AuthSettings(true, new byte[31], "esb", Duration.ofHours(1), Set.of(), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("esb.auth.jwt-secret");
    }
}
