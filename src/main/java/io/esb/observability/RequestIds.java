package io.esb.observability;

import java.util.UUID;
import java.util.regex.Pattern;

/** Request ids come from {@code X-Request-Id} when it is safe to log and echo, else a new UUID. */
public final class RequestIds {
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

    private RequestIds() {}

    public static String fromHeaderOrNew(String header) {
        return header != null && SAFE.matcher(header).matches() ? header : UUID.randomUUID().toString();
    }
}
