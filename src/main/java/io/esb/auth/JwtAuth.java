package io.esb.auth;

import io.esb.config.AuthSettings;

import static net.logstash.logback.argument.StructuredArguments.kv;

import com.auth0.jwt.JWT;
import com.auth0.jwt.JWTVerifier;
import com.auth0.jwt.algorithms.Algorithm;
import com.auth0.jwt.exceptions.JWTVerificationException;
import com.auth0.jwt.exceptions.TokenExpiredException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.esb.config.ConfigException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Issues and checks the gateway's HS256 ID tokens: {@code POST /user/auth/v1} trades an API key plus username and
 * password for a token shaped like a Cognito ID token, and routes with {@code auth = jwt} require it as
 * {@code Authorization: Bearer <token>}.
 *
 * <p>Immutable and thread-safe. Secrets, passwords and tokens are never logged.
 */
public final class JwtAuth {
    public static final String LOGIN_PATH = "/user/auth/v1";
    public static final String API_KEY_HEADER = "x-api-key";

    static final String INVALID_API_KEY = "Invalid API key";
    static final String MALFORMED_BODY = "Body must be JSON {\"AuthParameters\":{\"USERNAME\":...,\"PASSWORD\":...}}";
    static final String BAD_CREDENTIALS = "Incorrect username or password";
    static final String MISSING_HEADER = "Missing Authorization header";
    static final String NOT_BEARER = "Authorization header must be 'Bearer <token>'";
    static final String EXPIRED = "Token expired";
    static final String INVALID = "Invalid token";

    private static final Logger log = LoggerFactory.getLogger(JwtAuth.class);
    private static final ObjectMapper JSON = JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
    private static final Pattern BEARER = Pattern.compile("(?i)bearer\\s+(\\S+)\\s*");
    /** Compared against when the username is unknown, so both failures cost the same. */
    private static final byte[] NO_SUCH_USER = sha256("\0no such user\0");

    private final AuthSettings settings;
    private final Clock clock;
    private final Algorithm algorithm;
    private final JWTVerifier verifier;
    private final List<byte[]> apiKeyHashes;
    private final Map<String, byte[]> passwordHashes;

