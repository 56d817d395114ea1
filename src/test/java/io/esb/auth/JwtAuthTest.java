package io.esb.auth;

import io.esb.config.AuthSettings;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.esb.config.ConfigException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

class JwtAuthTest {
    private static final String SECRET = "0123456789abcdef0123456789abcdef-test";
    private static final String API_KEY = "test-api-key-1";
    private static final String PASSWORD = "wonderland-Passw0rd";
    private static final Instant NOW = Instant.parse("2024-03-01T12:00:00Z");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final MutableClock clock = new MutableClock(NOW);
    private final AuthSettings settings = settings(SECRET, "esb-test");
    private final JwtAuth auth = new JwtAuth(settings, clock);

    private static AuthSettings settings(String secret, String issuer) {
        return new AuthSettings(true, secret.getBytes(StandardCharsets.UTF_8), issuer, Duration.ofHours(1),
                Set.of(API_KEY, "second-key"), Map.of("alice", PASSWORD, "bob", "builder-password"));
    }

    private static byte[] body(String username, String password) {
        return ("{\"AuthParameters\":{\"USERNAME\":\"" + username + "\",\"PASSWORD\":\"" + password + "\"}}")
                .getBytes(StandardCharsets.UTF_8);
    }

    private String token() {
        return token(auth);
    }

    private static String token(JwtAuth issuer) {
        var result = issuer.login(API_KEY, body("alice", PASSWORD));
        assertThat(result).isInstanceOf(LoginResult.Issued.class);
        return ((LoginResult.Issued) result).idToken();
    }

    private static String b64(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }

    private static String unb64(String part) {
        return new String(Base64.getUrlDecoder().decode(part), StandardCharsets.UTF_8);
    }

    private static String rejection(VerifyResult result) {
        assertThat(result).isInstanceOf(VerifyResult.Rejected.class);
        return ((VerifyResult.Rejected) result).message();
    }

    // --- issue + verify ---

    @Test
    void issuedTokenVerifiesWithCognitoStyleClaims() throws Exception {
        var result = auth.login(API_KEY, body("alice", PASSWORD));

        assertThat(result).isInstanceOf(LoginResult.Issued.class);
        var issued = (LoginResult.Issued) result;
        assertThat(issued.expiresInSeconds()).isEqualTo(3600);
        assertThat(JWT.decode(issued.idToken()).getAlgorithm()).isEqualTo("HS256");

        var verified = auth.verify("Bearer " + issued.idToken());
        assertThat(verified).isInstanceOf(VerifyResult.Verified.class);
        var claims = ((VerifyResult.Verified) verified).claims();
        assertThat(claims).containsOnlyKeys("sub", "cognito:username", "iss", "iat", "exp", "token_use", "jti");
        assertThat(claims.get("sub")).isEqualTo("alice");
        assertThat(claims.get("cognito:username")).isEqualTo("alice");
        assertThat(claims.get("iss")).isEqualTo("esb-test");
        assertThat(claims.get("token_use")).isEqualTo("id");
        assertThat(claims.get("iat")).isEqualTo(Long.toString(NOW.getEpochSecond()));
        assertThat(claims.get("exp")).isEqualTo(Long.toString(NOW.getEpochSecond() + 3600));
        assertThat(Long.parseLong(claims.get("exp")) - Long.parseLong(claims.get("iat"))).isEqualTo(3600);
        assertThat(UUID.fromString(claims.get("jti")).toString()).isEqualTo(claims.get("jti"));
    }

    @Test
    void eachTokenHasItsOwnJti() {
        var first = ((VerifyResult.Verified) auth.verify("Bearer " + token())).claims().get("jti");
        var second = ((VerifyResult.Verified) auth.verify("Bearer " + token())).claims().get("jti");
        assertThat(first).isNotEqualTo(second);
    }

