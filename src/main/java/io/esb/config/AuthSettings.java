package io.esb.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Settings for the optional JWT auth ({@code esb.auth.*}). Auth is enabled when {@code jwt-secret} is non-empty.
 *
 * <p>The secret, the API keys and the passwords are credentials: they never appear in {@link #toString()}, in
 * exception messages or in logs. {@link #secret()} returns a copy, so callers cannot change the key in place.
 *
 * @param enabled  whether a JWT secret is configured
 * @param secret   HS256 key (UTF-8 bytes of {@code esb.auth.jwt-secret}), at least {@value #MIN_SECRET_BYTES} bytes when enabled
 * @param issuer   {@code iss} claim written into, and required of, every token
 * @param tokenTtl lifetime of issued tokens, a positive whole number of seconds
 * @param apiKeys  values accepted in {@code x-api-key} by {@code POST /user/auth/v1}
 * @param users    username to password
 */
public record AuthSettings(boolean enabled, byte[] secret, String issuer, Duration tokenTtl, Set<String> apiKeys,
                           Map<String, String> users) {

    /** HS256 wants a key at least as long as its 256-bit output (RFC 7518 section 3.2). */
    public static final int MIN_SECRET_BYTES = 32;

    public static final String SECRET_KEY = "esb.auth.jwt-secret";
    private static final String DEFAULT_ISSUER = "esb";
    private static final Duration DEFAULT_TTL = Duration.ofHours(1);

    public AuthSettings {
        Objects.requireNonNull(secret, "secret");
        Objects.requireNonNull(issuer, "issuer");
        Objects.requireNonNull(tokenTtl, "tokenTtl");
        secret = secret.clone();
        apiKeys = Collections.unmodifiableSet(new LinkedHashSet<>(Objects.requireNonNull(apiKeys, "apiKeys")));
        users = Collections.unmodifiableMap(new TreeMap<>(Objects.requireNonNull(users, "users")));
        if (enabled && secret.length < MIN_SECRET_BYTES) {
            throw new ConfigException(SECRET_KEY, "must be at least " + MIN_SECRET_BYTES + " bytes (got " + secret.length + ")");
        }
        if (tokenTtl.isZero() || tokenTtl.isNegative() || tokenTtl.getNano() != 0) {
            throw new ConfigException("esb.auth.token-ttl", "must be a positive whole number of seconds (got " + tokenTtl + ")");
        }
    }

    /** Auth switched off: no secret, no keys, no users. */
    public static AuthSettings disabled() {
        return new AuthSettings(false, new byte[0], DEFAULT_ISSUER, DEFAULT_TTL, Set.of(), Map.of());
    }

    /**
     * Reads {@code auth.*} from the {@code esb} config object (the one {@code SettingsLoader} reads {@code http.*}
     * from). Missing keys take the reference.conf defaults, so a config without an {@code auth} block means auth off.
     *
     * @throws ConfigException naming the offending key; the message never contains a secret, key or password
     */
    public static AuthSettings fromConfig(Config esb) {
        try {
            var auth = esb.hasPath("auth") ? esb.getConfig("auth") : null;
            var secretText = auth != null && auth.hasPath("jwt-secret") ? scalar(auth.getValue("jwt-secret"), SECRET_KEY) : "";
            var secret = secretText.getBytes(StandardCharsets.UTF_8);
            boolean enabled = secret.length > 0;
            if (enabled && secret.length < MIN_SECRET_BYTES) {
                throw new ConfigException(SECRET_KEY, "must be at least " + MIN_SECRET_BYTES + " bytes (got " + secret.length + ")");
            }
            var issuer = auth != null && auth.hasPath("issuer") ? auth.getString("issuer").trim() : DEFAULT_ISSUER;
            if (issuer.isEmpty()) {
                throw new ConfigException("esb.auth.issuer", "must not be empty");
            }
            var ttl = auth != null && auth.hasPath("token-ttl") ? ttl(auth) : DEFAULT_TTL;
            var apiKeys = auth != null && auth.hasPath("api-keys") ? apiKeys(auth) : Set.<String>of();
            var users = auth != null && auth.hasPath("users") ? users(auth) : Map.<String, String>of();
            return new AuthSettings(enabled, secret, issuer, ttl, apiKeys, users);
        } catch (ConfigException e) {
            throw e;
        } catch (com.typesafe.config.ConfigException e) {
            // Typesafe's messages name the key and its type, never the value; still keep them to one line.
            throw new ConfigException("esb.auth", String.valueOf(e.getMessage()).replace('\n', ' '));
        }
    }

    /**
     * Fails startup when a route asks for {@code auth = jwt} but no secret is configured.
     *
     * @param routeKey how the route is named in the error, e.g. {@code GET /hello}
     */
    public static void requireEnabled(AuthSettings settings, String routeKey) {
        if (settings == null || !settings.enabled()) {
            throw new ConfigException(SECRET_KEY, "is required because route " + routeKey + " uses auth = jwt");
        }
    }

    /** A copy of the HS256 key. */
    @Override
    public byte[] secret() {
        return secret.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AuthSettings other && enabled == other.enabled && Arrays.equals(secret, other.secret)
                && issuer.equals(other.issuer) && tokenTtl.equals(other.tokenTtl) && apiKeys.equals(other.apiKeys)
                && users.equals(other.users);
    }

    @Override
    public int hashCode() {
        return Objects.hash(enabled, Arrays.hashCode(secret), issuer, tokenTtl, apiKeys, users);
    }

    /** Counts only: the secret, API keys, usernames and passwords stay out of logs and dumps. */
    @Override
    public String toString() {
        return "AuthSettings[enabled=" + enabled + ", secret=<redacted " + secret.length + " bytes>, issuer=" + issuer
                + ", tokenTtl=" + tokenTtl + ", apiKeys=<" + apiKeys.size() + " redacted>, users=<" + users.size() + " redacted>]";
    }

    private static Duration ttl(Config auth) {
        Duration ttl;
        try {
            ttl = auth.getDuration("token-ttl");
        } catch (com.typesafe.config.ConfigException.BadValue | com.typesafe.config.ConfigException.WrongType e) {
            throw new ConfigException("esb.auth.token-ttl", "is not a duration such as 1h or 30m (got '" + auth.getValue("token-ttl").unwrapped() + "')");
        }
        if (ttl.isZero() || ttl.isNegative()) {
            throw new ConfigException("esb.auth.token-ttl", "must be a positive duration (got " + auth.getValue("token-ttl").unwrapped() + ")");
        }
        if (ttl.getNano() != 0) {
            throw new ConfigException("esb.auth.token-ttl", "must be whole seconds, as JWT exp is (got " + auth.getValue("token-ttl").unwrapped() + ")");
        }
        return ttl;
    }

    private static Set<String> apiKeys(Config auth) {
        var value = auth.getValue("api-keys");
        if (value.valueType() != ConfigValueType.LIST) {
            throw new ConfigException("esb.auth.api-keys", "must be a list of strings");
        }
        var keys = new LinkedHashSet<String>();
        var list = auth.getList("api-keys");
        for (int i = 0; i < list.size(); i++) {
            var key = "esb.auth.api-keys[" + i + "]";
            var text = scalar(list.get(i), key);
            if (text.isBlank()) {
                throw new ConfigException(key, "must not be empty");
            }
            keys.add(text);
        }
        return keys;
    }

    private static Map<String, String> users(Config auth) {
        if (auth.getValue("users").valueType() != ConfigValueType.OBJECT) {
            throw new ConfigException("esb.auth.users", "must be an object of username = password");
        }
        var users = new TreeMap<String, String>();
        for (var entry : auth.getObject("users").entrySet()) {
            var username = entry.getKey();
            // Quote the name: a dotted username would otherwise read as a path. The name itself is not secret.
            var key = "esb.auth.users.\"" + username + "\"";
            if (username.isBlank()) {
                throw new ConfigException("esb.auth.users", "usernames must not be empty");
            }
            if (entry.getValue().valueType() != ConfigValueType.STRING) {
                throw new ConfigException(key, "must be a string password (got " + entry.getValue().valueType().name().toLowerCase(java.util.Locale.ROOT) + ")");
            }
            var password = (String) entry.getValue().unwrapped();
            if (password.isEmpty()) {
                throw new ConfigException(key, "must not be an empty password");
            }
            users.put(username, password);
        }
        return users;
    }

    /** A string or number, as text; anything else fails without echoing the value (it may be a secret). */
    private static String scalar(ConfigValue value, String key) {
        return switch (value.valueType()) {
            case STRING, NUMBER -> String.valueOf(value.unwrapped());
            default -> throw new ConfigException(key, "must be a string (got " + value.valueType().name().toLowerCase(java.util.Locale.ROOT) + ")");
        };
    }
}
