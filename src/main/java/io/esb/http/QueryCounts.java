package io.esb.http;

/** Whole-number query parameters that bound a listing ({@code MaxItems}, {@code limit}). */
final class QueryCounts {
    private QueryCounts() {}

    /** {@code text} as a count from 1 to {@code max}; {@code whenAbsent} for null; -1 when it is not one (the caller answers 400). */
    static int parse(String text, int whenAbsent, int max) {
        int value;
        try {
            value = text == null ? whenAbsent : Integer.parseInt(text);
        } catch (NumberFormatException e) {
            return -1;
        }
        return value < 1 || value > max ? -1 : value;
    }
}