    @Test
    void subSecondClockIsTruncatedSoExpIsExactlyIatPlusTtl() {
        clock.set(NOW.plusMillis(999));
        var claims = ((VerifyResult.Verified) auth.verify("Bearer " + token())).claims();
        assertThat(claims.get("iat")).isEqualTo(Long.toString(NOW.getEpochSecond()));
        assertThat(claims.get("exp")).isEqualTo(Long.toString(NOW.getEpochSecond() + 3600));
    }

    @Test
    void loginResponseHasTheCognitoInitiateAuthShape() throws Exception {
        var issued = (LoginResult.Issued) auth.login(API_KEY, body("bob", "builder-password"));

        var json = JSON.readTree(JwtAuth.loginResponseJson(issued));

        assertThat(json.size()).isEqualTo(1);
        var result = json.get("AuthenticationResult");
        assertThat(result.size()).isEqualTo(3);
        assertThat(result.get("IdToken").textValue()).isEqualTo(issued.idToken());
        assertThat(result.get("ExpiresIn").isIntegralNumber()).isTrue();
        assertThat(result.get("ExpiresIn").longValue()).isEqualTo(3600);
        assertThat(result.get("TokenType").textValue()).isEqualTo("Bearer");
    }

    @Test
    void secondApiKeyIsAcceptedToo() {
        assertThat(auth.login("second-key", body("alice", PASSWORD))).isInstanceOf(LoginResult.Issued.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"bearer %s", "BEARER %s", "BeArEr   %s", "  Bearer %s  ", "Bearer\t%s"})
    void bearerSchemeIsCaseInsensitive(String format) {
        assertThat(auth.verify(format.formatted(token()))).isInstanceOf(VerifyResult.Verified.class);
    }

    // --- expiry ---

    @Test
    void tokenIsValidUntilExpAndExpiredAfter() {
        var header = "Bearer " + token();

        clock.set(NOW.plus(Duration.ofHours(1)).minusSeconds(1));
        assertThat(auth.verify(header)).isInstanceOf(VerifyResult.Verified.class);

        clock.set(NOW.plus(Duration.ofHours(1)).plusSeconds(1));
        assertThat(rejection(auth.verify(header))).isEqualTo("Token expired");

        clock.set(NOW.plus(Duration.ofDays(30)));
        assertThat(rejection(auth.verify(header))).isEqualTo("Token expired");
    }

    // --- forged tokens ---

    @Test
    void tokenSignedWithAnotherSecretIsInvalid() {
        var other = new JwtAuth(settings("another-secret-another-secret-0123456789", "esb-test"), clock);
        assertThat(rejection(auth.verify("Bearer " + token(other)))).isEqualTo("Invalid token");
    }

    @Test
    void expiredTokenWithAnotherSecretIsInvalidNotExpired() {
        var other = new JwtAuth(settings("another-secret-another-secret-0123456789", "esb-test"), clock);
        var header = "Bearer " + token(other);
        clock.set(NOW.plus(Duration.ofDays(1)));
        assertThat(rejection(auth.verify(header))).isEqualTo("Invalid token");
    }

