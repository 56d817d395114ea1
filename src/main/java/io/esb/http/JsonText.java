package io.esb.http;

/**
 * Whether UTF-8 text is exactly one JSON value (RFC 8259), surrounding whitespace allowed: the check behind the
 * "not JSON" warning on a route's body. A plain scan: no tokens, strings or symbol tables, where a Jackson parser
 * cost about as much as parsing the whole function result (BENCHMARKS.md, issue 17). The input comes from a Java
 * string, so it is valid UTF-8; only the JSON grammar is checked.
 */
final class JsonText {
    /** Deeper nesting is not JSON here, as Jackson's default read constraint has it. */
    static final int MAX_DEPTH = 1000;

    private final byte[] text;
    private int at;

    private JsonText(byte[] text) {
        this.text = text;
    }

    static boolean isOneValue(byte[] utf8) {
        var scan = new JsonText(utf8);
        scan.skipWhitespace();
        if (!scan.value(0)) {
            return false;
        }
        scan.skipWhitespace();
        return scan.at == utf8.length;
    }

    private boolean value(int depth) {
        if (at >= text.length) {
            return false;
        }
        return switch (text[at]) {
            case '{' -> depth < MAX_DEPTH && items('}', depth + 1, true);
            case '[' -> depth < MAX_DEPTH && items(']', depth + 1, false);
            case '"' -> string();
            case 't' -> literal("true");
            case 'f' -> literal("false");
            case 'n' -> literal("null");
            default -> number();
        };
    }

    private static final int MORE = 0;
    private static final int CLOSED = 1;
    private static final int BROKEN = 2;

    /** An object's members or an array's elements, from the opening bracket through {@code close}. */
    private boolean items(char close, int depth, boolean members) {
        at++; // the opening bracket
        skipWhitespace();
        if (peek() == close) {
            at++;
            return true;
        }
        int state;
        do {
            state = (members ? member(depth) : value(depth)) ? afterItem(close) : BROKEN;
        } while (state == MORE);
        return state == CLOSED;
    }

    private boolean member(int depth) {
        if (peek() != '"' || !string()) {
            return false;
        }
        skipWhitespace();
        if (peek() != ':') {
            return false;
        }
        at++;
        skipWhitespace();
        return value(depth);
    }

    /** After a member or an element: the closing bracket, or a comma and the next item, or anything else. */
    private int afterItem(char close) {
        skipWhitespace();
        int next = peek();
        at++;
        if (next == close) {
            return CLOSED;
        }
        if (next != ',') {
            return BROKEN;
        }
        skipWhitespace();
        return MORE;
    }

    private boolean string() {
        at++; // the opening quote
        while (at < text.length) {
            int c = text[at++] & 0xFF;
            if (c == '"') {
                return true;
            }
            if (c < 0x20) {
                return false; // control characters must be escaped
            }
            if (c == '\\') {
                if (at >= text.length) {
                    return false;
                }
                int escaped = text[at++];
                switch (escaped) {
                    case '"', '\\', '/', 'b', 'f', 'n', 'r', 't' -> { }
                    case 'u' -> {
                        for (int k = 0; k < 4; k++) {
                            if (at >= text.length || Character.digit(text[at++], 16) < 0) {
                                return false;
                            }
                        }
                    }
                    default -> {
                        return false;
                    }
                }
            }
        }
        return false;
    }

    private boolean literal(String word) {
        if (at + word.length() > text.length) {
            return false;
        }
        for (int k = 0; k < word.length(); k++) {
            if (text[at + k] != word.charAt(k)) {
                return false;
            }
        }
        at += word.length();
        return true;
    }

    /** {@code -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?} */
    private boolean number() {
        if (peek() == '-') {
            at++;
        }
        if (peek() == '0') {
            at++;
        } else if (!digits()) {
            return false;
        }
        if (peek() == '.') {
            at++;
            if (!digits()) {
                return false;
            }
        }
        if (peek() == 'e' || peek() == 'E') {
            at++;
            if (peek() == '+' || peek() == '-') {
                at++;
            }
            return digits();
        }
        return true;
    }

    private boolean digits() {
        int start = at;
        while (at < text.length && text[at] >= '0' && text[at] <= '9') {
            at++;
        }
        return at > start;
    }

    private int peek() {
        return at < text.length ? text[at] : -1;
    }

    private void skipWhitespace() {
        while (at < text.length) {
            byte c = text[at];
            if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
                return;
            }
            at++;
        }
    }
}