    /**
     * @throws ConfigException if {@code settings} is disabled (no {@code esb.auth.jwt-secret})
     */
    public JwtAuth(AuthSettings settings, Clock clock) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.clock = Objects.requireNonNull(clock, "clock");
        if (!settings.enabled()) {
            throw new ConfigException(AuthSettings.SECRET_KEY, "is required to use JWT auth");
        }
        this.algorithm = Algorithm.HMAC256(settings.secret());
        this.verifier = ((JWTVerifier.BaseVerification) JWT.require(algorithm)
                .withIssuer(settings.issuer())
                .withClaim("token_use", "id")
                .withClaimPresence("exp"))
                .build(clock);
        this.apiKeyHashes = settings.apiKeys().stream().map(JwtAuth::sha256).toList();
        var hashes = new HashMap<String, byte[]>();
        settings.users().forEach((user, password) -> hashes.put(user, sha256(password)));
        this.passwordHashes = Map.copyOf(hashes);
    }

    /**
     * Handles {@code POST /user/auth/v1}.
     *
     * @param apiKeyHeader value of {@code x-api-key}, or null when absent
     * @param body         request body, or null when empty
     */
    public LoginResult login(String apiKeyHeader, byte[] body) {
        if (!apiKeyAccepted(apiKeyHeader)) {
            log.info("Login refused", kv("event", "auth_login"), kv("outcome", "invalid_api_key"));
            return new LoginResult.Rejected(401, INVALID_API_KEY);
        }
        var credentials = parseCredentials(body);
        if (credentials == null) {
            log.info("Login refused", kv("event", "auth_login"), kv("outcome", "malformed_body"));
            return new LoginResult.Rejected(400, MALFORMED_BODY);
        }
        var expected = passwordHashes.get(credentials[0]);
        boolean passwordMatches = MessageDigest.isEqual(expected != null ? expected : NO_SUCH_USER, sha256(credentials[1]));
        if (expected == null || !passwordMatches) {
            // The username is not logged here: people type passwords into the username box.
            log.info("Login refused", kv("event", "auth_login"), kv("outcome", "bad_credentials"));
            return new LoginResult.Rejected(401, BAD_CREDENTIALS);
        }
        var issued = issue(credentials[0]);
        log.info("Login succeeded", kv("event", "auth_login"), kv("outcome", "issued"), kv("username", credentials[0]));
        return issued;
    }

    /** The Cognito InitiateAuth response body for an issued token. */
    public static String loginResponseJson(LoginResult.Issued issued) {
        ObjectNode root = JSON.createObjectNode();
        root.putObject("AuthenticationResult")
                .put("IdToken", issued.idToken())
                .put("ExpiresIn", issued.expiresInSeconds())
                .put("TokenType", "Bearer");
        try {
            return JSON.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render a JSON tree", e);
        }
    }

    /**
     * Checks an {@code Authorization} header for routes with {@code auth = jwt}.
     *
     * @param authorizationHeader the header value, or null when absent
     */
    public VerifyResult verify(String authorizationHeader) {
        if (authorizationHeader == null || authorizationHeader.isBlank()) {
            return new VerifyResult.Rejected(MISSING_HEADER);
        }
        var bearer = BEARER.matcher(authorizationHeader.strip());
        if (!bearer.matches()) {
            return new VerifyResult.Rejected(NOT_BEARER);
        }
        try {
            var jwt = verifier.verify(bearer.group(1));
            return new VerifyResult.Verified(claimsAsStrings(jwt.getPayload()));
        } catch (TokenExpiredException e) {
            log.debug("Token refused", kv("event", "auth_verify"), kv("outcome", "expired"));
            return new VerifyResult.Rejected(EXPIRED);
        } catch (JWTVerificationException | IllegalArgumentException e) {
            log.debug("Token refused", kv("event", "auth_verify"), kv("outcome", "invalid"), kv("error_type", e.getClass().getSimpleName()));
            return new VerifyResult.Rejected(INVALID);
        }
    }

    /** Token lifetime in seconds, as reported in {@code ExpiresIn}. */
    public long expiresInSeconds() {
        return settings.tokenTtl().getSeconds();
    }

    private LoginResult.Issued issue(String username) {
        var issuedAt = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        var token = JWT.create()
                .withSubject(username)
                .withClaim("cognito:username", username)
                .withIssuer(settings.issuer())
                .withIssuedAt(issuedAt)
                .withExpiresAt(issuedAt.plus(settings.tokenTtl()))
                .withClaim("token_use", "id")
                .withJWTId(UUID.randomUUID().toString())
                .sign(algorithm);
        return new LoginResult.Issued(token, expiresInSeconds());
    }

    /** Looks at every configured key, so the time taken does not say which one nearly matched. */
    private boolean apiKeyAccepted(String header) {
        if (header == null || header.isEmpty()) {
            return false;
        }
        var offered = sha256(header);
        boolean accepted = false;
        for (var key : apiKeyHashes) {
            accepted |= MessageDigest.isEqual(key, offered);
        }
        return accepted;
    }

    /** {@code [username, password]}, or null when the body is not the InitiateAuth shape. */
    private static String[] parseCredentials(byte[] body) {
        if (body == null || body.length == 0) {
            return null;
        }
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (IOException e) {
            return null;
        }
        if (root == null || !root.isObject()) {
            return null;
        }
        var params = root.get("AuthParameters");
        if (params == null || !params.isObject()) {
            return null;
        }
        var username = params.get("USERNAME");
        var password = params.get("PASSWORD");
        if (username == null || !username.isTextual() || password == null || !password.isTextual()) {
            return null;
        }
        return new String[] {username.textValue(), password.textValue()};
    }

    /** The verified payload with every claim as a string, the way API Gateway hands Cognito claims to a function. */
    private static Map<String, String> claimsAsStrings(String payloadBase64Url) {
        JsonNode payload;
        try {
            payload = JSON.readTree(Base64.getUrlDecoder().decode(payloadBase64Url));
        } catch (IOException e) {
            throw new com.auth0.jwt.exceptions.JWTDecodeException("payload is not JSON", e);
        }
        var claims = new LinkedHashMap<String, String>();
        payload.properties().forEach(field -> {
            var value = field.getValue();
            if (value.isNull()) {
                return;
            }
            claims.put(field.getKey(), value.isValueNode() ? value.asText() : value.toString());
        });
        return claims;
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }
}