    @Test
    void algNoneTokenIsInvalid() {
        var parts = token().split("\\.");
        // Valid claims from a real token, unsigned.
        var unsigned = b64("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + parts[1] + ".";
        assertThat(rejection(auth.verify("Bearer " + unsigned))).isEqualTo("Invalid token");

        var noneKeepingSignature = b64("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + parts[1] + "." + parts[2];
        assertThat(rejection(auth.verify("Bearer " + noneKeepingSignature))).isEqualTo("Invalid token");

        var lowerCaseNone = b64("{\"alg\":\"None\"}") + "." + parts[1] + ".";
        assertThat(rejection(auth.verify("Bearer " + lowerCaseNone))).isEqualTo("Invalid token");
    }

    @Test
    void otherHmacAlgorithmWithTheSameSecretIsInvalid() {
        var hs512 = JWT.create().withSubject("alice").withIssuer("esb-test").withClaim("token_use", "id")
                .withIssuedAt(NOW).withExpiresAt(NOW.plusSeconds(60))
                .sign(Algorithm.HMAC512(SECRET.getBytes(StandardCharsets.UTF_8)));
        assertThat(rejection(auth.verify("Bearer " + hs512))).isEqualTo("Invalid token");
    }

    @Test
    void tamperedPayloadIsInvalid() throws Exception {
        var parts = token().split("\\.");
        var payload = (ObjectNode) JSON.readTree(unb64(parts[1]));
        payload.put("sub", "mallory").put("cognito:username", "mallory");
        var tampered = parts[0] + "." + b64(JSON.writeValueAsString(payload)) + "." + parts[2];

        assertThat(rejection(auth.verify("Bearer " + tampered))).isEqualTo("Invalid token");
    }

    @Test
    void extendedExpiryIsInvalid() throws Exception {
        var parts = token().split("\\.");
        var payload = (ObjectNode) JSON.readTree(unb64(parts[1]));
        payload.put("exp", NOW.getEpochSecond() + 365L * 24 * 3600);
        var tampered = parts[0] + "." + b64(JSON.writeValueAsString(payload)) + "." + parts[2];

        assertThat(rejection(auth.verify("Bearer " + tampered))).isEqualTo("Invalid token");
    }

    @Test
    void wrongIssuerIsInvalid() {
        var sameSecretOtherIssuer = new JwtAuth(settings(SECRET, "someone-else"), clock);
        assertThat(rejection(auth.verify("Bearer " + token(sameSecretOtherIssuer)))).isEqualTo("Invalid token");
    }

    @Test
    void correctlySignedTokenMissingRequiredClaimsIsInvalid() {
        var algorithm = Algorithm.HMAC256(SECRET.getBytes(StandardCharsets.UTF_8));
        var accessToken = JWT.create().withSubject("alice").withIssuer("esb-test").withClaim("token_use", "access")
                .withIssuedAt(NOW).withExpiresAt(NOW.plusSeconds(60)).sign(algorithm);
        var noExpiry = JWT.create().withSubject("alice").withIssuer("esb-test").withClaim("token_use", "id")
                .withIssuedAt(NOW).sign(algorithm);
        var noIssuer = JWT.create().withSubject("alice").withClaim("token_use", "id")
                .withIssuedAt(NOW).withExpiresAt(NOW.plusSeconds(60)).sign(algorithm);

        assertThat(rejection(auth.verify("Bearer " + accessToken))).isEqualTo("Invalid token");
        assertThat(rejection(auth.verify("Bearer " + noExpiry))).isEqualTo("Invalid token");
        assertThat(rejection(auth.verify("Bearer " + noIssuer))).isEqualTo("Invalid token");
    }

    @Test
    void tokenIssuedInTheFutureIsInvalid() {
        clock.set(NOW.plus(Duration.ofMinutes(10)));
        var header = "Bearer " + token();
        clock.set(NOW);
        assertThat(rejection(auth.verify(header))).isEqualTo("Invalid token");
    }

    @ParameterizedTest
    @ValueSource(strings = {"abc", "a.b.c", "a.b", "....", "eyJhbGciOiJIUzI1NiJ9.!!!.sig", "%%%"})
    void malformedTokensAreInvalid(String token) {
        assertThat(rejection(auth.verify("Bearer " + token))).isEqualTo("Invalid token");
    }

    // --- header shape ---

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"   "})
    void missingHeader(String header) {
        assertThat(rejection(auth.verify(header))).isEqualTo("Missing Authorization header");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Basic YWxpY2U6cGFzcw==", "Bearer", "Bearer   ", "Token abc", "Bearerabc", "abc.def.ghi", "Bearer a b"})
    void headerThatIsNotBearer(String header) {
        assertThat(rejection(auth.verify(header))).isEqualTo("Authorization header must be 'Bearer <token>'");
    }

    // --- login ---

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"wrong", "test-api-key-", "test-api-key-1 ", "TEST-API-KEY-1"})
    void badApiKeyIs401(String apiKey) {
        assertThat(auth.login(apiKey, body("alice", PASSWORD))).isEqualTo(new LoginResult.Rejected(401, "Invalid API key"));
    }

    @Test
    void apiKeyIsCheckedBeforeTheBody() {
        assertThat(auth.login("wrong", "nonsense".getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(new LoginResult.Rejected(401, "Invalid API key"));
    }

    @Test
    void wrongPasswordAndUnknownUserGetTheSameAnswer() {
        var wrongPassword = auth.login(API_KEY, body("alice", "not-the-password"));
        var unknownUser = auth.login(API_KEY, body("mallory", PASSWORD));
        var otherUsersPassword = auth.login(API_KEY, body("alice", "builder-password"));
        var emptyPassword = auth.login(API_KEY, body("alice", ""));
        var caseChangedUser = auth.login(API_KEY, body("ALICE", PASSWORD));

        var expected = new LoginResult.Rejected(401, "Incorrect username or password");
        assertThat(List.of(wrongPassword, unknownUser, otherUsersPassword, emptyPassword, caseChangedUser)).containsOnly(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "",
            "not json",
            "{",
            "[]",
            "null",
            "\"AuthParameters\"",
            "{}",
            "{\"AuthParameters\":null}",
            "{\"AuthParameters\":\"alice\"}",
            "{\"AuthParameters\":[\"alice\",\"pw\"]}",
            "{\"AuthParameters\":{}}",
            "{\"AuthParameters\":{\"USERNAME\":\"alice\"}}",
            "{\"AuthParameters\":{\"PASSWORD\":\"wonderland-Passw0rd\"}}",
            "{\"AuthParameters\":{\"USERNAME\":42,\"PASSWORD\":\"wonderland-Passw0rd\"}}",
            "{\"AuthParameters\":{\"USERNAME\":\"alice\",\"PASSWORD\":null}}",
            "{\"AuthParameters\":{\"USERNAME\":\"alice\",\"PASSWORD\":{\"x\":1}}}",
            "{\"AuthParameters\":{\"username\":\"alice\",\"password\":\"wonderland-Passw0rd\"}}",
            "{\"USERNAME\":\"alice\",\"PASSWORD\":\"wonderland-Passw0rd\"}",
            "{\"AuthParameters\":{\"USERNAME\":\"alice\",\"PASSWORD\":\"x\",\"PASSWORD\":\"wonderland-Passw0rd\"}}",
            "{\"AuthParameters\":{\"USERNAME\":\"alice\",\"PASSWORD\":\"wonderland-Passw0rd\"}",
    })
    void malformedLoginBodyIs400(String body) {
        var expected = new LoginResult.Rejected(400, "Body must be JSON {\"AuthParameters\":{\"USERNAME\":...,\"PASSWORD\":...}}");
        assertThat(auth.login(API_KEY, body.getBytes(StandardCharsets.UTF_8))).isEqualTo(expected);
    }

    @Test
    void nullBodyIs400() {
        assertThat(auth.login(API_KEY, null)).isEqualTo(new LoginResult.Rejected(400,
                "Body must be JSON {\"AuthParameters\":{\"USERNAME\":...,\"PASSWORD\":...}}"));
    }

    @Test
    void extraFieldsInTheBodyAreIgnored() {
        var body = ("{\"AuthFlow\":\"USER_PASSWORD_AUTH\",\"ClientId\":\"x\",\"AuthParameters\":"
                + "{\"USERNAME\":\"alice\",\"PASSWORD\":\"wonderland-Passw0rd\",\"SECRET_HASH\":\"h\"}}").getBytes(StandardCharsets.UTF_8);
        assertThat(auth.login(API_KEY, body)).isInstanceOf(LoginResult.Issued.class);
    }

    @Test
    void nonAsciiPasswordsWork() {
        var unicode = new JwtAuth(new AuthSettings(true, SECRET.getBytes(StandardCharsets.UTF_8), "esb-test", Duration.ofMinutes(5),
                Set.of(API_KEY), Map.of("zoë", "pässwörd-🔑")), clock);
        var result = unicode.login(API_KEY, body("zoë", "pässwörd-🔑"));
        assertThat(result).isInstanceOf(LoginResult.Issued.class);
        assertThat(((LoginResult.Issued) result).expiresInSeconds()).isEqualTo(300);
        var claims = ((VerifyResult.Verified) unicode.verify("Bearer " + ((LoginResult.Issued) result).idToken())).claims();
        assertThat(claims.get("cognito:username")).isEqualTo("zoë");
    }

    // --- hygiene ---

    @Test
    void issuedToStringHidesTheToken() {
        var issued = (LoginResult.Issued) auth.login(API_KEY, body("alice", PASSWORD));
        assertThat(issued.toString()).doesNotContain(issued.idToken()).doesNotContain(issued.idToken().split("\\.")[2]);
    }

    @Test
    void logsNeverContainSecretsPasswordsOrTokens() {
        var logger = (Logger) LoggerFactory.getLogger(JwtAuth.class);
        var appender = new ListAppender<ILoggingEvent>();
        appender.start();
        var previous = logger.getLevel();
        logger.setLevel(Level.DEBUG);
        logger.addAppender(appender);
        try {
            var token = token();
            auth.login("wrong-key", body("alice", PASSWORD));
            auth.login(API_KEY, body("alice", "typo-" + PASSWORD));
            auth.login(API_KEY, body(PASSWORD, PASSWORD));
            auth.login(API_KEY, "{oops".getBytes(StandardCharsets.UTF_8));
            auth.verify("Bearer " + token);
            auth.verify("Bearer " + token + "x");
            clock.set(NOW.plus(Duration.ofDays(1)));
            auth.verify("Bearer " + token);

            assertThat(appender.list).isNotEmpty();
            for (var event : appender.list) {
                var text = event.getFormattedMessage() + " " + Arrays.toString(event.getArgumentArray());
                assertThat(text).doesNotContain(PASSWORD).doesNotContain(SECRET).doesNotContain(API_KEY)
                        .doesNotContain(token.split("\\.")[2]);
            }
        } finally {
            logger.detachAppender(appender);
            logger.setLevel(previous);
        }
    }

    @Test
    void disabledSettingsCannotBuildJwtAuth() {
        assertThatThrownBy(() -> new JwtAuth(AuthSettings.disabled(), Clock.systemUTC()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("esb.auth.jwt-secret");
    }

    @Test
    void concurrentLoginsAndVerificationsAgree() throws Exception {
        var realClock = new JwtAuth(settings, Clock.systemUTC());
        ExecutorService pool = Executors.newFixedThreadPool(8);
        var failures = new ConcurrentLinkedQueue<Object>();
        try {
            List<Future<?>> futures = IntStream.range(0, 200).<Future<?>>mapToObj(i -> pool.submit(() -> {
                var result = realClock.login(API_KEY, body(i % 2 == 0 ? "alice" : "bob", i % 2 == 0 ? PASSWORD : "builder-password"));
                if (!(result instanceof LoginResult.Issued issued)
                        || !(realClock.verify("Bearer " + issued.idToken()) instanceof VerifyResult.Verified v)
                        || !v.claims().get("sub").equals(i % 2 == 0 ? "alice" : "bob")) {
                    failures.add(result);
                }
            })).toList();
            for (var f : futures) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(failures).isEmpty();
    }

    /** A clock tests can move. */
    static final class MutableClock extends Clock {
        private volatile Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        void set(Instant instant) {
            now = instant;
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }
}
