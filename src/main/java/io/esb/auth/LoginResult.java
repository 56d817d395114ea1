package io.esb.auth;

import java.util.Objects;

/** Outcome of {@code POST /user/auth/v1}. */
public sealed interface LoginResult {

    /** A token was issued; render it with {@link JwtAuth#loginResponseJson(Issued)}. */
    record Issued(String idToken, long expiresInSeconds) implements LoginResult {
        public Issued {
            Objects.requireNonNull(idToken, "idToken");
        }

        /** The token is a bearer credential: keep it out of logs. */
        @Override
        public String toString() {
            return "Issued[idToken=<redacted>, expiresInSeconds=" + expiresInSeconds + "]";
        }
    }

    /** Refused, with the HTTP status (400 or 401) and a message safe to return to the client. */
    record Rejected(int status, String message) implements LoginResult {
        public Rejected {
            Objects.requireNonNull(message, "message");
        }
    }
}
