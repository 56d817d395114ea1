package io.esb.route;

import java.util.Locale;

/**
 * The Lambda proxy integration payload format: which event a function receives and how its result is read.
 * {@link #V1} is what REST APIs use (and HTTP APIs' "1.0"), {@link #V2} is HTTP APIs' "2.0".
 */
public enum PayloadFormat {
    V1("1.0"),
    V2("2.0");

    private final String version;

    PayloadFormat(String version) {
        this.version = version;
    }

    /** AWS's spelling, as in {@code payloadFormatVersion}: {@code "1.0"} or {@code "2.0"}. */
    public String version() {
        return version;
    }

    /** Accepts AWS's {@code "1.0"}/{@code "2.0"} (also {@code "1"}, {@code "2"}, {@code "v1"}, {@code "V2"}). */
    public static PayloadFormat parse(String value) {
        if (value != null) {
            String v = value.trim().toLowerCase(Locale.ROOT);
            v = v.startsWith("v") ? v.substring(1) : v;
            switch (v) {
                case "1", "1.0":
                    return V1;
                case "2", "2.0":
                    return V2;
                default:
                    break;
            }
        }
        throw new IllegalArgumentException("Invalid payload format version '" + value + "': expected 1.0 or 2.0");
    }
}
