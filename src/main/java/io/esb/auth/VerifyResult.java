package io.esb.auth;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/** Outcome of checking an {@code Authorization} header. */
public sealed interface VerifyResult {

    /**
     * A valid token. Every claim is a string (numbers as their decimal text, e.g. {@code exp} as epoch seconds;
     * arrays and objects as JSON), ready for {@code requestContext.authorizer.claims}.
     */
    record Verified(Map<String, String> claims) implements VerifyResult {
        public Verified {
            claims = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(claims, "claims")));
        }
    }

    /** Refused; the message is safe to return to the client with a 401. */
    record Rejected(String message) implements VerifyResult {
        public Rejected {
            Objects.requireNonNull(message, "message");
        }
    }
}
